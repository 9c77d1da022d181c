"""Leases: one worker per mailbox, taken over when the holder stops renewing."""

from __future__ import annotations

from inboxd.store.base import StoreBase, now


class LeasesMixin(StoreBase):
    def acquire_lease(self, name: str, owner: str, seconds: float) -> bool:
        """Take or renew the lease `name`; False while another owner holds an unexpired one."""
        at = now()
        with self._tx() as db:
            row = db.execute("SELECT owner, expires_at FROM leases WHERE name = ?", (name,)).fetchone()
            if row and row["owner"] != owner and row["expires_at"] > at:
                return False
            db.execute(
                "INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at",
                (name, owner, at + seconds),
            )
        return True

    def release_lease(self, name: str, owner: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))

    def lease_holder(self, name: str) -> tuple[str, float] | None:
        row = self._db.execute("SELECT owner, expires_at FROM leases WHERE name = ?", (name,)).fetchone()
        return (row["owner"], row["expires_at"]) if row else None
