"""The tick's outgoing mail: acknowledgements, confirmations and resolution notices that are due.

Sending keeps every mail at most once (see `inboxd.store` for the state machine): acks are
committed `sending` for up to RESERVE_AT_ONCE of them before SMTP, each marked as attempted
just before its transaction, `sent` after; a temporary failure is retried with a backoff, a
permanent one recorded, one whose fate is unknown never re-sent blindly. Resolution notices
are queued like acks and sent the same way; webhook events are delivered here too.

The tick sends beside its deciding: a `Sender` thread owns the tick's SMTP connection and
sends what is due whenever the tick has committed more (`wake`), over the store's side
connection, so that waiting for the SMTP server's answers overlaps the next mails'
deciding instead of following it. Each ack still goes through the same commits in the
same order; the sender sees an ack only once the decision that queued it is committed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
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
# this many are unknown (a crash of inboxd alone leaves at most the one in flight unknown).
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


SendDue = Callable[[Store, Outbox, Sent, Callable[[], bool]], None]


class Sender:
    """Sends the due acks in a thread beside the tick, over the tick's SMTP connection.

    `wake()` after each commit that may have queued an ack; `finish()` sends what is still
    due and waits; `close()` (the tick failed) stops after the ack in flight. An error in
    the thread (the store failed, a test's simulated crash) is raised in the tick by the
    next `wake()` or `finish()`. Its store calls use the store's side connection.
    """

    def __init__(self, send_due: SendDue, store: Store, outbox: Outbox, stop: threading.Event):
        self._send_due = send_due
        self._raw_store = store
        self._watch = Stopwatch()
        self._store = cast(Store, Timed(store, self._watch, "send"))  # its store time counts as sending
        self._outbox = cast(Outbox, Timed(outbox, self._watch, "send"))
        self._stop = stop
        self._abort = threading.Event()
        self._wake = threading.Event()
        self._finishing = False
        self._error: BaseException | None = None
        self.done = Sent()
        self._wake.set()  # what is due already goes first
        self._thread = threading.Thread(target=self._run, name="inboxd-sender", daemon=True)
        self._thread.start()

    def _stopping(self) -> bool:
        return self._abort.is_set() or self._stop.is_set()

    def _run(self) -> None:
        try:
            with self._raw_store.on_side_connection():
                while not self._stopping():
                    self._wake.wait()
                    self._wake.clear()
                    finishing = self._finishing  # read before sending: a later finish() wakes again
                    if self._stopping():
                        return
                    self._send_due(self._store, self._outbox, self.done, self._stopping)
                    if finishing:
                        return
        except BaseException as exc:  # handed to the tick's thread, raised there
            self._error = exc
        finally:
            self.done.seconds = sum(self._watch.seconds.values())

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def wake(self) -> None:
        """More may be due (a commit queued acks); raises what the thread raised."""
        self._raise()
        self._wake.set()

    def finish(self, keep_lease: Callable[[], None]) -> Sent:
        """Send what is due now, wait for it (renewing the lease), and say what was done."""
        self._finishing = True
        self._wake.set()
        while self._thread.is_alive():
            self._thread.join(_JOIN_SECONDS)
            keep_lease()
        self._raise()
        return self.done

    def close(self) -> None:
        """Stop after the ack in flight and wait; a no-op once `finish()` has returned. Called by the
        tick whatever happens: when the tick itself failed, its error is the one raised."""
        self._abort.set()
        self._wake.set()
        self._thread.join()
        if self._error is not None and not isinstance(self._error, Exception):
            raise self._error  # a simulated crash (tests) is not swallowed by the tick's own error
        if self._error is not None:
            log.error("the sender failed too: %s", self._error)


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

    def _send_due(self, store: Store, outbox: Outbox, report: Sent, stopping: Callable[[], bool]) -> None:
        """Send every ack that is due (in the sender's thread: `store` is on the side connection)."""
        due = store.acks_due(self.clock())
        for start in range(0, len(due), RESERVE_AT_ONCE):
            if stopping():
                return
            self._keep_lease()
            group = due[start : start + RESERVE_AT_ONCE]
            reserved = store.reserve_sending([ack.id for ack in group])
            faults.point("reserved")
            todo = [a for a in group if a.id in reserved]
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
