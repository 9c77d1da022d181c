"""Tickets: finding the ticket a reply belongs to, agent resolution, history; bounced addresses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from inboxd.store.base import StoreBase, marks, now
from inboxd.tickets import TicketView


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
            missing=tuple(json.loads(r["missing"] or "[]")),
            facts=json.loads(r["facts"] or "{}"),
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
        """
        if referenced:
            row = self._db.execute(
                "SELECT id FROM tickets WHERE lower(customer) = lower(?) AND coalesce(sender_verdict, '') != 'fail' "
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
                "AND coalesce(sender_verdict, '') != 'fail'",
                (subject_ref, customer),
            ).fetchone()
            if row:
                view = self._view(int(row[0]), followup_window)
                if view:
                    return view, "subject reference"
        if subject_key:
            row = self._db.execute(
                "SELECT id FROM tickets WHERE lower(customer) = lower(?) AND subject_key = ? AND state != 'resolved' "
                "AND coalesce(sender_verdict, '') != 'fail' AND updated_at >= ? ORDER BY id DESC LIMIT 1",
                (customer, subject_key, now() - subject_window),
            ).fetchone()
            if row:
                view = self._view(int(row[0]), followup_window)
                if view:
                    return view, "same subject"
        return None

    def foreign_reference(self, account: str, referenced: Sequence[str], subject_ref: str | None) -> str | None:
        """The ticket a mail refers to (by references or subject) when it is not the sender's own:
        for the agent's eyes on the new ticket only; that ticket and its owner are not touched."""
        if referenced:
            row = self._db.execute(
                f"SELECT t.ref FROM tickets t WHERE t.id IN (SELECT ticket_id FROM acks WHERE message_id IN "
                f"({marks(referenced)}) UNION ALL SELECT ticket_id FROM messages WHERE account = ? "
                f"AND ticket_id IS NOT NULL AND message_id IN ({marks(referenced)})) ORDER BY t.id DESC LIMIT 1",
                (*referenced, account, *referenced),
            ).fetchone()
            if row:
                return str(row[0])
        if subject_ref:
            row = self._db.execute("SELECT ref FROM tickets WHERE ref = ?", (subject_ref,)).fetchone()
            if row:
                return str(row[0])
        return None

    # -- agents and operators ---------------------------------------------------------------

    def resolve_ticket(self, ref: str, by: str) -> bool:
        with self._tx() as db:
            row = db.execute("SELECT id, state FROM tickets WHERE ref = ?", (ref,)).fetchone()
            if row is None or row["state"] == "resolved":
                return False
            db.execute(
                # Resolving answers the customer too (first response), and ends the SLA clock.
                "UPDATE tickets SET state = 'resolved', resolved_at = ?, updated_at = ?, "
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

    def tickets(
        self, state: str | None = None, escalated: bool | None = None, limit: int = 500, breached: bool = False
    ) -> list[dict[str, Any]]:
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
            f"SELECT * FROM tickets WHERE {' AND '.join(where)} ORDER BY "
            "CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, updated_at DESC LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [dict(r) for r in rows]

    def ticket(self, ref: str) -> dict[str, Any] | None:
        """A ticket with its messages, acknowledgements and history."""
        row = self._db.execute("SELECT * FROM tickets WHERE ref = ?", (ref,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["messages"] = [
            dict(r)
            for r in self._db.execute(
                "SELECT id, folder, uid, message_id, sender, reply_to, sender_verdict, sender_evidence, subject, "
                "action, role, category, escalation, created_at FROM messages WHERE ticket_id = ? ORDER BY id",
                (row["id"],),
            )
        ]
        out["acks"] = [
            dict(r)
            for r in self._db.execute(
                "SELECT id, kind, to_addr, subject, state, attempts, last_error, created_at, sent_at "
                "FROM acks WHERE ticket_id = ? ORDER BY id",
                (row["id"],),
            )
        ]
        out["events"] = [
            dict(r)
            for r in self._db.execute(
                "SELECT at, kind, detail, message_row FROM ticket_events WHERE ticket_id = ? ORDER BY id", (row["id"],)
            )
        ]
        return out

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
