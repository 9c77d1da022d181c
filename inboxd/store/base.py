"""The SQLite connection: opening and checking the file, transactions, migrations."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from inboxd.errors import StoreError, StoreUnavailable
from inboxd.store.schema import BASE, MIGRATIONS, VERSION

# SQLite result codes that say "not now" rather than "this file is broken": another
# process holds the lock, the disk is full, an I/O error, no memory. A transaction that
# fails with one of them is rolled back and can be tried again later.
_TRANSIENT = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
    }
)


def now() -> float:
    return time.time()


def store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """StoreUnavailable for a failure that may pass, StoreError for damage and misuse."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _TRANSIENT:  # extended codes carry the primary one in the low byte
        return StoreUnavailable(f"{path}: {exc}")
    return StoreError(f"{path}: {exc}")


def marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


class Db:
    """The connection, with every SQLite error turned into StoreError (one clear line, no traceback)."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc

    def executescript(self, sql: str) -> None:
        try:
            self.conn.executescript(sql)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc

    def close(self) -> None:
        self.conn.close()


class StoreBase:
    """Opens the file, refuses a damaged or newer one, migrates an older one."""

    def __init__(self, path: Path, *, readonly: bool = False):
        self.path = path
        try:
            if readonly:
                if not path.exists():
                    raise StoreError(f"{path}: no store yet (nothing has been processed)")
                conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
            conn.row_factory = sqlite3.Row
            self._db = Db(conn, path)
            self._db.execute("PRAGMA busy_timeout = 10000")
            check = self._db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError(f"{path}: the database is damaged ({check}); it was left untouched")
            if readonly:
                self._check_version()
            else:
                self._db.execute("PRAGMA journal_mode = WAL")
                # FULL: a committed `sending` must survive a power cut, or an ack could go out twice.
                self._db.execute("PRAGMA synchronous = FULL")
                self._db.execute("PRAGMA foreign_keys = ON")
                self._migrate()
        except (sqlite3.DatabaseError, StoreError) as exc:
            raise StoreError(f"{path}: cannot use the store: {exc} (the file was left untouched)") from exc

    def close(self) -> None:
        self._db.close()

    def _version(self) -> int:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except StoreError:
            return 0  # a new, empty file
        return int(row[0]) if row else 0

    def _check_version(self) -> None:
        version = self._version()
        if version > VERSION:
            raise StoreError(f"{self.path}: store schema {version} is newer than this inboxd ({VERSION})")

    def _migrate(self) -> None:
        self._check_version()
        # executescript commits on its own; the base DDL is idempotent (IF NOT EXISTS).
        self._db.executescript(BASE)
        version = max(1, self._version())
        for target, statements in enumerate(MIGRATIONS, start=2):
            if version >= target:
                continue
            with self._tx() as db:
                for statement in statements:
                    db.execute(statement)
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(target),))
            version = target
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(version),))

    @contextmanager
    def _tx(self) -> Iterator[Db]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            with suppress(StoreError):  # the original error is the one to report
                self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except StoreError:
            with suppress(StoreError):
                self._db.execute("ROLLBACK")
            raise

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self._db.execute("SELECT action, count(*) AS n FROM messages GROUP BY action"):
            out[f"messages.{r['action'] or 'new'}"] = int(r["n"])
        for r in self._db.execute("SELECT state, count(*) AS n FROM acks GROUP BY state"):
            out[f"acks.{r['state']}"] = int(r["n"])
        return out
