"""The store's state machine: idempotent claims, one ack per message, unknown after a crash.

Each test runs on both backends: a SQLite file and a real PostgreSQL database.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inboxd.errors import StoreError
from inboxd.store import Store
from inboxd.tickets import TicketPlan
from inboxd.values import Action, Classification, Decision, Facts, MessageKey, OutgoingMail


def key(uid: int, uidvalidity: int = 1) -> MessageKey:
    return MessageKey("acct", "INBOX", uidvalidity, uid)


PLAN = TicketPlan(
    ticket_id=None,
    state="open",
    priority="normal",
    missing=(),
    facts=Facts(),
    escalation=None,
    reopened=False,
    send="ack",
    security_incident=False,
)


def ack_decision() -> Decision:
    return Decision(Action.ACK, language="en", classification=Classification("account", 0.9, "account"))


def outgoing(ticket: str) -> OutgoingMail:
    return OutgoingMail(
        "c@example.com", f"Re: x [#{ticket}]", "body", f"<inboxd.{ticket}.x@exchange.test>", "<m@x>", ()
    )


def with_ack(store: Store, plan: TicketPlan, render: Callable[[str], OutgoingMail]) -> dict[str, Any]:
    """`record_decision`'s arguments for a new ticket with its acknowledgement, as the pipeline
    gives them: the ticket reserved first, its acknowledgement rendered for its reference."""
    ticket = store.reserve_tickets("INB")[0]
    return {"plan": plan, "ticket": ticket, "outgoing": render(ticket.ref)}


class FakeMail:
    """Only the attributes record_decision reads."""

    def __init__(self, message_id: str, content_hash: str):
        self.message_id = message_id
        self.content_hash = content_hash
        self.sender = "c@example.com"
        self.reply_to = ""
        self.subject = "x"


def test_a_reserved_ticket_reference_is_the_one_the_ticket_and_its_ack_get(make_store: Callable[[], Store]) -> None:
    store, other = make_store(), make_store()  # two processes sharing the store
    first, second = store.reserve_tickets("INB")[0], other.reserve_tickets("INB")[0]
    assert first.ref != second.ref and first.ref == f"INB-{first.id:06d}"
    claim = store.claim(key(1), None, "h1", 10)
    mail: Any = FakeMail("<m1@x>", "h1")
    ref = store.record_decision(
        claim.row, mail, ack_decision(), plan=PLAN, ticket=second, outgoing=outgoing(second.ref)
    )
    assert ref == second.ref
    assert [(a.ticket_ref, a.mail.subject) for a in store.acks()] == [(second.ref, f"Re: x [#{second.ref}]")]
    # `first` was never used (inboxd stopped before recording it): a gap in the numbers, never
    # another ticket's reference, whether that ticket was reserved or not.
    later = store.claim(key(2), None, "h2", 10)
    plain = dataclasses.replace(PLAN, send=None)
    third = store.record_decision(later.row, FakeMail("<m2@x>", "h2"), ack_decision(), plan=plain)  # type: ignore[arg-type]
    assert third is not None and third not in (first.ref, second.ref)
    assert store.reserve_tickets("INB")[0].ref not in (first.ref, second.ref, third)


def test_tickets_are_reserved_a_group_at_a_time_in_ascending_order(make_store: Callable[[], Store]) -> None:
    store, other = make_store(), make_store()  # two processes sharing the store
    group = store.reserve_tickets("INB", 3)
    assert [t.id for t in group] == sorted(t.id for t in group) and len({t.id for t in group}) == 3
    later = other.reserve_tickets("INB", 2)
    assert min(t.id for t in later) > max(t.id for t in group)
    assert all(t.ref == f"INB-{t.id:06d}" for t in (*group, *later))
    with pytest.raises(ValueError, match="at least one"):
        store.reserve_tickets("INB", 0)


def test_an_ack_for_a_new_ticket_needs_its_reservation(make_store: Callable[[], Store]) -> None:
    store = make_store()
    claim = store.claim(key(1), None, "h1", 10)
    with pytest.raises(ValueError, match="reserve"):
        store.record_decision(claim.row, FakeMail("<m1@x>", "h1"), ack_decision(), plan=PLAN,  # type: ignore[arg-type]
                              outgoing=outgoing("INB-000001"))  # fmt: skip
    assert store.acks() == [] and store.known_states("acct", "INBOX", 1, [1]) == {1: "new"}


def test_claim_is_idempotent(make_store: Callable[[], Store]) -> None:
    store = make_store()
    first = store.claim(key(1), None, "h1", 10)
    again = store.claim(key(1), None, "h1", 10)
    assert first.row == again.row and again.state == "new"


def test_one_ticket_and_ack_per_message(make_store: Callable[[], Store]) -> None:
    store = make_store()
    claim = store.claim(key(1), None, "h1", 10)
    mail = FakeMail("<m1@x>", "h1")
    ticket = store.record_decision(claim.row, mail, ack_decision(), **with_ack(store, PLAN, outgoing))  # type: ignore[arg-type]
    assert ticket == "INB-000001"
    # Deciding again (a retry, a second process) changes nothing and opens no ticket.
    assert store.record_decision(claim.row, mail, ack_decision(), **with_ack(store, PLAN, outgoing)) is None  # type: ignore[arg-type]
    assert len(store.acks()) == 1


def test_same_message_under_a_new_uidvalidity_is_a_duplicate(make_store: Callable[[], Store]) -> None:
    store = make_store()
    claim = store.claim(key(1, uidvalidity=1), None, "h1", 10)
    store.record_decision(claim.row, FakeMail("<m1@x>", "h1"), ack_decision(), **with_ack(store, PLAN, outgoing))  # type: ignore[arg-type]
    rebuilt = store.claim(key(7, uidvalidity=2), None, "h1", 10)
    assert rebuilt.state == "decided" and rebuilt.duplicate_of == claim.row
    # Same Message-ID, different bytes (a header added on the way): found after parsing.
    other = store.claim(key(8, uidvalidity=2), None, "h2", 10)
    assert other.state == "new"
    assert (
        store.record_decision(other.row, FakeMail("<m1@x>", "h2"), ack_decision(), **with_ack(store, PLAN, outgoing))
        is None
    )  # type: ignore[arg-type]
    assert len(store.acks()) == 1


def test_undecided_claim_is_superseded_by_a_new_copy(make_store: Callable[[], Store]) -> None:
    store = make_store()
    old = store.claim(key(1, uidvalidity=1), None, "h1", 10)  # crashed before deciding
    new = store.claim(key(5, uidvalidity=2), None, "h1", 10)
    assert new.state == "new" and new.row != old.row
    assert store.claim(key(1, uidvalidity=1), None, "h1", 10).state == "decided"


def test_ack_states(make_store: Callable[[], Store]) -> None:
    store = make_store()
    claim = store.claim(key(1), None, "h1", 10)
    store.record_decision(claim.row, FakeMail("<m1@x>", "h1"), ack_decision(), **with_ack(store, PLAN, outgoing))  # type: ignore[arg-type]
    (ack,) = store.acks_due()
    assert store.mark_sending(ack.id)
    assert not store.mark_sending(ack.id)  # only one sender can take it
    assert store.acks_due() == []
    store.mark_retry(ack.id, "451 later", next_attempt_at=0)
    assert [a.id for a in store.acks_due()] == [ack.id]
    assert store.mark_sending(ack.id)
    # The process dies here. The next run finds it `sending`: unknown, not re-sent.
    assert store.recover_interrupted("other-account", "INBOX") == []  # another mailbox's worker may be sending
    assert store.recover_interrupted("acct", "INBOX") == [ack.id]
    assert store.acks_due() == []
    assert [a.id for a in store.acks("unknown")] == [ack.id]
    assert store.resolve_unknown(ack.id, "resend")
    assert [a.id for a in store.acks_due()] == [ack.id]


def _acks(store: Store, n: int) -> list[int]:
    for i in range(1, n + 1):
        claim = store.claim(key(i), None, f"h{i}", 10)
        store.record_decision(
            claim.row, FakeMail(f"<m{i}@x>", f"h{i}"), ack_decision(), **with_ack(store, PLAN, outgoing)
        )  # type: ignore[arg-type]
    return [a.id for a in store.acks_due()]


def test_a_reserved_ack_never_attempted_is_pending_again_after_a_crash(make_store: Callable[[], Store]) -> None:
    """The process dies while sending the first of three reserved acks: that one is unknown,
    the two it never handed to SMTP are sent on the next run."""
    store = make_store()
    first, second, third = _acks(store, 3)
    assert store.reserve_sending([first, second, third]) == [first, second, third]
    assert store.reserve_sending([first, second]) == []  # only one sender can take them
    assert store.begin_attempt(first)
    assert not store.begin_attempt(first)  # never handed to SMTP twice
    # The process dies here, in the same boot of the machine.
    assert store.recover_interrupted("acct", "INBOX") == [first]
    assert [a.id for a in store.acks("unknown")] == [first]
    assert [(a.id, a.attempts) for a in store.acks_due()] == [(second, 0), (third, 0)]


def test_after_a_reboot_every_reserved_ack_is_unknown(make_store: Callable[[], Store]) -> None:
    """A power cut may have lost an attempt mark (an ordinary commit): then no reserved ack can be
    proven untouched, and none is sent again."""
    store = make_store()
    first, second = _acks(store, 2)
    store.reserve_sending([first, second])
    store.boot = "a later boot"
    assert store.recover_interrupted("acct", "INBOX") == [first, second]
    assert store.acks_due() == []


def test_without_a_boot_id_every_reserved_ack_is_unknown(make_store: Callable[[], Store]) -> None:
    store = make_store()
    store.boot = None
    (only,) = _acks(store, 1)
    store.reserve_sending([only])
    assert store.recover_interrupted("acct", "INBOX") == [only]


def test_released_acks_are_pending_and_an_attempted_one_stays_sending(make_store: Callable[[], Store]) -> None:
    store = make_store()
    first, second = _acks(store, 2)
    store.reserve_sending([first, second])
    assert store.begin_attempt(first)
    store.release_reserved([first, second])  # the tick stopped: only the unattempted one goes back
    assert [a.id for a in store.acks_due()] == [second]
    assert [a.id for a in store.acks("sending")] == [first]
    assert not store.begin_attempt(second)  # released: not ours to send any more


def test_a_thread_on_the_side_connection_sees_only_commits_and_writes_in_turn(
    make_store: Callable[[], Store],
) -> None:
    """The sender's thread works on its own connection: it never sees the tick's uncommitted
    decisions (nor sends their acks), and its writes wait for the tick's transaction."""
    store = make_store()
    (first,) = _acks(store, 1)
    seen: list[list[int]] = []
    reserved: list[list[int]] = []
    in_batch, go = threading.Event(), threading.Event()

    def sender() -> None:
        with store.on_side_connection():
            in_batch.wait(10)
            seen.append([a.id for a in store.acks_due()])
            go.set()
            reserved.append(store.reserve_sending([first]))  # waits for the batch's commit

    thread = threading.Thread(target=sender)
    thread.start()
    with store.batch():
        claim = store.claim(key(2), None, "h2", 10)
        store.record_decision(claim.row, FakeMail("<m2@x>", "h2"), ack_decision(), **with_ack(store, PLAN, outgoing))  # type: ignore[arg-type]
        in_batch.set()
        assert go.wait(10)
        thread.join(0.3)
        assert thread.is_alive()  # its write waits for this transaction
    thread.join(10)
    assert seen == [[first]]  # the uncommitted ack was not visible to it
    assert reserved == [[first]]
    assert [a.state for a in store.acks()] == ["sending", "pending"]


