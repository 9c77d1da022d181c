"""Links in a whole mail: the hrefs the parser keeps, the decision's links, classify --json, the
$Inboxd-Lookalike keyword and the [trust] official_domains setting."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from inboxd.cli import shadow
from inboxd.compose import App
from inboxd.config import load_config
from inboxd.errors import ConfigError
from inboxd.html_text import hrefs
from inboxd.links import LOOKALIKE, OFFICIAL, OTHER, Link
from inboxd.offline import OfflineDecider
from inboxd.parse import parse_message
from inboxd.store import Store
from inboxd.store.messages import SyncRow
from inboxd.sync import KW_LOOKALIKE, keywords_for
from inboxd.terminal import Terminal
from inboxd.tickets import TicketPlan
from inboxd.values import Action, Classification, Decision, Facts, MessageKey, Screening
from tests.conftest import write_config
from tests.triage_helpers import decide_mail

HEAD = "From: Alice <alice@gmail.com>\r\nTo: support@exchange.test\r\nSubject: Is this you?\r\nMIME-Version: 1.0\r\n"

ALTERNATIVE = (
    HEAD + 'Content-Type: multipart/alternative; boundary="B"\r\n\r\n'
    "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nI got a mail: verify your wallet here.\r\n"
    "--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    '<p>I got a mail: verify your wallet <a href="https://exchnage.test/verify?token=s3cr3t&amp;u=1">here</a>'
    "<a href='#top'>top</a></p>\r\n--B--\r\n"
).encode()

FORWARDED = (
    HEAD + 'Content-Type: multipart/mixed; boundary="OUT"\r\n\r\n'
    "--OUT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIs this mail from you? See attached.\r\n"
    "--OUT\r\nContent-Type: message/rfc822\r\n\r\n"
    'From: "Exchange" <no-reply@exchange-test.com>\r\nReply-To: help@secure-exchange.test\r\n'
    'Subject: Verify your wallet\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="IN"\r\n\r\n'
    "--IN\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVerify now at xn--xchange-6gg.test.\r\n"
    "--IN\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    '<a href="https://exchange.test.verify-login.example/x">Verify</a>\r\n--IN--\r\n--OUT--\r\n'
).encode()

OFFICIAL_DOMAINS = ("exchange.test",)


def test_html_hrefs_reach_the_mail_though_the_text_is_the_plain_part() -> None:
    mail = parse_message(ALTERNATIVE)
    assert "exchnage" not in mail.text
    assert mail.hrefs == ("https://exchnage.test/verify?token=s3cr3t&u=1",)


def test_a_forwarded_message_gives_its_text_senders_and_hrefs() -> None:
    mail = parse_message(FORWARDED)
    assert "xn--xchange-6gg.test" in mail.text  # mail-parser already walks into message/rfc822
    assert mail.hrefs == (
        "mailto:no-reply@exchange-test.com",
        "mailto:help@secure-exchange.test",
        "https://exchange.test.verify-login.example/x",
    )


def test_hrefs_are_bounded() -> None:
    page = "".join(f'<a href="https://h{i}.example.com/">x</a>' for i in range(5000))
    raw = (HEAD + "Content-Type: text/html; charset=utf-8\r\n\r\n" + page).encode()
    assert len(parse_message(raw).hrefs) == 200
    assert hrefs("<a/href=x.com><a href = 'y.com'><a HREF=\"\">" + "href=" * 100_000, 10) == ["x.com", "y.com"]


def _decision(raw: bytes, official: tuple[str, ...], app: App) -> Decision:
    policy = replace(app.policy, official_domains=official)
    return decide_mail(parse_message(raw), Screening(None), Classification("other", 0.9, "other"), policy)


def test_the_decision_carries_every_domain_with_its_verdict(offline_app: App) -> None:
    decision = _decision(FORWARDED, OFFICIAL_DOMAINS, offline_app)
    verdicts = {link.domain: link.verdict for link in decision.links}
    assert verdicts == {
        "\u0435xchange.test": LOOKALIKE,
        "exchange-test.com": LOOKALIKE,
        "secure-exchange.test": LOOKALIKE,
        "exchange.test.verify-login.example": LOOKALIKE,
    }
    assert decision.lookalike
    # Without official domains nothing is a lookalike, and nothing is flagged.
    plain = _decision(FORWARDED, (), offline_app)
    assert {link.verdict for link in plain.links} == {OTHER} and not plain.lookalike


def test_classify_json_has_domains_never_urls(offline_app: App) -> None:
    assert offline_app.classifier is not None
    policy = replace(offline_app.policy, official_domains=OFFICIAL_DOMAINS)
    decider = OfflineDecider(offline_app.classifier, offline_app.renderer, policy, offline_app.config.limits, "INB")
    record = decider.record("x.eml", ALTERNATIVE)
    assert record["links"] == [
        {"domain": "exchnage.test", "verdict": LOOKALIKE, "reason": "letters swapped in exchange.test"}
    ]
    assert "s3cr3t" not in json.dumps(record) and "/verify" not in json.dumps(record)


def _row(**changes: object) -> SyncRow:
    row = SyncRow(1, 1, Action.ACK.value, "other", (), "sent", "ack", None, None, False, False)
    return replace(row, **changes)  # type: ignore[arg-type]


def test_a_lookalike_flags_the_mail() -> None:
    assert KW_LOOKALIKE in keywords_for(_row(lookalike=True), {})
    assert KW_LOOKALIKE not in keywords_for(_row(), {})


def test_the_store_keeps_the_flag_for_the_sync_and_the_ticket(make_store: Callable[[], Store]) -> None:
    store = make_store()
    plan = TicketPlan(None, "open", "normal", (), Facts(), None, False, None, False)
    links = (Link("exchnage.test", LOOKALIKE, "letters swapped in exchange.test"), Link("exchange.test", OFFICIAL))
    refs = []
    for uid, found in ((1, links), (2, links[1:])):
        claim = store.claim(MessageKey("acct", "INBOX", 1, uid), None, f"h{uid}", 10)
        mail = parse_message(ALTERNATIVE.replace(b"Subject: Is", f"Message-ID: <m{uid}@x>\r\nSubject: Is".encode()))
        decision = Decision(Action.ACK, classification=Classification("other", 0.9, "other"), links=found)
        refs.append(store.record_decision(claim.row, mail, decision, plan=plan))
    rows = store.unsynced("acct", "INBOX", 1)
    assert [(r.uid, r.lookalike) for r in rows] == [(1, True), (2, False)]
    flagged, clean = (store.ticket(str(ref)) for ref in refs)
    assert flagged is not None and clean is not None
    assert [e.detail for e in flagged.events if e.kind == "lookalike"] == ["links to look-alike domains: exchnage.test"]
    assert not [e for e in clean.events if e.kind == "lookalike"]


def test_official_domains_are_validated_and_normalised(tmp_path: Path, model_path: Path) -> None:
    path = write_config(
        tmp_path / "ok",
        model_path=model_path,
        sections={"trust": {"official_domains": ["Exchange.Test.", "例子.中国", "exchange.test"]}},
    )
    assert load_config(path).trust.official_domains == ("exchange.test", "xn--fsqu00a.xn--fiqs8s")
    for bad in ("co.uk", "com", "exchange test", "-"):
        path = write_config(tmp_path / "bad", model_path=model_path, sections={"trust": {"official_domains": [bad]}})
        with pytest.raises(ConfigError) as info:
            load_config(path)
        assert any("trust.official_domains" in str(p) and "not registrable" in str(p) for p in info.value.problems)


def test_classify_prints_each_domain_and_its_verdict(offline_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    assert offline_app.classifier is not None
    policy = replace(offline_app.policy, official_domains=OFFICIAL_DOMAINS)
    decider = OfflineDecider(offline_app.classifier, offline_app.renderer, policy, offline_app.config.limits, "INB")
    record = decider.record("x.eml", FORWARDED)
    shown = io.StringIO()
    monkeypatch.setattr(shadow, "out", Terminal(file=shown, width=200))
    shadow._print_record(record)
    assert "look-alike link: exchange-test.com (exchange.test inside exchange-test.com)" in shown.getvalue()
    assert "look-alike link: \u0435xchange.test (homoglyph of exchange.test (mixed scripts))" in shown.getvalue()
