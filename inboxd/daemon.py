"""The composition root: build every part from the config, and run the schedule.

Nothing else constructs edges (store, mailbox, outbox) or reads secrets; the CLI
calls in here. `run_daemon` drives ticks with APScheduler 3.x (one job,
max_instances=1, coalescing missed runs) and stops gracefully on SIGTERM/SIGINT:
the current batch finishes, its state is committed, the lease is released.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from inboxd.assets import Assets, load_assets
from inboxd.classify import Classifier, load_classifier, settings_problems
from inboxd.config import Config, load_config, read_secret
from inboxd.decide import Policy
from inboxd.errors import ConfigError, FolderMissing, InboxdError, MailboxError, StoreError, TransientError
from inboxd.escalation import EscalationRules, load_escalation
from inboxd.mailbox import ImapMailbox
from inboxd.outbox import SmtpOutbox
from inboxd.pipeline import KW_QUARANTINED, Processor, TickReport
from inboxd.render import Renderer, load_templates
from inboxd.store import Store
from inboxd.tickets import TicketPolicy

log = logging.getLogger("inboxd.daemon")


@dataclass(frozen=True)
class App:
    """Everything that is decided by the config files, loaded and validated."""

    config: Config
    assets: Assets
    renderer: Renderer
    classifier: Classifier | None
    policy: Policy
    ticket_policy: TicketPolicy


def make_policy(config: Config, assets: Assets) -> Policy:
    return Policy(
        own_addresses=config.own_addresses,
        message_id_domain=config.message_id_domain,
        default_language=config.ack.default_language,
        zone=zoneinfo.ZoneInfo(config.extract.default_timezone),
        categories=assets.categories,
        fields=assets.fields,
        team=config.smtp.from_name,
        reply_within_hours=config.ack.reply_within_hours,
    )


def load_app(config_path: Path, *, with_model: bool = True) -> App:
    """Load config, classifier assets, templates and (optionally) the model.

    Problems from every file are gathered into one ConfigError, so that an operator
    sees all of them at once.
    """
    config = load_config(config_path)
    problems = []
    assets: Assets | None = None
    renderer: Renderer | None = None
    try:
        assets = load_assets(config.classifier.dir)
    except ConfigError as exc:
        problems.extend(exc.problems)
        problems.extend(settings_problems(config.classifier.dir / "model.toml"))
    escalation = EscalationRules({}, ())
    if assets is not None:
        try:
            renderer = load_templates(config.templates.dir, assets)
        except ConfigError as exc:
            problems.extend(exc.problems)
        try:
            escalation = load_escalation(config.classifier.dir / "escalation.toml", assets.categories)
        except ConfigError as exc:
            problems.extend(exc.problems)
    classifier: Classifier | None = None
    if assets is not None and with_model:
        try:
            classifier = load_classifier(assets, config.classifier.model_path, config.classifier.train_if_stale)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    assert assets is not None and renderer is not None
    tickets = TicketPolicy(
        confirm_when_complete=config.tickets.confirm_when_complete,
        escalate_after_followups=config.tickets.escalate_after_followups,
        rules=escalation,
    )
    return App(config, assets, renderer, classifier, make_policy(config, assets), tickets)


def passwords(config: Config) -> tuple[str, str | None]:
    imap = read_secret("imap", config.imap.password_env, config.imap.password_file, config.source)
    smtp = None
    if config.smtp.username:
        smtp = read_secret("smtp", config.smtp.password_env, config.smtp.password_file, config.source)
    return imap, smtp


def open_store(config: Config) -> Store:
    return Store(config.store.path)


def make_processor(app: App, store: Store, stop: threading.Event | None = None, owner: str | None = None) -> Processor:
    """The processor for the configured mailbox; with `owner`, it renews that owner's lease during long ticks."""
    if app.classifier is None:
        raise InboxdError("the processor needs a classifier")
    imap_password, smtp_password = passwords(app.config)
    config = app.config

    @contextmanager
    def mailbox() -> Iterator[ImapMailbox]:
        with ImapMailbox(config.imap, imap_password) as box:
            yield box

    @contextmanager
    def outbox() -> Iterator[SmtpOutbox]:
        with SmtpOutbox(config.smtp, smtp_password) as out:
            yield out

    def renew() -> bool:
        return store.acquire_lease(lease_name(config), owner or "", config.schedule.lease_seconds)

    return Processor(
        config=config,
        store=store,
        mailbox=mailbox,
        outbox=outbox,
        classifier=app.classifier,
        renderer=app.renderer,
        policy=app.policy,
        ticket_policy=app.ticket_policy,
        stop=stop,
        lease=renew if owner else None,
        lease_seconds=config.schedule.lease_seconds,
    )


def lease_name(config: Config) -> str:
    return f"mailbox:{config.account}/{config.imap.folder}"


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseHeld(InboxdError):
    """Another inboxd is working on this mailbox."""


