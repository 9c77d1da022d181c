"""Tickets: finding the ticket a reply belongs to, agent resolution, the resolution notice and
closing, history; bounced addresses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from inboxd.domains import domain_of
from inboxd.store.base import StoreBase, marks, now
from inboxd.store.codec import facts_of, missing_of
from inboxd.store.rows import (
    TicketAck,
    TicketDetail,
    TicketEvent,
    TicketMessage,
    TicketRow,
    columns,
    plain_row,
    ticket_detail,
    ticket_row,
)
from inboxd.tickets import NoticeDue, TicketView
from inboxd.values import OutgoingMail


class TicketsMixin(StoreBase):
    def _view(self, ticket_id: int, followup_window: float) -> TicketView | None:
        r = self._db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if r is None:
            return None
        since = max(now() - followup_window, r["resolved_at"] or 0.0)
        followups = self._db.execute(
            "SELECT count(*) FROM messages WHERE ticket_id = ? AND role = 'followup' AND created_at >= ?",
            (ticket_id, since),
        ).fetchone()[0]
        return TicketView(
            id=int(r["id"]),
            ref=str(r["ref"]),
            customer=str(r["customer"]),
            category=str(r["category"]),
            language=str(r["language"]),
            state=str(r["state"]),
            priority=str(r["priority"]),
            escalated=bool(r["escalated"]),
            missing=missing_of(r["missing"]),
            facts=facts_of(r["facts"]),
            followups_in_window=int(followups),
            security_incident=bool(r["security_incident"]),
        )

    def ticket_for_reply(
        self,
        account: str,
        referenced: Sequence[str],
        subject_ref: str | None,
        customer: str,
        subject_key: str,
        *,
        subject_window: float,
        followup_window: float,
    ) -> tuple[TicketView, str] | None:
        """The ticket a mail continues, and how it was found; None for a new request.

        A ticket belongs to the address that opened it (`customer`, a From address), and
        only mail from that address joins it: nobody can attach mail to someone else's
        ticket, or make inboxd write to its owner, by copying a reference or a Message-ID
        (Message-IDs are no secret: every CC and forward carries them). A ticket opened by a
        forged sender is joined by nothing. The mail joins by
        1. In-Reply-To/References naming one of our acknowledgements or an earlier mail of it;
        2. the reference in the subject, e.g. [#INB-000123];
        3. the same subject on a ticket that is not resolved, within `subject_window` seconds:
           a second mail about the same thing gets no second ack.
        A closed ticket (resolved, and no reply within `[tickets] reopen_within_days`) is joined
        by nothing: a later mail is a new request.
        """
        if referenced:
            row = self._db.execute(
                "SELECT id FROM tickets WHERE lower(customer) = lower(?) AND coalesce(sender_verdict, '') != 'fail' "
                "AND state != 'closed' "
                f"AND id IN (SELECT ticket_id FROM acks WHERE message_id IN ({marks(referenced)}) "
                "UNION ALL SELECT ticket_id FROM messages WHERE account = ? AND ticket_id IS NOT NULL "
                f"AND message_id IN ({marks(referenced)})) ORDER BY id DESC LIMIT 1",
                (customer, *referenced, account, *referenced),
            ).fetchone()
            if row:
                view = self._view(int(row[0]), followup_window)
                if view:
                    return view, "references"
        if subject_ref:
            row = self._db.execute(
                "SELECT id FROM tickets WHERE ref = ? AND lower(customer) = lower(?) "
                "AND coalesce(sender_verdict, '') != 'fail' AND state != 'closed'",
                (subject_ref, customer),
            ).fetchone()
            if row:
                view = self._view(int(row[0]), followup_window)
                if view:
                    return view, "subject reference"
        if subject_key:
            row = self._db.execute(
                "SELECT id FROM tickets WHERE lower(customer) = lower(?) AND subject_key = ? "
                "AND state NOT IN ('resolved', 'closed') "
                "AND coalesce(sender_verdict, '') != 'fail' AND updated_at >= ? ORDER BY id DESC LIMIT 1",
                (customer, subject_key, now() - subject_window),
            ).fetchone()
            if row:
                view = self._view(int(row[0]), followup_window)
                if view:
                    return view, "same subject"
        return None

    def foreign_reference(
        self, account: str, referenced: Sequence[str], subject_ref: str | None, customer: str = ""
    ) -> str | None:
        """The ticket a mail refers to (by references or subject) when it is not the sender's own:
        for the agent's eyes on the new ticket only; that ticket and its owner are not touched.
        The sender's own closed tickets are not foreign (`customer`: the sender)."""
        own_closed = "AND NOT (t.state = 'closed' AND lower(t.customer) = lower(?))"
        if referenced:
            row = self._db.execute(
                f"SELECT t.ref FROM tickets t WHERE t.id IN (SELECT ticket_id FROM acks WHERE message_id IN "
                f"({marks(referenced)}) UNION ALL SELECT ticket_id FROM messages WHERE account = ? "
                f"AND ticket_id IS NOT NULL AND message_id IN ({marks(referenced)})) {own_closed} "
                "ORDER BY t.id DESC LIMIT 1",
                (*referenced, account, *referenced, customer),
            ).fetchone()
            if row:
                return str(row[0])
        if subject_ref:
            row = self._db.execute(
                f"SELECT t.ref FROM tickets t WHERE t.ref = ? {own_closed}", (subject_ref, customer)
            ).fetchone()
            if row:
                return str(row[0])
        return None

    # -- agents and operators ---------------------------------------------------------------

    def resolve_ticket(self, ref: str, by: str) -> bool:
        """Resolve an open ticket; its customer's resolution notice is due in the same commit
        (the mailbox's tick sends it: inboxd.resolution)."""
        with self._tx() as db:
            row = db.execute("SELECT id, state FROM tickets WHERE ref = ?", (ref,)).fetchone()
            if row is None or row["state"] in ("resolved", "closed"):
                return False
            db.execute(
                # Resolving answers the customer too (first response), ends the SLA clock, and owes
                # the customer a resolution notice (inboxd.resolution).
                "UPDATE tickets SET state = 'resolved', resolved_at = ?, updated_at = ?, notice = 'due', "
                "first_response_at = coalesce(first_response_at, ?), sla_due = NULL WHERE id = ?",
                (now(), now(), now(), row["id"]),
            )
            db.execute(
                "INSERT INTO ticket_events (ticket_id, at, kind, detail) VALUES (?, ?, 'resolved', ?)",
                (row["id"], now(), by),
            )
        return True

    def apply_resolved_keyword(self, account: str, folder: str, uidvalidity: int, uids: Sequence[int]) -> list[str]:
        """Agents mark a ticket resolved by setting a keyword on one of its mails.

        Each flagged mail resolves its ticket once: after a customer reopens the ticket,
        the old keyword on the old mail does not resolve it again.
        """
        if not uids:
            return []
        rows = self._db.execute(
            "SELECT m.id, t.ref FROM messages m JOIN tickets t ON t.id = m.ticket_id "
            f"WHERE m.account = ? AND m.folder = ? AND m.uidvalidity = ? AND m.uid IN ({marks(uids)}) "
            "AND m.agent_resolved = 0",
            (account, folder, uidvalidity, *uids),
        ).fetchall()
        resolved: list[str] = []
        for r in rows:
            if self.resolve_ticket(str(r["ref"]), "agent keyword on the mail"):
                resolved.append(str(r["ref"]))
            with self._tx() as db:
                db.execute("UPDATE messages SET agent_resolved = 1 WHERE id = ?", (r["id"],))
        return resolved

    # -- the resolution notice and closing ------------------------------------------------------

    def notices_due(self, account: str, folder: str, limit: int = 100) -> list[NoticeDue]:
        """Resolved tickets of this mailbox (where their first mail came in) whose notice is due."""
        rows = self._db.execute(
            "SELECT t.id, t.ref, t.customer, t.language, t.category FROM tickets t "
            "WHERE t.notice = 'due' AND t.state = 'resolved' AND EXISTS (SELECT 1 FROM messages m "
            "WHERE m.id = (SELECT min(f.id) FROM messages f WHERE f.ticket_id = t.id) AND m.account = ? "
            "AND m.folder = ?) ORDER BY t.id LIMIT ?",
            (account, folder, limit),
        ).fetchall()
        due = []
        for r in rows:
            ids = self._db.execute(
                "SELECT message_id FROM (SELECT message_id, created_at, id FROM messages WHERE ticket_id = ? "
                "AND message_id IS NOT NULL UNION ALL SELECT message_id, created_at, id FROM acks "
                "WHERE ticket_id = ?) AS thread ORDER BY created_at, id",
                (r["id"], r["id"]),
            ).fetchall()
            due.append(
                NoticeDue(
                    ticket_id=int(r["id"]),
                    ref=str(r["ref"]),
                    customer=str(r["customer"]),
                    language=str(r["language"]),
                    category=str(r["category"]),
                    message_ids=tuple(str(i[0]) for i in ids),
                )
            )
        return due

    def notice_serial(self, account: str, folder: str) -> int:
        """The number of the next notice of this mailbox (its Message-ID and store row tell them apart)."""
        row = self._db.execute(
            "SELECT count(*) FROM messages WHERE account = ? AND folder = ? AND uidvalidity = 0", (account, folder)
        ).fetchone()
        return int(row[0]) + 1

    def queue_notice(self, ticket_id: int, account: str, folder: str, serial: int, mail: OutgoingMail) -> bool:
        """Queue a resolved ticket's notice as an acknowledgement, once: False if it is no longer due.

        The notice has no mail of its own on the server: it is recorded as a message row of
        the mailbox with UIDVALIDITY 0 (which no IMAP folder has) and UID -serial, already
        synced, so that the acknowledgement machinery (one ack per message row) carries it.
        """
        at = now()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE tickets SET notice = 'queued' WHERE id = ? AND notice = 'due' AND state = 'resolved'",
                (ticket_id,),
            )
            if cur.rowcount != 1:
                return False
            row = db.execute(
                "INSERT INTO messages (account, folder, uidvalidity, uid, message_id, state, action, role, "
                "subject, ticket_id, synced, created_at, updated_at) "
                "VALUES (?, ?, 0, ?, ?, 'decided', 'notice', 'notice', ?, ?, 1, ?, ?) RETURNING id",
                (account, folder, -serial, mail.message_id, mail.subject, ticket_id, at, at),
            ).fetchone()
            db.execute(
                "INSERT INTO acks (message_row, ticket_id, kind, to_addr, to_domain, subject, body, "
                "message_id, in_reply_to, refs, state, created_at, updated_at) "
                "VALUES (?, ?, 'resolution', ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (
                    int(row["id"]), ticket_id, mail.to, domain_of(mail.to), mail.subject, mail.body, mail.message_id,
                    mail.in_reply_to, json.dumps(list(mail.references)), at, at,
                ),
            )  # fmt: skip
            db.execute(
                "INSERT INTO ticket_events (ticket_id, at, kind, detail, message_row) VALUES (?, ?, ?, ?, ?)",
                (ticket_id, at, "notice", f"resolution notice queued for {mail.to}", int(row["id"])),
            )
        return True

    def skip_notice(self, ticket_id: int, why: str) -> None:
        """No notice for this resolution (a forged opener, an address that bounced): say why."""
        with self._tx() as db:
            cur = db.execute("UPDATE tickets SET notice = 'skipped' WHERE id = ? AND notice = 'due'", (ticket_id,))
            if cur.rowcount == 1:
                db.execute(
                    "INSERT INTO ticket_events (ticket_id, at, kind, detail) VALUES (?, ?, 'notice', ?)",
                    (ticket_id, now(), f"no resolution notice: {why}"),
                )

    def notice_blocked(self, ticket_id: int) -> str | None:
        """Why a ticket's customer must not get a notice, or None."""
        row = self._db.execute("SELECT customer, sender_verdict FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if row is None:
            return "no such ticket"
        if row["sender_verdict"] == "fail":
            return "the ticket was opened by a forged sender"
        if self.is_suppressed(str(row["customer"])):
            return "an earlier mail to the customer bounced"
        return None

    def close_resolved(self, resolved_before: float) -> list[str]:
        """Tickets resolved before this time with no reply since: closed. Their references."""
        query = "SELECT id, ref FROM tickets WHERE state = 'resolved' AND resolved_at < ?"
        if self._db.execute(query + " LIMIT 1", (resolved_before,)).fetchone() is None:
            return []  # the usual tick: no write transaction (and no write lock) for nothing
        with self._tx() as db:
            rows = db.execute(query, (resolved_before,)).fetchall()
            at = now()
            for r in rows:
                db.execute(
                    "UPDATE tickets SET state = 'closed', closed_at = ?, updated_at = ? WHERE id = ?", (at, at, r["id"])
                )
                db.execute(
                    "INSERT INTO ticket_events (ticket_id, at, kind, detail) VALUES (?, ?, 'closed', ?)",
                    (r["id"], at, "no reply after the resolution notice"),
                )
        return [str(r["ref"]) for r in rows]

    def tickets(
        self, state: str | None = None, escalated: bool | None = None, limit: int = 500, breached: bool = False
    ) -> list[TicketRow]:
        """Tickets, most urgent first, then the most recently updated."""
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if breached:  # an SLA due time passed unmet (see inboxd.store.sla)
            where.append("sla_breached_at IS NOT NULL")
        if state:
            where.append("state = ?")
            params.append(state)
        if escalated is not None:
            where.append("escalated = ?")
            params.append(int(escalated))
        rows = self._db.execute(
            f"SELECT {columns(TicketRow)} FROM tickets WHERE {' AND '.join(where)} ORDER BY "
            "CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, updated_at DESC LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [ticket_row(r) for r in rows]

    def ticket(self, ref: str) -> TicketDetail | None:
        """A ticket with its messages, acknowledgements and history."""
        row = self._db.execute(f"SELECT {columns(TicketRow)} FROM tickets WHERE ref = ?", (ref,)).fetchone()
        if row is None:
            return None
        messages = self._db.execute(
            f"SELECT {columns(TicketMessage)} FROM messages WHERE ticket_id = ? ORDER BY id", (row["id"],)
        )
        acks = self._db.execute(f"SELECT {columns(TicketAck)} FROM acks WHERE ticket_id = ? ORDER BY id", (row["id"],))
        events = self._db.execute(
            f"SELECT {columns(TicketEvent)} FROM ticket_events WHERE ticket_id = ? ORDER BY id", (row["id"],)
        )
        return ticket_detail(
            row,
            messages=tuple(plain_row(TicketMessage, r) for r in messages),
            acks=tuple(plain_row(TicketAck, r) for r in acks),
            events=tuple(plain_row(TicketEvent, r) for r in events),
        )

    def attach_bounce(self, row: int, original_ids: Sequence[str], failed: Sequence[str]) -> str | None:
        """A bounce of one of our acknowledgements: note it on the ticket; if the ack's
        recipient is among the addresses the server gave up on, stop mailing it.

        Returns the ticket reference, or None when the bounce is not about one of our acks.
        """
        if not original_ids:
            return None
        ack = self._db.execute(
            "SELECT a.id, a.ticket_id, a.to_addr, t.ref FROM acks a LEFT JOIN tickets t ON t.id = a.ticket_id "
            f"WHERE a.message_id IN ({marks(original_ids)}) ORDER BY a.id LIMIT 1",
            tuple(original_ids),
        ).fetchone()
        if ack is None:
            return None
        address = str(ack["to_addr"]).lower()
        permanent = address in {f.lower() for f in failed}
        with self._tx() as db:
            if permanent:
                db.execute(
                    "INSERT INTO suppressions (address, reason, created_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (address) DO NOTHING",
                    (address, f"the acknowledgement for {ack['ref']} bounced", now()),
                )
            db.execute("UPDATE messages SET ticket_id = ?, role = 'bounce' WHERE id = ?", (ack["ticket_id"], row))
            if ack["ticket_id"] is not None:
                detail = f"acknowledgement to {address} bounced" + (
                    "; no more acknowledgements to it" if permanent else " (delayed or unclear: still mailed)"
                )
                db.execute(
                    "INSERT INTO ticket_events (ticket_id, at, kind, detail, message_row) "
                    "VALUES (?, ?, 'ack_bounced', ?, ?)",
                    (ack["ticket_id"], now(), detail, row),
                )
        return str(ack["ref"]) if ack["ref"] else None

    def is_suppressed(self, address: str) -> bool:
        return (
            self._db.execute("SELECT 1 FROM suppressions WHERE address = ?", (address.lower(),)).fetchone() is not None
        )
