"""The one triage path: parsed, redacted mails in, decisions out. Pure.

A mail is read once (`examine`, in the worker that parsed and redacted it): the text the
classifier reads, its language, the facts, the links and their verdicts, the phishing-report
cues and the screening are computed there and carried in a `Findings`, never built again.
The main process then classifies a batch in one model call (`classify_batch`) and makes
the cheap final decision per mail (`decide`). The daemon's `Processor`, the offline
`classify` and `poll --dry-run` all go this way, so what they decide cannot drift apart.

Customer secrets: `examine` takes only a redacted mail (`redact.redact_mail` runs once,
right after parsing); nothing here redacts again, and a mail that was not redacted is refused.

Sender trust (inboxd.trust): automatic mail goes to the From address only, never to
Reply-To. A mail whose From is proven forged (`fail`) is for a human (`escalate`), never
answered. Phishing reports and spam (inboxd.phishing, inboxd.spam): a mail the trusted
receiving server marked spam, or that the model is sure is a sales pitch with no support cue
in it, is skipped; a mail asking whether something is really ours is a phishing report.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from inboxd.assets import PhishingRules
from inboxd.checks import missing_fields
from inboxd.extract import FactSettings, facts_of_mail
from inboxd.language import detect_language
from inboxd.links import Link, links_in
from inboxd.phishing import assess
from inboxd.screen import screen
from inboxd.spam import SpamSettings, is_unsolicited, spam_screening
from inboxd.trust import DnsLookup, TrustSettings, sender_auth
from inboxd.values import (
    FAIL,
    Action,
    Classification,
    Decision,
    Facts,
    MailSummary,
    ParsedEmail,
    Screening,
    SenderAuth,
    SkipReason,
    pickled_by_position,
)

if TYPE_CHECKING:
    from inboxd.acknowledge import Policy

log = logging.getLogger("inboxd.triage")

OWN_ID_PREFIX = "<inboxd."


@dataclass(frozen=True, slots=True)
class TriageSettings:
    """What reading a mail needs, as plain values: they travel to the worker processes
    (pickled once per pool), so nothing here may need the config schema or a model."""

    facts: FactSettings
    own_addresses: frozenset[str]
    message_id_domain: str
    default_language: str
    official_domains: tuple[str, ...]
    phishing: PhishingRules
    spam: SpamSettings
    trust: TrustSettings

    def is_own_message_id(self, message_id: str) -> bool:
        return message_id.startswith(OWN_ID_PREFIX) and message_id.endswith(f"@{self.message_id_domain}>")


@pickled_by_position  # a worker sends one back for each mail: see values.pickled_by_position
@dataclass(frozen=True, slots=True)
class Findings:
    """One redacted mail as read once: everything its decision needs but the model's verdict.

    Small and picklable: it is what a worker process sends back for each mail, with only the
    part of the mail the deciding process reads (`mail`: `ParsedEmail.summary`).
    `sender` is None when it could not be read without the raw bytes (DKIM, [trust] verify_dkim):
    the caller, who holds them, reads it (`with_sender`)."""

    mail: MailSummary
    text: str  # what the classifier reads: the subject and the customer's new words
    language: str
    facts: Facts
    links: tuple[Link, ...]  # every domain in the whole text, quoted and forwarded parts included
    phishing_report: bool
    screening: Screening  # the robots', lists', bounces' and the receiving server's spam verdict
    sender: SenderAuth | None


def classifier_text(mail: ParsedEmail) -> str:
    """What the classifier reads: the subject and the customer's new words."""
    return f"{mail.subject}\n{mail.new_text}"


