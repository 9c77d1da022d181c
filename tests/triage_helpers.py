"""A parsed fixture taken the way the worker hands a mail to the triage path: redacted once, read once."""

from __future__ import annotations

from inboxd.acknowledge import Policy
from inboxd.redact import redact_mail
from inboxd.triage import decide, examine
from inboxd.values import Classification, Decision, ParsedEmail, Screening, SenderAuth


def redacted(mail: ParsedEmail) -> ParsedEmail:
    return redact_mail(mail)[0]


def decide_mail(
    mail: ParsedEmail,
    screening: Screening | None,
    classification: Classification | None,
    policy: Policy,
    sender: SenderAuth | None = None,
) -> Decision:
    """`triage.decide` on a mail as a worker reads it (`screening` None: screened as the worker does)."""
    return decide(examine(redacted(mail), policy.triage, screening, sender), classification, policy)