def test_lease(make_store: Callable[[], Store]) -> None:
    store = make_store()
    assert store.acquire_lease("m", "a", 60)
    assert not store.acquire_lease("m", "b", 60)
    assert store.acquire_lease("m", "a", 60)  # renewal
    store.release_lease("m", "a")
    assert store.acquire_lease("m", "b", 60)
    assert store.acquire_lease("x", "b", -1) and store.acquire_lease("x", "c", 60)  # expired: taken over


def test_checkpoint_only_moves_forward(make_store: Callable[[], Store]) -> None:
    store = make_store()
    store.set_checkpoint("a", "INBOX", 1, 10)
    store.set_checkpoint("a", "INBOX", 1, 5)
    assert store.checkpoint("a", "INBOX", 1) == 10
    assert store.checkpoint("a", "INBOX", 2) == 0


def test_damaged_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"this is not a database" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="left untouched"):
        Store(path)
    assert path.read_bytes() == before


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_tickets_threading_and_status_on_both_backends(make_store: Callable[[], Store]) -> None:
    store = make_store()
    claim = store.claim(key(1), None, "h1", 10)
    mail = FakeMail("<m1@x>", "h1")
    ref = store.record_decision(claim.row, mail, ack_decision(), **with_ack(store, PLAN, outgoing))  # type: ignore[arg-type]
    assert ref is not None
    found = store.ticket_for_reply("acct", [f"<inboxd.{ref}.x@exchange.test>"], None, "c@example.com", "x",
                                   subject_window=3600, followup_window=3600)  # fmt: skip
    assert found is not None and found[0].ref == ref and found[1] == "references"
    assert store.resolve_ticket(ref, "test") and not store.resolve_ticket(ref, "test")
    assert [t.ref for t in store.tickets(state="resolved")] == [ref]
    store.record_poll("default", "acct", "INBOX", backlog=3, seconds=0.5)
    store.record_poll("default", "acct", "INBOX", error="IMAP down")
    status = store.mailbox_status()["default"]
    assert status.backlog == 3 and status.last_error == "IMAP down"
    assert store.mailbox_counts("acct").acks == (("pending", 1),)
    assert store.counts()["messages.ack"] == 1