def examine(
    mail: ParsedEmail, settings: TriageSettings, screening: Screening | None = None, sender: SenderAuth | None = None
) -> Findings:
    """Read a redacted mail once for everything that needs no model and no store.

    `screening`/`sender`: given instead of read from the mail (the offline tools and tests)."""
    if not mail.redacted:
        # Every finding may be stored, logged or quoted back: never from a mail with its secrets.
        raise ValueError("examine() takes a redacted mail (redact.redact_mail)")
    text = classifier_text(mail)
    if screening is None:
        screening = screen(mail, settings.own_addresses, settings.is_own_message_id)
    if screening.skip_reason is None:
        screening = spam_screening(mail, settings.spam) or screening
    if sender is None and not settings.trust.verify_dkim:
        sender = sender_auth(mail.sender, mail.auth_results, settings.trust)
    # The whole text, quoted and forwarded parts included: that is where a reported phish is.
    links = links_in(mail.text, mail.hrefs, settings.official_domains)
    skipped = screening.skip_reason is not None
    # A skipped mail is not answered: its facts are only the secrets found (an incident all the same),
    # and no phishing cue can change that.
    facts = Facts(secrets=mail.secrets) if skipped else facts_of_mail(mail, settings.facts)
    report = False if skipped else assess(mail, settings.phishing, settings.official_domains, links).report
    language = detect_language(text, settings.default_language)
    return Findings(mail.summary(), text, language, facts, links, report, screening, sender)


def with_sender(found: Findings, trust: TrustSettings, raw: bytes | None, dnsfunc: DnsLookup | None = None) -> Findings:
    """The findings with the sender's verdict, read from the raw bytes (DKIM, `dnsfunc` for its
    keys) when it was not yet; without `raw`, from the Authentication-Results alone."""
    if found.sender is not None:
        return found
    mail = found.mail
    sender = sender_auth(mail.sender, mail.auth_results, trust, raw, dnsfunc)
    return Findings(mail, found.text, found.language, found.facts, found.links, found.phishing_report,
                    found.screening, sender)  # fmt: skip


class Classifier(Protocol):
    def classify(self, texts: list[str]) -> list[Classification]: ...


def classify_batch(classifier: Classifier, batch: Sequence[Findings]) -> dict[int, Classification | None]:
    """One model call for the batch's mails that are not skipped, by index; None: the model
    failed on that mail (the batch is tried again one by one when the batch call fails)."""
    todo = [i for i, found in enumerate(batch) if found.screening.skip_reason is None]
    try:
        results: list[Classification | None] = list(classifier.classify([batch[i].text for i in todo]))
    except Exception:
        log.exception("the classifier failed on a batch; classifying one by one")
        results = []
        for i in todo:
            try:
                results.append(classifier.classify([batch[i].text])[0])
            except Exception:
                results.append(None)
    return dict(zip(todo, results, strict=True))


def decide(found: Findings, classification: Classification | None, policy: Policy) -> Decision:
    """The decision for one examined mail, given the model's verdict (None for a skipped mail)."""
    mail = found.mail
    incident = bool(mail.secrets)
    sender = found.sender
    if sender is None:
        raise ValueError("the sender's verdict is read before deciding (triage.with_sender)")
    if found.screening.skip_reason is not None:
        # Not answered, but a secret in it still makes it an incident for the mailbox.
        return Decision(
            Action.SKIP,
            language=found.language,
            facts=found.facts,
            skip_reason=found.screening.skip_reason,
            reason=found.screening.detail,
            security_incident=incident,
            sender=sender,
            links=found.links,
        )
    if classification is None:
        raise ValueError("a mail that is not skipped needs a classification")
    facts = found.facts
    if is_unsolicited(mail, classification, facts, policy.spam, found.phishing_report):
        return Decision(
            Action.SKIP,
            language=found.language,
            classification=classification,
            facts=facts,
            skip_reason=SkipReason.UNSOLICITED,
            reason=f"unsolicited: a sales pitch (confidence {classification.confidence:.2f}), no support cue",
            sender=sender,
            links=found.links,
        )
    category = policy.categories[classification.category]
    missing = missing_fields(category, policy.fields, facts)
    forged = sender.verdict == FAIL
    return Decision(
        Action.ESCALATE if forged else Action.ACK,
        language=found.language,
        classification=classification,
        facts=facts,
        missing=missing,
        reason=f"forged sender, for a human: {sender.evidence}" if forged else "",
        security_incident=incident,
        sender=sender,
        phishing_report=found.phishing_report,
        links=found.links,
    )
