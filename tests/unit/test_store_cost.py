"""What a mail costs in the store: no statement reads a whole table, and commits are counted.

Handling a mail must cost the same whether the store holds a hundred mails or a million
(issue 7): every statement a tick runs is checked against SQLite's query plan, on a store
that already holds mail, duplicates, tickets and acks in every state.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from inboxd.compose import App
from inboxd.store import Store
from inboxd.store.base import Db
from inboxd.values import MessageKey
from tests.unit.test_pipeline_faults import NAMES, FakeMailbox, FakeOutbox, processor

FIRST = ("en_account_2fa.eml", "zh_complaint.eml", "en_withdrawal_complete.eml", "zh_gbk_deposit.eml")
# What a support inbox sees next: requests, replies, auto-replies, bounces, lists, copies.
THEN = ("en_deposit_incomplete.eml", "zh_qp_account.eml", "en_reply_quoted.eml", "zh_qq_reply.eml",
        "auto_reply.eml", "bounce_gmail.eml", "mailman_list.eml", "hostile_nested.eml", "en_account_2fa.eml")  # fmt: skip
MANY = (*NAMES, "zh_gbk_deposit.eml", "en_account_2fa.eml", "zh_complaint.eml")


def _statements(store: Store, side: list[str] | None = None) -> list[str]:
    """The statements run on the store's connection (and, into `side` or the same list, on the
    side connections the sender threads use, opened already or later)."""
    seen: list[str] = []
    on_side = (seen if side is None else side).append
    conn: sqlite3.Connection = store._db.conn  # type: ignore[attr-defined]
    conn.set_trace_callback(seen.append)
    for opened in store._sides:
        opened.db.conn.set_trace_callback(on_side)  # type: ignore[attr-defined]
    connect = store._connect

    def traced(*, check: bool) -> Db:
        db = connect(check=check)
        db.conn.set_trace_callback(on_side)  # type: ignore[attr-defined]
        return db

    store._connect = traced  # type: ignore[method-assign]
    return seen


def test_no_statement_of_a_tick_reads_a_whole_table(offline_app: App, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    box, outbox = FakeMailbox(FIRST), FakeOutbox()
    processor(offline_app, store, box, outbox).tick()  # the store now holds mail, tickets and acks
    later = FakeMailbox(THEN).mails
    box.mails.update({uid + 100: raw for uid, raw in later.items()})
    box.mails.update({uid + 200: raw for uid, raw in list(box.mails.items())[:2]})  # copies under new UIDs
    seen = _statements(store)
    processor(offline_app, store, box, outbox).tick()
    assert any(s.startswith("INSERT INTO messages") for s in seen)
    assert any(s.startswith("UPDATE acks SET state = 'sent'") for s in seen)

    plans = sqlite3.connect(tmp_path / "s.db")
    costly: dict[str, list[str]] = {}
    for sql in dict.fromkeys(seen):
        if not re.match(r"\s*(SELECT|UPDATE|DELETE|INSERT)", sql, re.I):
            continue
        plan = [str(row[3]) for row in plans.execute(f"EXPLAIN QUERY PLAN {sql}")]
        # A scan reads the whole table; a search by account alone reads every mail of the
        # mailbox. Either grows with the store, once per mail.
        slow = [
            step for step in plan
            if re.match(r"SCAN (messages|acks|tickets|ticket_events)\b", step) or step.endswith("(account=?)")
        ]  # fmt: skip
        if slow:
            costly[re.sub(r"\s+", " ", sql)[:160]] = slow
    assert costly == {}


def test_a_tick_commits_its_claims_once_per_batch_and_each_decision_once(offline_app: App, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    box, outbox = FakeMailbox(MANY), FakeOutbox()
    sender: list[str] = []
    seen = _statements(store, sender)
    processor(offline_app, store, box, outbox).tick()
    inserts = sum(s.startswith("INSERT INTO messages") for s in seen)
    assert inserts == len(MANY)
    # The tick: the batch's claims in one commit; its new tickets' references in one (fewer
    # mails than TICKETS_AT_ONCE), taken before the acknowledgements are rendered; each decision
    # in one (the sender takes the write lock between decisions); the durable sync and the
    # checkpoint. Not one commit per claim, nor one per reference.
    reservations = sum(s.startswith("UPDATE sqlite_sequence SET seq = seq +") for s in seen)
    assert reservations == 1
    assert sum(s == "COMMIT" for s in seen) <= len(MANY) + reservations + 6
    # The sender: per group of acks `sending` (durable, before SMTP) and the first one's attempt;
    # per ack its `sent`, with the next one's attempt in the same commit.
    assert len(outbox.sent) == 4
    groups = sum(s == "PRAGMA synchronous = FULL" for s in sender)
    assert 1 <= groups <= len(outbox.sent)
    assert sum(s == "COMMIT" for s in sender) == len(outbox.sent) + 2 * groups


def _claim(store: Store, uid: int, digest: str) -> Any:
    return store.claim(MessageKey("acct", "INBOX", 1, uid), None, digest, 10)


def test_a_failed_write_in_a_batch_is_undone_alone(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    with store.batch():
        _claim(store, 1, "a")
        with pytest.raises(sqlite3.IntegrityError), store._tx() as db:
            db.execute("INSERT INTO messages (account, folder, uidvalidity, uid, state, created_at, updated_at) "
                       "VALUES ('acct', 'INBOX', 1, 2, 'new', 0, 0)")  # fmt: skip
            db.conn.execute("INSERT INTO messages (id) VALUES (1)")  # type: ignore[attr-defined]
        _claim(store, 3, "c")
    assert store.known_states("acct", "INBOX", 1, [1, 2, 3]) == {1: "new", 3: "new"}


def test_a_failed_batch_commits_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    with pytest.raises(RuntimeError, match="boom"), store.batch():
        _claim(store, 1, "a")
        raise RuntimeError("boom")
    assert store.known_states("acct", "INBOX", 1, [1]) == {}
    _claim(store, 1, "a")  # the store is usable again
    assert store.known_states("acct", "INBOX", 1, [1]) == {1: "new"}


def test_a_durable_write_cannot_hide_in_a_batch(tmp_path: Path) -> None:
    """`sending` must be on disk before SMTP starts; a batch would commit it later."""
    store = Store(tmp_path / "s.db")
    with pytest.raises(RuntimeError, match="durable"), store.batch():
        store.mark_sending(1)
