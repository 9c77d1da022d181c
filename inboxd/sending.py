"""The tick's outgoing mail: acknowledgements, confirmations and resolution notices that are due.

Sending keeps every mail at most once (see `inboxd.store` for the state machine): acks are
committed `sending` for up to RESERVE_AT_ONCE of them before SMTP, each marked as attempted
just before its transaction, `sent` after; a temporary failure is retried with a backoff, a
permanent one recorded, one whose fate is unknown never re-sent blindly. Resolution notices
are queued like acks and sent the same way; webhook events are delivered here too.

The tick sends beside its deciding: a `Sender` has a thread for each of the tick's SMTP
connections (`[smtp] connections`) and sends what is due whenever the tick has committed
more (`wake`), each thread over a store connection of its own, so that waiting for the SMTP
server's answers overlaps the next mails' deciding and the other connection's sending
instead of following them. Each ack still goes through the same commits in the same order;
a sender sees an ack only once the decision that queued it is committed.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, cast

from inboxd import faults
from inboxd.acknowledge import Policy
from inboxd.errors import SendPermanent, SendTemporary, SendUnknown, SmtpUnavailable, StoreError
from inboxd.processing import Outbox, ProcessorSettings, TickReport
from inboxd.render import Renderer
from inboxd.resolution import build_notice
from inboxd.stopwatch import Stopwatch, Timed
from inboxd.store import AckRow, Store

if TYPE_CHECKING:
    from inboxd.webhook_delivery import Webhooks

log = logging.getLogger("inboxd.pipeline")

# Acks committed as `sending` in one synced commit (see store/acks.py); after a power cut, up to
# this many are unknown (a crash of inboxd alone leaves at most the one in flight on each connection unknown).
RESERVE_AT_ONCE = 16
# While the tick waits for the sender to finish, it renews the mailbox lease this often.
_JOIN_SECONDS = 1.0


@dataclass(slots=True)
class Sent:
    """What a sender did in one tick."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown: int = 0
    seconds: float = 0.0  # its time in SMTP and the store, beside the tick's

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.unknown

    def __add__(self, other: Sent) -> Sent:
        return Sent(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Sent)))


class DueAcks:
    """The acks due, shared by a tick's SMTP connections: each takes the next group, reserved.

    Read from the store when empty; a group is reserved (`store.reserve_sending`, a durable
    commit) before it is handed out, under this object's lock, so no two connections are given
    one ack. In the caller's thread: `store` is that thread's (side connection)."""

    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._rows: deque[AckRow] = deque()
        self._lock = threading.Lock()

    def take(self, store: Store, count: int) -> tuple[list[AckRow], list[AckRow]]:
        """The next group of up to `count` due acks, and those of them that are reserved now (in
        order); ([], []) when nothing is due."""
        with self._lock:
            if not self._rows:
                self._rows.extend(store.acks_due(self._clock()))
            group = [self._rows.popleft() for _ in range(min(count, len(self._rows)))]
            if not group:
                return [], []
            reserved = store.reserve_sending([ack.id for ack in group])
        faults.point("reserved")
        return group, [a for a in group if a.id in reserved]


SendDue = Callable[[Store, Outbox, Sent, Callable[[], bool], DueAcks], None]


class _Lane:
    """One SMTP connection of the sender and the thread that sends over it."""

    def __init__(self, sender: Sender, store: Store, outbox: Outbox, number: int):
        self.watch = Stopwatch()
        self.store = cast(Store, Timed(store, self.watch, "send"))  # its store time counts as sending
        self.outbox = cast(Outbox, Timed(outbox, self.watch, "send"))
        self.wake = threading.Event()
        self.wake.set()  # what is due already goes first
        self.done = Sent()
        self.error: BaseException | None = None
        name = "inboxd-sender" if number == 0 else f"inboxd-sender-{number + 1}"
        self.thread = threading.Thread(target=sender._run, args=(self,), name=name, daemon=True)