def test_two_connections_one_lease(make_store: Callable[[], Store]) -> None:
    """Two inboxd processes (or hosts) on one store: the lease is taken by exactly one."""
    first, second = make_store(), make_store()
    assert first.acquire_lease("m", "host-a", 60)
    assert not second.acquire_lease("m", "host-b", 60)
    assert second.lease_holder("m") is not None and second.lease_holder("m")[0] == "host-a"  # type: ignore[index]
    first.release_lease("m", "host-a")
    assert second.acquire_lease("m", "host-b", 60)


def test_a_lock_held_elsewhere_is_transient_and_rolls_back(tmp_path: Path) -> None:
    from inboxd.errors import StoreUnavailable, TransientError

    store = Store(tmp_path / "s.db")
    store._db.execute("PRAGMA busy_timeout = 50")  # do not wait the production 10 s here
    other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StoreUnavailable, match="locked") as caught:
        store.claim(key(1), None, "h1", 10)
    assert isinstance(caught.value, TransientError) and isinstance(caught.value, StoreError)
    other.execute("COMMIT")
    other.close()
    assert store.claim(key(1), None, "h1", 10).state == "new"  # nothing was half-written before


def test_damage_found_at_run_time_is_not_transient(tmp_path: Path) -> None:
    from inboxd.errors import StoreUnavailable
    from inboxd.store.base import store_error

    damaged = store_error(tmp_path / "s.db", sqlite3.DatabaseError("database disk image is malformed"))
    assert type(damaged) is StoreError
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
    assert isinstance(store_error(tmp_path / "s.db", full), StoreUnavailable)


