"""Spam is not a ticket: the receiving server's verdict, and sales pitches the classifier knows. Pure.

Two kinds of mail are skipped (no ticket, no acknowledgement, the `$Inboxd-Spam` keyword,
optionally moved to `[spam] folder`, never deleted):

- `spam`: the receiving server said so, and the operator trusts it (`[spam] trust_headers`):
  `X-Spam-Flag: YES`, `X-Spam-Status: Yes, …` (SpamAssassin, rspamd in its compatible
  mode), Microsoft's spam confidence level 5 or more (`X-MS-Exchange-Organization-SCL`, or
  `SCL:n` in `X-Forefront-Antispam-Report`), or one of the operator's `[spam] header_rules`.

  The assumption: the exchange's own receiving server sets these headers on every mail and
  removes any the sender wrote (SpamAssassin's `spamd` rewrites X-Spam-*, rspamd's milter
  removes them with `remove_header`, Exchange Online strips X-MS-Exchange-Organization-*
  at the organisation's boundary). Only the first (topmost) value of a header is read,
  which is the one the last server added. Where the server does not scan or does not strip,
  leave `trust_headers` off: a sender could otherwise write `X-Spam-Flag: YES` and not be
  answered (the only harm a forged header can do here; no header makes a mail answered).

- `unsolicited`: the model's best intent is `unsolicited` (SEO, marketing, listing and
  partnership pitches, inside `other`) with at least `[spam] unsolicited_confidence`, and
  nothing in the mail is a support cue: no rule matched, no transaction ID, order ID,
  wallet address, account ID or secret, not a phishing report, not a reply in a thread.
  A customer must never be skipped: each of those keeps the mail a ticket.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from inboxd.values import Classification, Facts, MailSummary, ParsedEmail, Screening, SkipReason

UNSOLICITED_INTENT = "unsolicited"
_SCL = re.compile(r"(?:^|[;\s])SCL:(-?\d{1,2})(?:[;\s]|$)", re.I)
# Microsoft: 5 and 6 are spam, 9 high-confidence spam; -1 is mail that bypassed filtering.
_SCL_SPAM = 5


@dataclass(frozen=True, slots=True)
class HeaderRule:
    """An operator's rule: the header's first value matches the pattern (case-insensitive)."""

    header: str  # lower case
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class SpamSettings:
    """`[spam]` as plain values."""

    trust_headers: bool = False
    header_rules: tuple[HeaderRule, ...] = ()
    # 0 (or above 1) turns the unsolicited check off.
    unsolicited_confidence: float = 0.0
    folder: str = ""


def _scl(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def header_verdict(headers: Mapping[str, str], settings: SpamSettings) -> str | None:
    """The header that marks the mail spam, as "name: value" (bounded), or None."""
    if not settings.trust_headers:
        return None
    flag = headers.get("x-spam-flag", "").strip().lower()
    if flag in ("yes", "true"):
        return "X-Spam-Flag: YES"
    status = headers.get("x-spam-status", "").strip().lower()
    if status.startswith("yes"):
        return "X-Spam-Status: " + status[:60]
    scl = _scl(headers.get("x-ms-exchange-organization-scl", ""))
    if scl is not None and scl >= _SCL_SPAM:
        return f"X-MS-Exchange-Organization-SCL: {scl}"
    found = _SCL.search(headers.get("x-forefront-antispam-report", ""))
    if found and int(found.group(1)) >= _SCL_SPAM:
        return f"X-Forefront-Antispam-Report: SCL:{found.group(1)}"
    for rule in settings.header_rules:
        value = headers.get(rule.header)
        if value is not None and rule.pattern.search(value):
            return f"{rule.header}: {value[:60]}"
    return None


def spam_screening(mail: ParsedEmail, settings: SpamSettings) -> Screening | None:
    """A skip for a mail the trusted receiving server marked spam, else None."""
    found = header_verdict(mail.headers, settings)
    return Screening(SkipReason.SPAM, f"marked spam by the receiving server ({found})") if found else None


def is_unsolicited(
    mail: MailSummary,
    classification: Classification,
    facts: Facts,
    settings: SpamSettings,
    phishing_report: bool,
) -> bool:
    """The model is sure it is a sales pitch and nothing in the mail asks for support."""
    threshold = settings.unsolicited_confidence
    if not 0 < threshold <= 1:
        return False
    if classification.rule is not None or classification.predicted != "other":
        return False
    if classification.intent != UNSOLICITED_INTENT or classification.confidence < threshold:
        return False
    if phishing_report or mail.in_reply_to or mail.references:
        return False
    support = (facts.tx_ids, facts.order_ids, facts.addresses, facts.account_ids, facts.secrets, mail.secrets)
    return not any(support)
