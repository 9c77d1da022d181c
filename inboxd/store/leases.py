"""Leases (one worker per mailbox, taken over when the holder stops renewing) and poll status."""

from __future__ import annotations

from inboxd.store.base import StoreBase, now
from inboxd.store.rows import MailboxCounts, MailboxStatus, columns, plain_row


class LeasesMixin(StoreBase):
    def acquire_lease(self, name: str, owner: str, seconds: float) -> bool:
        """Take or renew the lease `name`; False while another owner holds an unexpired one."""
        at = now()
        with self._tx() as db:
            # One statement, so that two hosts asking at once cannot both get it.
            row = db.execute(
                "INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at "
                "WHERE leases.owner = excluded.owner OR leases.expires_at <= ? RETURNING owner",
                (name, owner, at + seconds, at),
            ).fetchone()
        return row is not None

    def release_lease(self, name: str, owner: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))

    def record_poll(
        self,
        name: str,
        account: str,
        folder: str,
        *,
        error: str | None = None,
        backlog: int = 0,
        seconds: float | None = None,
    ) -> None:
        """The outcome of a mailbox's latest poll (success, or the error that stopped it)."""
        at = now()
        with self._tx() as db:
            if error is None:
                db.execute(
                    "INSERT INTO mailbox_status (name, account, folder, last_poll_at, last_success_at, backlog, "
                    "last_seconds) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                    "account = excluded.account, folder = excluded.folder, last_poll_at = excluded.last_poll_at, "
                    "last_success_at = excluded.last_success_at, backlog = excluded.backlog, "
                    "last_seconds = excluded.last_seconds",
                    (name, account, folder, at, at, backlog, seconds),
                )
            else:
                db.execute(
                    "INSERT INTO mailbox_status (name, account, folder, last_poll_at, last_error, last_error_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET account = excluded.account, "
                    "folder = excluded.folder, last_poll_at = excluded.last_poll_at, "
                    "last_error = excluded.last_error, last_error_at = excluded.last_error_at",
                    (name, account, folder, at, error, at),
                )

    def mailbox_status(self) -> dict[str, MailboxStatus]:
        """Each mailbox's latest poll, by mailbox name."""
        rows = self._db.execute(f"SELECT {columns(MailboxStatus)} FROM mailbox_status").fetchall()
        return {str(r["name"]): plain_row(MailboxStatus, r) for r in rows}

    def mailbox_counts(self, account: str) -> MailboxCounts:
        """The acknowledgements of one mailbox that are not done (pending, sending, unknown, failed)
        and its quarantined mail."""
        acks = tuple(
            (str(r["state"]), int(r["n"]))
            for r in self._db.execute(
                "SELECT a.state AS state, count(*) AS n FROM acks a JOIN messages m ON m.id = a.message_row "
                "WHERE m.account = ? AND a.state IN ('pending', 'sending', 'unknown', 'failed') GROUP BY a.state",
                (account,),
            )
        )
        row = self._db.execute(
            "SELECT count(*) AS n FROM messages WHERE account = ? AND action = 'quarantine'", (account,)
        ).fetchone()
        return MailboxCounts(acks=acks, quarantined=int(row["n"]))

    def lease_holder(self, name: str) -> tuple[str, float] | None:
        row = self._db.execute("SELECT owner, expires_at FROM leases WHERE name = ?", (name,)).fetchone()
        return (row["owner"], row["expires_at"]) if row else None