def test_a_mail_seen_again_in_its_rebuilt_folder_shows_how_it_was_handled(tmp_path: Path) -> None:
    """The folder was rebuilt while the ack was still pending: the new UID waits for it, then says acked."""
    store = Store(tmp_path / "s.db")
    claim = store.claim(key(1, uidvalidity=1), None, "h1", 10)
    store.record_decision(claim.row, FakeMail("<m1@x>", "h1"), ack_decision(), **with_ack(store, PLAN, outgoing))  # type: ignore[arg-type]
    rebuilt = store.claim(key(1, uidvalidity=2), None, "h1", 10)
    assert rebuilt.duplicate_of == claim.row
    (row,) = store.unsynced("acct", "INBOX", 2)
    assert (row.row, row.action, row.ack_state) == (rebuilt.row, "ack", "pending")  # not "skip": wait for it
    (ack,) = store.acks_due()
    store.mark_sending(ack.id)
    store.mark_sent(ack.id)
    (row,) = store.unsynced("acct", "INBOX", 2)
    assert (row.uid, row.action, row.category, row.ack_state) == (1, "ack", "account", "sent")
    store.mark_synced([row.row])
    assert store.unsynced("acct", "INBOX", 2) == []
    # Another copy next to the original (same UIDVALIDITY) is a copy: skipped as a duplicate.
    copy = store.claim(key(9, uidvalidity=1), None, "h1", 10)
    row = {r.row: r for r in store.unsynced("acct", "INBOX", 1)}[copy.row]
    assert (row.action, row.skip_reason, row.ack_state) == ("skip", "duplicate", None)


