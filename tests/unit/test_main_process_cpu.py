"""The main process's work per mail outside the store and the model, made cheaper without
changing a result: unpickling what a worker sends back, rendering an acknowledgement,
matching the escalation triggers."""

from __future__ import annotations

import dataclasses
import functools
import pickle
import re
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jinja2
import pytest

from inboxd import values
from inboxd.assets import load_assets
from inboxd.errors import MessageError
from inboxd.escalation import PRIORITIES, Escalation, EscalationRules, Trigger, load_escalation
from inboxd.parse import parse_message
from inboxd.redact import redact_mail
from inboxd.render import Renderer, _environment, _snapshot, load_templates, sample_context
from inboxd.values import (
    AccountId,
    Amount,
    Bounce,
    Classification,
    Decision,
    EventTime,
    Facts,
    Forwarded,
    ParsedEmail,
    Secret,
    TxId,
    WalletAddress,
)
from tests.conftest import FIXTURES, ROOT, fixture_bytes

# -- unpickling -----------------------------------------------------------------------------------


def _value_classes() -> list[type]:
    return [c for c in vars(values).values() if isinstance(c, type) and dataclasses.is_dataclass(c)]


@functools.cache
def _mails() -> tuple[ParsedEmail, ...]:
    mails = []
    for path in sorted(FIXTURES.glob("*.eml")):
        try:
            mails.append(redact_mail(parse_message(fixture_bytes(path.name)))[0])
        except MessageError:  # the hostile ones
            continue
    # Every optional part set: a bounce, a forward, secrets, attachments' text, a zone.
    extra = dataclasses.replace(
        mails[0],
        bounce=Bounce(("<a@x>",), ("b@y.example",), (), True),
        forwarded=(Forwarded("c@z.example", "C", "Fwd", "text"),),
        secrets=(Secret("password", 1, 5, "subject"),),
        attachment_text=("", "some text"),
        date=datetime(2026, 11, 20, 14, 30, tzinfo=timezone(timedelta(hours=8))),
    )
    return (*mails, extra)


def test_every_value_pickles_as_its_constructor_and_its_fields_in_order() -> None:
    facts = Facts(
        tx_ids=(TxId("ab" * 32, "evm"),),
        order_ids=("123456",),
        amounts=(Amount("0.5", "BTC"), Amount("500", "USDT", "TRC20")),
        times=(EventTime("yesterday", datetime(2026, 1, 1, tzinfo=UTC), "day"), EventTime("soon", None)),
        account_ids=(AccountId("uid", "40918273"),),
        addresses=(WalletAddress("0x" + "ab" * 20, "evm", False),),
        secrets=(Secret("seed_phrase", 0, 10),),
    )
    decision = Decision(values.Action.ACK, "zh", Classification("account", 0.9, "account", intent="x"), facts)
    for value in [*_mails(), facts, decision, values.UNCHECKED, values.Screening(values.SkipReason.LIST, "list")]:
        again = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        assert again == value and type(again) is type(value)
    for cls in _value_classes():
        reduced = cls.__reduce__  # every one of them: a new one must not fall back to the slow way
        assert reduced is not object.__reduce__, cls.__name__


def test_unpickling_a_mail_looks_up_no_dataclass_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    """`dataclasses._dataclass_setstate` calls `fields()` for every object, which was most of what
    unpickling a worker's result cost; the values are rebuilt by their constructors instead."""
    blobs = [pickle.dumps(mail, protocol=pickle.HIGHEST_PROTOCOL) for mail in _mails()]

    def refused(*args: Any) -> Any:
        raise AssertionError("dataclasses.fields() called while unpickling")

    monkeypatch.setattr(dataclasses, "fields", refused)
    assert all(isinstance(pickle.loads(blob), ParsedEmail) for blob in blobs)


# -- rendering ------------------------------------------------------------------------------------


def _sources() -> dict[str, str]:
    return _snapshot(ROOT / "templates")


def test_templates_render_as_jinja_renders_them() -> None:
    renderer = load_templates(ROOT / "templates", load_assets(ROOT / "classifiers"))
    env = _environment(_sources())
    for name in sorted(_sources()):
        language, template = name.split("/")
        if template == "subject.txt.j2":
            continue
        context = sample_context(language, [{"field": "f", "label": "L", "ask": "A?"}])
        for variant in (context, {**context, "understood": [], "missing": [], "reply_by": "", "high_volume": False}):
            rendered = renderer.render(language, template.removesuffix(".txt.j2"), variant)
            subject = env.get_template(f"{language}/subject.txt.j2").render(variant)
            body = env.get_template(name).render(variant)
            assert rendered.subject == " ".join(subject.split())
            assert rendered.body == body.strip() + "\n"


