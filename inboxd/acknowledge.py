"""The acknowledgement a decision leads to, and the policy deciding depends on. Pure.

`Policy` holds the configuration as plain values; the decision itself is made on the one
triage path (`inboxd.triage`). `build_ack` renders the acknowledgement for a decision once
the ticket reference is known, `build_confirmation` the note for a reply that completed a
ticket. Neither does I/O, so both are tested directly with parsed fixtures.

Customer secrets: both take only a redacted mail (`redact.redact_mail` runs once, in the
worker that parsed it) and refuse any other, so nothing they produce can hold a secret. A
mail with a secret is a security incident: its acknowledgement is the `security_incident` variant.

Sender trust (inboxd.trust): automatic mail goes to the From address only, never to
Reply-To; a mail whose From is proven forged is never answered. Only an authenticated
sender (`pass`) hears back the facts we read, its own subject and its name (each checked by
inboxd.echo); anyone else gets the kinds of fact found and the templates' neutral wording,
so nothing a stranger wrote goes out in the exchange's name. A phishing report's
acknowledgement lists every domain in the mail with its verdict, never as a link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from inboxd.assets import NO_PHISHING_RULES, Category, PhishingRules
from inboxd.echo import greeting_name, masked_email, quotable_subject
from inboxd.errors import MessageError
from inboxd.extract import BUILTIN_RULES, FactSettings, OrderRules, facts_of_mail
from inboxd.hours import ALWAYS_OPEN, Span
from inboxd.links import Link
from inboxd.phishing import defang, foreign_domains
from inboxd.promise import Promise, PromiseSettings, customer_zone, format_moment
from inboxd.redact import secret_kinds
from inboxd.render import INVALID_ADDRESS, PHISHING_TEMPLATE, SECURITY_TEMPLATE, Rendered, Renderer
from inboxd.spam import SpamSettings
from inboxd.triage import OWN_ID_PREFIX, TriageSettings
from inboxd.trust import TrustSettings
from inboxd.values import (
    FAIL,
    PASS,
    Action,
    Decision,
    Facts,
    MailSummary,
    OutgoingMail,
    ParsedEmail,
    SenderAuth,
)

# Today's promise when nothing else is configured: 24 hours of calendar time.
DEFAULT_PROMISE = PromiseSettings(ALWAYS_OPEN, Span(24 * 3600, False))
_LISTED = 20  # domains listed in a phishing-report acknowledgement


@dataclass(frozen=True, slots=True)
class Policy:
    """The configuration `triage.decide` and `build_ack` depend on, as plain values."""

    own_addresses: frozenset[str]
    message_id_domain: str
    default_language: str
    zone: tzinfo
    categories: Mapping[str, Category]
    fields: Mapping[str, tuple[str, ...]]
    team: str
    reply_within_hours: int
    # Order-ID cue words and patterns (classifiers/extraction.toml, `Assets.order_rules`).
    order_rules: OrderRules = field(default=BUILTIN_RULES)
    # Which receiving servers' Authentication-Results count ([trust]).
    trust: TrustSettings = field(default=TrustSettings())
    # The exchange's own domains ([trust] official_domains): every other domain in a mail is
    # `other` or a `lookalike` of one of these (inboxd.links).
    official_domains: tuple[str, ...] = ()
    # The promise: [ack] reply_within on the [hours] calendar, and the queue's estimate (inboxd.promise).
    promise: PromiseSettings = field(default=DEFAULT_PROMISE)
    phishing: PhishingRules = field(default=NO_PHISHING_RULES)
    spam: SpamSettings = field(default=SpamSettings())

    @property
    def fact_settings(self) -> FactSettings:
        return FactSettings(self.zone, self.own_addresses, self.order_rules)

    @property
    def triage(self) -> TriageSettings:
        """What reading a mail needs (inboxd.triage), as values a worker process can take."""
        return TriageSettings(
            self.fact_settings, self.own_addresses, self.message_id_domain, self.default_language,
            self.official_domains, self.phishing, self.spam, self.trust,
        )  # fmt: skip

    def is_own_message_id(self, message_id: str) -> bool:
        return message_id.startswith(OWN_ID_PREFIX) and message_id.endswith(f"@{self.message_id_domain}>")


def mail_facts(mail: ParsedEmail, policy: Policy) -> Facts:
    """The facts of a redacted mail: its subject and new words, and the secrets removed from it."""
    return facts_of_mail(mail, policy.fact_settings)


def understood(facts: Facts, labels: Mapping[str, str]) -> list[dict[str, str]]:
    """The facts we read, as label/value lines the customer can check and correct."""
    items: list[dict[str, str]] = []
    for account in facts.account_ids:
        # An address in our mail would be a link the mail client makes; the customer knows it masked.
        value = masked_email(account.value) if account.kind == "email" else account.value
        items.append({"label": labels["account_id"], "value": value})
    for tx in facts.tx_ids:
        chain = f" ({tx.chain})" if tx.chain != "unknown" else ""
        items.append({"label": labels["tx_id"], "value": tx.value + chain})
    for order in facts.order_ids:
        items.append({"label": labels["order_id"], "value": order})
    for amount in facts.amounts:
        network = f" ({amount.network})" if amount.network else ""
        items.append({"label": labels["amount"], "value": f"{amount.value} {amount.asset}{network}"})
    for address in facts.addresses:
        # A mistyped address is echoed with a warning: the customer is the one who can fix it.
        note = "" if address.valid else f" ({labels[INVALID_ADDRESS]})"
        items.append({"label": labels["address"], "value": f"{address.value}{note}"})
    for when in facts.times:
        if when.value is None:
            resolved = ""
        elif when.precision == "day":
            resolved = f" ({when.value:%Y-%m-%d})"
        else:
            resolved = f" ({when.value:%Y-%m-%d %H:%M} {_offset(when.value)})"
        items.append({"label": labels["time"], "value": when.text + resolved})
    return items


def _offset(value: datetime) -> str:
    """UTC+8 rather than %Z, which is empty or a bare offset for fixed-offset zones."""
    delta = value.utcoffset()
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return "UTC" if minutes == 0 else f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def reply_subject(subject: str) -> str:
    """ "Re: <subject>" for a subject fit to quote (inboxd.echo), else "" (the template's own wording)."""
    subject = quotable_subject(subject)
    if not subject:
        return ""
    return subject if subject[:3].lower() in ("re:", "回复：", "回复:") else f"Re: {subject}"


def understood_kinds(facts: Facts, labels: Mapping[str, str]) -> list[str]:
    """The kinds of fact we read, named but not repeated (for a sender we cannot authenticate)."""
    kinds = facts.kinds_present()
    return [labels[kind] for kind in ("account_id", "tx_id", "order_id", "amount", "address", "time") if kind in kinds]


def _context(
    mail: MailSummary,
    ticket: str,
    category: Category,
    language: str,
    facts: Facts,
    renderer: Renderer,
    policy: Policy,
    sender: SenderAuth,
    promise: Promise | None = None,
    links: tuple[Link, ...] = (),
) -> dict[str, Any]:
    """What every acknowledgement template may use (render.VARIABLES), but `missing`.

    Only an authenticated sender's own words and facts are repeated: a mail whose From may be
    forged would otherwise let a stranger put text and values in the exchange's mail to someone.
    """
    labels = renderer.fact_labels[language]
    verified = sender.verdict == PASS
    return {
        "ticket": ticket,
        "subject": quotable_subject(mail.subject) if verified else "",
        "reply_subject": reply_subject(mail.subject) if verified else "",
        "customer_name": greeting_name(mail.sender_name) if verified else "",
        "category": category.name,
        "category_name": category.display[language],
        "understood": understood(facts, labels) if verified else [],
        "understood_kinds": [] if verified else understood_kinds(facts, labels),
        "missing": [],
        "reply_within_hours": policy.reply_within_hours,
        # The moment in the customer's clock (the Date header's offset) and language.
        "reply_by": format_moment(promise.reply_by, customer_zone(mail.date, policy.promise.calendar.zone), language)
        if promise
        else "",
        "high_volume": promise.high_volume if promise else False,
        "team": policy.team,
        "secret_kinds": list(secret_kinds(facts.secrets)),
        # Never as links: a domain written `exchange-support[.]net` is not made one by any client.
        "links": [{"domain": defang(link.domain), "verdict": link.verdict} for link in links[:_LISTED]],
        # Ours, written plainly: a mail client may make a link of them, and that link is ours.
        "official_domains": list(policy.official_domains),
    }


def threadable(message_id: str) -> bool:
    """A sender's Message-ID fit to copy into our In-Reply-To/References: no control character
    (the parser only excludes whitespace and angle brackets) and short enough for a header line."""
    return len(message_id) <= 250 and message_id.isprintable()


def _outgoing(mail: MailSummary, rendered: Rendered, ticket: str, policy: Policy, to: str) -> OutgoingMail:
    foreign = foreign_domains(f"{rendered.subject}\n{rendered.body}", policy.official_domains)
    if foreign:
        # Never sent: a link to a domain that is not ours, in the exchange's name, is what phishing looks like.
        raise MessageError(f"the acknowledgement would link to domains that are not official: {', '.join(foreign)}")
    references = (*mail.references, mail.message_id) if mail.message_id not in mail.references else mail.references
    return OutgoingMail(
        to=to,
        subject=rendered.subject,
        body=rendered.body,
        message_id=f"{OWN_ID_PREFIX}{ticket}.{mail.content_hash[:16]}@{policy.message_id_domain}>",
        in_reply_to=mail.message_id if threadable(mail.message_id) else None,
        references=tuple(r for r in references if threadable(r))[-20:],  # bounded on long threads
    )


def _redacted(mail: MailSummary) -> None:
    """The subject and name are quoted back: never from a mail that may still hold a secret."""
    if not mail.redacted:
        raise ValueError("an automatic mail is built from a redacted mail only (redact.redact_mail)")


def build_ack(
    mail: MailSummary,
    decision: Decision,
    ticket: str,
    renderer: Renderer,
    policy: Policy,
    promise: Promise | None = None,
) -> OutgoingMail:
    """The acknowledgement of a new request, to its From address (never Reply-To); `promise`:
    when the customer will hear from a person (inboxd.promise), else the templates' fixed wording."""
    assert decision.classification is not None
    if decision.action == Action.ESCALATE or decision.sender.verdict == FAIL:
        raise ValueError("a mail from a forged sender is never answered")
    _redacted(mail)
    language = decision.language
    category = policy.categories[decision.classification.category]
    texts = renderer.field_text[language]
    context = _context(
        mail, ticket, category, language, decision.facts, renderer, policy, decision.sender, promise, decision.links
    )
    context["missing"] = [{"field": f, "label": texts[f].label, "ask": texts[f].ask} for f in decision.missing]
    template = category.template
    if decision.security_incident:
        template = SECURITY_TEMPLATE
    elif decision.phishing_report:
        template = PHISHING_TEMPLATE
    return _outgoing(mail, renderer.render(language, template, context), ticket, policy, mail.sender)


def build_confirmation(
    mail: MailSummary,
    decision: Decision,
    category_name: str,
    facts: Facts,
    ticket: str,
    renderer: Renderer,
    policy: Policy,
    owner: str,
    promise: Promise | None = None,
) -> OutgoingMail:
    """The short note for a reply that completed the information a ticket was missing.

    It goes to the ticket's owner, who is this mail's From address: only the owner's mail
    joins a ticket (inboxd.tickets), and a confirmation is never sent to anyone else."""
    if decision.sender.verdict == FAIL or mail.sender.lower() != owner.lower():
        raise ValueError("a confirmation goes only to the ticket's owner, from a sender not proven forged")
    _redacted(mail)
    category = policy.categories.get(category_name) or policy.categories["other"]
    context = _context(mail, ticket, category, decision.language, facts, renderer, policy, decision.sender, promise)
    return _outgoing(mail, renderer.render(decision.language, "confirmation", context), ticket, policy, owner)
