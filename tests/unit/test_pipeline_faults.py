"""The tick and the daemon loop when the store or the lease fails under them (servers faked).

The end-to-end proof against real servers is benchmarks/faults.py (and its quick run in
tests/faults/); these pin down each decision the daemon makes about such a failure.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import pytest

from inboxd import pipeline
from inboxd.compose import App, new_owner, processor_settings
from inboxd.daemon import Worker
from inboxd.errors import FolderMissing, LeaseLost, MailboxError, StoreError, StoreUnavailable
from inboxd.mailbox import Fetched
from inboxd.metrics import Metrics
from inboxd.pipeline import Processor
from inboxd.sending import RESERVE_AT_ONCE
from inboxd.store import Store
from inboxd.values import OutgoingMail
from tests.conftest import fixture_bytes


class FakeMailbox:
    uidvalidity = 7

    def __init__(self, names: Sequence[str]):
        self.mails = {uid: fixture_bytes(name) for uid, name in enumerate(names, start=1)}
        self.keywords: dict[int, set[str]] = {}

    def select(self, folder: str | None = None, readonly: bool = False) -> int:
        return self.uidvalidity

    def uids_after(self, last_uid: int) -> list[int]:
        return [u for u in sorted(self.mails) if u > last_uid]

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        return {u: len(self.mails[u]) for u in uids if u in self.mails}

    def fetch(self, uids: Sequence[int], sizes: dict[int, int], max_batch_bytes: int = 0) -> Iterable[Fetched]:
        return [Fetched(u, self.mails[u]) for u in uids]

    def add_keywords(self, uids: Sequence[int], keywords: Iterable[str]) -> None:
        for uid in uids:
            self.keywords.setdefault(uid, set()).update(keywords)

    def move(self, uids: Sequence[int], folder: str) -> None:
        pass

    def uids_with_keyword(self, keyword: str) -> list[int]:
        return []

    def answered(self, uids: Sequence[int]) -> list[int]:
        return []


class FakeOutbox:
    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail, ticket: str | None = None) -> None:
        self.sent.append(mail)


def processor(app: App, store: Store, box: FakeMailbox, outbox: FakeOutbox, **kwargs: Any) -> Processor:
    @contextmanager
    def mailbox() -> Iterator[FakeMailbox]:
        yield box

    @contextmanager
    def out() -> Iterator[FakeOutbox]:
        yield outbox

    assert app.classifier is not None
    return Processor(
        settings=processor_settings(app.config),
        store=store,
        mailbox=mailbox,  # type: ignore[arg-type]
        outbox=out,  # type: ignore[arg-type]
        classifier=app.classifier,
        renderer=app.renderer,
        policy=app.policy,
        ticket_policy=app.ticket_policy,
        **kwargs,
    )


def _new_requests(n: int) -> FakeMailbox:
    """A mailbox of `n` new requests, each from its own customer (each gets an acknowledgement)."""
    template = fixture_bytes("en_account_2fa.eml")
    box = FakeMailbox(())
    box.mails = {
        uid: template.replace(b"sooah.kim@naver.example", f"c{uid}@d{uid}.example".encode()).replace(
            b"<0a1b2c3d4e5f@naver.example>", f"<m{uid}@d{uid}.example>".encode()
        )
        for uid in range(1, n + 1)
    }
    return box


def failing_once(real: Any, error: Exception) -> Any:
    calls = {"n": 0}

    def call(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise error
        return real(*args, **kwargs)

    return call


NAMES = ("en_account_2fa.eml", "zh_complaint.eml", "en_withdrawal_complete.eml")


def test_a_store_failure_while_deciding_does_not_quarantine_the_mail(
    offline_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "s.db")
    box, outbox = FakeMailbox(NAMES), FakeOutbox()
    p = processor(offline_app, store, box, outbox)
    locked = StoreUnavailable("s.db: database is locked")
    monkeypatch.setattr(store, "record_decision", failing_once(store.record_decision, locked))
    with pytest.raises(StoreUnavailable):
        p.tick()
    assert store.quarantined() == []  # the lock was the store's problem, not the mail's
    p.tick()
    assert store.quarantined() == []
    answered = [m.in_reply_to for m in outbox.sent]
    assert len(answered) == len(set(answered)) == len(NAMES)  # each mail answered, once


def test_an_ack_sent_while_its_record_failed_is_recorded_sent_not_unknown(
    offline_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "s.db")
    box, outbox = FakeMailbox(NAMES[:1]), FakeOutbox()
    p = processor(offline_app, store, box, outbox)
    full = StoreUnavailable("s.db: database or disk is full")
    monkeypatch.setattr(store, "mark_sent", failing_once(store.mark_sent, full))
    with pytest.raises(StoreUnavailable):
        p.tick()
    assert [a.state for a in store.acks()] == ["sending"]
    report = p.tick()  # the same process, once the disk has room again
    assert report.recovered_unknown == 0
    assert [a.state for a in store.acks()] == ["sent"]
    assert len(outbox.sent) == 1
    assert "$Inboxd-Acked" in box.keywords[1]


def test_a_restart_after_such_a_failure_makes_it_unknown(
    offline_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new process does not know whether it went out: a human decides."""
    store = Store(tmp_path / "s.db")
    box, outbox = FakeMailbox(NAMES[:1]), FakeOutbox()
    first = processor(offline_app, store, box, outbox)
    monkeypatch.setattr(store, "mark_sent", failing_once(store.mark_sent, StoreUnavailable("full")))
    with pytest.raises(StoreUnavailable):
        first.tick()
    report = processor(offline_app, store, box, outbox).tick()
    assert report.recovered_unknown == 1
    assert [a.state for a in store.acks()] == ["unknown"]
    assert len(outbox.sent) == 1


