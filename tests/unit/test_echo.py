"""Nothing a sender wrote goes out unchecked: names, subjects and facts in every template."""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import replace

import pytest

from inboxd.acknowledge import build_ack, build_confirmation
from inboxd.compose import App
from inboxd.echo import greeting_name, has_link_material, quotable_subject
from inboxd.parse import parse_message
from inboxd.values import FAIL, NONE, PASS, Action, Classification, Screening, SenderAuth
from testbed.mx import stamp
from tests.triage_helpers import decide_mail, redacted

LURE = "URGENT SECURITY NOTICE: your account is locked. Cancel the withdrawal at https://exchange-verify.example/x"
# A display name that is a whole paragraph, as an encoded word with CR/LF and a bidi override inside.
NAME = "=?utf-8?b?" + __import__("base64").b64encode(f"{LURE}\r\n\u202eCall +1 415 555 0100".encode()).decode() + "?="
SUBJECTS = [
    "Re: your withdrawal — confirm at https://exchange-verify.example now",
    "Account locked, call +44 20 7946 0958 today",
    "visit exchange-support.example for a refund",
    "refund: write to refunds@exchange-verify.example",
    "提币失败，请登录 www.exchange-verify.example 处理",
]
BODY = (
    "I sent 0.5 BTC to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq yesterday at 15:00, "
    "tx 9a3f5e7c1b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d2f4a. My UID is 71230045, "
    "registered e-mail alice@exchange-verify.example. Order ID: W20261122001."
)
FORBIDDEN = re.compile(r"(?i)https?:|www\.|exchange-verify|exchange-support|\+\d[\d ]{6,}|555 0100|URGENT SECURITY")