def test_sending_and_states_to_apply_on_the_server_are_durable(tmp_path: Path) -> None:
    """SQLite runs with synchronous = NORMAL, but the commit of `sending` (the reservation, before
    SMTP) and the states about to be applied on the IMAP server are made durable: COMMIT under FULL."""
    store = Store(tmp_path / "s.sqlite3")
    try:
        conn: sqlite3.Connection = store._db.conn  # type: ignore[attr-defined]
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        statements: list[str] = []
        conn.set_trace_callback(statements.append)

        def committed_under_full() -> bool:
            commits = [i for i, s in enumerate(statements) if s == "COMMIT"]
            levels = [s for s in statements[: commits[-1]] if s.startswith("PRAGMA synchronous")] if commits else []
            return bool(levels) and levels[-1] == "PRAGMA synchronous = FULL"

        claim = store.claim(key(1), None, "h1", 10)
        store.record_decision(claim.row, FakeMail("<m1@x>", "h1"), ack_decision(), **with_ack(store, PLAN, outgoing))  # type: ignore[arg-type]
        assert not committed_under_full()  # ordinary commits: NORMAL
        (ack,) = store.acks_due()
        statements.clear()
        assert store.reserve_sending([ack.id]) == [ack.id]
        assert committed_under_full()
        statements.clear()
        assert store.begin_attempt(ack.id)
        assert not committed_under_full()  # the attempt mark needs only to survive a crash of inboxd
        store.mark_sent(ack.id)
        statements.clear()
        assert [r.row for r in store.unsynced("acct", "INBOX", 1)] == [claim.row]
        assert committed_under_full()
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # and back to NORMAL
    finally:
        store.close()


def test_ownership_limits_and_duplicates_on_both_backends(make_store: Callable[[], Store]) -> None:
    """The sender-trust queries (schema 7) as SQLite and PostgreSQL both answer them."""
    store = make_store()
    claim = store.claim(key(1), None, "h1", 10)
    ref = store.record_decision(claim.row, FakeMail("<m1@x>", "h1"), ack_decision(), **with_ack(store, PLAN, outgoing))  # type: ignore[arg-type]
    assert ref is not None
    by_reference = ([f"<inboxd.{ref}.x@exchange.test>", "<m1@x>"], f"{ref}")
    # The owner joins by references or by the subject's reference; a stranger does neither.
    for referenced, subject_ref in ((by_reference[0], None), ([], by_reference[1])):
        owner = store.ticket_for_reply("acct", referenced, subject_ref, "C@Example.com", "",
                                       subject_window=3600, followup_window=3600)  # fmt: skip
        stranger = store.ticket_for_reply("acct", referenced, subject_ref, "mallory@evil.example", "",
                                          subject_window=3600, followup_window=3600)  # fmt: skip
        assert owner is not None and owner[0].ref == ref and stranger is None
        assert store.foreign_reference("acct", referenced, subject_ref) == ref
    assert store.foreign_reference("acct", ["<nothing@x>"], "INB-999999") is None
    # Limits count up to their limit, per domain and in all.
    assert store.acks_to_domain_since("example.com", 0, 10) == 1
    assert store.acks_to_domain_since("other.example", 0, 10) == 0
    assert store.acks_since(0, 10) == 1 and store.acks_since(0, 1) == 1
    # The same Message-ID from another sender is another mail; from the same sender, a duplicate.
    other = FakeMail("<m1@x>", "h2")
    other.sender = "someone@else.example"
    second = store.claim(key(2), None, "h2", 10)
    assert store.record_decision(second.row, other, ack_decision(), **with_ack(store, PLAN, outgoing)) is not None  # type: ignore[arg-type]
    third = store.claim(key(3), None, "h3", 10)
    assert (
        store.record_decision(third.row, FakeMail("<m1@x>", "h3"), ack_decision(), **with_ack(store, PLAN, outgoing))
        is None
    )  # type: ignore[arg-type]
