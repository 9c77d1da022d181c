"""The composition root: build every part from the config files.

Nothing else constructs edges (store, mailbox, outbox); secrets are read only through
`inboxd.credentials`. The CLI and `inboxd.daemon` (the running daemon) call in here.
`poll_once` is one tick under the mailbox lease, for `inboxd poll`.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
import uuid
import zoneinfo
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from inboxd.acknowledge import Policy
from inboxd.assets import Assets, load_assets
from inboxd.config import Config, load_configs, path_problems, read_secret
from inboxd.credentials import Credentials, Login, load_credentials
from inboxd.errors import ConfigError, InboxdError, MailboxError
from inboxd.escalation import EscalationRules, load_escalation
from inboxd.hours import parse_span
from inboxd.mailbox import ImapMailbox
from inboxd.outbox import SmtpOutbox
from inboxd.pipeline import Processor
from inboxd.processing import AckLimits, ProcessorSettings, TickReport
from inboxd.promise import PromiseSettings
from inboxd.render import Renderer, load_templates
from inboxd.spam import HeaderRule, SpamSettings
from inboxd.store import Store
from inboxd.store.rows import QuarantineRow
from inboxd.sync import KW_QUARANTINED
from inboxd.tickets import TicketPolicy
from inboxd.trust import TrustSettings
from inboxd.values import ParseLimits
from inboxd.webhook_delivery import Webhooks, load_receivers
from inboxd.workers import Preparer, preparer

if TYPE_CHECKING:  # the classifier package is imported in load_apps, once the model is being read
    from inboxd.classifier import Classifier

log = logging.getLogger("inboxd.compose")


@dataclass(frozen=True)
class App:
    """Everything that is decided by the config files, loaded and validated."""

    config: Config
    assets: Assets
    renderer: Renderer
    classifier: Classifier | None
    policy: Policy
    ticket_policy: TicketPolicy


def promise_settings(config: Config) -> PromiseSettings:
    """[ack] reply_within and the queue's estimate, on the mailbox's [hours] calendar."""
    ack = config.ack
    return PromiseSettings(
        calendar=config.hours.calendar(),
        reply_within=parse_span(ack.reply_span),
        surge_backlog=ack.surge_backlog,
        estimate_window_days=ack.estimate_window_days,
        estimate_max=parse_span(ack.estimate_max),
    )


def make_policy(config: Config, assets: Assets) -> Policy:
    promise = promise_settings(config)
    return Policy(
        own_addresses=config.own_addresses,
        message_id_domain=config.message_id_domain,
        default_language=config.ack.default_language,
        zone=zoneinfo.ZoneInfo(config.extract.default_timezone),
        categories=assets.categories,
        fields=assets.fields,
        team=config.smtp.from_name,
        reply_within_hours=max(1, round(promise.reply_within.seconds / 3600)),
        order_rules=assets.order_rules,
        trust=TrustSettings(frozenset(config.trust.authserv_ids), config.trust.verify_dkim),
        official_domains=config.trust.official_domains,
        promise=promise,
        phishing=assets.phishing,
        spam=SpamSettings(
            trust_headers=config.spam.trust_headers,
            header_rules=tuple(
                HeaderRule(rule.header, re.compile(rule.pattern, re.IGNORECASE)) for rule in config.spam.header_rules
            ),
            unsolicited_confidence=config.spam.unsolicited_confidence,
            folder=config.spam.folder,
        ),
    )


def load_apps(config_path: Path, *, with_model: bool = True) -> list[App]:
    """Load config, classifier assets, templates and (optionally) the model, one App per mailbox.

    The classifier assets and the model are shared by every mailbox; templates are
    loaded once per templates dir. Problems from every file are gathered into one
    ConfigError, so that an operator sees all of them at once.
    """
    configs = load_configs(config_path)
    # Every file and folder the config names, before anything is read from them: a missing
    # templates dir is one problem rather than one per template, and a bad CA file a problem
    # now rather than a traceback at each connection.
    problems = [problem for config in configs for problem in path_problems(config)]
    if problems:
        raise ConfigError(problems)
    return _load_apps(configs, with_model)


def _load_apps(configs: list[Config], with_model: bool) -> list[App]:
    first = configs[0]
    problems = []
    assets: Assets | None = None
    renderers: dict[Path, Renderer] = {}
    try:
        assets = load_assets(first.classifier.dir)
    except ConfigError as exc:
        problems.extend(exc.problems)
    escalation = EscalationRules({}, ())
    if assets is not None:
        for config in configs:
            if config.templates.dir in renderers:
                continue
            try:
                renderers[config.templates.dir] = load_templates(config.templates.dir, assets)
            except ConfigError as exc:
                problems.extend(exc.problems)
        try:
            escalation = load_escalation(first.classifier.dir / "escalation.toml", assets.categories)
        except ConfigError as exc:
            problems.extend(exc.problems)
    # The model last, and only with assets: it is checked against them.
    from inboxd.classifier import load_classifier, settings_problems  # noqa: PLC0415

    if assets is None:
        problems.extend(settings_problems(first.classifier.dir / "model.toml"))
    classifier: Classifier | None = None
    if assets is not None and with_model:
        try:
            classifier = load_classifier(assets, first.classifier.model_path, first.classifier.train_if_stale)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    assert assets is not None
    tickets = TicketPolicy(
        confirm_when_complete=first.tickets.confirm_when_complete,
        escalate_after_followups=first.tickets.escalate_after_followups,
        rules=escalation,
    )
    return [
        App(config, assets, renderers[config.templates.dir], classifier, make_policy(config, assets), tickets)
        for config in configs
    ]


def load_app(config_path: Path, *, with_model: bool = True) -> App:
    """The first (or only) mailbox's App."""
    return load_apps(config_path, with_model=with_model)[0]


