"""Webhook events and their delivery to each receiver (see inboxd.webhooks for what is sent).

An event is recorded by `emit` inside the transaction of the state change that caused it
(a decision, an ack's fate, a ticket's breach): if that change is committed, so is the
event, and a crash can lose neither alone. Each event belongs to a mailbox (account and
folder): the tick of that mailbox, under its lease, delivers it, so two inboxd processes
never deliver the same event at once.

Delivery, per event and receiver (`notify_deliveries`, created by `fan_out` for the
receivers whose `events` list the kind):

    pending ──2xx──▶ delivered
       │ ▲
       │ └── 408/429/5xx/no answer: retry with backoff, until the event's max age ──▶ failed
       └──── any other 4xx ──────────────────────────────────────────────────────────▶ failed

No state is committed before the request: a process that dies during it leaves the
delivery pending and the next tick sends it again, with the same Idempotency-Key (the
event's `key`), which is how a receiver recognises the repeat. An event is never lost;
a repeat is always recognisable.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inboxd import webhooks
from inboxd.store.base import Db, StoreBase, marks, now
from inboxd.store.codec import payload_of

# The ticket fields a payload may carry (inboxd.webhooks.payload picks from them).
_TICKET_FIELDS = "ref, category, language, priority, state, customer"


def emit(
    db: Db,
    kind: str,
    account: str,
    folder: str,
    *,
    ticket_id: int | None = None,
    reason: str | None = None,
    counts: Mapping[str, int] | None = None,
    key: str | None = None,
) -> bool:
    """Record an event in the caller's transaction. `key`: for an event that must happen once per
    something (the hourly budget: once per hour), the key that says so; else a new one.
    False when an event with this key exists already."""
    at = now()
    ticket = None
    if ticket_id is not None:
        row = db.execute(f"SELECT {_TICKET_FIELDS} FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        ticket = dict(row) if row is not None else None
    key = key or f"inboxd-{uuid.uuid4().hex}"
    data = webhooks.payload(kind, key, at, ticket=ticket, reason=reason, counts=counts)
    cur = db.execute(
        "INSERT INTO notify_events (key, kind, account, folder, ticket_id, payload, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
        (key, kind, account, folder, ticket_id, webhooks.encode(data), at),
    )
    return cur.rowcount == 1


def ticket_id_of(db: Db, ref: str) -> int | None:
    row = db.execute("SELECT id FROM tickets WHERE ref = ?", (ref,)).fetchone()
    return int(row[0]) if row is not None else None


def emit_for_ticket_id(db: Db, kind: str, ticket_id: int, *, reason: str | None = None, key: str | None = None) -> bool:
    """An event about a ticket, in the caller's transaction, delivered by the mailbox (account and
    folder) its first mail came in. False: the ticket has no mail, or `key` was seen before."""
    first = db.execute(
        "SELECT account, folder FROM messages WHERE ticket_id = ? ORDER BY id LIMIT 1", (ticket_id,)
    ).fetchone()
    if first is None:
        return False
    return emit(db, kind, first["account"], first["folder"], ticket_id=ticket_id, reason=reason, key=key)


def emit_for_message(db: Db, kind: str, message_row: int, *, reason: str | None = None) -> bool:
    """An event about a message (its mailbox and ticket taken from it)."""
    row = db.execute("SELECT account, folder, ticket_id FROM messages WHERE id = ?", (message_row,)).fetchone()
    if row is None:
        return False
    return emit(db, kind, row["account"], row["folder"], ticket_id=row["ticket_id"], reason=reason)


@dataclass(frozen=True, slots=True)
class Delivery:
    event_id: int
    target: str
    key: str
    kind: str
    payload: dict[str, Any]  # as recorded with the event (inboxd.webhooks.payload), decoded
    attempts: int
    created_at: float


class EventsMixin(StoreBase):
    def emit_event(
        self,
        kind: str,
        account: str,
        folder: str,
        *,
        ticket_ref: str | None = None,
        reason: str | None = None,
        counts: Mapping[str, int] | None = None,
        key: str | None = None,
    ) -> bool:
        """Record an event on its own (or as part of the open `batch()`); see `emit`."""
        with self._tx() as db:
            ticket_id = None if ticket_ref is None else ticket_id_of(db, ticket_ref)
            return emit(db, kind, account, folder, ticket_id=ticket_id, reason=reason, counts=counts, key=key)

    def emit_for_ticket(self, kind: str, ticket_ref: str, reason: str | None = None, key: str | None = None) -> bool:
        """An event about a ticket, delivered by the mailbox its first mail came in (e.g. an SLA
        breach found on the tick, a phishing report). False: no such ticket, or `key` seen before."""
        with self._tx() as db:
            ticket_id = ticket_id_of(db, ticket_ref)
            return ticket_id is not None and emit_for_ticket_id(db, kind, ticket_id, reason=reason, key=key)

    def fan_out(self, account: str, folder: str, receivers: Mapping[str, frozenset[str]]) -> int:
        """This mailbox's new events become one pending delivery per receiver that wants their kind
        (`receivers`: target name -> event kinds). Returns the deliveries created."""
        created = 0
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, kind FROM notify_events WHERE account = ? AND folder = ? AND fanned = 0 ORDER BY id",
                (account, folder),
            ).fetchall()
            at = now()
            for r in rows:
                for target, kinds in receivers.items():
                    if r["kind"] in kinds:
                        cur = db.execute(
                            "INSERT INTO notify_deliveries (event_id, target, state, updated_at) "
                            "VALUES (?, ?, 'pending', ?) ON CONFLICT (event_id, target) DO NOTHING",
                            (r["id"], target, at),
                        )
                        created += cur.rowcount
            if rows:
                ids = [int(r["id"]) for r in rows]
                db.execute(f"UPDATE notify_events SET fanned = 1 WHERE id IN ({marks(ids)})", ids)
        return created

    def deliveries_due(
        self, account: str, folder: str, targets: Sequence[str], at: float, limit: int
    ) -> list[Delivery]:
        if not targets:
            return []
        rows = self._db.execute(
            "SELECT d.event_id, d.target, d.attempts, e.key, e.kind, e.payload, e.created_at "
            "FROM notify_deliveries d JOIN notify_events e ON e.id = d.event_id "
            f"WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND d.target IN ({marks(targets)}) "
            "AND e.account = ? AND e.folder = ? ORDER BY d.next_attempt_at, d.event_id LIMIT ?",
            (at, *targets, account, folder, limit),
        ).fetchall()
        return [
            Delivery(
                event_id=int(r["event_id"]),
                target=str(r["target"]),
                key=str(r["key"]),
                kind=str(r["kind"]),
                payload=payload_of(str(r["payload"])),
                attempts=int(r["attempts"]),
                created_at=float(r["created_at"]),
            )
            for r in rows
        ]

    def _set_delivery(self, event_id: int, target: str, state: str, **fields: Any) -> bool:
        sets = "".join(f", {k} = ?" for k in fields)
        with self._tx() as db:
            cur = db.execute(
                f"UPDATE notify_deliveries SET state = ?, attempts = attempts + 1, updated_at = ?{sets} "
                "WHERE event_id = ? AND target = ? AND state = 'pending'",
                (state, now(), *fields.values(), event_id, target),
            )
            return cur.rowcount == 1

    def mark_delivered(self, event_id: int, target: str) -> bool:
        return self._set_delivery(event_id, target, "delivered", delivered_at=now(), last_error=None)

    def mark_delivery_retry(self, event_id: int, target: str, error: str, next_attempt_at: float) -> bool:
        return self._set_delivery(event_id, target, "pending", last_error=error, next_attempt_at=next_attempt_at)

    def mark_delivery_failed(self, event_id: int, target: str, error: str) -> bool:
        return self._set_delivery(event_id, target, "failed", last_error=error)

    def notify_events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Events with their deliveries (for `inboxd` listings and the tests)."""
        where, params = ("WHERE e.kind = ?", (kind,)) if kind else ("", ())
        rows = self._db.execute(
            "SELECT e.id, e.key, e.kind, e.payload, e.created_at, d.target, d.state, d.attempts, d.last_error, "
            f"d.delivered_at FROM notify_events e LEFT JOIN notify_deliveries d ON d.event_id = e.id {where} "
            "ORDER BY e.id, d.target",
            params,
        ).fetchall()
        return [dict(r) for r in rows]
