"""Two inboxd hosts, one mailbox, one PostgreSQL store: one works at a time, the other takes over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from testbed.postgres import Postgres
from tests.conftest import Servers, fixture_bytes, write_config

pytestmark = pytest.mark.integration


def customer_mail(index: int) -> bytes:
    raw = fixture_bytes("en_account_2fa.eml").replace(b"<0a1b2c3d4e5f@", f"<pg{index}@".encode())
    return raw.replace(b"sooah.kim@", f"customer{index}@".encode())


def daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "inboxd", "--config", str(config), "run"], stdout=subprocess.DEVNULL, stderr=out
        )


def wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_two_hosts_share_a_mailbox_without_double_processing(
    servers: Servers, postgres: Postgres, tmp_path: Path, model_path: Path
) -> None:
    url = postgres.new_database("two_hosts")
    configs = [
        write_config(tmp_path / host, model_path=model_path, imap_port=servers.dovecot.port, imap_user=servers.user,
                     smtp_port=servers.sink.port,
                     sections={"store": {"url": url}, "schedule": {"interval_seconds": 1, "lease_seconds": 10}})
        for host in ("host-a", "host-b")
    ]  # fmt: skip
    for config in configs:  # write_config sets a SQLite path: this store is PostgreSQL only
        config.write_text(config.read_text().replace('path = "state/inboxd.sqlite3"\n', ""))
    processes = [daemon(c, c.parent / "inboxd.log") for c in configs]
    try:
        servers.append(*[customer_mail(i) for i in range(15)])
        assert wait_for(lambda: len(servers.sink.received()) == 15, 90)
        status = subprocess.run([sys.executable, "-m", "inboxd", "--config", str(configs[1]), "status", "--json"],
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        holder = json.loads(status.stdout)["mailboxes"][0]["lease_holder"]
        assert holder is not None
        holder_pid = int(holder.split(":")[1])
        survivor = next(p for p in processes if p.pid != holder_pid)
        os.kill(holder_pid, signal.SIGKILL)  # the host dies with its lease
        servers.append(*[customer_mail(i) for i in range(15, 25)])
        # The other host takes over once the lease has expired (10 s) and handles the rest.
        assert wait_for(lambda: len(servers.sink.received()) == 25, 120)
        time.sleep(3)
        assert survivor.poll() is None
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
    counts = Counter(r["in_reply_to"] for r in servers.sink.received())
    assert len(counts) == 25 and set(counts.values()) == {1}  # every mail once, none twice
    logs = "".join((c.parent / "inboxd.log").read_text() for c in configs)
    assert "another inboxd holds" in logs  # the second host really did wait
    assert "Traceback" not in logs
