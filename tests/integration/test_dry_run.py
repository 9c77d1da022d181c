"""`poll --dry-run` against a real Dovecot and SMTP sink, on a mailbox a poll already worked on.

The dry run must take in what the next tick would (the daemon's own intake: a quarantined
mail retried below the checkpoint, new mail after it, mail over the size limit), decide it
as the tick does, and change nothing: no flag on the server (\\Seen included), no byte of
the store, no SMTP. Server state is read back with the standard library's imaplib.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from inboxd.store import Store
from tests.conftest import Servers, marks, run_inboxd, write_config

pytestmark = pytest.mark.integration


def support_mail(message_id: str, size: int) -> bytes:
    """A customer's question about a withdrawal, padded with a pasted log to about `size` bytes."""
    head = (
        "From: Alice Brown <alice.brown@example.com>\r\n"
        "To: support@exchange.test\r\n"
        "Subject: My withdrawal has not arrived\r\n"
        f"Message-ID: <{message_id}@example.com>\r\n"
        "Date: Mon, 07 Dec 2026 09:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hello, I withdrew 0.5 BTC yesterday and it has not arrived in my wallet. Please help.\r\n"
        "Here is what the app logged:\r\n"
    ).encode()
    line = b"2026-12-06 21:14:03 INFO wallet sync: waiting for confirmations on the network\r\n"
    return head + line * max(0, (size - len(head)) // len(line))


def store_snapshot(path: Path) -> tuple[dict[str, str], list[str]]:
    """Every file of the store's directory by content hash, and the database's contents. The
    WAL index (-shm) is SQLite's shared memory, where any reader, a read-only one too, takes its
    read mark: it only exists, its bytes are not the store's."""
    files = {
        p.name: "" if p.name.endswith("-shm") else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.parent.iterdir())
    }
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        dump = list(conn.iterdump())
    finally:
        conn.close()
    return files, dump


def configure(servers: Servers, max_message_bytes: int) -> None:
    """The test's config, quarantined mail kept in place, with this size limit."""
    write_config(
        servers.config_path.parent,
        model_path=Path(servers.config().classifier.model_path),
        imap_port=servers.dovecot.port,
        imap_user=servers.user,
        smtp_port=servers.sink.port,
        sections={"imap": {"quarantine_folder": ""}, "limits": {"max_message_bytes": max_message_bytes}},
    )


def test_dry_run_takes_in_what_the_tick_would_and_changes_nothing(servers: Servers) -> None:
    configure(servers, 20_000)
    # UID 1 is acknowledged; UID 2 is over the limit, quarantined unread, then retried in place.
    servers.append("en_deposit_incomplete.eml", support_mail("big-retried", 30_000))
    servers.poll()
    store_path = servers.config().store.path
    assert store_path is not None
    (quarantined,) = Store(store_path, readonly=True).quarantined()
    assert quarantined.uid == 2
    retried = run_inboxd(servers.config_path, "quarantine", "retry", "--all")
    assert retried.returncode == 0, retried.stderr
    configure(servers, 60_000)  # the limit raised: UID 2 fits now, below the checkpoint
    # New after the checkpoint: an acknowledgement, an auto-reply, a mail still over the limit.
    servers.append("en_withdrawal_complete.eml", "auto_reply.eml", support_mail("huge", 100_000))
    sent_before = len(servers.sink.received())
    assert sent_before == 1
    server_before = {uid: flags for uid, (flags, _) in servers.messages().items()}
    store_before = store_snapshot(store_path)
    assert all("\\Seen" not in flags for flags in server_before.values())

    dry = run_inboxd(servers.config_path, "poll", "--dry-run", "--json")

    assert dry.returncode == 0, dry.stderr
    preview = json.loads(dry.stdout)
    assert preview["dry_run"] is True
    by_uid = {m["uid"]: m for m in preview["messages"]}
    assert sorted(by_uid) == [2, 3, 4, 5]  # UID 1 is decided; UID 2 is pending below the checkpoint
    assert by_uid[2]["error"] is None and by_uid[2]["action"] in ("ack", "escalate", "skip")
    assert by_uid[3]["ack"] is not None
    assert by_uid[4]["skip_reason"] == "auto_reply"
    assert by_uid[5]["action"] == "quarantine" and "over limits.max_message_bytes" in by_uid[5]["error"]
    # Nothing changed: not a flag on the server (\Seen, \Recent included), not a byte of the store, no mail.
    assert {uid: flags for uid, (flags, _) in servers.messages().items()} == server_before
    assert store_snapshot(store_path) == store_before
    assert len(servers.sink.received()) == sent_before

    # The tick then does what the dry run showed, to the same mails.
    real = run_inboxd(servers.config_path, "poll", "--json")
    assert real.returncode == 0, real.stderr
    done = {m["uid"]: m["action"] for m in json.loads(real.stdout)["messages"]}
    assert done == {uid: m["action"] for uid, m in by_uid.items()}
    assert any(marks(flags) for flags, _ in servers.messages().values())
