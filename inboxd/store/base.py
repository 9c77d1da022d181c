"""The store's connection: a SQLite file (the default) or a PostgreSQL database.

Both speak the same SQL, written once for both (`?` placeholders, ON CONFLICT upserts,
RETURNING, CASE instead of scalar min/max); `inboxd.store.postgres` translates the
little that differs. Opening checks the database (SQLite: integrity; both: schema
version), refuses one that is damaged or newer, and migrates an older one.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

from inboxd.errors import StoreError, StoreUnavailable
from inboxd.store.schema import BASE, MIGRATIONS, VERSION

NO_LIMIT = 2**62  # for LIMIT ?: SQLite's -1 means "no limit", PostgreSQL refuses it

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


def store_error(path: str | Path, exc: sqlite3.Error) -> StoreError:
    """StoreUnavailable for a failure that may pass, StoreError for damage and misuse."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _TRANSIENT:  # extended codes carry the primary one in the low byte
        return StoreUnavailable(f"{path}: {exc}")
    return StoreError(f"{path}: {exc}")


def marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Db(Protocol):
    """What the store needs of a connection. Rows support row["column"] and row[0]."""

    where: str  # the file or the database, for messages
    dialect: str  # "sqlite" | "postgresql"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...
    def script(self, sql: str) -> None: ...
    def begin(self) -> None: ...
    def close(self) -> None: ...


class SqliteDb:
    """A SQLite file, with every error turned into StoreError (one clear line, no traceback)."""

    dialect = "sqlite"

    def __init__(self, path: Path, readonly: bool, *, check: bool = True):
        self.where = str(path)
        if readonly:
            if not path.exists():
                raise StoreError(f"{path}: no store yet (nothing has been processed)")
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
        conn.row_factory = sqlite3.Row
        self.conn = conn
        self.execute("PRAGMA busy_timeout = 10000")
        verdict = self.execute("PRAGMA quick_check").fetchone()[0] if check else "ok"
        if verdict != "ok":
            raise StoreError(f"{path}: the database is damaged ({verdict}); it was left untouched")
        if not readonly:
            self.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode: every commit survives a crash of inboxd, and the store stays
            # consistent after a power cut; the commits that must also survive a power cut
            # (a `sending` ack, the states applied on the IMAP server) are made durable with
            # `durable_commit`, which syncs the WAL and so everything committed before.
            self.execute("PRAGMA synchronous = NORMAL")
            self.execute("PRAGMA foreign_keys = ON")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise store_error(self.where, exc) from exc

    def script(self, sql: str) -> None:
        try:
            self.conn.executescript(sql)  # commits on its own: only for idempotent DDL
        except sqlite3.Error as exc:
            raise store_error(self.where, exc) from exc

    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE")  # take the write lock now, not half-way through

    def close(self) -> None:
        self.conn.close()


def is_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


class _Connection:
    """A connection and how deep the thread using it is inside `batch()` (> 0: its write
    transactions are savepoints of one)."""

    __slots__ = ("db", "depth")

    def __init__(self, db: Db):
        self.db = db
        self.depth = 0