def test_a_long_tick_renews_the_lease(offline_app: App, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    renewals: list[int] = []
    outbox = FakeOutbox()
    p = processor(
        offline_app, store, FakeMailbox(NAMES), outbox, lease=lambda: renewals.append(1) or True, lease_seconds=0
    )
    p.tick()
    assert len(renewals) >= len(NAMES)  # at least once per mail decided and per ack sent
    assert len(outbox.sent) == len(NAMES)


def test_a_lost_lease_stops_the_tick_before_anything_more_is_done(offline_app: App, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    outbox = FakeOutbox()
    p = processor(offline_app, store, FakeMailbox(NAMES), outbox, lease=lambda: False, lease_seconds=0)
    with pytest.raises(LeaseLost):
        p.tick()
    assert outbox.sent == []
    assert store.counts().get("messages.ack", 0) == 0


class FailingProcessor:
    def __init__(self, error: Exception):
        self.error = error

    def tick(self) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "fatal"),
    [
        (StoreUnavailable("s.db: database is locked"), False),
        (StoreUnavailable("s.db: database or disk is full"), False),
        (MailboxError("cannot connect to IMAP"), False),
        (LeaseLost("taken over"), False),
        (StoreError("s.db: database disk image is malformed"), True),
        (FolderMissing("folder 'Nope' does not exist on IMAP 127.0.0.1:143"), True),
    ],
)
def test_the_daemon_waits_out_what_may_pass_and_stops_on_what_will_not(
    offline_app: App, error: Exception, fatal: bool
) -> None:
    daemon = Worker(offline_app, new_owner(), threading.Event(), Metrics(), threading.Event())
    daemon.processor = FailingProcessor(error)  # type: ignore[assignment]
    try:
        daemon._tick()
    finally:
        daemon.close()
    assert daemon.stop.is_set() is fatal
    assert daemon.shutdown.is_set() is fatal
    assert (daemon.fatal is error) is fatal
    if not fatal:
        assert daemon._not_before > 0  # backing off before the next try


def test_a_wake_up_after_the_scheduler_stopped_is_not_an_error(offline_app: App) -> None:
    """An IDLE watcher that reconnects late (after an outage) may wake its mailbox while the
    service is stopping: the scheduler no longer knows the job, and the watcher must not die."""
    from apscheduler.schedulers.background import BackgroundScheduler

    daemon = Worker(offline_app, new_owner(), threading.Event(), Metrics(), threading.Event())
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(daemon.job, "interval", seconds=3600, id=daemon.job_id)
    scheduler.start(paused=True)
    daemon.scheduler = scheduler
    try:
        daemon.wake()  # running: the job is moved to now
        scheduler.shutdown(wait=False)
        daemon.wake()  # stopped: nothing to wake, and no JobLookupError
    finally:
        daemon.close()


class RecordingMailbox(FakeMailbox):
    """Records the order of fetches and keyword updates."""

    def __init__(self, names: Sequence[str]):
        super().__init__(names)
        self.events: list[str] = []

    def fetch(self, uids: Sequence[int], sizes: dict[int, int], max_batch_bytes: int = 0) -> Iterable[Fetched]:
        self.events.append("fetch")
        return super().fetch(uids, sizes, max_batch_bytes)

    def add_keywords(self, uids: Sequence[int], keywords: Iterable[str]) -> None:
        if self.events[-1:] != ["sync"]:
            self.events.append("sync")
        super().add_keywords(uids, keywords)


BURST = (
    "en_account_2fa.eml",
    "zh_complaint.eml",
    "en_withdrawal_complete.eml",
    "zh_gbk_deposit.eml",
    "en_deposit_incomplete.eml",
    "zh_qp_account.eml",
    "noreply.eml",
    "en_html_only_trade.eml",
)


def burst_processor(app: App, store: Store, box: FakeMailbox, outbox: FakeOutbox) -> Processor:
    """Two mails a batch, so that a tick over BURST has four."""
    imap = app.config.imap.model_copy(update={"batch_size": 2})
    small = dataclasses.replace(app, config=app.config.model_copy(update={"imap": imap}))
    return processor(small, store, box, outbox)