def open_store(config: Config, *, readonly: bool = False) -> Store:
    """The store the config names: a SQLite file or a PostgreSQL database."""
    store = config.store
    password = read_secret("store", store.password_env, store.password_file, config.source) if store.url else None
    return Store(store.target, readonly=readonly, password=password or None)


def processor_settings(config: Config) -> ProcessorSettings:
    """The keys of `config` a mailbox's tick reads (inboxd.processing), as plain values."""
    ack, imap, tickets, sla = config.ack, config.imap, config.tickets, config.sla
    return ProcessorSettings(
        account=config.account,
        folder=imap.folder,
        batch_size=imap.batch_size,
        limits=ParseLimits.of(config.limits),
        quarantine_folder=imap.quarantine_folder,
        restricted_folder=imap.restricted_folder,
        move_to_category_folders=imap.move_to_category_folders,
        spam_folder=config.spam.folder,
        ticket_prefix=ack.ticket_prefix,
        max_send_attempts=ack.max_send_attempts,
        retry_base_seconds=ack.retry_base_seconds,
        ack_limits=AckLimits(
            ack.sender_window_minutes,
            ack.max_per_sender,
            ack.max_per_sender_domain,
            tuple(ack.domain_limit_exempt),
            ack.max_per_hour,
        ),
        keep_text_days=config.console.keep_text_days,
        resolved_keyword=tickets.resolved_keyword,
        reopen_within_days=tickets.reopen_within_days,
        subject_window_hours=tickets.subject_window_hours,
        followup_window_hours=tickets.followup_window_hours,
        sla_first_response=parse_span(sla.first_response) if sla.first_response else None,
        sla_resolution=parse_span(sla.resolution) if sla.resolution else None,
        smtp_connections=config.smtp.connections,
    )


def make_processor(
    app: App,
    store: Store,
    stop: threading.Event | None = None,
    credentials: Credentials | None = None,
    owner: str | None = None,
) -> Processor:
    """The mailbox's processor; `credentials` shares the logins (and their OAuth2 token) with others;
    with `owner`, it renews that owner's lease during long ticks."""
    if app.classifier is None:
        raise InboxdError("the processor needs a classifier")
    config = app.config
    logins = credentials or load_credentials(config)
    receivers = load_receivers(config)  # their secrets read now: a missing one stops start-up

    @contextmanager
    def mailbox() -> Iterator[ImapMailbox]:
        with ImapMailbox(config.imap, logins.imap) as box:
            yield box

    @contextmanager
    def outbox() -> Iterator[SmtpOutbox]:
        with SmtpOutbox(config.smtp, logins.smtp) as out:
            yield out

    def renew() -> bool:
        return store.acquire_lease(lease_name(config), owner or "", config.schedule.lease_seconds)

    def prepare(backlog: int) -> AbstractContextManager[Preparer]:
        return preparer(
            config.processing.workers, config.limits, backlog, app.policy.triage, take_back=config.processing.take_back
        )

    return Processor(
        settings=processor_settings(config),
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
        preparer=prepare,
        webhooks=Webhooks(receivers, config.account, config.imap.folder) if receivers else None,
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


def retry_quarantined(config: Config, store: Store, login: Login, rows: list[QuarantineRow]) -> tuple[int, list[str]]:
    """Send quarantined mail round again; returns (how many, problems).

    The store is changed first, then the server: if the move back fails the row is
    quarantined again, so a mail is never both out of quarantine and forgotten.
    """
    folder = config.imap.quarantine_folder
    done, problems = 0, []
    with ImapMailbox(config.imap, login) as box:
        for r in rows:
            where = f"quarantine {r.id} ({r.subject or r.message_id or 'no subject'})"
            if not folder:
                if box.select(r.folder) != r.uidvalidity:
                    problems.append(f"{where}: {r.folder} was rebuilt (UIDVALIDITY changed); retry by hand")
                    continue
                store.retry_quarantined(r.id, in_place=True)
                box.remove_keywords([r.uid], [KW_QUARANTINED])
                done += 1
                continue
            box.select(folder)
            found = box.find(r.size or 0, r.content_hash) if r.content_hash else []
            if not found:
                problems.append(f"{where}: not found in {folder} (moved by someone?)")
                continue
            store.retry_quarantined(r.id, in_place=False)
            try:
                box.remove_keywords(found[:1], [KW_QUARANTINED])
                box.move(found[:1], r.folder)
            except MailboxError:
                store.requarantine(r.id)
                raise
            done += 1
    return done, problems