def _renderer_of(tmp_path: Path, body: str) -> Renderer:
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root)
    (root / "en" / "other.txt.j2").write_text(body, encoding="utf-8")
    return load_templates(root, load_assets(ROOT / "classifiers"))


def test_a_template_still_has_jinjas_globals_and_its_errors(tmp_path: Path) -> None:
    """The variables a template sees are Jinja's globals, then the context: `range`, `namespace`
    and the rest are there, a variable of the context wins over a global of the same name, and a
    failure is Jinja's own error."""
    body = (
        "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}"
        "{{ ns.n }} {{ ticket }} {{ team }}{% for item in missing %} {{ item.label }}{% endfor %}\n"
    )
    renderer = _renderer_of(tmp_path, body)
    context = sample_context("en", [{"field": "f", "label": "Label", "ask": "?"}])
    assert renderer.render("en", "other", context).body == "3 INB-000001 Support Label\n"
    assert renderer.render("en", "other", {**context, "range": lambda n: [10]}).body.startswith("10 ")
    with pytest.raises(jinja2.UndefinedError):
        renderer.render("en", "other", {k: v for k, v in context.items() if k != "team"})
    # The context given is not changed by rendering it.
    before = dict(context)
    renderer.render("en", "other", context)
    assert context == before


def test_rendering_builds_no_context_from_the_globals_chainmap(monkeypatch: pytest.MonkeyPatch) -> None:
    """`Template.render` copies the template's globals out of their ChainMap for every call (half
    of what an acknowledgement cost): the renderer takes them once per template."""
    renderer = load_templates(ROOT / "templates", load_assets(ROOT / "classifiers"))
    context = sample_context("zh", [])
    expected = renderer.render("zh", "account", context)

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("jinja2.runtime.new_context called")

    monkeypatch.setattr(jinja2.runtime, "new_context", refused)
    monkeypatch.setattr(jinja2.environment, "new_context", refused)
    assert renderer.render("zh", "account", context) == expected


# -- escalation -----------------------------------------------------------------------------------

RULES = load_escalation(ROOT / "classifiers" / "escalation.toml", ["complaint_suggestion", "account", "other"])


def _one_by_one(rules: EscalationRules, text: str, category: str | None) -> Escalation | None:
    """The triggers' reference semantics: each pattern searched on its own."""
    found = [Escalation(f"matched {t.name}", t.priority) for t in rules.triggers if t.pattern.search(text)]
    if category in rules.categories:
        found.append(Escalation(f"category {category}", rules.categories[category]))
    return max(found, key=lambda e: PRIORITIES.index(e.priority)) if found else None


TEXTS = [
    "",
    "hello",
    "My ACCOUNT WAS HACKED yesterday",
    "Someone else logged into my account",
    "I did not make this withdrawal of 5 BTC",
    "withdrawal of 0.5 btc from my wallet: wasn't me",
    "我的账号被盗了",
    "不是我本人操作的提币",
    "我没有转账，币被盗",
    "account\ncompromised",
    "the unauthorised transfer and my account was stolen",
    "deposit not received",
]


@pytest.mark.parametrize("category", [None, "complaint_suggestion", "account"])
def test_the_triggers_match_as_each_pattern_alone(category: str | None) -> None:
    for text in TEXTS:
        assert RULES.match(text, category) == _one_by_one(RULES, text, category), text
    for mail in _mails():
        text = f"{mail.subject}\n{mail.new_text}"
        assert RULES.match(text, category) == _one_by_one(RULES, text, category)


class _Counted:
    """A pattern that counts its searches."""

    def __init__(self, pattern: re.Pattern[str]):
        self.pattern = pattern
        self.searches = 0

    def search(self, text: str) -> re.Match[str] | None:
        self.searches += 1
        return self.pattern.search(text)


def test_a_text_that_no_trigger_matches_is_searched_once_for_all_of_them() -> None:
    rules = EscalationRules({}, (Trigger("takeover", re.compile(r"(account)\s*(was hacked)", re.I), "urgent"),))
    counted = _Counted(rules.triggers[0].pattern)
    object.__setattr__(rules.triggers[0], "pattern", counted)  # after the rules made their one search
    assert rules.match("nothing to see here", None) is None
    assert counted.searches == 0
    found = rules.match("my account was hacked", None)
    assert found is not None and found.reason == "matched takeover" and counted.searches == 1
    assert EscalationRules({}, ()).match("anything", None) is None
