"""Message rows: checkpoints, claims, server sync.

Decisions are recorded by `inboxd.store.decisions`; the quarantine and the decided rows are
read by `inboxd.store.outcomes`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inboxd.store.base import StoreBase, marks, now
from inboxd.store.codec import mail_flags, missing_of
from inboxd.values import MessageKey

# Rows that stand for a mail handled elsewhere: never the "original" of a duplicate.
_NOT_ORIGINAL = "('superseded', 'retried')"


@dataclass(frozen=True, slots=True)
class Claim:
    row: int
    state: str  # new | decided
    duplicate_of: int | None


@dataclass(frozen=True, slots=True)
class SyncRow:
    """A decided message whose keywords/move are not yet applied on the server."""

    row: int
    uid: int
    action: str
    category: str | None
    missing: tuple[str, ...]
    ack_state: str | None
    ack_kind: str | None
    skip_reason: str | None
    escalation: str | None
    reopened: bool
    security_incident: bool
    lookalike: bool = False  # the mail links to a domain made to pass for an official one


class MessagesMixin(StoreBase):
    # -- checkpoints -----------------------------------------------------------------------

    def checkpoint(self, account: str, folder: str, uidvalidity: int) -> int:
        row = self._db.execute(
            "SELECT last_uid FROM checkpoints WHERE account = ? AND folder = ? AND uidvalidity = ?",
            (account, folder, uidvalidity),
        ).fetchone()
        return int(row[0]) if row else 0

    def set_checkpoint(self, account: str, folder: str, uidvalidity: int, last_uid: int) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO checkpoints (account, folder, uidvalidity, last_uid, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (account, folder, uidvalidity) DO UPDATE SET "
                "last_uid = CASE WHEN excluded.last_uid > checkpoints.last_uid THEN excluded.last_uid "
                "ELSE checkpoints.last_uid END, updated_at = excluded.updated_at",
                (account, folder, uidvalidity, last_uid, now()),
            )

    # -- claims ----------------------------------------------------------------------------

    def known_states(self, account: str, folder: str, uidvalidity: int, uids: Sequence[int]) -> dict[int, str]:
        if not uids:
            return {}
        rows = self._db.execute(
            "SELECT uid, state FROM messages WHERE account = ? AND folder = ? AND uidvalidity = ? "
            f"AND uid IN ({marks(uids)})",
            (account, folder, uidvalidity, *uids),
        ).fetchall()
        return {int(r["uid"]): str(r["state"]) for r in rows}

    def pending_uids(self, account: str, folder: str, uidvalidity: int) -> list[int]:
        """UIDs claimed but not decided (a crash mid-batch, or a quarantine retry in place)."""
        rows = self._db.execute(
            "SELECT uid FROM messages WHERE account = ? AND folder = ? AND uidvalidity = ? AND state = 'new' "
            "ORDER BY uid",
            (account, folder, uidvalidity),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def claim(self, key: MessageKey, message_id: str | None, content_hash: str | None, size: int) -> Claim:
        """Record that this message is being handled; idempotent by key.

        A message whose Message-ID or content hash was already seen in this account
        (a copy, a re-sent mail, a rebuilt folder with new UIDs) is recorded as a
        duplicate of the first and decided at once: it never gets a second ack.
        """
        at = now()
        with self._tx() as db:
            row = db.execute(
                "SELECT id, state, duplicate_of FROM messages "
                "WHERE account = ? AND folder = ? AND uidvalidity = ? AND uid = ?",
                (key.account, key.folder, key.uidvalidity, key.uid),
            ).fetchone()
            if row:
                return Claim(int(row["id"]), str(row["state"]), row["duplicate_of"])
            # One indexed lookup per column (an OR of the two reads every row of the
            # account, once per claim), the first recorded of either.
            found = [
                db.execute(
                    "SELECT id, state FROM messages WHERE account = ? AND duplicate_of IS NULL "
                    f"AND coalesce(skip_reason, '') NOT IN {_NOT_ORIGINAL} AND {column} = ? ORDER BY id LIMIT 1",
                    (key.account, value),
                ).fetchone()
                for column, value in (("message_id", message_id), ("content_hash", content_hash))
                if value
            ]
            original = min((r for r in found if r), key=lambda r: int(r["id"]), default=None)
            if original and original["state"] == "decided":
                cur = db.execute(
                    "INSERT INTO messages (account, folder, uidvalidity, uid, message_id, content_hash, size, state, "
                    "action, skip_reason, reason, duplicate_of, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'decided', 'skip', 'duplicate', ?, ?, ?, ?) RETURNING id",
                    (
                        key.account, key.folder, key.uidvalidity, key.uid, message_id, content_hash, size,
                        f"same message as record {original['id']}", original["id"], at, at,
                    ),
                )  # fmt: skip
                return Claim(int(cur.fetchone()["id"]), "decided", int(original["id"]))
            cur = db.execute(
                "INSERT INTO messages (account, folder, uidvalidity, uid, message_id, content_hash, size, state, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'new', ?, ?) RETURNING id",
                (key.account, key.folder, key.uidvalidity, key.uid, message_id, content_hash, size, at, at),
            )
            new_row = int(cur.fetchone()["id"])
            if original:
                # The same mail was claimed under another key and never decided (a crash,
                # then the folder was rebuilt or the mail copied): this copy takes its place,
                # so the mail is handled once and not left undecided for good.
                db.execute(
                    "UPDATE messages SET state = 'decided', action = 'skip', skip_reason = 'superseded', "
                    "reason = ?, duplicate_of = ?, synced = 1, updated_at = ? WHERE id = ?",
                    (f"handled as record {new_row}", new_row, at, original["id"]),
                )
            return Claim(new_row, "new", None)

    # -- server sync -----------------------------------------------------------------------

    def unsynced(self, account: str, folder: str, uidvalidity: int, limit: int = 2000) -> list[SyncRow]:
        """Decided messages of this folder whose keywords are not on the server yet.

        A mail seen again because its folder was rebuilt (same folder, new UIDVALIDITY) is
        the same mail, not another copy: it shows how the original was handled (its ack
        state included, so it waits while that ack is pending), not `$Inboxd-Skipped`.
        """
        rows = self._db.execute(
            "SELECT m.id, m.uid, s.action, s.category, s.missing, s.skip_reason, s.escalation, s.facts, "
            "a.state AS ack_state, a.kind AS ack_kind "
            "FROM messages m LEFT JOIN messages o ON o.id = m.duplicate_of AND o.account = m.account "
            "AND o.folder = m.folder AND o.uidvalidity != m.uidvalidity "
            "JOIN messages s ON s.id = coalesce(o.id, m.id) LEFT JOIN acks a ON a.message_row = s.id "
            "WHERE m.account = ? AND m.folder = ? AND m.uidvalidity = ? AND m.state = 'decided' AND m.synced = 0 "
            "ORDER BY m.uid LIMIT ?",
            (account, folder, uidvalidity, limit),
        ).fetchall()
        result = [
            SyncRow(
                row=int(r["id"]),
                uid=int(r["uid"]),
                action=str(r["action"]),
                category=r["category"],
                missing=missing_of(r["missing"]),
                ack_state=r["ack_state"],
                ack_kind=r["ack_kind"],
                skip_reason=r["skip_reason"],
                escalation=r["escalation"],
                reopened=bool(r["escalation"] and str(r["escalation"]).startswith("reopened")),
                # This mail itself carried a customer secret (kinds only are stored).
                security_incident=flags[0],
                lookalike=flags[1],
            )
            for r in rows
            for flags in (mail_flags(r["facts"]),)
        ]
        if result:
            # They are about to be applied on the IMAP server: first make their states durable.
            self._make_durable()
        return result

    def mark_synced(self, rows: Sequence[int]) -> None:
        if not rows:
            return
        with self._tx() as db:
            db.execute(f"UPDATE messages SET synced = 1, updated_at = ? WHERE id IN ({marks(rows)})", (now(), *rows))