def poll_once(app: App, store: Store, owner: str | None = None) -> TickReport:
    """One tick under the mailbox lease (used by `inboxd poll`)."""
    owner = owner or new_owner()
    name = lease_name(app.config)
    if not store.acquire_lease(name, owner, app.config.schedule.lease_seconds):
        holder = store.lease_holder(name)
        left = max(0.0, holder[1] - time.time()) if holder else 0.0
        raise LeaseHeld(f"another inboxd ({holder[0] if holder else '?'}) holds {name}; it expires in {left:.0f} s")
    try:
        return make_processor(app, store, owner=owner).tick()
    finally:
        store.release_lease(name, owner)


def retry_quarantined(
    config: Config, store: Store, imap_password: str, rows: list[dict[str, Any]]
) -> tuple[int, list[str]]:
    """Send quarantined mail round again; returns (how many, problems).

    The store is changed first, then the server: if the move back fails the row is
    quarantined again, so a mail is never both out of quarantine and forgotten.
    """
    folder = config.imap.quarantine_folder
    done, problems = 0, []
    with ImapMailbox(config.imap, imap_password) as box:
        for r in rows:
            where = f"quarantine {r['id']} ({r['subject'] or r['message_id'] or 'no subject'})"
            if not folder:
                if box.select(r["folder"]) != r["uidvalidity"]:
                    problems.append(f"{where}: {r['folder']} was rebuilt (UIDVALIDITY changed); retry by hand")
                    continue
                store.retry_quarantined(r["id"], in_place=True)
                box.remove_keywords([r["uid"]], [KW_QUARANTINED])
                done += 1
                continue
            box.select(folder)
            found = box.find(r["size"] or 0, r["content_hash"]) if r["content_hash"] else []
            if not found:
                problems.append(f"{where}: not found in {folder} (moved by someone?)")
                continue
            store.retry_quarantined(r["id"], in_place=False)
            try:
                box.remove_keywords(found[:1], [KW_QUARANTINED])
                box.move(found[:1], r["folder"])
            except MailboxError:
                store.requarantine(r["id"])
                raise
            done += 1
    return done, problems


class Daemon:
    """The scheduled loop. `run()` blocks until SIGTERM/SIGINT or `stop` is set."""

    def __init__(self, app: App, store: Store):
        self.app = app
        self.store = store
        self.stop = threading.Event()
        self.owner = new_owner()
        self.processor = make_processor(app, store, self.stop, self.owner)
        self._failures = 0
        self._not_before = 0.0
        self.fatal: BaseException | None = None

    def _tick(self) -> None:
        if self.stop.is_set() or time.monotonic() < self._not_before:
            return
        config = self.app.config
        name = lease_name(config)
        try:
            if not self.store.acquire_lease(name, self.owner, config.schedule.lease_seconds):
                holder = self.store.lease_holder(name)
                log.info(
                    "another inboxd holds the mailbox lease; waiting",
                    extra={"holder": holder[0] if holder else None},
                )
                return
            report = self.processor.tick()
        except FolderMissing as exc:
            # Not a server hiccup but a wrong imap.folder: retrying for ever would hide it.
            log.error("stopping: %s (check imap.folder)", exc)
            self.fatal = exc
            self.stop.set()
            return
        except TransientError as exc:
            # Back off exponentially (capped at 15 minutes) so a dead server is not hammered.
            self._failures += 1
            delay = min(900.0, config.schedule.interval_seconds * 2 ** (self._failures - 1))
            self._not_before = time.monotonic() + delay
            log.warning("tick failed, retrying in %.0f s: %s", delay, exc, extra={"event": "tick_failed"})
            return
        except StoreError as exc:
            log.error("the store failed; stopping: %s", exc)
            self.fatal = exc
            self.stop.set()
            return
        except Exception as exc:  # keep the daemon alive; the next tick retries
            self._failures += 1
            log.exception("tick failed unexpectedly")
            self.fatal = None if self._failures < 5 else exc
            return
        self._failures = 0
        log.info(
            "tick done",
            extra={
                "event": "tick",
                "decided": len(report.rows),
                "sent": report.sent,
                "retrying": report.retrying,
                "failed": report.failed,
                "unknown": report.unknown,
            },
        )

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("received %s: finishing the current batch and stopping", signal.Signals(signum).name)
        self.stop.set()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        scheduler = BackgroundScheduler(timezone="UTC")
        scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.app.config.schedule.interval_seconds,
            id="poll",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),  # first tick at once, not after one interval
            misfire_grace_time=None,
        )
        scheduler.start()
        log.info("inboxd running", extra={"event": "started", "mailbox": lease_name(self.app.config)})
        try:
            while not self.stop.wait(1.0):
                pass
        finally:
            scheduler.shutdown(wait=True)  # lets a running tick finish its batch
            with suppress(StoreError):
                self.store.release_lease(lease_name(self.app.config), self.owner)
            log.info("inboxd stopped", extra={"event": "stopped"})
        return 1 if self.fatal else 0
