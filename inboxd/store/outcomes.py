"""What became of each mail, for the people who look: the decided rows a poll prints, and the
quarantine (mail that could not be handled) with its retry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inboxd.store.base import StoreBase, marks, now
from inboxd.store.codec import missing_of
from inboxd.store.rows import MessageRow, QuarantineRow, columns, plain_row

_MESSAGE_COLUMNS = (
    "m.id, m.uid, m.message_id, m.sender, m.subject, m.language, m.action, m.skip_reason, m.reason, m.category, "
    "m.confidence, t.ref AS ticket_ref, a.state AS ack_state, a.subject AS ack_subject, m.missing"
)


class OutcomesMixin(StoreBase):
    # -- decided mail ----------------------------------------------------------------------

    def message_rows(self, ids: Sequence[int]) -> list[MessageRow]:
        """The decided mails of these store rows, with their ticket and acknowledgement, in row order."""
        if not ids:
            return []
        rows = self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages m LEFT JOIN tickets t ON t.id = m.ticket_id "
            f"LEFT JOIN acks a ON a.message_row = m.id WHERE m.id IN ({marks(ids)}) ORDER BY m.id",
            tuple(ids),
        ).fetchall()
        return [
            MessageRow(
                id=int(r["id"]),
                uid=int(r["uid"]),
                message_id=r["message_id"],
                sender=r["sender"],
                subject=r["subject"],
                language=r["language"],
                action=r["action"],
                skip_reason=r["skip_reason"],
                reason=r["reason"],
                category=r["category"],
                confidence=r["confidence"],
                ticket_ref=r["ticket_ref"],
                ack_state=r["ack_state"],
                ack_subject=r["ack_subject"],
                missing=missing_of(r["missing"]),
            )
            for r in rows
        ]

    # -- quarantine ------------------------------------------------------------------------

    def quarantined(self, row: int | None = None) -> list[QuarantineRow]:
        """Quarantined mail (or the one of store row `row`), oldest first."""
        where = "m.action = 'quarantine'" + (" AND m.id = ?" if row is not None else "")
        params: tuple[Any, ...] = (row,) if row is not None else ()
        rows = self._db.execute(
            f"SELECT {columns(QuarantineRow, 'm')} FROM messages m WHERE {where} ORDER BY m.id", params
        ).fetchall()
        return [plain_row(QuarantineRow, r) for r in rows]

    def retry_quarantined(self, row: int, *, in_place: bool) -> bool:
        """Give a quarantined mail another go after a fix.

        In place (no quarantine folder): the row goes back to `new` and the next tick
        fetches the same UID again. Moved to a quarantine folder: the row is closed as
        `retried` (so that it is not taken for the original of a duplicate) and the mail,
        moved back to the polled folder by the caller, arrives under a new UID.
        """
        with self._tx() as db:
            if in_place:
                cur = db.execute(
                    "UPDATE messages SET state = 'new', action = NULL, reason = NULL, synced = 0, updated_at = ? "
                    "WHERE id = ? AND action = 'quarantine'",
                    (now(), row),
                )
            else:
                cur = db.execute(
                    "UPDATE messages SET action = 'skip', skip_reason = 'retried', "
                    "reason = 'quarantine retried: handled again under a new UID', updated_at = ? "
                    "WHERE id = ? AND action = 'quarantine'",
                    (now(), row),
                )
            return cur.rowcount == 1

    def requarantine(self, row: int) -> None:
        """Undo a retry whose move back to the polled folder failed."""
        with self._tx() as db:
            db.execute(
                "UPDATE messages SET action = 'quarantine', skip_reason = NULL, "
                "reason = coalesce(reason, 'quarantined'), updated_at = ? WHERE id = ? AND skip_reason = 'retried'",
                (now(), row),
            )
