"""One run's world: real servers on loopback, a config, and `inboxd run` as child processes.

Everything inboxd talks to is real: a private Dovecot (so that it can be stopped,
restarted and rebuilt), an aiosmtpd sink that records what it accepts, and, where a
scenario wants to break connections, a TCP proxy between the two. inboxd runs as
`python -m inboxd run`, exactly as an operator starts it, so SIGKILL kills what
production would lose. The world reads the store only to see when the daemon is
done (`settled`); what happened is counted elsewhere from the servers (`verify`).
"""

from __future__ import annotations

import imaplib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testbed.dovecot import Dovecot, free_port
from testbed.model import trained_model as testbed_model
from testbed.smtpsink import SmtpSink
from testbed.tcpproxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]
USER = "support@exchange.test"
PASSWORD = "fault-suite-password"
KEYWORD_PREFIX = "$Inboxd-"


def trained_model(cache: Path) -> Path:
    """The repo's classifier, trained once into `cache` and reused while it is current."""
    return testbed_model(cache, ROOT / "classifiers")


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def write_config(path: Path, sections: dict[str, dict[str, object]]) -> Path:
    lines = []
    for section, keys in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in keys.items())
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# What multiprocessing's resource tracker (it outlives an inboxd killed with its worker pool
# running) prints while it removes the semaphores the killed process could not.
_TRACKER_NOTICE = re.compile(
    r"resource_tracker: There appear to be \d+ leaked semaphore objects|^\s*warnings\.warn\('resource_tracker: "
)


