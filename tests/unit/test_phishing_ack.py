"""The acknowledgement of a phishing report, and the rule over every acknowledgement: never a
clickable link to a domain that is not official. Sales pitches are skipped, customers never."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from inboxd.acknowledge import build_ack
from inboxd.compose import App
from inboxd.errors import ConfigError, MessageError
from inboxd.escalation import PHISHING_REPORT
from inboxd.links import LOOKALIKE, OFFICIAL, OTHER, Link
from inboxd.offline import OfflineDecider
from inboxd.parse import parse_message
from inboxd.phishing import foreign_domains
from inboxd.render import Renderer, _environment, _snapshot, load_templates, sample_context
from inboxd.tickets import plan_new
from inboxd.values import Action, Classification, Screening, SkipReason
from testbed.mx import stamp
from tests.conftest import ROOT, fixture_bytes
from tests.triage_helpers import decide_mail, redacted

OFFICIAL_DOMAINS = ("exchange.test",)
FORWARD = (
    "Hi, I got this today. Is this email from you?\n\n"
    "---------- Forwarded message ---------\nFrom: Security <security@exchange-support.net>\n"
    "Subject: Verify your wallet\n\nYour withdrawals will be suspended unless you verify your wallet at "
    "https://exchange-support.net/verify?id=1 or http://exchange.test/login today.\n"
)


def raw(subject: str, body: str) -> bytes:
    return (
        f"From: Ann <ann@mail.example>\r\nTo: support@exchange.test\r\nSubject: {subject}\r\n"
        "Message-ID: <p-1@mail.example>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0800\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    ).encode()


@pytest.fixture
def app(offline_app: App) -> App:
    return replace(offline_app, policy=replace(offline_app.policy, official_domains=OFFICIAL_DOMAINS))


def all_templates(renderer: Renderer) -> list[tuple[str, str]]:
    return [
        (language, path.stem.removesuffix(".txt"))
        for language in ("en", "zh")
        for path in sorted((ROOT / "templates" / language).glob("*.txt.j2"))
        if path.name != "subject.txt.j2"
    ]


def test_no_template_links_a_domain_that_is_not_official(app: App) -> None:
    """Every acknowledgement template, rendered with a lookalike, another and an official domain to list."""
    links = [
        {"domain": "exchange-support[.]net", "verdict": LOOKALIKE},
        {"domain": "exchange[.]test", "verdict": OFFICIAL},
        {"domain": "evil[.]example[.]org", "verdict": OTHER},
    ]
    names = all_templates(app.renderer)
    assert ("en", "phishing_report") in names and ("zh", "security_incident") in names
    for language, name in names:
        context = sample_context(language, []) | {"links": links, "official_domains": list(OFFICIAL_DOMAINS)}
        rendered = app.renderer.render(language, name, context)
        assert foreign_domains(f"{rendered.subject}\n{rendered.body}", OFFICIAL_DOMAINS) == (), (language, name)


def test_a_template_that_would_link_a_foreign_domain_is_refused(tmp_path: Path, app: App) -> None:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    base = tmp_path / "templates" / "en" / "ack.txt.j2"  # every category's template extends it
    base.write_text(base.read_text(encoding="utf-8") + "\nHelp: https://help-desk.example.net/\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_templates(tmp_path / "templates", app.assets)
    assert any("help-desk.example.net" in p.key and "link" in p.reason for p in caught.value.problems)


def test_an_acknowledgement_with_a_foreign_link_is_never_built(app: App) -> None:
    # A renderer that skipped the start-up check: build_ack still refuses to produce the mail.
    sources = _snapshot(ROOT / "templates")
    sources["en/ack.txt.j2"] += "\nMore at www.exchange-help.net\n"
    unchecked = Renderer(_environment(sources), app.renderer.field_text, app.renderer.fact_labels)
    mail = parse_message(stamp(raw("Question", "Hello, a general question about your service.")))
    decision = decide_mail(mail, Screening(None), Classification("other", 0.9, "other"), app.policy)
    build_ack(redacted(mail), decision, "INB-000001", app.renderer, app.policy)  # the real templates are fine
    with pytest.raises(MessageError, match=r"exchange-help\.net"):
        build_ack(redacted(mail), decision, "INB-000001", unchecked, app.policy)


@pytest.mark.parametrize("authenticated", [True, False])
def test_a_phishing_report_gets_its_template_with_every_domain_defanged_and_is_escalated(
    app: App, authenticated: bool
) -> None:
    data = raw("Fwd: Verify your wallet", FORWARD)
    mail = parse_message(stamp(data) if authenticated else data)
    decision = decide_mail(mail, Screening(None), Classification("account", 0.8, "account"), app.policy)
    assert decision.phishing_report and decision.action == Action.ACK
    assert Link("exchange-support.net", LOOKALIKE, decision.links[0].reason) in decision.links
    body = build_ack(redacted(mail), decision, "INB-000001", app.renderer, app.policy).body
    assert "exchange-support[.]net: NOT OURS" in body
    assert "exchange[.]test: this is one of our own addresses" in body
    assert "exchange-support.net" not in body and "https://" not in body
    assert "seed phrase" in body and "Our only web addresses are exchange.test" in body
    assert "security team" in body
    plan = plan_new(decision, FORWARD, app.ticket_policy)
    assert plan.escalation is not None and PHISHING_REPORT in plan.escalation.reason
    assert plan.priority in ("high", "urgent")


def test_a_chinese_phishing_report_is_answered_in_chinese(app: App) -> None:
    mail = parse_message(raw("短信", "收到一个短信说我账户异常，让我打开 exchange-safe.vip 验证，是不是诈骗？"))
    decision = decide_mail(mail, Screening(None), Classification("account", 0.8, "account"), app.policy)
    body = build_ack(redacted(mail), decision, "INB-000001", app.renderer, app.policy).body
    assert decision.phishing_report and decision.language == "zh"
    assert "exchange-safe[.]vip" in body and "助记词" in body and "安全团队" in body


def test_an_ordinary_mail_is_not_a_phishing_report_and_keeps_its_template(app: App) -> None:
    mail = parse_message(stamp(raw("Withdrawal", "My withdrawal is stuck, see https://exchange.test/withdrawals")))
    decision = decide_mail(
        mail, Screening(None), Classification("deposit_withdrawal", 0.9, "deposit_withdrawal"), app.policy
    )
    assert not decision.phishing_report
    assert "NOT OURS" not in build_ack(redacted(mail), decision, "INB-000001", app.renderer, app.policy).body


def test_classify_json_says_whether_it_is_a_phishing_report(app: App) -> None:
    assert app.classifier is not None
    decider = OfflineDecider(app.classifier, app.renderer, app.policy, app.config.limits, "INB")
    assert decider.record("phish", raw("Fwd: Verify your wallet", FORWARD))["phishing_report"] is True
    assert decider.record("seo", fixture_bytes("offtopic_seo.eml"))["phishing_report"] is False


def test_the_sample_mailboxs_seo_pitch_is_skipped_as_unsolicited(app: App) -> None:
    assert app.classifier is not None
    decider = OfflineDecider(app.classifier, app.renderer, app.policy, app.config.limits, "INB")
    record = decider.record("seo", fixture_bytes("offtopic_seo.eml"))
    assert record["action"] == "skip" and record["skip_reason"] == SkipReason.UNSOLICITED.value
    assert record["ack"] is None
