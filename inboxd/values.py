"""The values passed between the steps of the pipeline.

Everything here is an immutable value: the pure steps (parse, screen, classify,
extract, check, render, decide) take and return these, and only the edges
(mailbox, store, outbox) turn them into I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # only for annotations: importing it would load pydantic in every worker
    from inboxd.config import LimitsConfig
    from inboxd.links import Link

_V = TypeVar("_V")


def pickled_by_position(cls: type[_V]) -> type[_V]:
    """`cls` pickled as its constructor and its fields' values in order.

    A frozen dataclass with slots is otherwise pickled by the `__getstate__`/`__setstate__` that
    `dataclasses` gives it, both of which look its fields up again (`fields()`) for every object:
    a worker sends each mail back as a dozen of these (a `ParsedEmail`, its `Facts`, ...), and
    that lookup was a fifth of what the main process spent unpickling a mail (and of what the
    worker spent pickling it). Every field is a constructor argument, in order."""
    every = fields(cls)  # type: ignore[arg-type]
    if not every or not all(f.init for f in every):
        raise TypeError(f"{cls.__name__}: every field must be a constructor argument")
    values: Callable[[Any], Any] = attrgetter(*(f.name for f in every))
    if len(every) == 1:
        single = values
        values = lambda value: (single(value),)  # noqa: E731 (attrgetter of one name gives no tuple)

    def reduce(self: _V) -> tuple[type[_V], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = reduce  # type: ignore[assignment,method-assign]
    return cls


@pickled_by_position
@dataclass(frozen=True, slots=True, order=True)
class MessageKey:
    """Where a message lives. A UID means something only with its folder and UIDVALIDITY."""

    account: str
    folder: str
    uidvalidity: int
    uid: int


@pickled_by_position
@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@pickled_by_position
@dataclass(frozen=True, slots=True)
class Forwarded:
    """A mail the customer forwarded as a `message/rfc822` part: its sender, subject and text.

    Read to recognise phishing reports (inboxd.phishing) only; bounded by `parse`, never
    stored, never quoted back."""

    sender: str  # address from its From:, lower-cased; "" when absent
    sender_name: str
    subject: str
    text: str


@pickled_by_position
@dataclass(frozen=True, slots=True)
class Bounce:
    """What a delivery report says about the mail it returns (inboxd.bounce reads it)."""

    original_message_ids: tuple[str, ...]  # Message-IDs of the mail that bounced, most trusted first
    failed_recipients: tuple[str, ...]  # lower-case addresses the server gave up on
    delayed_recipients: tuple[str, ...]  # still being tried: a warning, not a reason to stop
    standard: bool  # an RFC 3464 message/delivery-status part was read


@pickled_by_position
@dataclass(frozen=True, slots=True)
class ParsedEmail:
    """One mail as the rest of inboxd sees it, decoded and normalised."""

    message_id: str  # always in angle brackets; synthesised when the mail has none
    message_id_synthetic: bool
    sender: str  # address from From:, lower-cased; "" when absent
    sender_name: str
    # The Reply-To address, recorded for agents; "" when absent. Automatic mail never goes
    # there: anyone can name anyone in Reply-To (see inboxd.trust).
    reply_to: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    date: datetime | None  # timezone-aware when the header had a zone
    in_reply_to: str | None
    references: tuple[str, ...]
    text: str  # the whole readable body: text/plain, or the HTML converted to text
    new_text: str  # the customer's new words: quoted history and signature removed
    html_only: bool
    attachments: tuple[Attachment, ...]
    headers: Mapping[str, str]  # lower-case name -> first value, decoded
    content_type: str  # of the top-level entity
    content_hash: str  # sha256 of the raw bytes, hex
    size: int  # raw bytes
    defects: tuple[str, ...] = ()
    # The decoded text of each small text attachment ("" for the others; () when none is
    # text), read only for customer secrets: never the customer's words for facts or the
    # classifier. `redact.redact_mail` redacts it like the body.
    attachment_text: tuple[str, ...] = ()
    # Customer secrets removed from this mail by `redact.redact_mail` (kind and place only).
    secrets: tuple[Secret, ...] = ()
    redacted: bool = False  # redact.redact_mail has run: it need not (and does not) run again
    # Authentication-Results header values, top to bottom as in the mail (inboxd.trust reads them).
    auth_results: tuple[str, ...] = ()
    # The mails forwarded as message/rfc822 parts (at most a few, their text bounded).
    forwarded: tuple[Forwarded, ...] = ()
    # Where the mail's links go (inboxd.links reads them): the href values of its HTML parts,
    # forwarded messages' included, and the From/Reply-To/Sender of each forwarded message
    # (a message/rfc822 part) as mailto: (their headers are not in `text`). Bounded (parse).
    hrefs: tuple[str, ...] = ()
    # What a delivery report says (inboxd.bounce), read from the parsed tree for the mails that
    # screen as a bounce (`screen.looks_like_bounce`), so the raw bytes are never parsed again;
    # None for every other mail.
    bounce: Bounce | None = None

    def summary(self) -> MailSummary:
        """What deciding, storing and answering the mail read of it (`MailSummary`)."""
        return MailSummary(self.message_id, self.sender, self.sender_name, self.reply_to, self.subject, self.date,
                           self.in_reply_to, self.references, self.content_hash, self.secrets, self.redacted,
                           self.auth_results, self.bounce)  # fmt: skip


@pickled_by_position
@dataclass(frozen=True, slots=True)
class MailSummary:
    """The fields of a `ParsedEmail` that the process deciding it reads (`triage.Findings.mail`):
    its identity and thread, the header values stored and quoted back, the secrets removed, the
    Authentication-Results the sender's verdict is read from, and the bounce it reports.

    A worker sends this back for each mail, not the whole `ParsedEmail`: its text, headers,
    hrefs, attachments and forwarded parts are read in the worker (`triage.examine`) and never
    again (0.6 KB a mail to pickle instead of 5.2 on the benchmark's generated mail). A field not
    here cannot be read after `examine`: mypy says so. Each means what it means on `ParsedEmail`."""

    message_id: str
    sender: str
    sender_name: str
    reply_to: str
    subject: str
    date: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    content_hash: str
    secrets: tuple[Secret, ...]
    redacted: bool
    auth_results: tuple[str, ...]
    bounce: Bounce | None


# Sender verdicts (inboxd.trust): how far the From address is proven.
PASS = "pass"
FAIL = "fail"
NONE = "none"


@pickled_by_position
@dataclass(frozen=True, slots=True)
class SenderAuth:
    """The verdict on a mail's From address and the evidence it rests on (printable ASCII)."""

    verdict: str  # pass | fail | none
    evidence: str

    def as_dict(self) -> dict[str, str]:
        return {"verdict": self.verdict, "evidence": self.evidence}


UNCHECKED = SenderAuth(NONE, "not checked")


class SkipReason(StrEnum):
    """Why a mail gets no acknowledgement (the decision still records it)."""

    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    LIST = "list"
    NOREPLY = "noreply"
    OWN_ADDRESS = "own_address"
    NO_SENDER = "no_sender"
    DUPLICATE = "duplicate"
    RATE_LIMITED = "rate_limited"  # the sender had its share of acknowledgements in the window
    DOMAIN_LIMITED = "domain_limited"  # so had the sender's domain
    BUDGET = "budget"  # the hourly budget of automatic mail is spent: decided, not answered
    SUPPRESSED = "suppressed"  # an earlier acknowledgement to this address bounced
    SPAM = "spam"  # the receiving server we trust marked it spam ([spam] trust_headers)
    UNSOLICITED = "unsolicited"  # the classifier is sure it is a sales pitch, and nothing in it asks for support


@pickled_by_position
@dataclass(frozen=True, slots=True)
class Screening:
    skip_reason: SkipReason | None
    detail: str = ""


@pickled_by_position
@dataclass(frozen=True, slots=True)
class Classification:
    category: str  # the final category: `other` when below the confidence floor
    confidence: float  # probability of the top model category; 1.0 when a rule decided
    predicted: str  # the model's (or rule's) category before the floor was applied
    rule: str | None = None  # name of the deterministic rule that decided, if any
    runner_up: str | None = None
    runner_up_confidence: float = 0.0
    # The finer label inside the model's category that scored best (an intent of the examples,
    # e.g. `unsolicited` inside `other`), None when a rule decided or the label has no intent.
    intent: str | None = None


@pickled_by_position
@dataclass(frozen=True, slots=True)
class TxId:
    value: str
    chain: str  # evm | bitcoin | tron | solana | unknown


@pickled_by_position
@dataclass(frozen=True, slots=True)
class Amount:
    value: str  # plain decimal, no grouping, no trailing zeros
    asset: str
    network: str | None = None


@pickled_by_position
@dataclass(frozen=True, slots=True)
class EventTime:
    text: str  # as the customer wrote it
    value: datetime | None  # resolved against the mail's Date (its zone) or the default zone
    precision: str = "minute"  # "day" when the customer gave no clock time


@pickled_by_position
@dataclass(frozen=True, slots=True)
class AccountId:
    kind: str  # uid | email | phone
    value: str


@pickled_by_position
@dataclass(frozen=True, slots=True)
class WalletAddress:
    value: str
    chain: str  # bitcoin | evm | tron
    valid: bool


@pickled_by_position
@dataclass(frozen=True, slots=True)
class Secret:
    """A customer secret found in the text. Only its kind and place are kept."""

    kind: str  # seed_phrase | private_key | password | backup_code
    start: int
    end: int
    field: str = "text"  # where: text | new_text | subject | sender_name | header:<name> | attachment:<index>


@pickled_by_position
@dataclass(frozen=True, slots=True)
class Facts:
    tx_ids: tuple[TxId, ...] = ()
    order_ids: tuple[str, ...] = ()
    amounts: tuple[Amount, ...] = ()
    times: tuple[EventTime, ...] = ()
    account_ids: tuple[AccountId, ...] = ()
    addresses: tuple[WalletAddress, ...] = ()
    secrets: tuple[Secret, ...] = ()

    def kinds_present(self) -> frozenset[str]:
        """The fact kinds this mail supplies, as named in the required-field config."""
        present = {
            kind
            for kind, values in (
                ("tx_id", self.tx_ids),
                ("order_id", self.order_ids),
                ("amount", self.amounts),
                ("time", self.times),
                ("account_id", self.account_ids),
                ("address", self.addresses),
            )
            if values
        }
        return frozenset(present)


class Action(StrEnum):
    ACK = "ack"  # a new ticket, acknowledged
    FOLLOWUP = "followup"  # a reply on an existing ticket: no second generic acknowledgement
    ESCALATE = "escalate"  # for a human only, never answered: the From address is forged
    SKIP = "skip"
    QUARANTINE = "quarantine"


@pickled_by_position
@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one mail, and everything that was understood on the way."""

    action: Action
    language: str = "en"
    classification: Classification | None = None
    facts: Facts = field(default_factory=Facts)
    missing: tuple[str, ...] = ()
    skip_reason: SkipReason | None = None
    reason: str = ""  # human-readable: why skipped or quarantined
    # The mail held a customer secret (now redacted): flag it, raise its priority, and
    # answer with the security-incident acknowledgement. Facts.secrets says which kinds.
    security_incident: bool = False
    sender: SenderAuth = UNCHECKED
    # The mail asks whether a message, site or caller is really ours, or forwards a suspicious
    # one (inboxd.phishing): answered with the phishing-report template, escalated.
    phishing_report: bool = False
    # Every domain in the mail's text and links, with its verdict against [trust] official_domains
    # (inboxd.links): a `lookalike` among them flags the ticket.
    links: tuple[Link, ...] = ()

    @property
    def lookalike(self) -> bool:
        return any(link.verdict == "lookalike" for link in self.links)


@pickled_by_position
@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """An acknowledgement ready to send: the outbox turns it into SMTP."""

    to: str
    subject: str
    body: str
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]


@pickled_by_position
@dataclass(frozen=True, slots=True)
class ParseLimits:
    """The `[limits]` values as a plain value: the one limits type parsing takes.

    A worker that received the validated config section would import pydantic and the
    whole config schema to unpickle it: about 13 MiB more in every worker.
    """

    max_message_bytes: int
    max_mime_parts: int
    max_mime_depth: int
    max_text_chars: int
    max_headers: int
    max_header_bytes: int
    max_html_chars: int
    max_parse_seconds: float

    @classmethod
    def of(cls, limits: LimitsConfig | ParseLimits) -> ParseLimits:
        """The plain value of `limits`, built where the configuration is read."""
        if isinstance(limits, ParseLimits):
            return limits
        return cls(**{name: getattr(limits, name) for name in cls.__dataclass_fields__})