class DaemonProcess:
    """`inboxd run` in a child process, its stderr (JSON log lines) in a file."""

    def __init__(self, world: World, name: str, faults: str | None = None):
        self.name = name
        self.log_path = world.root / "logs" / f"{name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.pop("INBOXD_FAULTS", None)
        if faults:
            env["INBOXD_FAULTS"] = faults
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "inboxd", "--config", str(world.config_path), "--log-format", "json", "run"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
                cwd=world.root,
            )
        self.started = time.monotonic()

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> bool:
        """SIGKILL; True if it was still running (the kill counts)."""
        if not self.alive():
            return False
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        return True

    def terminate(self, timeout: float = 60.0) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return -9

    def events(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                out.append({"level": "raw", "message": line})
                continue
            if isinstance(record, dict):
                out.append(record)
        return out

    def ticks(self) -> int:
        """Ticks completed so far."""
        return self.log_path.read_bytes().count(b'"event": "tick",') if self.log_path.exists() else 0

    def running(self) -> bool:
        """It got past start-up (config, model) and scheduled its first tick."""
        return self.log_path.exists() and b'"event": "started"' in self.log_path.read_bytes()

    def problems(self) -> list[str]:
        """Tracebacks and unexpected errors in its log: each one is a bug to look at."""
        found = []
        for e in self.events():
            text = str(e.get("message", ""))
            if e.get("level") == "raw" and _TRACKER_NOTICE.search(text):
                continue  # the worker pool's semaphores, cleaned up after a SIGKILL: expected
            if "exception" in e or "Traceback" in text or (e.get("level") == "raw" and text.strip()):
                found.append(f"{self.name}: {text[:200]} {str(e.get('exception', ''))[-300:]}".strip())
        return found


class GarbageServer:
    """Speaks garbage on a TCP port: `payload` for every client, then hangs up."""

    def __init__(self, payload: bytes, linger: float = 0.3):
        self.payload = payload
        self.linger = linger
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        self.clients = 0

    def start(self) -> None:
        self._sock.listen(16)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            self.clients += 1
            try:
                if self.payload:
                    client.sendall(self.payload)
                time.sleep(self.linger)
            except OSError:
                pass
            client.close()

    def stop(self) -> None:
        self._sock.close()


@dataclass
class World:
    """Servers and config for one run. `start()`, then `close()` (also on failure)."""

    root: Path
    model: Path
    proxy: bool = False
    store_dir: Path | None = None
    overrides: dict[str, dict[str, object]] = field(default_factory=dict)
    dovecot: Dovecot = field(init=False)
    sink: SmtpSink = field(init=False)
    tcp: TcpProxy | None = field(init=False, default=None)
    config_path: Path = field(init=False)
    daemons: list[DaemonProcess] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.dovecot = Dovecot(self.root / "dovecot", users={USER: PASSWORD})
        self.sink = SmtpSink(self.root / "sink", free_port())

    @property
    def store_path(self) -> Path:
        return (self.store_dir or self.root / "state") / "inboxd.sqlite3"

    def start(self) -> World:
        self.dovecot.start()
        self.sink.start()
        imap_port = self.dovecot.port
        if self.proxy:
            self.tcp = TcpProxy(self.dovecot.port)
            self.tcp.start()
            imap_port = self.tcp.port
        (self.root / "imap-password").write_text(PASSWORD + "\n")
        sections: dict[str, dict[str, object]] = {
            "imap": {
                "host": "127.0.0.1",
                "port": imap_port,
                "security": "none",
                "username": USER,
                "password_file": "imap-password",
                "batch_size": 25,
                "timeout_seconds": 10,
            },
            "smtp": {
                "host": "127.0.0.1",
                "port": self.sink.port,
                "security": "none",
                "from_address": USER,
                "from_name": "Exchange Support",
                "timeout_seconds": 10,
            },
            "store": {"path": str(self.store_path)},
            "schedule": {"interval_seconds": 1, "lease_seconds": 10},
            "classifier": {"dir": str(ROOT / "classifiers"), "model_path": str(self.model)},
            "templates": {"dir": str(ROOT / "templates")},
            # Hundreds of copies share a few sender domains: the per-domain and hourly limits
            # would decide which are answered, and this suite checks crash safety, not those.
            "ack": {"retry_base_seconds": 1, "max_per_sender_domain": 100_000, "max_per_hour": 100_000},
            # Every generated customer mail wants its one acknowledgement, pitches included.
            "spam": {"unsolicited_confidence": 0},
            "limits": {"max_message_bytes": 200_000},
        }
        for section, keys in self.overrides.items():
            sections.setdefault(section, {}).update(keys)
        self.config_path = write_config(self.root / "config.toml", sections)
        return self

    def close(self) -> None:
        for daemon in self.daemons:
            daemon.kill()
        if self.tcp is not None:
            self.tcp.stop()
        self.sink.stop()
        self.dovecot.stop()

    # -- mail -----------------------------------------------------------------------------------

    def deliver(self, raws: Iterable[bytes]) -> None:
        self.dovecot.append_many(list(raws), user=USER)

    def folders(self) -> list[str]:
        return self.dovecot.folders(USER)

    def server_mail(self) -> dict[str, dict[int, tuple[set[str], bytes]]]:
        """{folder: {uid: (flags, raw)}}, read with the standard library's imaplib."""
        return {folder: self.dovecot.messages(folder, USER) for folder in self.folders()}

    def uidvalidity(self, folder: str = "INBOX") -> int:
        client = self.dovecot.connect(USER)
        try:
            client.select(folder, readonly=True)
            _, data = client.response("UIDVALIDITY")
            return int(data[0])
        finally:
            client.logout()

    def unmarked(self) -> int:
        """Mails in the polled folder that carry no inboxd keyword yet (not handled, as agents see it)."""
        client = self.dovecot.connect(USER)
        try:
            typ, _ = client.select("INBOX", readonly=True)
            if typ != "OK":
                return 0
            _, data = client.uid("FETCH", "1:*", "(FLAGS)")
        finally:
            client.logout()
        return sum(1 for item in data if isinstance(item, bytes) and KEYWORD_PREFIX.encode() not in item)

    # -- the daemon -----------------------------------------------------------------------------

    def daemon(self, name: str, faults: str | None = None) -> DaemonProcess:
        process = DaemonProcess(self, name, faults)
        self.daemons.append(process)
        return process

    def cli(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "INBOXD_FAULTS"}
        return subprocess.run(
            [sys.executable, "-m", "inboxd", "--config", str(self.config_path), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=self.root,
            check=False,
        )

    def store_progress(self) -> dict[str, int] | None:
        """How far the store says the daemon got (None while it cannot be read)."""
        if not self.store_path.exists():
            return None
        try:
            conn = sqlite3.connect(f"file:{self.store_path}?mode=ro", uri=True, timeout=1)
        except sqlite3.Error:
            return None
        try:
            uidvalidity = self.uidvalidity()
            one = lambda sql, *p: int(conn.execute(sql, p).fetchone()[0] or 0)  # noqa: E731
            return {
                "new": one("SELECT count(*) FROM messages WHERE state = 'new'"),
                "unsynced": one("SELECT count(*) FROM messages WHERE synced = 0 AND uidvalidity = ?", uidvalidity),
                "open_acks": one("SELECT count(*) FROM acks WHERE state IN ('pending', 'sending')"),
                "decided": one("SELECT count(*) FROM messages WHERE state = 'decided'"),
                "checkpoint": one(
                    "SELECT max(last_uid) FROM checkpoints WHERE folder = 'INBOX' AND uidvalidity = ?", uidvalidity
                ),
            }
        except (sqlite3.Error, OSError, ValueError, imaplib.IMAP4.error):
            return None
        finally:
            conn.close()

    def max_uid(self) -> int:
        client = self.dovecot.connect(USER)
        try:
            client.select("INBOX", readonly=True)
            _, data = client.uid("SEARCH", "ALL")
        finally:
            client.logout()
        uids = [int(u) for u in data[0].split()] if data and data[0] else []
        return max(uids, default=0)

    def settled(self) -> bool:
        """Nothing left to do: every mail fetched, decided, its ack in a final state, the server marked."""
        try:
            progress = self.store_progress()
            if progress is None:
                return False
            if progress["new"] or progress["unsynced"] or progress["open_acks"]:
                return False
            return progress["checkpoint"] >= self.max_uid() and self.unmarked() == 0
        except (OSError, imaplib.IMAP4.error):
            return False  # the server is down or refuses logins (a scenario did it): not settled