class Sender:
    """Sends the due acks beside the tick: a thread for each of the tick's SMTP connections.

    `wake()` after each commit that may have queued an ack; `finish()` sends what is still
    due and waits; `close()` (the tick failed) stops after the acks in flight. An error in
    a thread (the store failed, a test's simulated crash) is raised in the tick by the next
    `wake()` or `finish()`. Each thread's store calls use a side connection of its own.

    With more than one connection the threads take turns on what is due: each reserves a
    group of acks (`store.reserve_sending` takes only acks still pending, so no ack is
    reserved by two) and sends it over its own connection. Acks then leave in the order of
    their groups, not one by one (two acks to one customer may arrive in either order).
    """

    def __init__(
        self,
        send_due: SendDue,
        store: Store,
        outboxes: Sequence[Outbox],
        stop: threading.Event,
        clock: Callable[[], float],
    ):
        if not outboxes:
            raise ValueError("a sender needs at least one SMTP connection")
        self._send_due = send_due
        self._raw_store = store
        self._stop = stop
        self._abort = threading.Event()
        self._finishing = False
        self._due = DueAcks(clock)
        self._lanes = [_Lane(self, store, outbox, number) for number, outbox in enumerate(outboxes)]
        for lane in self._lanes:
            lane.thread.start()

    def _stopping(self) -> bool:
        return self._abort.is_set() or self._stop.is_set()

    def _run(self, lane: _Lane) -> None:
        try:
            with self._raw_store.on_side_connection():
                while not self._stopping():
                    lane.wake.wait()
                    lane.wake.clear()
                    finishing = self._finishing  # read before sending: a later finish() wakes again
                    if self._stopping():
                        return
                    self._send_due(lane.store, lane.outbox, lane.done, self._stopping, self._due)
                    if finishing:
                        return
        except BaseException as exc:  # handed to the tick's thread, raised there
            lane.error = exc
            self._abort.set()  # the other connections stop too: the tick fails
        finally:
            lane.done.seconds = sum(lane.watch.seconds.values())

    def _raise(self) -> None:
        for lane in self._lanes:
            if lane.error is not None:
                error, lane.error = lane.error, None
                raise error

    def _wake_all(self) -> None:
        for lane in self._lanes:
            lane.wake.set()

    def wake(self) -> None:
        """More may be due (a commit queued acks); raises what a thread raised."""
        self._raise()
        self._wake_all()

    def finish(self, keep_lease: Callable[[], None]) -> Sent:
        """Send what is due now, wait for it (renewing the lease), and say what was done: the
        connections' sums (`seconds`: the time of all of them, each beside the tick's)."""
        self._finishing = True
        self._wake_all()
        for lane in self._lanes:
            while lane.thread.is_alive():
                lane.thread.join(_JOIN_SECONDS)
                keep_lease()
        self._raise()
        return sum((lane.done for lane in self._lanes), Sent())

    def close(self) -> None:
        """Stop after the acks in flight and wait; a no-op once `finish()` has returned. Called by
        the tick whatever happens: when the tick itself failed, its error is the one raised."""
        self._abort.set()
        self._wake_all()
        for lane in self._lanes:
            lane.thread.join()
        errors = [lane.error for lane in self._lanes if lane.error is not None]
        for error in errors:
            if not isinstance(error, Exception):
                raise error  # a simulated crash (tests) is not swallowed by the tick's own error
        for error in errors:
            log.error("the sender failed too: %s", error)