def test_a_burst_is_synced_to_the_server_at_once_when_the_tick_ends(offline_app: App, tmp_path: Path) -> None:
    box, outbox = RecordingMailbox(BURST), FakeOutbox()
    burst_processor(offline_app, Store(tmp_path / "s.db"), box, outbox).tick()
    assert box.events == ["fetch"] * 4 + ["sync"]  # one round of STOREs, not one per batch
    assert sorted(box.keywords) == list(range(1, len(BURST) + 1))  # every mail has its keywords
    assert len(outbox.sent) == len(BURST) - 1  # all but the no-reply sender


def test_a_long_burst_is_synced_every_sync_at_once_mails(
    offline_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "SYNC_AT_ONCE", 4)
    box = RecordingMailbox(BURST)
    burst_processor(offline_app, Store(tmp_path / "s.db"), box, FakeOutbox()).tick()
    # Batches are fetched one ahead of deciding: after the third fetch the first two are decided.
    assert box.events == ["fetch", "fetch", "fetch", "sync", "fetch", "sync"]
    assert sorted(box.keywords) == list(range(1, len(BURST) + 1))


def test_acks_are_sent_beside_the_deciding_not_after_it(
    offline_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch's last decision waits for its first ack to have gone out: a tick that sent
    only after deciding the whole batch would never get there. The sender is woken after
    each group of RESERVE_AT_ONCE decisions, so the batch holds a group and a few more."""
    n = RESERVE_AT_ONCE + 4
    box = _new_requests(n)
    store = Store(tmp_path / "s.db")
    first_sent = threading.Event()

    class Watching(FakeOutbox):
        def send(self, mail: OutgoingMail, ticket: str | None = None) -> None:
            super().send(mail, ticket)
            first_sent.set()

    outbox = Watching()
    real = store.record_decision
    calls = {"n": 0}

    def record(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == n:
            assert first_sent.wait(10), "no ack was sent while the batch was still being decided"
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "record_decision", record)
    report = processor(offline_app, store, box, outbox).tick()
    assert report.sent == len(outbox.sent) == n
    assert len({m.in_reply_to for m in outbox.sent}) == n
    assert [a.state for a in store.acks()] == ["sent"] * n
    assert all("$Inboxd-Acked" in box.keywords[uid] for uid in box.mails)  # synced after the sender finished


def test_a_store_failure_in_the_sender_stops_the_tick(
    offline_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "s.db")
    box, outbox = FakeMailbox(NAMES), FakeOutbox()
    monkeypatch.setattr(store, "begin_attempt", failing_once(store.begin_attempt, StoreUnavailable("s.db: locked")))
    with pytest.raises(StoreUnavailable):
        processor(offline_app, store, box, outbox).tick()
    assert outbox.sent == []  # nothing goes out without its attempt committed
    report = processor(offline_app, store, box, outbox).tick()  # the next tick sends them, once each
    assert report.recovered_unknown == 0
    assert sorted(m.in_reply_to or "" for m in outbox.sent) == sorted(set(m.in_reply_to or "" for m in outbox.sent))
    assert [a.state for a in store.acks()] == ["sent"] * len(NAMES)


def test_two_smtp_connections_send_each_ack_once_side_by_side(offline_app: App, tmp_path: Path) -> None:
    """`[smtp] connections = 2`: two threads, each with its own connection, take turns on the
    due acks (a reserved group each); every ack goes out once, and both connections send."""
    n = RESERVE_AT_ONCE * 3
    box = _new_requests(n)
    store = Store(tmp_path / "s.db")
    opened: list[FakeOutbox] = []
    threads: set[str] = set()

    class Slow(FakeOutbox):
        def send(self, mail: OutgoingMail, ticket: str | None = None) -> None:
            threads.add(threading.current_thread().name)
            time.sleep(0.002)  # an SMTP server's answer: the other connection sends meanwhile
            super().send(mail, ticket)

    @contextmanager
    def out() -> Iterator[FakeOutbox]:
        outbox = Slow()
        opened.append(outbox)
        yield outbox

    settings = dataclasses.replace(processor_settings(offline_app.config), smtp_connections=2)
    assert offline_app.classifier is not None
    tick = Processor(
        settings=settings, store=store, mailbox=lambda: nullcontext(box), outbox=out,  # type: ignore[arg-type,return-value]
        classifier=offline_app.classifier, renderer=offline_app.renderer, policy=offline_app.policy,
        ticket_policy=offline_app.ticket_policy,
    )  # fmt: skip
    report = tick.tick()
    sent = [m.in_reply_to for outbox in opened for m in outbox.sent]
    assert len(opened) == 2 and all(outbox.sent for outbox in opened)
    assert threads == {"inboxd-sender", "inboxd-sender-2"}
    assert report.sent == len(sent) == len(set(sent)) == n
    assert [a.state for a in store.acks()] == ["sent"] * n
