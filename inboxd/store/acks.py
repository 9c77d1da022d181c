"""Acknowledgement rows and their delivery states (see the package docstring)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inboxd.store.base import NO_LIMIT, Db, StoreBase, marks, now
from inboxd.store.events import emit_for_message
from inboxd.values import OutgoingMail

UNKNOWN_FATE = "the acknowledgement may or may not have reached the customer: `inboxd acks list --state unknown`"


def _boot_id() -> str | None:
    """This boot of the machine (Linux); None where the kernel does not say."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


BOOT = _boot_id()


def _unreserve(db: Db, ack_ids: Sequence[int]) -> None:
    """Reserved acks never handed to SMTP: pending again."""
    db.execute(
        "UPDATE acks SET state = 'pending', reserved_boot = NULL, updated_at = ? "
        f"WHERE id IN ({marks(ack_ids)}) AND state = 'sending' AND attempt_at IS NULL",
        (now(), *ack_ids),
    )


ACK_TERMINAL = ("sent", "failed", "unknown", "cancelled")


@dataclass(frozen=True, slots=True)
class AckRow:
    id: int
    message_row: int
    ticket_ref: str | None
    kind: str  # ack | confirmation
    mail: OutgoingMail
    state: str
    attempts: int
    last_error: str | None


class AcksMixin(StoreBase):
    def _ack_rows(self, where: str, params: Sequence[Any], limit: int = NO_LIMIT) -> list[AckRow]:
        rows = self._db.execute(
            "SELECT a.*, t.ref AS ticket_ref FROM acks a LEFT JOIN tickets t ON t.id = a.ticket_id "
            f"WHERE {where} ORDER BY a.id LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [
            AckRow(
                id=int(r["id"]),
                message_row=int(r["message_row"]),
                ticket_ref=r["ticket_ref"],
                kind=r["kind"],
                mail=OutgoingMail(
                    to=r["to_addr"],
                    subject=r["subject"],
                    body=r["body"],
                    message_id=r["message_id"],
                    in_reply_to=r["in_reply_to"],
                    references=tuple(json.loads(r["refs"])),
                ),
                state=r["state"],
                attempts=int(r["attempts"]),
                last_error=r["last_error"],
            )
            for r in rows
        ]

    def acks_due(self, at: float | None = None, limit: int = 10_000) -> list[AckRow]:
        return self._ack_rows(
            "a.state = 'pending' AND a.next_attempt_at <= ?", (at if at is not None else now(),), limit
        )

    def acks(self, state: str | None = None) -> list[AckRow]:
        return self._ack_rows("a.state = ?", (state,)) if state else self._ack_rows("1 = 1", ())

    def ack(self, ack_id: int) -> AckRow | None:
        rows = self._ack_rows("a.id = ?", (ack_id,))
        return rows[0] if rows else None

    def acks_by_message_id(self, message_ids: Sequence[str]) -> list[AckRow]:
        if not message_ids:
            return []
        return self._ack_rows(f"a.message_id IN ({marks(message_ids)})", tuple(message_ids))

    def _set_ack(self, ack_id: int, state: str, expect: Sequence[str], **fields: Any) -> bool:
        with self._tx() as db:
            return _set_ack_in(db, ack_id, state, expect, **fields)

    # Sending takes two kinds of commit, and only the first must reach the disk:
    # - `reserve_sending` commits `sending` for several pending acks at once, durably (a synced
    #   commit costs about as much as the rest of the store's work for a mail). After a power cut
    #   each of them still reads `sending`, so none can go out twice.
    # - `begin_attempt` marks one of them just before its SMTP transaction, with an ordinary
    #   commit (`mark_sent(sent, then_attempt=next)`: the same mark, in the commit of the one
    #   before). That commit survives any crash of inboxd (SQLite's WAL is in the kernel's page
    #   cache), but not a power cut.
    # So after a restart in the same boot of the machine, an ack in `sending` with no attempt mark
    # was never handed to SMTP and is pending again; with the mark its fate is unknown (the one
    # in flight on each SMTP connection). After a reboot (a power cut) every reserved ack is unknown, since a mark
    # may be lost. The boot is the kernel's boot_id; without one, every reserved ack is unknown.
    boot: str | None = BOOT

    def reserve_sending(self, ack_ids: Sequence[int]) -> list[int]:
        """Commit the intent to send these acks, durably; the ones still pending, in order."""
        taken: list[int] = []
        with self._tx(durable=True) as db:
            at = now()
            for ack_id in ack_ids:
                cur = db.execute(
                    "UPDATE acks SET state = 'sending', reserved_boot = ?, attempt_at = NULL, updated_at = ? "
                    "WHERE id = ? AND state = 'pending'",
                    (self.boot, at, ack_id),
                )
                if cur.rowcount == 1:
                    taken.append(ack_id)
        return taken

    def begin_attempt(self, ack_id: int) -> bool:
        """Mark a reserved ack as handed to SMTP now. False: it is not reserved (any more): never send it."""
        with self._tx() as db:
            return _begin_attempt_in(db, ack_id)

    def release_reserved(self, ack_ids: Sequence[int]) -> None:
        """Reserved acks that were not attempted (the tick stopped) are pending again."""
        if ack_ids:
            with self._tx() as db:
                _unreserve(db, ack_ids)

    def mark_sending(self, ack_id: int) -> bool:
        """Reserve one ack and begin its attempt. False if it is no longer pending (never send then)."""
        return bool(self.reserve_sending([ack_id])) and self.begin_attempt(ack_id)

    def mark_sent(self, ack_id: int, then_attempt: int | None = None) -> bool:
        """Record an ack as sent; with `then_attempt`, begin that reserved ack's attempt in the same
        commit (as `begin_attempt` would just after: one commit less per ack, and nothing more
        happens between the two). True: `then_attempt`'s attempt began."""
        with self._tx() as db:
            _set_ack_in(db, ack_id, "sent", ("sending",), sent_at=now(), last_error=None)
            return then_attempt is not None and _begin_attempt_in(db, then_attempt)

    def mark_retry(self, ack_id: int, error: str, next_attempt_at: float) -> None:
        self._set_ack(ack_id, "pending", ("sending",), last_error=error, next_attempt_at=next_attempt_at)

    def mark_failed(self, ack_id: int, error: str) -> None:
        self._set_ack(ack_id, "failed", ("sending", "pending"), last_error=error)

    def mark_unknown(self, ack_id: int, error: str) -> None:
        self._set_ack(ack_id, "unknown", ("sending",), last_error=error)

    def recover_interrupted(self, account: str, folder: str) -> list[int]:
        """Acks of this mailbox left in `sending` by a process that died: the unknown ones.

        Reserved but never attempted in this boot: pending again. Otherwise (attempted, or
        reserved before a reboot, or by an inboxd before schema 6): unknown, and returned.
        Call under the mailbox's lease: then no live process is sending them. Acks of other
        mailboxes are left alone — their workers may be sending right now.
        """
        with self._tx() as db:
            found = db.execute(
                "SELECT a.id, a.attempt_at, a.reserved_boot FROM acks a JOIN messages m ON m.id = a.message_row "
                "WHERE a.state = 'sending' AND m.account = ? AND m.folder = ?",
                (account, folder),
            ).fetchall()
            untouched = [int(r[0]) for r in found if r[1] is None and self.boot is not None and r[2] == self.boot]
            rows = [int(r[0]) for r in found if int(r[0]) not in untouched]
            if untouched:
                _unreserve(db, untouched)
            if rows:
                db.execute(
                    "UPDATE acks SET state = 'unknown', updated_at = ?, last_error = "
                    "'inboxd stopped during the SMTP transaction: it may or may not have been delivered' "
                    f"WHERE id IN ({marks(rows)})",
                    (now(), *rows),
                )
                db.execute(
                    "UPDATE messages SET synced = 0 "
                    f"WHERE id IN (SELECT message_row FROM acks WHERE id IN ({marks(rows)}))",
                    rows,
                )
                for r in db.execute(f"SELECT message_row FROM acks WHERE id IN ({marks(rows)})", rows).fetchall():
                    emit_for_message(db, "ack_unknown_fate", int(r[0]), reason=UNKNOWN_FATE)
        return rows

    def resolve_unknown(self, ack_id: int, resolution: str) -> bool:
        """A human's answer for an unknown or failed ack: 'sent' (it arrived), 'resend' or 'cancel'."""
        target = {"sent": "sent", "resend": "pending", "cancel": "cancelled"}[resolution]
        changed = self._set_ack(ack_id, target, ("unknown", "failed"), next_attempt_at=0)
        if changed and target == "pending":
            with self._tx() as db:
                db.execute(
                    "UPDATE messages SET synced = 0 WHERE id = (SELECT message_row FROM acks WHERE id = ?)", (ack_id,)
                )
        return changed

    def acks_to_domain_since(self, domain: str, since: float, limit: int) -> int:
        """Automatic mails created for addresses of `domain` since `since`, counted up to `limit`
        (the per-domain limit: counting further would only cost time)."""
        row = self._db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM acks WHERE to_domain = ? AND created_at >= ? "
            "AND state != 'cancelled' LIMIT ?) AS recent",
            (domain, since, limit),
        ).fetchone()
        return int(row[0])

    def acks_since(self, since: float, limit: int) -> int:
        """Automatic mails created since `since`, to anyone, counted up to `limit` (the hourly budget)."""
        row = self._db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM acks WHERE created_at >= ? AND state != 'cancelled' LIMIT ?) "
            "AS recent",
            (since, limit),
        ).fetchone()
        return int(row[0])

    def acks_to_since(self, address: str, since: float) -> int:
        """Acknowledgements created for `address` since `since` (for the per-sender limit)."""
        row = self._db.execute(
            "SELECT count(*) FROM acks WHERE to_addr = ? AND created_at >= ? AND state != 'cancelled'",
            (address, since),
        ).fetchone()
        return int(row[0])


