"""The tick's outgoing mail: acknowledgements, confirmations and resolution notices that are due.

Sending keeps every mail at most once (see `inboxd.store` for the state machine): acks are
committed `sending` for up to RESERVE_AT_ONCE of them before SMTP, each marked as attempted
just before its transaction, `sent` after; a temporary failure is retried with a backoff, a
permanent one recorded, one whose fate is unknown never re-sent blindly. Resolution notices
are queued like acks and sent the same way; webhook events are delivered here too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING

from inboxd import faults
from inboxd.acknowledge import Policy
from inboxd.errors import SendPermanent, SendTemporary, SendUnknown, SmtpUnavailable, StoreError
from inboxd.processing import Outbox, ProcessorSettings, TickReport
from inboxd.render import Renderer
from inboxd.resolution import build_notice
from inboxd.store import AckRow, Store

if TYPE_CHECKING:
    from inboxd.webhook_delivery import Webhooks

log = logging.getLogger("inboxd.pipeline")

# Acks committed as `sending` in one synced commit (see store/acks.py); after a power cut, up to
# this many are unknown (a crash of inboxd alone leaves at most the one in flight unknown).
RESERVE_AT_ONCE = 16


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

    def _send_due(self, outbox: Outbox, report: TickReport) -> None:
        due = self.store.acks_due(self.clock())
        for start in range(0, len(due), RESERVE_AT_ONCE):
            if self.stop.is_set():
                return
            self._keep_lease()
            group = due[start : start + RESERVE_AT_ONCE]
            reserved = self.store.reserve_sending([ack.id for ack in group])
            faults.point("reserved")
            left = list(reserved)  # reserved and not attempted: pending again if the tick stops here
            try:
                for ack in (a for a in group if a.id in reserved):
                    if self.stop.is_set():
                        return
                    self._keep_lease()
                    left.remove(ack.id)
                    if not self.store.begin_attempt(ack.id):
                        continue
                    if not self._send_one(ack, outbox, report):
                        return  # SMTP is down: the others stay pending for the next tick
            finally:
                if left:
                    with suppress(StoreError):  # if not now, the next tick's recovery does it
                        self.store.release_reserved(left)

    def _send_one(self, ack: AckRow, outbox: Outbox, report: TickReport) -> bool:
        """Hand one attempted ack to SMTP and record how it went; False when SMTP is unavailable."""
        attempts = ack.attempts + 1
        faults.point("before_send")
        try:
            outbox.send(ack.mail, ack.ticket_ref)
        except SendTemporary as exc:
            if attempts >= self.settings.max_send_attempts:
                self.store.mark_failed(ack.id, f"gave up after {attempts} attempts: {exc}")
                report.failed += 1
            else:
                self.store.mark_retry(ack.id, str(exc), self.clock() + self._backoff(attempts))
                report.retrying += 1
            log.warning("ack %s to %s not sent yet: %s", ack.id, ack.ticket_ref, exc)
            return not isinstance(exc, SmtpUnavailable)
        except SendPermanent as exc:
            self.store.mark_failed(ack.id, str(exc))
            report.failed += 1
            log.error("ack %s for %s refused: %s", ack.id, ack.ticket_ref, exc)
        except SendUnknown as exc:
            self.store.mark_unknown(ack.id, str(exc))
            report.unknown += 1
            log.error("ack %s for %s: fate unknown: %s", ack.id, ack.ticket_ref, exc)
        else:
            faults.point("after_send")
            try:
                self.store.mark_sent(ack.id)
            except StoreError:
                self._sent_unrecorded.add(ack.id)
                raise
            report.sent += 1
        return True

    def _resolution_notices(self, report: TickReport) -> int:
        """Close tickets nobody answered in time; queue the notice of each newly resolved ticket
        (sent by `_send_due` like an acknowledgement). Returns the notices queued."""
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
