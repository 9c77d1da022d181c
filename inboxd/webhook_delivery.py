"""Webhook delivery: the recorded events of a mailbox POSTed to its receivers; the only httpx importer.

Called by the mailbox's tick (inboxd.pipeline), under its lease, before it touches the
mail server (so that an outage of IMAP does not hold up the pages) and again when it
ends: new events are fanned out to the receivers that want them, then a bounded batch
of due deliveries is sent (MAX_PER_TICK, and no more once TIME_BUDGET seconds have
passed), each with the receiver's short timeout. A receiver that does not answer rests
as long as its first retry waits (`retry_base_seconds`), so a receiver that is down costs
a tick at most one timeout, not one per event. What each answer means and what is sent: inboxd.webhooks;
the state machine: inboxd.store.events.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from inboxd import faults, webhooks
from inboxd.config import Config, NotifyConfig, read_secret
from inboxd.store import Delivery, Store

log = logging.getLogger("inboxd.webhooks")

MAX_PER_TICK = 50
TIME_BUDGET = 10.0  # seconds of one tick spent on webhooks at most (plus one request's timeout)


@dataclass(frozen=True)
class Receiver:
    name: str  # webhooks.target_name(url): how the store knows it
    config: NotifyConfig
    secret: str | None = field(default=None, repr=False)

    @property
    def events(self) -> frozenset[str]:
        return frozenset(self.config.events)


def load_receivers(config: Config) -> list[Receiver]:
    """The [[notify]] receivers with their secrets read now; ConfigError when a secret cannot be."""
    receivers = []
    for index, notify in enumerate(config.notify):
        secret = read_secret(f"notify[{index}]", notify.secret_env, notify.secret_file, config.source, "secret")
        receivers.append(Receiver(webhooks.target_name(notify.url), notify, secret or None))
    return receivers


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


Post = Callable[[str, bytes, dict[str, str], float], int]


def http_post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST and return the status; httpx.HTTPError (no answer, a timeout) for the caller."""
    # httpx (and httpcore, h11, certifi) is imported on the first delivery, not by every daemon:
    # most have no [[notify]] receiver, and it costs the main process several MiB.
    import httpx  # noqa: PLC0415 - see above

    # No redirects: a 3xx is the receiver's misconfiguration, and a redirect could send the
    # signed event elsewhere.
    response = httpx.post(url, content=data, headers=headers, timeout=timeout, follow_redirects=False)
    return response.status_code


class Webhooks:
    """Delivers one mailbox's events to the configured receivers."""

    def __init__(
        self,
        receivers: Sequence[Receiver],
        account: str,
        folder: str,
        *,
        post: Post = http_post,
        clock: Callable[[], float] = time.time,
    ):
        self.receivers = {r.name: r for r in receivers}
        self.account = account
        self.folder = folder
        self._post = post
        self._clock = clock
        self._resting: dict[str, float] = {}  # receiver -> the time until which it is not tried

    def deliver(self, store: Store, stop: Callable[[], bool] = lambda: False) -> DeliveryReport:
        report = DeliveryReport()
        if not self.receivers:
            return report
        store.fan_out(self.account, self.folder, {name: r.events for name, r in self.receivers.items()})
        due = store.deliveries_due(self.account, self.folder, list(self.receivers), self._clock(), MAX_PER_TICK)
        started = time.monotonic()
        for delivery in due:
            if stop() or time.monotonic() - started > TIME_BUDGET:
                break
            if self._resting.get(delivery.target, 0.0) > self._clock():
                continue
            if not self._one(store, delivery, report):
                rest = self.receivers[delivery.target].config.retry_base_seconds
                self._resting[delivery.target] = self._clock() + rest
        return report

    def _one(self, store: Store, delivery: Delivery, report: DeliveryReport) -> bool:
        """Send one delivery and record how it went; False when the receiver did not answer."""
        receiver = self.receivers[delivery.target]
        cfg = receiver.config
        now = self._clock()
        attempts = delivery.attempts + 1
        if now - delivery.created_at > cfg.max_age_hours * 3600:
            store.mark_delivery_failed(
                delivery.event_id, delivery.target, f"not delivered within {cfg.max_age_hours:g} h"
            )
            report.failed += 1
            log.error("webhook event %s (%s) given up: older than notify.max_age_hours", delivery.key, delivery.kind,
                      extra={"event": "webhook_failed", "kind": delivery.kind, "key": delivery.key})  # fmt: skip
            return True
        data = webhooks.body(delivery.payload, cfg.format)
        headers = webhooks.headers(delivery.key, delivery.kind, data, receiver.secret, int(now))
        answered = True
        import httpx  # noqa: PLC0415 - imported on the first delivery (see http_post)

        faults.point("before_webhook")
        try:
            status = self._post(cfg.url, data, headers, cfg.timeout_seconds)
            outcome = webhooks.outcome(status)
            error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            outcome, error, answered = "retry", f"{type(exc).__name__}: {exc}"[:300], False
        if outcome == "delivered":
            faults.point("after_webhook")
            store.mark_delivered(delivery.event_id, delivery.target)
            report.delivered += 1
        elif outcome == "retry":
            store.mark_delivery_retry(
                delivery.event_id, delivery.target, error, now + webhooks.backoff(attempts, cfg.retry_base_seconds)
            )
            report.retrying += 1
            log.warning("webhook event %s (%s) not delivered yet (%s); retrying", delivery.key, delivery.kind, error)
        else:
            store.mark_delivery_failed(delivery.event_id, delivery.target, error)
            report.failed += 1
            log.error("webhook event %s (%s) refused by the receiver (%s): given up", delivery.key, delivery.kind,
                      error, extra={"event": "webhook_failed", "kind": delivery.kind, "key": delivery.key})  # fmt: skip
        return answered