def _set_ack_in(db: Db, ack_id: int, state: str, expect: Sequence[str], **fields: Any) -> bool:
    sets = "".join(f", {k} = ?" for k in fields)
    cur = db.execute(
        f"UPDATE acks SET state = ?, updated_at = ?{sets} WHERE id = ? AND state IN ({marks(expect)})",
        (state, now(), *fields.values(), ack_id, *expect),
    )
    changed = cur.rowcount == 1
    if changed and state in ACK_TERMINAL:
        # The message's keywords depend on how its ack ended: sync them again (and on
        # its sightings under a rebuilt folder's new UIDs, which show the same). Two
        # indexed updates: an OR of the two made SQLite read every message, per ack.
        message_row = db.execute("SELECT message_row FROM acks WHERE id = ?", (ack_id,)).fetchone()[0]
        db.execute("UPDATE messages SET synced = 0 WHERE id = ?", (message_row,))
        db.execute("UPDATE messages SET synced = 0 WHERE duplicate_of = ?", (message_row,))
        if state == "unknown":
            emit_for_message(db, "ack_unknown_fate", message_row, reason=UNKNOWN_FATE)
    return changed


def _begin_attempt_in(db: Db, ack_id: int) -> bool:
    at = now()
    cur = db.execute(
        "UPDATE acks SET attempt_at = ?, attempts = attempts + 1, updated_at = ? "
        "WHERE id = ? AND state = 'sending' AND attempt_at IS NULL",
        (at, at, ack_id),
    )
    return cur.rowcount == 1