def hostile(subject: str, body: str = BODY, auth: str | None = "pass") -> bytes:
    raw = (
        f"From: {NAME} <mallory@attacker.example>\r\nReply-To: victim@bank.example\r\nTo: support@exchange.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <h1@attacker.example>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0800\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    ).encode()
    return stamp(raw, dmarc=auth) if auth else raw


def _visible_problems(text: str) -> list[str]:
    problems = []
    if FORBIDDEN.search(text):
        problems.append(f"attacker text: {FORBIDDEN.search(text)}")
    bad = [c for c in text if unicodedata.category(c) in ("Cf", "Co", "Cs") or (c < " " and c != "\n")]
    if bad:
        problems.append(f"invisible characters: {bad!r}")
    return problems


def test_every_template_with_hostile_values(offline_app: App) -> None:
    policy, renderer = offline_app.policy, offline_app.renderer
    for subject, verdict, category in itertools.product(SUBJECTS, ("pass", "none"), policy.categories):
        for body in (BODY, "这是我的提币问题 " + BODY):  # English and Chinese templates
            mail = parse_message(hostile(subject, body, verdict if verdict == "pass" else None))
            decision = decide_mail(mail, Screening(None), Classification(category, 0.9, category), policy)
            assert decision.sender.verdict == (PASS if verdict == "pass" else NONE)
            for incident in (False, True):
                d = replace(decision, security_incident=incident)
                ack = build_ack(redacted(mail), d, "INB-000001", renderer, policy)
                assert ack.to == "mallory@attacker.example"  # From only, never Reply-To
                assert not _visible_problems(ack.subject + "\n" + ack.body), (category, incident, ack.subject)
            confirmation = build_confirmation(
                redacted(mail), decision, category, decision.facts, "INB-000001", renderer, policy, mail.sender
            )
            assert confirmation.to == "mallory@attacker.example"
            assert not _visible_problems(confirmation.subject + "\n" + confirmation.body)


def test_facts_are_named_not_repeated_unless_the_sender_is_authenticated(offline_app: App) -> None:
    policy, renderer = offline_app.policy, offline_app.renderer
    cls = Classification("deposit_withdrawal", 0.9, "deposit_withdrawal")
    plain_subject = "BTC withdrawal not received"
    verified = parse_message(hostile(plain_subject))
    unverified = parse_message(hostile(plain_subject, auth=None))
    ack = build_ack(
        redacted(verified), decide_mail(verified, Screening(None), cls, policy), "INB-000002", renderer, policy
    )
    assert "9a3f5e7c1b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d2f4a" in ack.body
    assert "W20261122001" in ack.body
    assert ack.subject == f"Re: {plain_subject} [#INB-000002]"
    assert "a***@e***.example" in ack.body  # an address the customer recognises, not a link
    ack = build_ack(
        redacted(unverified), decide_mail(unverified, Screening(None), cls, policy), "INB-000003", renderer, policy
    )
    for value in ("9a3f5e7c", "W20261122001", "bc1qar0s", "71230045", "0.5 BTC", plain_subject):
        assert value not in ack.subject + ack.body
    assert "Transaction" in ack.body and "not repeat" in ack.body  # the kinds are named
    assert ack.subject == "Your request: Deposits and withdrawals [#INB-000003]"
    assert ack.body.startswith("Hello,")


def test_a_forged_sender_is_never_answered(offline_app: App) -> None:
    policy = offline_app.policy
    mail = parse_message(hostile("withdrawal", auth="fail"))
    decision = decide_mail(mail, Screening(None), Classification("account", 0.9, "account"), policy)
    assert decision.action == Action.ESCALATE and decision.sender.verdict == FAIL
    assert "forged" in decision.reason
    with pytest.raises(ValueError, match="forged"):
        build_ack(redacted(mail), decision, "INB-000004", offline_app.renderer, policy)
    with pytest.raises(ValueError, match="owner"):
        build_confirmation(
            redacted(mail), decision, "account", decision.facts, "INB-1", offline_app.renderer, policy, "x@y.z"
        )


def test_a_confirmation_goes_to_the_owner_only(offline_app: App) -> None:
    mail = parse_message(hostile("withdrawal"))
    decision = replace(
        decide_mail(mail, Screening(None), Classification("account", 0.9, "account"), offline_app.policy),
        sender=SenderAuth(PASS, "test"),
    )
    with pytest.raises(ValueError, match="owner"):
        build_confirmation(
            redacted(mail), decision, "account", decision.facts, "INB-1", offline_app.renderer, offline_app.policy,
            "victim@bank.example",
        )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("张三", "张三"),
        ("Dan Whitaker", "Dan Whitaker"),
        ("José Müller-Lüdenscheidt", "José Müller-Lüdenscheidt"),
        ("O'Brien", "O'Brien"),
        ("Ren\u200bee", "Renee"),  # zero-width removed
        ("Li Wei 2", ""),  # digits
        ("support@exchange.example", ""),
        ("exchange.example", ""),
        ("Visit https://x.example", ""),
        ("A" * 41, ""),  # too long to be a name
        ("Dear customer: act now!", ""),  # punctuation a name has no use for
        ("\u202egnp.exe", ""),
    ],
)
def test_greeting_names(name: str, kept: str) -> None:
    assert greeting_name(name) == kept


def test_subjects() -> None:
    assert quotable_subject("提币没到账") == "提币没到账"
    assert quotable_subject("提币失败。请尽快处理") == "提币失败。请尽快处理"  # a Chinese full stop is no domain
    assert quotable_subject("Withdrawal\u202e stuck") == ""  # it hid a control character: not quoted
    assert all(quotable_subject(s) == "" for s in SUBJECTS)
    long = quotable_subject("Withdrawal of 500 USDT not received " * 5)
    assert len(long) <= 80 and long.endswith("…")
    assert has_link_material("交易所.中国") and has_link_material("exchange。com") and not has_link_material("v2.0 bug")


def test_only_printable_bounded_message_ids_are_copied_into_our_headers(offline_app: App) -> None:
    long_id = "<" + "a" * 300 + "@attacker.example>"
    raw = hostile("withdrawal").replace(
        b"Message-ID: <h1@attacker.example>",
        b"Message-ID: <h1\x1b]8;;x\x07@attacker.example>\r\nReferences: <ok@bank.example> " + long_id.encode(),
    )
    mail = parse_message(raw)
    assert "\x1b" in mail.message_id and long_id in mail.references
    decision = decide_mail(mail, Screening(None), Classification("account", 0.9, "account"), offline_app.policy)
    ack = build_ack(redacted(mail), decision, "INB-000005", offline_app.renderer, offline_app.policy)
    assert ack.in_reply_to is None and ack.references == ("<ok@bank.example>",)
