"""The running daemon: one worker per mailbox on one APScheduler, signals, reload, watchdog.

Each mailbox has its own job (interval `schedule.interval_seconds`, max_instances=1,
coalescing), its own store connection, lease and backoff, and its own IDLE watcher,
so a slow or broken server holds up only its own mailbox. SIGTERM/SIGINT: running
ticks finish their batch, state is committed, leases are released. SIGHUP: the
config, templates and classifier are loaded again; a bad new config is rejected
with its problems logged and the old one keeps running. Under systemd (Type=notify)
it reports readiness, status and stopping, and pings the watchdog while no tick is
stuck.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler

from inboxd.compose import App, lease_name, load_apps, make_processor, new_owner, open_store
from inboxd.credentials import load_credentials
from inboxd.errors import ConfigError, FolderMissing, StoreError, TransientError
from inboxd.metrics import Metrics
from inboxd.notify import Notifier
from inboxd.processing import TickReport
from inboxd.watch import IdleWatcher

log = logging.getLogger("inboxd.daemon")

STUCK_SECONDS = 15 * 60  # a tick running longer than this stops the watchdog pings


class Worker:
    """One mailbox: its processor, store connection, lease, backoff and wake-up."""

    def __init__(self, app: App, owner: str, stop: threading.Event, metrics: Metrics, shutdown: threading.Event):
        self.app = app
        self.name = app.config.name
        self.owner = owner
        self.stop = stop  # this generation of workers (a reload ends it)
        self.shutdown = shutdown  # the whole service
        self.metrics = metrics
        # One set of logins per mailbox: the poller and the IDLE watcher share its OAuth2 token.
        self.credentials = load_credentials(app.config)
        self.store = open_store(app.config)
        self.processor = make_processor(app, self.store, stop, self.credentials, owner)
        self.job_id = f"poll-{self.name}"
        self.scheduler: BackgroundScheduler | None = None
        self.tick_started: float | None = None
        self._lock = threading.Lock()
        self._wake = False
        self._running = False
        self._failures = 0
        self._not_before = 0.0
        self.fatal: BaseException | None = None

    def wake(self) -> None:
        """Poll now (IDLE saw new mail): at once, or right after the tick that is running."""
        with self._lock:
            self._wake = True
            if self._running or self.scheduler is None:
                return
        self._not_before = 0.0
        # The service may be stopping (or reloading) meanwhile: a scheduler that is shut down no
        # longer knows the job, and there is nothing to wake (a reload's first tick runs at once).
        # An IDLE watcher that reconnects late, after an outage, lands here.
        with contextlib.suppress(JobLookupError, SchedulerNotRunningError):
            self.scheduler.modify_job(self.job_id, next_run_time=datetime.now(UTC))

    def job(self) -> None:
        with self._lock:
            self._running = True
        try:
            while True:
                with self._lock:
                    self._wake = False
                self._tick()
                with self._lock:
                    if not self._wake or self.stop.is_set():
                        self._running = False
                        return
        finally:
            with self._lock:
                self._running = False

    def _tick(self) -> None:
        if self.stop.is_set() or time.monotonic() < self._not_before:
            return
        config = self.app.config
        name = lease_name(config)
        started = time.monotonic()
        self.tick_started = started
        try:
            if not self.store.acquire_lease(name, self.owner, config.schedule.lease_seconds):
                holder = self.store.lease_holder(name)
                log.info("another inboxd holds %s; waiting", name, extra={"holder": holder[0] if holder else None})
                return
            report = self.processor.tick()
        except FolderMissing as exc:
            # Not a server hiccup but a wrong imap.folder: retrying for ever would hide it.
            log.error("%s: stopping: %s (check imap.folder)", self.name, exc)
            self.fatal = exc
            self.stop.set()
            self.shutdown.set()
            return
        except TransientError as exc:
            # Back off exponentially (capped at 15 minutes) so a dead server is not hammered.
            self._failures += 1
            delay = min(900.0, config.schedule.interval_seconds * 2 ** (self._failures - 1))
            self._not_before = time.monotonic() + delay
            self._failed(f"{exc}", delay)
            return
        except StoreError as exc:
            log.error("%s: the store failed; stopping: %s", self.name, exc)
            self.fatal = exc
            self.stop.set()
            self.shutdown.set()
            return
        except Exception as exc:  # keep the daemon alive; the next tick retries
            self._failures += 1
            log.exception("%s: tick failed unexpectedly", self.name)
            self._failed(f"{type(exc).__name__}: {exc}", config.schedule.interval_seconds)
            return
        finally:
            self.tick_started = None
        self._failures = 0
        self._done(report, time.monotonic() - started)

    def _failed(self, error: str, delay: float) -> None:
        log.warning("%s: tick failed, retrying in %.0f s: %s", self.name, delay, error,
                    extra={"event": "tick_failed", "mailbox": self.name})  # fmt: skip
        self.metrics.tick_errors.labels(self.name).inc()
        with contextlib.suppress(StoreError):  # the store's own trouble is reported by the next tick
            self.store.record_poll(self.name, self.app.config.account, self.app.config.imap.folder, error=error)

    def _done(self, report: TickReport, seconds: float) -> None:
        m, name = self.metrics, self.name
        m.tick_seconds.labels(name).observe(seconds)
        m.last_success.labels(name).set(time.time())
        m.backlog.labels(name).set(report.backlog)
        for (category, outcome), count in report.outcomes.items():
            m.mails.labels(name, category, outcome).inc(count)
        m.acks.labels(name).inc(report.sent)
        for state, count in (("retrying", report.retrying), ("failed", report.failed),
                             ("unknown", report.unknown + report.recovered_unknown)):  # fmt: skip
            if count:
                m.ack_problems.labels(name, state).inc(count)
        m.quarantined.labels(name).inc(report.quarantined)
        m.escalations.labels(name).inc(report.escalations)
        m.spoofed.labels(name).inc(report.spoofed)
        m.phishing_reports.labels(name).inc(report.phishing_reports)
        m.lookalikes.labels(name).inc(report.lookalikes)
        for reason, count in report.withheld.items():
            m.withheld.labels(name, reason).inc(count)
        for outcome, count in report.webhooks.items():
            if count:
                m.webhooks.labels(name, outcome).inc(count)
        m.sla_breaches.labels(name).inc(report.sla_breaches)
        for category, estimate in report.estimates.items():
            m.reply_estimate.labels(name, category).set(estimate)
        for category, count in report.open_tickets.items():
            m.open_tickets.labels(name, category).set(count)
        self.store.record_poll(
            name, self.app.config.account, self.app.config.imap.folder, backlog=report.backlog, seconds=seconds
        )
        log.info(
            "tick done",
            extra={
                "event": "tick",
                "mailbox": name,
                "decided": len(report.rows),
                "sent": report.sent,
                "retrying": report.retrying,
                "failed": report.failed,
                "unknown": report.unknown,
                "seconds": round(seconds, 3),
            },
        )

    def close(self) -> None:
        with contextlib.suppress(StoreError):
            self.store.release_lease(lease_name(self.app.config), self.owner)
        self.store.close()


class Service:
    """`run()` blocks until SIGTERM/SIGINT; SIGHUP reloads."""

    def __init__(self, config_path: Path, apps: list[App], notifier: Notifier | None = None):
        self.config_path = config_path
        self.apps = apps
        self.notifier = notifier or Notifier()
        self.metrics = Metrics()
        self.owner = new_owner()
        # `stop` ends the service (signals, a fatal store error); `_halt` ends one generation of
        # workers (every reload starts a new one), so a SIGTERM during a reload is never lost.
        self.stop = threading.Event()
        self._halt = threading.Event()
        self._reload = threading.Event()
        self.workers: list[Worker] = []
        self.watchers: list[IdleWatcher] = []
        self.scheduler: BackgroundScheduler | None = None

    # -- signals -----------------------------------------------------------------------

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("received %s: finishing the current batch and stopping", signal.Signals(signum).name)
        self.stop.set()

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self._reload.set()

    # -- start / stop the workers ----------------------------------------------------------

    def _start(self) -> None:
        self._halt = threading.Event()
        # One thread per mailbox: a slow server holds up only its own mailbox.
        executors = {"default": {"type": "threadpool", "max_workers": len(self.apps) + 1}}
        scheduler = BackgroundScheduler(timezone="UTC", executors=executors)
        self.workers = [Worker(app, self.owner, self._halt, self.metrics, self.stop) for app in self.apps]
        first = self.apps[0]
        model = first.classifier.model.meta.get("assets_fingerprint", "")[:12] if first.classifier else ""
        self.metrics.set_info(model=model, config=_digest(self.config_path))
        for worker in self.workers:
            worker.scheduler = scheduler
            scheduler.add_job(
                worker.job,
                "interval",
                seconds=worker.app.config.schedule.interval_seconds,
                id=worker.job_id,
                max_instances=1,
                coalesce=True,
                next_run_time=datetime.now(UTC),  # first tick at once, not after one interval
                misfire_grace_time=None,
            )
        scheduler.start()
        self.scheduler = scheduler
        self.watchers = []
        for worker in self.workers:
            config = worker.app.config
            if not config.imap.idle:
                continue
            watcher = IdleWatcher(worker.name, config.imap, worker.credentials.imap, worker.wake)
            watcher.start()
            self.watchers.append(watcher)

    def _stop_workers(self) -> None:
        self._halt.set()
        for watcher in self.watchers:
            watcher.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)  # running ticks finish their batch
            self.scheduler = None
        for watcher in self.watchers:
            watcher.join(timeout=10)
        for worker in self.workers:
            worker.close()

    def _try_reload(self) -> None:
        self.notifier.reloading()
        try:
            apps = load_apps(self.config_path)
            for app in apps:
                load_credentials(app.config)
        except ConfigError as exc:
            log.error(
                "reload rejected, the running configuration stays: %s",
                "; ".join(str(p) for p in exc.problems),
                extra={"event": "reload_rejected"},
            )
            self.notifier.ready("reload rejected; running the previous configuration")
            return
        log.info("reloading: finishing running ticks, then starting with the new configuration")
        self._halt.set()
        self._stop_workers()
        if self.stop.is_set():
            return  # a SIGTERM arrived meanwhile: do not start again
        self.apps = apps
        self._start()
        log.info("reloaded", extra={"event": "reloaded", "mailboxes": [a.config.name for a in apps]})
        self.notifier.ready(f"running {len(apps)} mailbox(es)")

    # -- main loop -------------------------------------------------------------------------

    def _model_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.apps[0].config.classifier.model_path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def healthy(self) -> bool:
        now = time.monotonic()
        return all(w.tick_started is None or now - w.tick_started < STUCK_SECONDS for w in self.workers)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)
        listen = self.apps[0].config.metrics.listen
        if listen:
            self.metrics.serve(listen)
        self._start()
        names = [a.config.name for a in self.apps]
        log.info("inboxd running", extra={"event": "started", "mailboxes": names})
        self.notifier.ready(f"running {len(names)} mailbox(es)")
        ping = max(0.5, self.notifier.watchdog_seconds / 3) if self.notifier.watchdog_seconds else 1.0
        model = self._model_stamp()
        try:
            while not self.stop.wait(min(1.0, ping)):
                # A model promoted (or rolled back) in the console replaces the file: reload as SIGHUP does.
                if (stamp := self._model_stamp()) != model:
                    model = stamp
                    if stamp is not None:
                        log.info("the model file changed: reloading", extra={"event": "model_changed"})
                        self._reload.set()
                if self._reload.is_set():
                    self._reload.clear()
                    self._try_reload()
                if self.notifier.watchdog_seconds and self.healthy():
                    self.notifier.watchdog()
        finally:
            self.notifier.stopping()
            self.stop.set()
            self._stop_workers()
            log.info("inboxd stopped", extra={"event": "stopped"})
        return 1 if any(w.fatal for w in self.workers) else 0


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return ""
