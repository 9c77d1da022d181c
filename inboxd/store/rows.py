"""The rows the store's read side returns: frozen, typed, decoded.

What the command line and the console read comes back as these values, never as a database
row, a dict or a JSON string: lists are tuples, facts are `Facts`, flags are `bool`. The
JSON a column holds is decoded by `inboxd.store.codec` (the write side encodes with it too).
The field order of each row is the column order of its table, so a command that prints a
row as JSON prints the keys it always printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

from inboxd.store.codec import facts_of, missing_of
from inboxd.values import Facts

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Row = TypeVar("Row", bound="DataclassInstance")


def plain_row(row_type: type[Row], r: Mapping[str, Any]) -> Row:
    """A row of a type whose fields are columns as the database holds them (no decoding)."""
    return row_type(**{f.name: r[f.name] for f in fields(row_type)})


def columns(row_type: type[Any], alias: str = "") -> str:
    """The SELECT list of a row type: its fields, in order (`alias`: a table alias to qualify them)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + f.name for f in fields(row_type))


@dataclass(frozen=True, slots=True)
class TicketRow:
    """A ticket (`inboxd ticket list`, the console's ticket pages and queues)."""

    id: int
    ref: str
    customer: str
    subject: str
    category: str
    language: str
    state: str  # open | waiting | resolved | closed
    priority: str  # urgent | high | normal
    missing: tuple[str, ...]
    created_at: float
    updated_at: float
    subject_key: str
    facts: Facts
    escalated: bool
    escalation_reason: str | None
    security_incident: bool
    resolved_at: float | None
    last_customer_at: float | None
    sender_verdict: str | None
    notice: str | None  # due | queued | skipped
    closed_at: float | None
    first_response_due: float | None
    resolution_due: float | None
    first_response_at: float | None
    sla_due: float | None
    sla_breach: str | None  # first_response | resolution
    sla_breached_at: float | None


def _ticket_values(r: Mapping[str, Any]) -> dict[str, Any]:
    names = (f.name for f in fields(TicketRow))
    return {name: r[name] for name in names} | {
        "missing": missing_of(r["missing"]),
        "facts": facts_of(r["facts"]),
        "escalated": bool(r["escalated"]),
        "security_incident": bool(r["security_incident"]),
    }


def ticket_row(r: Mapping[str, Any]) -> TicketRow:
    return TicketRow(**_ticket_values(r))


@dataclass(frozen=True, slots=True)
class TicketMessage:
    """A mail of a ticket, as its page shows it."""

    id: int
    folder: str
    uid: int
    message_id: str | None
    sender: str | None
    reply_to: str | None
    sender_verdict: str | None
    sender_evidence: str | None
    subject: str | None
    action: str | None
    role: str | None  # new | followup | bounce | notice
    category: str | None
    escalation: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class TicketAck:
    """An acknowledgement of a ticket (the mail itself is in `AckRow`)."""

    id: int
    kind: str  # ack | confirmation | resolution
    to_addr: str
    subject: str
    state: str
    attempts: int
    last_error: str | None
    created_at: float
    sent_at: float | None


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """A line of a ticket's history."""

    at: float
    kind: str
    detail: str
    message_row: int | None


@dataclass(frozen=True, slots=True)
class TicketDetail(TicketRow):
    """A ticket with its mails, acknowledgements and history (`inboxd ticket show`)."""

    messages: tuple[TicketMessage, ...]
    acks: tuple[TicketAck, ...]
    events: tuple[TicketEvent, ...]


def ticket_detail(
    r: Mapping[str, Any],
    messages: tuple[TicketMessage, ...],
    acks: tuple[TicketAck, ...],
    events: tuple[TicketEvent, ...],
) -> TicketDetail:
    return TicketDetail(**_ticket_values(r), messages=messages, acks=acks, events=events)


@dataclass(frozen=True, slots=True)
class MessageRow:
    """A decided mail with its ticket and acknowledgement (`inboxd poll`'s summary and --json)."""

    id: int
    uid: int
    message_id: str | None
    sender: str | None
    subject: str | None
    language: str | None
    action: str | None  # ack | followup | escalate | skip | quarantine
    skip_reason: str | None
    reason: str | None
    category: str | None
    confidence: float | None
    ticket_ref: str | None
    ack_state: str | None
    ack_subject: str | None
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    """A mail that could not be handled, with the reason (`inboxd quarantine list`, the console's queue)."""

    id: int
    account: str
    folder: str
    uidvalidity: int
    uid: int
    message_id: str | None
    content_hash: str | None
    size: int | None
    sender: str | None
    subject: str | None
    reason: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class MailboxStatus:
    """A mailbox's latest poll, as `record_poll` left it (`inboxd status`)."""

    name: str
    account: str
    folder: str
    last_poll_at: float | None
    last_success_at: float | None
    last_error: str | None
    last_error_at: float | None
    backlog: int
    last_seconds: float | None


@dataclass(frozen=True, slots=True)
class MailboxCounts:
    """A mailbox's acknowledgements that are not done, by state (only the states that occur:
    pending, sending, unknown, failed), and its quarantined mail."""

    acks: tuple[tuple[str, int], ...]  # (state, how many)
    quarantined: int
