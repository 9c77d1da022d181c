"""Spam is not a ticket (inboxd.spam): the trusted server's headers, forged or absent ones, and
sales pitches the classifier is sure of, never a customer."""

from __future__ import annotations

import re

import pytest

from inboxd.parse import parse_message
from inboxd.spam import HeaderRule, SpamSettings, header_verdict, is_unsolicited, spam_screening
from inboxd.values import AccountId, Classification, Facts, Screening, SkipReason, TxId

TRUSTED = SpamSettings(trust_headers=True, unsolicited_confidence=0.6)


def mail(headers: str, body: str = "Hello, my withdrawal is stuck.") -> bytes:
    return (
        f"{headers}From: Bob <bob@mail.example>\nTo: support@exchange.example\nSubject: hi\n"
        f"Message-ID: <s@mail.example>\nContent-Type: text/plain; charset=utf-8\n\n{body}"
    ).encode()


@pytest.mark.parametrize(
    ("headers", "shown"),
    [
        ("X-Spam-Flag: YES\n", "X-Spam-Flag: YES"),
        ("X-Spam-Status: Yes, score=9.1 required=5.0 tests=URIBL_BLACK\n", "X-Spam-Status: yes, score=9.1"),
        ("X-MS-Exchange-Organization-SCL: 5\n", "X-MS-Exchange-Organization-SCL: 5"),
        ("X-MS-Exchange-Organization-SCL: 9\n", "X-MS-Exchange-Organization-SCL: 9"),
        ("X-Forefront-Antispam-Report: CIP:1.2.3.4;CTRY:;LANG:en;SCL:6;SRV:;IPV:NLI;SFV:SPM;\n", "SCL:6"),
    ],
)
def test_the_trusted_servers_spam_verdict_skips_the_mail(headers: str, shown: str) -> None:
    found = spam_screening(parse_message(mail(headers)), TRUSTED)
    assert found == Screening(SkipReason.SPAM, found.detail if found else "")
    assert found is not None and shown in found.detail


@pytest.mark.parametrize(
    "headers",
    [
        "",  # absent
        "X-Spam-Flag: NO\n",
        "X-Spam-Status: No, score=1.2 required=5.0\n",
        "X-MS-Exchange-Organization-SCL: 1\n",
        "X-MS-Exchange-Organization-SCL: -1\n",  # bypassed filtering
        "X-MS-Exchange-Organization-SCL: banana\n",
        "X-Forefront-Antispam-Report: CIP:1.2.3.4;SCL:1;SFV:NSPM;\n",
        "X-Forefront-Antispam-Report: CIP:1.2.3.4;SCL:10x;\n",
    ],
)
def test_a_clean_or_missing_verdict_does_not_skip(headers: str) -> None:
    assert spam_screening(parse_message(mail(headers)), TRUSTED) is None


def test_the_topmost_header_is_the_receiving_servers_and_wins_over_the_senders_own() -> None:
    # Our server prepends its verdict; the sender's forged "YES" further down is not read.
    forged_below = mail(
        "X-Spam-Flag: NO\nX-Spam-Status: No, score=0.1\nX-Spam-Flag: YES\nX-Spam-Status: Yes, score=99\n"
    )
    assert spam_screening(parse_message(forged_below), TRUSTED) is None


def test_headers_count_only_when_the_operator_trusts_the_server() -> None:
    forged = parse_message(mail("X-Spam-Flag: YES\nX-MS-Exchange-Organization-SCL: 9\n"))
    assert spam_screening(forged, SpamSettings(trust_headers=False)) is None
    assert spam_screening(forged, TRUSTED) is not None


def test_an_operators_header_rule() -> None:
    rule = HeaderRule("x-rspamd-action", re.compile(r"^(reject|add header)", re.I))
    settings = SpamSettings(trust_headers=True, header_rules=(rule,))
    assert header_verdict({"x-rspamd-action": "add header"}, settings) == "x-rspamd-action: add header"
    assert header_verdict({"x-rspamd-action": "no action"}, settings) is None
    assert header_verdict({"x-rspamd-action": "reject"}, SpamSettings(header_rules=(rule,))) is None


PITCH = Classification("other", 0.9, "other", intent="unsolicited")


@pytest.mark.parametrize(
    ("classification", "facts", "headers", "skipped"),
    [
        (PITCH, Facts(), "", True),
        (Classification("other", 0.5, "other", intent="unsolicited"), Facts(), "", False),  # not sure enough
        (Classification("other", 0.9, "other", intent="offtopic_request"), Facts(), "", False),
        (Classification("account", 1.0, "account", rule="login"), Facts(), "", False),  # a rule matched
        (Classification("other", 0.9, "account", intent="unsolicited"), Facts(), "", False),  # floored, not other
        (PITCH, Facts(tx_ids=(TxId("ab" * 32, "evm"),)), "", False),  # a transaction id
        (PITCH, Facts(account_ids=(AccountId("uid", "12345678"),)), "", False),  # an account
        (PITCH, Facts(), "In-Reply-To: <ours@exchange.example>\n", False),  # a reply in a thread
    ],
)
def test_unsolicited_only_without_any_support_cue(
    classification: Classification, facts: Facts, headers: str, skipped: bool
) -> None:
    parsed = parse_message(mail(headers, "We can bring your website to Google's first page."))
    assert is_unsolicited(parsed, classification, facts, TRUSTED, phishing_report=False) is skipped


def test_unsolicited_is_off_at_zero_and_never_for_a_phishing_report() -> None:
    parsed = parse_message(mail("", "pitch"))
    assert not is_unsolicited(parsed, PITCH, Facts(), SpamSettings(unsolicited_confidence=0), phishing_report=False)
    assert not is_unsolicited(parsed, PITCH, Facts(), TRUSTED, phishing_report=True)
