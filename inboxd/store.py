"""The state of inboxd: checkpoints, messages, tickets, acknowledgements, leases.

The only module that speaks SQL; SQLite by default (one file, no server). Every
state change is one transaction, committed before anything is done on a server,
which is what makes the state machine below crash-safe.

Message (one row per mailbox key; a row is never deleted):

    new ──decide──▶ decided(action = ack | skip | quarantine) ──sync──▶ synced

Acknowledgement (at most one per message, enforced by a UNIQUE constraint):

    pending ──▶ sending ──▶ sent
       ▲           │ ├──▶ failed    (5xx: recorded, never retried)
       └─ retry ◀──┘ └──▶ unknown   (crash or broken connection after DATA:
         (4xx/down,                   a human decides with `inboxd acks`)
          backoff)

`sending` is committed *before* the SMTP transaction starts and `sent` right after
it ends. A process that dies between the two leaves `sending`; the next run turns
it into `unknown` instead of sending again: a customer may miss an
acknowledgement (a human is told) but never gets two. That is the one window.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inboxd.errors import StoreError
from inboxd.models import Decision, MessageKey, OutgoingMail, ParsedEmail

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (
    account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL,
    last_uid INTEGER NOT NULL, updated_at REAL NOT NULL,
    PRIMARY KEY (account, folder, uidvalidity)
);
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ref TEXT UNIQUE,
    customer TEXT NOT NULL, subject TEXT NOT NULL, category TEXT NOT NULL, language TEXT NOT NULL,
    state TEXT NOT NULL, priority TEXT NOT NULL DEFAULT 'normal',
    missing TEXT NOT NULL DEFAULT '[]',
    created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,
    message_id TEXT, content_hash TEXT, size INTEGER,
    state TEXT NOT NULL DEFAULT 'new',
    action TEXT, skip_reason TEXT, reason TEXT,
    sender TEXT, subject TEXT, language TEXT, category TEXT, confidence REAL, rule TEXT,
    facts TEXT, missing TEXT,
    ticket_id INTEGER REFERENCES tickets(id),
    duplicate_of INTEGER REFERENCES messages(id),
    synced INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL, updated_at REAL NOT NULL,
    UNIQUE (account, folder, uidvalidity, uid)
);
CREATE INDEX IF NOT EXISTS messages_message_id ON messages (account, message_id);
CREATE INDEX IF NOT EXISTS messages_hash ON messages (account, content_hash);
CREATE INDEX IF NOT EXISTS messages_unsynced ON messages (account, folder, uidvalidity) WHERE synced = 0;
CREATE TABLE IF NOT EXISTS acks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_row INTEGER NOT NULL UNIQUE REFERENCES messages(id),
    ticket_id INTEGER REFERENCES tickets(id),
    to_addr TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE, in_reply_to TEXT, refs TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL, sent_at REAL
);
CREATE INDEX IF NOT EXISTS acks_state ON acks (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at REAL NOT NULL);
"""

ACK_TERMINAL = ("sent", "failed", "unknown", "cancelled")


@dataclass(frozen=True, slots=True)
class Claim:
    row: int
    state: str  # new | decided
    duplicate_of: int | None


@dataclass(frozen=True, slots=True)
class AckRow:
    id: int
    message_row: int
    ticket_ref: str | None
    mail: OutgoingMail
    state: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class SyncRow:
    """A decided message whose keywords/move are not yet applied on the server."""

    row: int
    uid: int
    action: str
    category: str | None
    missing: tuple[str, ...]
    ack_state: str | None


def _now() -> float:
    return time.time()