class StoreBase:
    """Opens the store, refuses a damaged or newer one, migrates an older one.

    One object serves several threads: the tick's, and the senders beside it
    (`inboxd.sending`), each of which works `on_side_connection()`: a connection of its own,
    so that none sees another's transaction. Their write transactions take turns on a lock
    of this object (SQLite has one writer at a time; left to its busy handler, a waiting
    writer would sleep in steps of milliseconds).
    """

    def __init__(self, target: Path | str, *, readonly: bool = False, password: str | None = None):
        self.path = target
        self._readonly, self._password = readonly, password
        self._write_lock = threading.Lock()
        self._local = threading.local()  # .side: the _Connection of a thread on a side connection
        self._sides: list[_Connection] = []  # every side connection opened (closed by `close`)
        self._idle_sides: list[_Connection] = []  # those no thread is on now
        self._sides_lock = threading.Lock()
        try:
            self._main = _Connection(self._connect(check=True))
            if readonly:
                self._check_version()
            else:
                self._migrate()
        except (sqlite3.DatabaseError, StoreError) as exc:
            raise StoreError(f"{target}: cannot use the store: {exc} (it was left untouched)") from exc

    def _connect(self, *, check: bool) -> Db:
        if is_url(self.path):
            from inboxd.store.postgres import PostgresDb  # noqa: PLC0415 - only when PostgreSQL is used

            return PostgresDb(str(self.path), self._password, self._readonly)
        return SqliteDb(Path(self.path), self._readonly, check=check)

    @property
    def _conn(self) -> _Connection:
        side: _Connection | None = getattr(self._local, "side", None)
        return self._main if side is None else side

    @property
    def _db(self) -> Db:
        return self._conn.db

    @contextmanager
    def on_side_connection(self) -> Iterator[None]:
        """This thread's calls use a connection of its own: one no other thread is on, opened
        on first need and kept for the next (not checked again: the main connection's
        `quick_check` read the whole file)."""
        if getattr(self._local, "side", None) is not None:
            yield
            return
        with self._sides_lock:
            side = self._idle_sides.pop() if self._idle_sides else None
        if side is None:
            side = _Connection(self._connect(check=False))
            with self._sides_lock:
                self._sides.append(side)
        self._local.side = side
        try:
            yield
        finally:
            self._local.side = None
            with self._sides_lock:
                self._idle_sides.append(side)

    def close(self) -> None:
        with self._sides_lock:
            sides, self._sides, self._idle_sides = self._sides, [], []
        for side in sides:
            side.db.close()
        self._main.db.close()

    def _version(self) -> int:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except StoreError:
            return 0  # a new, empty database
        return int(row[0]) if row else 0

    def _check_version(self) -> None:
        version = self._version()
        if version > VERSION:
            raise StoreError(f"{self._db.where}: store schema {version} is newer than this inboxd ({VERSION})")

    def _set_version(self, db: Db, version: int) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(version),),
        )

    def _migrate(self) -> None:
        self._check_version()
        self._db.script(BASE)  # idempotent (IF NOT EXISTS)
        version = max(1, self._version())
        for target, statements in enumerate(MIGRATIONS, start=2):
            if version >= target:
                continue
            with self._tx() as db:
                if db.dialect == "postgresql":
                    db.execute("SELECT pg_advisory_xact_lock(7105541)")  # postgres.MIGRATION_LOCK
                if self._version() >= target:
                    version = target
                    continue  # another process migrated meanwhile
                for statement in statements:
                    db.execute(statement)
                self._set_version(db, target)
            version = target
        with self._tx() as db:
            self._set_version(db, version)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One commit for every write inside (claims of a fetched batch, its decisions).

        Each write inside keeps its all-or-nothing: it is a savepoint, rolled back alone
        when it fails. If the batch fails, none of it is committed, and the mails it
        held are handled again on the next tick, as after a crash. A commit per mail
        cost more than the writes themselves. No durable write (`sending`) may be in a
        batch: it must be on disk before its SMTP transaction starts.
        """
        conn = self._conn
        if conn.depth:
            yield
            return
        with self._tx():
            conn.depth = 1
            try:
                yield
            finally:
                conn.depth = 0

    @contextmanager
    def _tx(self, durable: bool = False) -> Iterator[Db]:
        """A write transaction; `durable`: it (and all before it) must survive a power cut too.

        SQLite: its COMMIT runs under synchronous = FULL, which syncs the WAL (a setting that
        can only change outside a transaction); PostgreSQL: every commit is durable.
        """
        conn = self._conn
        if conn.depth:
            if durable:
                raise RuntimeError("a durable write cannot be part of a batch: it would commit late")
            yield from self._savepoint(conn)
            return
        db = conn.db
        full = durable and isinstance(db, SqliteDb)
        with self._write_lock:
            if full:
                db.execute("PRAGMA synchronous = FULL")
            try:
                db.begin()
                try:
                    yield db
                except BaseException:
                    with suppress(StoreError):  # the original error is the one to report
                        db.execute("ROLLBACK")
                    raise
                try:
                    db.execute("COMMIT")
                except StoreError:
                    with suppress(StoreError):
                        db.execute("ROLLBACK")
                    raise
            finally:
                if full:
                    with suppress(StoreError):
                        db.execute("PRAGMA synchronous = NORMAL")

    def _savepoint(self, conn: _Connection) -> Iterator[Db]:
        name = f"write_{conn.depth}"
        conn.depth += 1
        db = conn.db
        try:
            db.execute(f"SAVEPOINT {name}")
            try:
                yield db
            except BaseException:
                with suppress(StoreError):
                    db.execute(f"ROLLBACK TO {name}")
                    db.execute(f"RELEASE {name}")
                raise
            db.execute(f"RELEASE {name}")
        finally:
            conn.depth -= 1

    def _make_durable(self) -> None:
        """Every commit so far survives a power cut (SQLite: a synced WAL; PostgreSQL: always)."""
        if isinstance(self._db, SqliteDb):
            with self._tx(durable=True) as db:  # a write, so that COMMIT has a WAL frame to sync
                db.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self._db.execute("SELECT action, count(*) AS n FROM messages GROUP BY action"):
            out[f"messages.{r['action'] or 'new'}"] = int(r["n"])
        for r in self._db.execute("SELECT state, count(*) AS n FROM acks GROUP BY state"):
            out[f"acks.{r['state']}"] = int(r["n"])
        return out