class SendingMixin:
    """The sending of `inboxd.pipeline.Processor`."""

    settings: ProcessorSettings
    account: str
    folder: str
    store: Store
    policy: Policy
    renderer: Renderer
    stop: threading.Event
    clock: Callable[[], float]
    _sent_unrecorded: set[int]
    _webhooks: Webhooks | None

    def _keep_lease(self) -> None:
        raise NotImplementedError

    def _backoff(self, attempts: int) -> float:
        return float(min(3600.0, self.settings.retry_base_seconds * 2 ** max(0, attempts - 1)))

    def _send_due(self, store: Store, outbox: Outbox, report: Sent, stopping: Callable[[], bool], due: DueAcks) -> None:
        """Send acks that are due, a reserved group at a time, until none is (in a sender's thread:
        `store` is on its side connection; the tick's other connections take groups of the same `due`)."""
        while not stopping():
            self._keep_lease()
            group, todo = due.take(store, RESERVE_AT_ONCE)
            if not group:
                return
            left = [a.id for a in todo]  # reserved and not attempted: pending again if the tick stops here
            begun: int | None = None  # the ack whose attempt the last `sent` commit began
            try:
                for position, ack in enumerate(todo):
                    if ack.id != begun:
                        if stopping():
                            return
                        self._keep_lease()
                        left.remove(ack.id)
                        if not store.begin_attempt(ack.id):
                            continue
                    # The next ack's attempt is begun with this one's `sent` mark (unless the
                    # tick is stopping): once begun, it is sent without another check.
                    following = todo[position + 1].id if position + 1 < len(todo) and not stopping() else None
                    outcome = self._send_one(ack, store, outbox, report, following)
                    if outcome is None:
                        return  # SMTP is down: the others stay pending for the next tick
                    begun = following if outcome else None
                    if begun is not None:
                        left.remove(begun)
            finally:
                if left:
                    with suppress(StoreError):  # if not now, the next tick's recovery does it
                        store.release_reserved(left)

    def _send_one(
        self, ack: AckRow, store: Store, outbox: Outbox, report: Sent, following: int | None = None
    ) -> bool | None:
        """Hand one attempted ack to SMTP and record how it went: None when SMTP is unavailable, else
        whether the attempt of `following` (a reserved ack) was begun with its `sent` mark."""
        attempts = ack.attempts + 1
        faults.point("before_send")
        try:
            outbox.send(ack.mail, ack.ticket_ref)
        except SendTemporary as exc:
            if attempts >= self.settings.max_send_attempts:
                store.mark_failed(ack.id, f"gave up after {attempts} attempts: {exc}")
                report.failed += 1
            else:
                store.mark_retry(ack.id, str(exc), self.clock() + self._backoff(attempts))
                report.retrying += 1
            log.warning("ack %s to %s not sent yet: %s", ack.id, ack.ticket_ref, exc)
            return None if isinstance(exc, SmtpUnavailable) else False
        except SendPermanent as exc:
            store.mark_failed(ack.id, str(exc))
            report.failed += 1
            log.error("ack %s for %s refused: %s", ack.id, ack.ticket_ref, exc)
        except SendUnknown as exc:
            store.mark_unknown(ack.id, str(exc))
            report.unknown += 1
            log.error("ack %s for %s: fate unknown: %s", ack.id, ack.ticket_ref, exc)
        else:
            faults.point("after_send")
            try:
                begun = store.mark_sent(ack.id, following)
            except StoreError:
                self._sent_unrecorded.add(ack.id)
                raise
            report.sent += 1
            return begun
        return False

    def _resolution_notices(self, report: TickReport) -> int:
        """Close tickets nobody answered in time; queue the notice of each newly resolved ticket
        (sent by the sender like an acknowledgement). Returns the notices queued."""
        days = self.settings.reopen_within_days
        closed = self.store.close_resolved(self.clock() - days * 86400)
        due = self.store.notices_due(self.account, self.folder)
        for ref in closed:
            log.info("ticket closed: no reply since it was resolved", extra={"event": "closed", "ticket": ref})
        report.closed += len(closed)
        queued = 0
        for notice in due:
            blocked = self.store.notice_blocked(notice.ticket_id)
            if blocked:
                self.store.skip_notice(notice.ticket_id, blocked)
                continue
            serial = self.store.notice_serial(self.account, self.folder)
            mail = build_notice(notice, serial, self.renderer, self.policy)
            if self.store.queue_notice(notice.ticket_id, self.account, self.folder, serial, mail):
                queued += 1
        report.notices += queued
        return queued

    def _deliver_events(self, report: TickReport) -> None:
        """The webhook events of this mailbox, delivered (bounded: a receiver that is down costs the
        tick one short timeout)."""
        if self._webhooks is None:
            return
        done = self._webhooks.deliver(self.store, self.stop.is_set)
        report.webhooks.update(delivered=done.delivered, retrying=done.retrying, failed=done.failed)