class _Db:
    """The connection, with every SQLite error turned into StoreError (one clear line, no traceback)."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from exc

    def executescript(self, sql: str) -> None:
        try:
            self.conn.executescript(sql)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from exc

    def close(self) -> None:
        self.conn.close()


class Store:
    """SQLite-backed state. One instance per process; not shared between threads at once."""

    def __init__(self, path: Path, *, readonly: bool = False):
        self.path = path
        try:
            if readonly:
                if not path.exists():
                    raise StoreError(f"{path}: no store yet (nothing has been processed)")
                uri = f"file:{path}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
            conn.row_factory = sqlite3.Row
            self._db = _Db(conn, path)
            self._db.execute("PRAGMA busy_timeout = 10000")
            check = self._db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError(f"{path}: the database is damaged ({check}); it was left untouched")
            if not readonly:
                self._db.execute("PRAGMA journal_mode = WAL")
                # FULL: a committed `sending` must survive a power cut, or an ack could go out twice.
                self._db.execute("PRAGMA synchronous = FULL")
                self._db.execute("PRAGMA foreign_keys = ON")
                self._migrate()
            else:
                self._check_version()
        except (sqlite3.DatabaseError, StoreError) as exc:
            raise StoreError(f"{path}: cannot use the store: {exc} (the file was left untouched)") from exc

    def close(self) -> None:
        self._db.close()

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: store schema {version} is newer than this inboxd ({SCHEMA_VERSION})")

    def _migrate(self) -> None:
        # executescript commits on its own; the DDL is idempotent (IF NOT EXISTS).
        self._db.executescript(_SCHEMA)
        with self._tx() as db:
            self._check_version()
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    @contextmanager
    def _tx(self) -> Iterator[_Db]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            with contextlib.suppress(StoreError):  # the original error is the one to report
                self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except StoreError:
            with suppress(StoreError):
                self._db.execute("ROLLBACK")
            raise

    # -- leases: one worker per mailbox ---------------------------------------------------

    def acquire_lease(self, name: str, owner: str, seconds: float) -> bool:
        """Take or renew the lease `name`; False while another owner holds an unexpired one."""
        now = _now()
        with self._tx() as db:
            row = db.execute("SELECT owner, expires_at FROM leases WHERE name = ?", (name,)).fetchone()
            if row and row["owner"] != owner and row["expires_at"] > now:
                return False
            db.execute(
                "INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at",
                (name, owner, now + seconds),
            )
        return True

    def release_lease(self, name: str, owner: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))

    def lease_holder(self, name: str) -> tuple[str, float] | None:
        row = self._db.execute("SELECT owner, expires_at FROM leases WHERE name = ?", (name,)).fetchone()
        return (row["owner"], row["expires_at"]) if row else None

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
                "last_uid = max(last_uid, excluded.last_uid), updated_at = excluded.updated_at",
                (account, folder, uidvalidity, last_uid, _now()),
            )

    # -- messages --------------------------------------------------------------------------

    def known_states(self, account: str, folder: str, uidvalidity: int, uids: Sequence[int]) -> dict[int, str]:
        if not uids:
            return {}
        marks = ",".join("?" * len(uids))
        rows = self._db.execute(
            "SELECT uid, state FROM messages WHERE account = ? AND folder = ? AND uidvalidity = ? "
            f"AND uid IN ({marks})",
            (account, folder, uidvalidity, *uids),
        ).fetchall()
        return {int(r["uid"]): str(r["state"]) for r in rows}

    def claim(self, key: MessageKey, message_id: str | None, content_hash: str | None, size: int) -> Claim:
        """Record that this message is being handled; idempotent by key.

        A message whose Message-ID or content hash was already seen in this account
        (a copy, a re-sent mail, a rebuilt folder with new UIDs) is recorded as a
        duplicate of the first and decided at once: it never gets a second ack.
        """
        now = _now()
        with self._tx() as db:
            row = db.execute(
                "SELECT id, state, duplicate_of FROM messages "
                "WHERE account = ? AND folder = ? AND uidvalidity = ? AND uid = ?",
                (key.account, key.folder, key.uidvalidity, key.uid),
            ).fetchone()
            if row:
                return Claim(int(row["id"]), str(row["state"]), row["duplicate_of"])
            original = None
            if message_id or content_hash:
                original = db.execute(
                    "SELECT id, state FROM messages WHERE account = ? AND duplicate_of IS NULL "
                    "AND coalesce(skip_reason, '') != 'superseded' AND "
                    "((? IS NOT NULL AND message_id = ?) OR (? IS NOT NULL AND content_hash = ?)) ORDER BY id LIMIT 1",
                    (key.account, message_id, message_id, content_hash, content_hash),
                ).fetchone()
            if original and original["state"] == "decided":
                cur = db.execute(
                    "INSERT INTO messages (account, folder, uidvalidity, uid, message_id, content_hash, size, state, "
                    "action, skip_reason, reason, duplicate_of, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'decided', 'skip', 'duplicate', ?, ?, ?, ?)",
                    (
                        key.account,
                        key.folder,
                        key.uidvalidity,
                        key.uid,
                        message_id,
                        content_hash,
                        size,
                        f"same message as record {original['id']}",
                        original["id"],
                        now,
                        now,
                    ),
                )
                return Claim(int(cur.lastrowid or 0), "decided", int(original["id"]))
            cur = db.execute(
                "INSERT INTO messages (account, folder, uidvalidity, uid, message_id, content_hash, size, state, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'new', ?, ?)",
                (key.account, key.folder, key.uidvalidity, key.uid, message_id, content_hash, size, now, now),
            )
            new_row = int(cur.lastrowid or 0)
            if original:
                # The same mail was claimed under another key and never decided (a crash,
                # then the folder was rebuilt or the mail copied): this copy takes its place,
                # so the mail is handled once and not left undecided for good.
                db.execute(
                    "UPDATE messages SET state = 'decided', action = 'skip', skip_reason = 'superseded', "
                    "reason = ?, duplicate_of = ?, synced = 1, updated_at = ? WHERE id = ?",
                    (f"handled as record {new_row}", new_row, now, original["id"]),
                )
            return Claim(new_row, "new", None)

    def record_decision(
        self,
        row: int,
        mail: ParsedEmail | None,
        decision: Decision,
        ticket_prefix: str,
        render: Callable[[str], OutgoingMail] | None = None,
    ) -> str | None:
        """Commit the decision for a claimed message, and for an ack its ticket and pending ack.

        `render(ticket_ref)` builds the acknowledgement once the ticket number is known;
        it runs inside the transaction so the ticket, the ack and the decision land together.
        Returns the ticket reference, if one was opened.
        """
        now = _now()
        c = decision.classification
        facts = _facts_json(decision)
        with self._tx() as db:
            state = db.execute("SELECT state FROM messages WHERE id = ?", (row,)).fetchone()
            if state is None or state["state"] != "new":
                return None  # decided already (by an earlier run): never decide twice
            if mail is not None:
                # A duplicate seen only now that the body is parsed (same Message-ID under
                # a new UID that the claim could not know because the ID was unknown).
                original = db.execute(
                    "SELECT id FROM messages WHERE account = (SELECT account FROM messages WHERE id = ?) "
                    "AND id != ? AND duplicate_of IS NULL AND state = 'decided' "
                    "AND (message_id = ? OR content_hash = ?) "
                    "ORDER BY id LIMIT 1",
                    (row, row, mail.message_id, mail.content_hash),
                ).fetchone()
                if original:
                    db.execute(
                        "UPDATE messages SET state = 'decided', action = 'skip', skip_reason = 'duplicate', "
                        "reason = ?, duplicate_of = ?, message_id = ?, content_hash = ?, updated_at = ? WHERE id = ?",
                        (
                            f"same message as record {original['id']}",
                            original["id"],
                            mail.message_id,
                            mail.content_hash,
                            now,
                            row,
                        ),
                    )
                    return None
            ticket_ref: str | None = None
            ticket_id: int | None = None
            if render is not None and mail is not None and c is not None:
                cur = db.execute(
                    "INSERT INTO tickets "
                    "(customer, subject, category, language, state, missing, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        mail.reply_to,
                        mail.subject,
                        c.category,
                        decision.language,
                        "waiting" if decision.missing else "open",
                        json.dumps(list(decision.missing)),
                        now,
                        now,
                    ),
                )
                ticket_id = int(cur.lastrowid or 0)
                ticket_ref = f"{ticket_prefix}-{ticket_id:06d}"
                db.execute("UPDATE tickets SET ref = ? WHERE id = ?", (ticket_ref, ticket_id))
                ack = render(ticket_ref)
                db.execute(
                    "INSERT INTO acks (message_row, ticket_id, to_addr, subject, body, message_id, in_reply_to, refs, "
                    "state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                    (
                        row,
                        ticket_id,
                        ack.to,
                        ack.subject,
                        ack.body,
                        ack.message_id,
                        ack.in_reply_to,
                        json.dumps(list(ack.references)),
                        now,
                        now,
                    ),
                )
            db.execute(
                "UPDATE messages SET state = 'decided', action = ?, skip_reason = ?, reason = ?, sender = ?, "
                "subject = ?, language = ?, category = ?, confidence = ?, rule = ?, facts = ?, missing = ?, "
                "ticket_id = ?, message_id = coalesce(?, message_id), content_hash = coalesce(?, content_hash), "
                "updated_at = ? WHERE id = ?",
                (
                    decision.action.value,
                    decision.skip_reason.value if decision.skip_reason else None,
                    decision.reason or None,
                    mail.sender if mail else None,
                    mail.subject if mail else None,
                    decision.language,
                    c.category if c else None,
                    c.confidence if c else None,
                    c.rule if c else None,
                    facts,
                    json.dumps(list(decision.missing)),
                    ticket_id,
                    mail.message_id if mail else None,
                    mail.content_hash if mail else None,
                    now,
                    row,
                ),
            )
        return ticket_ref

    # -- acknowledgements ------------------------------------------------------------------

    def _ack_rows(self, where: str, params: Sequence[Any], limit: int = -1) -> list[AckRow]:
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

    def acks_due(self, now: float | None = None, limit: int = 10_000) -> list[AckRow]:
        return self._ack_rows(
            "a.state = 'pending' AND a.next_attempt_at <= ?", (now if now is not None else _now(),), limit
        )

    def acks(self, state: str | None = None) -> list[AckRow]:
        return self._ack_rows("a.state = ?", (state,)) if state else self._ack_rows("1 = 1", ())

    def ack(self, ack_id: int) -> AckRow | None:
        rows = self._ack_rows("a.id = ?", (ack_id,))
        return rows[0] if rows else None

    def _set_ack(self, ack_id: int, state: str, expect: Sequence[str], **fields: Any) -> bool:
        sets = ", ".join(f"{k} = ?" for k in fields)
        marks = ",".join("?" * len(expect))
        with self._tx() as db:
            cur = db.execute(
                f"UPDATE acks SET state = ?, updated_at = ?{', ' + sets if sets else ''} "
                f"WHERE id = ? AND state IN ({marks})",
                (state, _now(), *fields.values(), ack_id, *expect),
            )
            return cur.rowcount == 1

    def mark_sending(self, ack_id: int) -> bool:
        """Commit the intent to send. False if the ack is no longer pending (never send then)."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE acks SET state = 'sending', attempts = attempts + 1, updated_at = ? "
                "WHERE id = ? AND state = 'pending'",
                (_now(), ack_id),
            )
            return cur.rowcount == 1

    def mark_sent(self, ack_id: int) -> None:
        self._set_ack(ack_id, "sent", ("sending",), sent_at=_now(), last_error=None)

    def mark_retry(self, ack_id: int, error: str, next_attempt_at: float) -> None:
        self._set_ack(ack_id, "pending", ("sending",), last_error=error, next_attempt_at=next_attempt_at)

    def mark_failed(self, ack_id: int, error: str) -> None:
        self._set_ack(ack_id, "failed", ("sending", "pending"), last_error=error)

    def mark_unknown(self, ack_id: int, error: str) -> None:
        self._set_ack(ack_id, "unknown", ("sending",), last_error=error)

    def recover_interrupted(self) -> list[int]:
        """Acks left in `sending` by a process that died: their fate is unknown. Call under the lease."""
        with self._tx() as db:
            rows = [int(r[0]) for r in db.execute("SELECT id FROM acks WHERE state = 'sending'").fetchall()]
            db.execute(
                "UPDATE acks SET state = 'unknown', updated_at = ?, "
                "last_error = 'inboxd stopped during the SMTP transaction: it may or may not have been delivered' "
                "WHERE state = 'sending'",
                (_now(),),
            )
            if rows:
                marks = ",".join("?" * len(rows))
                db.execute(
                    f"UPDATE messages SET synced = 0 WHERE id IN (SELECT message_row FROM acks WHERE id IN ({marks}))",
                    rows,
                )
        return rows

    def resolve_unknown(self, ack_id: int, resolution: str) -> bool:
        """A human's answer for an unknown ack: 'sent' (it arrived), 'resend' or 'cancel'."""
        target = {"sent": "sent", "resend": "pending", "cancel": "cancelled"}[resolution]
        changed = self._set_ack(ack_id, target, ("unknown", "failed"), next_attempt_at=0)
        if changed:
            with self._tx() as db:
                db.execute(
                    "UPDATE messages SET synced = 0 WHERE id = (SELECT message_row FROM acks WHERE id = ?)",
                    (ack_id,),
                )
        return changed

    # -- server sync -----------------------------------------------------------------------

    def unsynced(self, account: str, folder: str, uidvalidity: int, limit: int = 2000) -> list[SyncRow]:
        rows = self._db.execute(
            "SELECT m.id, m.uid, m.action, m.category, m.missing, a.state AS ack_state FROM messages m "
            "LEFT JOIN acks a ON a.message_row = m.id "
            "WHERE m.account = ? AND m.folder = ? AND m.uidvalidity = ? AND m.state = 'decided' AND m.synced = 0 "
            "ORDER BY m.uid LIMIT ?",
            (account, folder, uidvalidity, limit),
        ).fetchall()
        return [
            SyncRow(
                row=int(r["id"]),
                uid=int(r["uid"]),
                action=str(r["action"]),
                category=r["category"],
                missing=tuple(json.loads(r["missing"] or "[]")),
                ack_state=r["ack_state"],
            )
            for r in rows
        ]

    def mark_synced(self, rows: Sequence[int]) -> None:
        if not rows:
            return
        with self._tx() as db:
            marks = ",".join("?" * len(rows))
            db.execute(f"UPDATE messages SET synced = 1, updated_at = ? WHERE id IN ({marks})", (_now(), *rows))

    # -- queries for operators ---------------------------------------------------------------

    def message_rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(
            "SELECT m.*, t.ref AS ticket_ref, a.state AS ack_state, a.subject AS ack_subject, "
            "a.last_error AS ack_error "
            "FROM messages m LEFT JOIN tickets t ON t.id = m.ticket_id LEFT JOIN acks a ON a.message_row = m.id "
            f"WHERE m.id IN ({marks}) ORDER BY m.id",
            tuple(ids),
        ).fetchall()
        return [dict(r) for r in rows]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self._db.execute("SELECT action, count(*) AS n FROM messages GROUP BY action"):
            out[f"messages.{r['action'] or 'new'}"] = int(r["n"])
        for r in self._db.execute("SELECT state, count(*) AS n FROM acks GROUP BY state"):
            out[f"acks.{r['state']}"] = int(r["n"])
        return out


def _facts_json(decision: Decision) -> str:
    f = decision.facts
    return json.dumps(
        {
            "tx_ids": [{"value": t.value, "chain": t.chain} for t in f.tx_ids],
            "order_ids": list(f.order_ids),
            "amounts": [{"value": a.value, "asset": a.asset, "network": a.network} for a in f.amounts],
            "times": [
                {"text": t.text, "value": t.value.isoformat() if t.value else None, "precision": t.precision}
                for t in f.times
            ],
            "account_ids": [{"kind": a.kind, "value": a.value} for a in f.account_ids],
            "addresses": [{"value": a.value, "chain": a.chain, "valid": a.valid} for a in f.addresses],
            "secrets": [{"kind": s.kind} for s in f.secrets],
        },
        ensure_ascii=False,
    )
