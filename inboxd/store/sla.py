"""The live queue and SLA due times: what the promise and the breach check read.

A ticket's `sla_due` is the earliest of its due times not yet met (first response,
then resolution); resolving the ticket clears it, and so does a breach (a ticket
escalates for its SLA once). The breach check is one query on the partial index over
`sla_due`, so a tick pays for the tickets that are due, not for every ticket.
"""

from __future__ import annotations

from dataclasses import dataclass

from inboxd.store.base import StoreBase, marks, now
from inboxd.store.events import emit_for_ticket_id


@dataclass(frozen=True, slots=True)
class Breach:
    ticket_id: int
    ref: str
    kind: str  # first_response | resolution
    due: float


class SlaMixin(StoreBase):
    def queue_counts(self, resolved_since: float) -> dict[str, tuple[int, int]]:
        """Per category: (unresolved tickets, tickets resolved since `resolved_since`)."""
        counts: dict[str, tuple[int, int]] = {}
        for r in self._db.execute(
            "SELECT category, count(*) FROM tickets WHERE state IN ('open', 'waiting') GROUP BY category"
        ):
            counts[str(r[0])] = (int(r[1]), 0)
        for r in self._db.execute(
            "SELECT category, count(*) FROM tickets WHERE resolved_at >= ? GROUP BY category", (resolved_since,)
        ):
            counts[str(r[0])] = (counts.get(str(r[0]), (0, 0))[0], int(r[1]))
        return counts

    def sla_due(self, at: float, limit: int = 500) -> list[Breach]:
        """Tickets whose earliest unmet due time is at or before `at`, oldest due first."""
        rows = self._db.execute(
            "SELECT id, ref, sla_due, first_response_due, first_response_at FROM tickets "
            "WHERE sla_due IS NOT NULL AND sla_due <= ? ORDER BY sla_due LIMIT ?",
            (at, limit),
        ).fetchall()
        out = []
        for r in rows:
            first = r["first_response_at"] is None and r["first_response_due"] is not None
            first = first and float(r["first_response_due"]) <= float(r["sla_due"])
            out.append(Breach(int(r["id"]), str(r["ref"]), "first_response" if first else "resolution", r["sla_due"]))
        return out

    def ticket_uids(self, ticket_ids: list[int], account: str, folder: str, uidvalidity: int) -> dict[int, list[int]]:
        """The UIDs of the tickets' mails in one folder (for their keywords on the server)."""
        if not ticket_ids:
            return {}
        out: dict[int, list[int]] = {t: [] for t in ticket_ids}
        for r in self._db.execute(
            f"SELECT ticket_id, uid FROM messages WHERE ticket_id IN ({marks(ticket_ids)}) "
            "AND account = ? AND folder = ? AND uidvalidity = ?",
            (*ticket_ids, account, folder, uidvalidity),
        ):
            out[int(r[0])].append(int(r[1]))
        return out

    def awaiting_first_response(self, account: str, folder: str, uidvalidity: int, limit: int = 5000) -> dict[int, int]:
        """UID -> ticket of the mails in one folder whose ticket still waits for a first response
        (read through the partial index over sla_due: open SLA tickets only)."""
        rows = self._db.execute(
            "SELECT m.uid, m.ticket_id FROM tickets t JOIN messages m ON m.ticket_id = t.id "
            "WHERE t.sla_due IS NOT NULL AND t.first_response_at IS NULL AND t.first_response_due IS NOT NULL "
            "AND m.account = ? AND m.folder = ? AND m.uidvalidity = ? LIMIT ?",
            (account, folder, uidvalidity, limit),
        ).fetchall()
        return {int(r[0]): int(r[1]) for r in rows}

    def record_first_response(self, ticket_ids: list[int], at: float) -> None:
        """An agent answered these tickets: the first response is met, resolution is what is due next."""
        with self._tx() as db:
            for ticket_id in ticket_ids:
                cur = db.execute(
                    "UPDATE tickets SET first_response_at = ?, sla_due = resolution_due, updated_at = ? "
                    "WHERE id = ? AND first_response_at IS NULL AND sla_due IS NOT NULL",
                    (at, now(), ticket_id),
                )
                if cur.rowcount == 1:
                    db.execute(
                        "INSERT INTO ticket_events (ticket_id, at, kind, detail) "
                        "VALUES (?, ?, 'first_response', 'an agent answered (the mail is flagged Answered)')",
                        (ticket_id, now()),
                    )

    def record_sla_breach(self, breach: Breach) -> bool:
        """Escalate the ticket for its breach, once: False when it was resolved or breached meanwhile."""
        at = now()
        what = "first response" if breach.kind == "first_response" else "resolution"
        reason = f"SLA breached: {what} was due"
        with self._tx() as db:
            cur = db.execute(
                "UPDATE tickets SET sla_due = NULL, sla_breach = ?, sla_breached_at = ?, escalated = 1, "
                "escalation_reason = coalesce(escalation_reason, ?), "
                "priority = CASE WHEN priority = 'normal' THEN 'high' ELSE priority END, updated_at = ? "
                "WHERE id = ? AND sla_due IS NOT NULL",
                (breach.kind, at, reason, at, breach.ticket_id),
            )
            if cur.rowcount != 1:
                return False
            db.execute(
                "INSERT INTO ticket_events (ticket_id, at, kind, detail) VALUES (?, ?, 'sla_breached', ?)",
                (breach.ticket_id, at, reason),
            )
            # The webhook event in the same transaction: a crash cannot lose the page, and the key
            # (one per ticket and kind of breach) cannot repeat it.
            key = f"sla_breach-{breach.ticket_id}-{breach.kind}"
            emit_for_ticket_id(db, "sla_breach", breach.ticket_id, reason=reason, key=key)
        return True
