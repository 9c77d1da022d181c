"""One tick over one mailbox: fetch, claim, parse, screen, classify, decide, send, sync.

The order is what makes it safe (see `inboxd.store` for the state machine):

1. acks left `sending` by a dead process become `unknown` (never re-sent blindly), except
   those it reserved but never handed to SMTP, which are pending again;
2. due acks are sent (`sending` committed durably for up to RESERVE_AT_ONCE of them
   before SMTP, each marked as attempted just before its transaction, `sent` after);
3. decided messages get their IMAP keywords / move — only after their state is committed;
4. new UIDs after the checkpoint are fetched in batches with BODY.PEEK[]; each is
   claimed (idempotent), parsed, screened, classified (one model call per batch),
   decided and committed with its ticket and pending ack; then 2 runs for the batch,
   and the checkpoint moves past it. 3 runs every SYNC_AT_ONCE mails or
   SYNC_EVERY_SECONDS of a burst, and when the tick ends.

A mail that fails anywhere in parse/decide is quarantined with its reason and the
batch goes on. A server or store failure stops the tick; nothing is lost, the next
tick picks up where the store says this one stopped. The mailbox lease is renewed
as the tick goes; if another inboxd holds it, the tick stops at once (LeaseLost).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from inboxd import faults
from inboxd.config import Config
from inboxd.decide import Policy, build_ack, build_confirmation, classifier_text, decide
from inboxd.domains import domain_of
from inboxd.errors import (
    LeaseLost,
    MessageError,
    SendPermanent,
    SendTemporary,
    SendUnknown,
    SmtpUnavailable,
    StoreError,
)
from inboxd.escalation import PHISHING_REPORT
from inboxd.hours import NoOpenHours, Span, parse_span
from inboxd.mailbox import Fetched
from inboxd.models import (
    Action,
    Bounce,
    Classification,
    Decision,
    Facts,
    MessageKey,
    OutgoingMail,
    ParsedEmail,
    Screening,
    SkipReason,
)
from inboxd.promise import QueueState, promise
from inboxd.reference import ticket_reference
from inboxd.render import Renderer
from inboxd.resolution import build_notice
from inboxd.screen import screen
from inboxd.stopwatch import STAGES, Stopwatch
from inboxd.store import AckRow, Store, SyncRow
from inboxd.store.rows import MessageRow
from inboxd.tickets import (
    TicketPlan,
    TicketPolicy,
    facts_from_dict,
    normalise_subject,
    plan_followup,
    plan_forged,
    plan_new,
)
from inboxd.trust import sender_auth
from inboxd.workers import InProcess, Prepared, Preparer

if TYPE_CHECKING:  # scikit-learn is imported when the model is loaded, not with this module
    from inboxd.classifier import Classifier
    from inboxd.webhook_delivery import Webhooks

log = logging.getLogger("inboxd.pipeline")

# Acks committed as `sending` in one synced commit (see store/acks.py); after a power cut, up to
# this many are unknown (a crash of inboxd alone leaves at most the one in flight unknown).
RESERVE_AT_ONCE = 16

# During a burst, keywords and moves are applied to the server for several batches at once.
# On a maildir, Dovecot renames a file for each keyword it sets and then reads the whole
# directory again before the next command, so each STORE costs more the larger the mailbox:
# syncing every batch of 200 cost 0.05 ms a mail at 10,000 mails and 0.18 ms at 50,000. What
# is still to apply is in the store (synced = 0), so waiting loses nothing. Agents see a
# burst's keywords this late (plus the batch in hand, which a sync waits for), and the
# tick's last mails' when it ends.
SYNC_AT_ONCE = 1000
SYNC_EVERY_SECONDS = 10.0
# The queue behind the promise (inboxd.promise) is read from the store once a tick, and again
# after this long during a burst: counting every open ticket for each batch of 200 would cost a
# 50,000-mail burst more than the promises themselves; the tickets it opens are counted as it goes.
QUEUE_SECONDS = 60.0

KW_ACKED = "$Inboxd-Acked"
KW_MISSING = "$Inboxd-MissingInfo"
KW_SKIPPED = "$Inboxd-Skipped"
KW_QUARANTINED = "$Inboxd-Quarantined"
KW_ACK_FAILED = "$Inboxd-AckFailed"
KW_ACK_UNKNOWN = "$Inboxd-AckUnknown"
KW_ACK_CANCELLED = "$Inboxd-AckCancelled"
KW_FOLLOWUP = "$Inboxd-FollowUp"
KW_ESCALATED = "$Inboxd-Escalated"
KW_REOPENED = "$Inboxd-Reopened"
KW_RATE_LIMITED = "$Inboxd-RateLimited"
KW_SECRET = "$Inboxd-Secret"
KW_SPOOFED = "$Inboxd-Spoofed"
KW_PHISHING = "$Inboxd-PhishingReport"
KW_SPAM = "$Inboxd-Spam"
# Skip reasons of mail that is spam: flagged KW_SPAM and moved to [spam] folder, never deleted.
_SPAM = frozenset({SkipReason.SPAM.value, SkipReason.UNSOLICITED.value})
KW_LOOKALIKE = "$Inboxd-Lookalike"  # links to a domain made to pass for an official one (inboxd.links)
KW_SLA_BREACHED = "$Inboxd-SlaBreached"
_HOUR = ""  # the key of the last hour's count among the per-domain counts (no domain is "")
# Skip reasons of a request answered no more because of a limit: all flagged alike.
_LIMITED = frozenset({"rate_limited", "domain_limited", "budget"})
_ACK_KEYWORD = {
    "sent": KW_ACKED,
    "failed": KW_ACK_FAILED,
    "unknown": KW_ACK_UNKNOWN,
    "cancelled": KW_ACK_CANCELLED,
}


class Mailbox(Protocol):
    uidvalidity: int

    def select(self, folder: str | None = None, readonly: bool = False) -> int: ...
    def uids_after(self, last_uid: int) -> list[int]: ...
    def sizes(self, uids: Sequence[int]) -> dict[int, int]: ...
    def fetch(self, uids: Sequence[int], sizes: dict[int, int], max_batch_bytes: int = ...) -> Iterable[Fetched]: ...
    def add_keywords(self, uids: Sequence[int], keywords: Iterable[str]) -> None: ...
    def move(self, uids: Sequence[int], folder: str) -> None: ...
    def uids_with_keyword(self, keyword: str) -> list[int]: ...
    def answered(self, uids: Sequence[int]) -> list[int]: ...


class Outbox(Protocol):
    def send(self, mail: OutgoingMail, ticket: str | None = None) -> None: ...


@dataclass
class TickReport:
    """What one tick did; `rows` are the store ids of the messages it decided."""

    # Per-mail bookkeeping stays small however long the tick: ids as an int64 array, the
    # (category, outcome) pairs as counts (a list of each cost 5 MiB at 50,000 mails).
    rows: array[int] = field(default_factory=lambda: array("q"))
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown: int = 0
    recovered_unknown: int = 0
    synced: int = 0
    backlog: int = 0  # new or pending UIDs this tick found
    quarantined: int = 0
    escalations: int = 0
    spoofed: int = 0  # mails whose From is proven forged (for a human, never answered)
    phishing_reports: int = 0  # mails asking whether something is ours: handed to the security team
    lookalikes: int = 0  # mails that link to a look-alike of an official domain
    notices: int = 0  # resolution notices queued (sent like acks)
    closed: int = 0  # resolved tickets closed: no reply within [tickets] reopen_within_days
    # Webhook deliveries this tick: delivered, to be retried, given up (inboxd.webhook_delivery).
    webhooks: Counter[str] = field(default_factory=Counter)
    sla_breaches: int = 0  # tickets escalated this tick because an SLA due time passed
    # Per category of the tickets opened this tick: the queue's estimate of the reply time
    # (business seconds, 0: none) and the unresolved tickets, as the last promise saw them.
    estimates: dict[str, float] = field(default_factory=dict)
    open_tickets: dict[str, int] = field(default_factory=dict)
    withheld: Counter[str] = field(default_factory=Counter)  # acks not sent by the limits, by skip reason
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # decided mails by (category, outcome)
    error: str | None = None
    # Seconds per stage (inboxd.stopwatch.STAGES), and the most one mail took to parse,
    # redact, screen and decide (hostile input must stay bounded).
    stages: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    slowest_mail_seconds: float = 0.0


@dataclass(slots=True)
class _Parsed:
    """A claimed mail, parsed and redacted; `seconds` is what it has cost so far."""

    row: int
    mail: ParsedEmail
    raw: bytes
    seconds: float
    facts: Facts | None = None  # extracted along with parsing (in the worker), if it was


@dataclass(slots=True)
class _Fetching:
    """A batch fetched and claimed; `results()` gives its mails parsed and redacted, in order."""

    uids: list[int]
    claimed: list[tuple[int, Fetched]]  # (store row, fetched mail) of the mails claimed as new
    results: Callable[[], list[Prepared]]


def keywords_for(row: SyncRow, category_keywords: dict[str, str]) -> list[str]:
    """The IMAP keywords that show agents, in their own mail client, what happened to a mail."""
    if row.action == Action.QUARANTINE:
        return [KW_QUARANTINED]
    if row.action == Action.SKIP:
        if row.skip_reason in _SPAM:
            return [KW_SKIPPED, KW_SPAM]
        return [KW_SKIPPED, KW_RATE_LIMITED] if row.skip_reason in _LIMITED else [KW_SKIPPED]
    keywords: list[str] = []
    if row.action == Action.ESCALATE:
        keywords.append(KW_SPOOFED)
    if row.action == Action.FOLLOWUP:
        keywords.append(KW_FOLLOWUP)
    if row.ack_state in _ACK_KEYWORD:
        keywords.append(_ACK_KEYWORD[row.ack_state])
    if row.missing:
        keywords.append(KW_MISSING)
    if row.action == Action.ACK and row.category and row.category in category_keywords:
        keywords.append(category_keywords[row.category])
    if row.escalation:
        keywords.append(KW_ESCALATED)
        if PHISHING_REPORT in row.escalation:
            keywords.append(KW_PHISHING)
    if row.reopened:
        keywords.append(KW_REOPENED)
    if row.security_incident:
        keywords.append(KW_SECRET)
    if row.lookalike:
        keywords.append(KW_LOOKALIKE)
    return keywords


class Processor:
    """Runs ticks for one mailbox. Everything with I/O is passed in."""

    def __init__(
        self,
        *,
        config: Config,
        store: Store,
        mailbox: Callable[[], AbstractContextManager[Mailbox]],
        outbox: Callable[[], AbstractContextManager[Outbox]],
        classifier: Classifier,
        renderer: Renderer,
        policy: Policy,
        ticket_policy: TicketPolicy,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.time,
        lease: Callable[[], bool] | None = None,
        lease_seconds: float = 300.0,
        preparer: Callable[[int], AbstractContextManager[Preparer]] | None = None,
        webhooks: Webhooks | None = None,
    ):
        self.config = config
        self.store = store
        self._mailbox = mailbox
        self._outbox = outbox
        self.classifier = classifier
        self.renderer = renderer
        self.policy = policy
        self.ticket_policy = ticket_policy
        self.stop = stop or threading.Event()
        self.clock = clock
        # Renews the mailbox lease (False: another inboxd holds it). The caller takes the
        # lease before a tick; a long tick renews it well before it runs out.
        self._lease = lease
        self._lease_every = lease_seconds / 3
        self._lease_renewed = 0.0
        # Acks that went out while their `sent` could not be committed (disk full, a lock):
        # this process knows they were delivered, so it records that instead of "unknown".
        self._sent_unrecorded: set[int] = set()
        self.account = config.account
        self.folder = config.imap.folder
        self._category_keywords = {c.name: c.keyword for c in policy.categories.values()}
        self._watch = Stopwatch()
        self._unsynced_mails = 0  # decided since the last sync to the server
        self._budget_warned = False  # the hourly budget's warning is logged once per tick
        # Acks per sender domain, and in the last hour (key _HOUR), for the batch being decided.
        self._ack_counts: dict[str, int] = {}
        self._synced_at = 0.0  # time.monotonic() of that sync
        # Unresolved tickets and recent resolutions per category (None: not read yet), and when they
        # were read (time.monotonic()): once a tick, again after QUEUE_SECONDS of a long one.
        self._queue: dict[str, list[int]] | None = None
        self._queue_read = 0.0
        # [sla] due times, counted on the [hours] calendar like the promise.
        self._sla: tuple[Span | None, Span | None] = (
            parse_span(config.sla.first_response) if config.sla.first_response else None,
            parse_span(config.sla.resolution) if config.sla.resolution else None,
        )
        # Parsing and redaction, given the tick's backlog: in place, or in worker processes.
        self._preparer = preparer or (lambda backlog: nullcontext(InProcess(config.limits, policy.fact_settings)))
        self._prepare: Preparer = InProcess(config.limits, policy.fact_settings)
        self._webhooks = webhooks  # the [[notify]] receivers, if any

    # -- the tick ----------------------------------------------------------------------------

    def tick(self) -> TickReport:
        report = TickReport()
        self._budget_warned = False
        self._queue = None  # read afresh when the tick's first ticket is opened
        self._watch = watch = Stopwatch()
        report.stages = watch.seconds
        self._lease_renewed = time.monotonic()
        with watch("store"):
            for ack_id in sorted(self._sent_unrecorded):
                self.store.mark_sent(ack_id)
                self._sent_unrecorded.discard(ack_id)
            recovered = self.store.recover_interrupted(self.account, self.folder)
            # The console's copy of what the model read lives [console] keep_text_days, no longer.
            self.store.purge_text(self.clock() - self.config.console.keep_text_days * 86400)
        if recovered:
            report.recovered_unknown = len(recovered)
            log.warning(
                "acknowledgements %s were being sent when inboxd stopped; their fate is unknown "
                "and they are listed by `inboxd acks list --state unknown`",
                recovered,
            )
        self._deliver_events(report)  # pages wait for no mail server (an outage is when they matter)
        with self._mailbox() as box, self._outbox() as outbox:
            with watch("fetch"):
                uidvalidity = box.select(self.folder)
            self._send_due(outbox, report)
            self._sync(box, uidvalidity, report)
            self._agent_resolutions(box, uidvalidity)
            self._first_responses(box, uidvalidity)
            self._sla_breaches(box, uidvalidity, report)
            if self._resolution_notices(report):
                self._send_due(outbox, report)
            with watch("store"):
                last = self.store.checkpoint(self.account, self.folder, uidvalidity)
                # Claimed but undecided UIDs (a crash mid-batch, a quarantine retry in place) come first.
                pending = self.store.pending_uids(self.account, self.folder, uidvalidity)
            with watch("fetch"):
                new = box.uids_after(last)
            uids = sorted(set(pending) | set(new))
            report.backlog = len(uids)
            batch_size = self.config.imap.batch_size
            with self._preparer(len(uids)) as self._prepare:
                # Pipelined: a batch is fetched, claimed and handed to the workers to parse
                # while the batch before it is decided, sent and synced here.
                previous: _Fetching | None = None
                for start in range(0, len(uids), batch_size):
                    if self.stop.is_set():
                        break
                    self._keep_lease()
                    fetching = self._fetch(box, uidvalidity, uids[start : start + batch_size], report)
                    if previous is not None:
                        self._finish(box, outbox, uidvalidity, previous, report)
                    previous = fetching
                if previous is not None:
                    self._finish(box, outbox, uidvalidity, previous, report)
            if uids:  # the rest of the burst (and what was quarantined unread) on the server now
                self._sync(box, uidvalidity, report)
        self._deliver_events(report)
        return report

    def _keep_lease(self) -> None:
        if self._lease is None or time.monotonic() - self._lease_renewed < self._lease_every:
            return
        if not self._lease():
            raise LeaseLost("another inboxd took over the mailbox lease; this one stops working on it")
        self._lease_renewed = time.monotonic()

    def _finish(self, box: Mailbox, outbox: Outbox, uidvalidity: int, batch: _Fetching, report: TickReport) -> None:
        """Decide a fetched batch, send its acks, move the checkpoint past it; apply a burst's
        outcomes on the server every SYNC_AT_ONCE mails or SYNC_EVERY_SECONDS."""
        self._decide_fetched(batch, report)
        self._send_due(outbox, report)
        self._unsynced_mails += len(batch.claimed)
        if self._unsynced_mails >= SYNC_AT_ONCE or time.monotonic() - self._synced_at >= SYNC_EVERY_SECONDS:
            self._sync(box, uidvalidity, report)
        faults.point("before_checkpoint")
        with self._watch("store"):
            self.store.set_checkpoint(self.account, self.folder, uidvalidity, batch.uids[-1])

    # -- one batch -----------------------------------------------------------------------------

    def _key(self, uidvalidity: int, uid: int) -> MessageKey:
        return MessageKey(self.account, self.folder, uidvalidity, uid)

    def _fetch(self, box: Mailbox, uidvalidity: int, uids: list[int], report: TickReport) -> _Fetching:
        """Fetch and claim a batch, and start parsing and redacting it (in the workers, if any)."""
        watch = self._watch
        with watch("store"):
            known = self.store.known_states(self.account, self.folder, uidvalidity, uids)
        todo = [u for u in uids if known.get(u) != "decided"]
        if not todo:
            return _Fetching(uids, [], list)
        with watch("fetch"):
            sizes = box.sizes(todo)
        limit = self.config.limits.max_message_bytes
        fetchable: list[int] = []
        for uid in todo:
            size = sizes.get(uid)
            if size is None:
                continue  # gone from the server since the search
            if size > limit:
                with watch("store"):
                    claim = self.store.claim(self._key(uidvalidity, uid), None, None, size)
                if claim.state == "new":
                    reason = f"{size} bytes is over limits.max_message_bytes ({limit}); not downloaded"
                    self._quarantine(claim.row, None, reason, report)
            else:
                fetchable.append(uid)

        fetched: list[Fetched] = []
        for item in watch.timed("fetch", box.fetch(fetchable, sizes)):
            faults.point("fetched")
            fetched.append(item)
        # The batch is claimed in one commit, after the fetch: the write lock is never
        # held while the server sends (other mailboxes may share the store).
        claimed: list[tuple[int, Fetched]] = []
        digests: list[str] = []  # the one hash of each claimed mail: parsing takes it too
        with watch("store"), self.store.batch():
            for item in fetched:
                digest = hashlib.sha256(item.raw).hexdigest()
                claim = self.store.claim(self._key(uidvalidity, item.uid), None, digest, len(item.raw))
                if claim.state == "new":
                    faults.point("claimed")
                    claimed.append((claim.row, item))
                    digests.append(digest)
        # Customer secrets are redacted before anything else sees the mail: nothing
        # downstream (store, logs, the acknowledgement) can hold one.
        hashed = [(item.raw, digest) for (_, item), digest in zip(claimed, digests, strict=True)]
        return _Fetching(uids, claimed, self._prepare.start(hashed))

    def _decide_fetched(self, batch: _Fetching, report: TickReport) -> None:
        watch = self._watch
        with watch("wait") if self._prepare.remote else nullcontext():
            results = batch.results()
        parsed: list[_Parsed] = []
        for (row, item), result in zip(batch.claimed, results, strict=True):
            watch.seconds["parse"] += result.parse_seconds
            watch.seconds["redact"] += result.redact_seconds
            if result.mail is not None:
                seconds = result.parse_seconds + result.redact_seconds
                parsed.append(_Parsed(row, result.mail, item.raw, seconds, result.facts))
                continue
            if result.internal:  # a bug must cost one mail, not the mailbox
                log.error("uid %s: unexpected error while parsing\n%s", item.uid, result.trace.rstrip())
            self._quarantine(row, None, result.error or "could not be parsed", report)
        self._decide_all(parsed, report)

    def _decide_all(self, parsed: list[_Parsed], report: TickReport) -> None:
        watch = self._watch
        screenings = []
        for p in parsed:
            started = time.perf_counter()
            with watch("screen"):
                screenings.append(screen(p.mail, self.policy.own_addresses, self.policy.is_own_message_id))
            p.seconds += time.perf_counter() - started
        to_classify = [i for i, s in enumerate(screenings) if s.skip_reason is None]
        with watch("classify"):
            try:
                results = self.classifier.classify([classifier_text(parsed[i].mail) for i in to_classify])
            except Exception:
                log.exception("the classifier failed on a batch; classifying one by one")
                results = []
                for i in to_classify:
                    try:
                        results.append(self.classifier.classify([classifier_text(parsed[i].mail)])[0])
                    except Exception:
                        results.append(None)  # type: ignore[arg-type]
        classification = dict(zip(to_classify, results, strict=True))
        self._ack_counts = {}  # the limits' counts, read afresh for each batch
        # The batch's decisions are committed together (each one still all or nothing);
        # nothing is sent or applied on the server before that commit.
        with self.store.batch():
            self._decide_each(parsed, screenings, classification, report)

    def _decide_each(
        self,
        parsed: list[_Parsed],
        screenings: list[Screening],
        classification: Mapping[int, Classification | None],
        report: TickReport,
    ) -> None:
        watch = self._watch
        for index, p in enumerate(parsed):
            self._keep_lease()
            row, mail = p.row, p.mail
            try:
                c = classification.get(index)
                if index in classification and c is None:
                    raise MessageError("the classifier failed on this mail")
                started = time.perf_counter()
                with watch("decide"):
                    # DKIM checked on the raw bytes only when asked for: it may mean a DNS lookup.
                    raw = p.raw if self.policy.trust.verify_dkim else None
                    auth = sender_auth(mail.sender, mail.auth_results, self.policy.trust, raw)
                    decision = decide(mail, screenings[index], c, self.policy, p.facts, auth)
                p.seconds += time.perf_counter() - started
                report.slowest_mail_seconds = max(report.slowest_mail_seconds, p.seconds)
                if decision.skip_reason == SkipReason.BOUNCE:
                    self._bounce(row, mail.bounce)
                with watch("decide"):
                    self._route(row, mail, decision, report)
            except MessageError as exc:
                self._quarantine(row, mail, str(exc), report)
            except StoreError:
                raise  # the store failed, not this mail: stop the tick, the mail is handled on the next
            except Exception as exc:
                log.exception("%s: unexpected error while deciding", mail.message_id)
                self._quarantine(row, mail, f"internal error while deciding: {type(exc).__name__}: {exc}", report)

    def _bounce(self, row: int, bounce: Bounce | None) -> None:
        """A bounce of one of our acks: attach it to the ticket, stop mailing a dead address.

        `bounce` was read by the parse (None only when the parse saw no bounce: nothing to attach)."""
        if bounce is None:
            return
        with self._watch("store"):
            ticket = self.store.attach_bounce(row, bounce.original_message_ids, bounce.failed_recipients)
        if ticket:
            log.warning("an acknowledgement bounced", extra={"event": "ack_bounced", "ticket": ticket,
                                                             "failed": list(bounce.failed_recipients)})  # fmt: skip

    def _route(self, row: int, mail: ParsedEmail, decision: Decision, report: TickReport) -> None:
        """New request, reply on a ticket, for a human only, or not to be answered: decide what to commit.

        Every automatic mail goes to the From address: a reply joins a ticket only when it
        comes from the ticket's owner, and a new request is answered only within the limits
        per sender, per sender domain and per hour.
        """
        text = classifier_text(mail)
        received = datetime.fromtimestamp(self.clock(), UTC)  # "received": when inboxd reads it
        if decision.action == Action.ESCALATE:
            report.spoofed += 1
            log.warning("forged sender: for a human, not answered",
                        extra={"event": "forged_sender", "row": row, "evidence": decision.sender.evidence})  # fmt: skip
            plan = self._with_due(plan_forged(decision, text, self.ticket_policy), received)
            self._record(row, mail, decision, plan, None, report)
            self._opened(decision)
            return
        if decision.action != Action.ACK:
            self._record(row, mail, decision, None, None, report)
            return
        cfg = self.config.tickets
        watch = self._watch
        referenced = [x for x in (mail.in_reply_to, *mail.references) if x]
        subject_ref = ticket_reference(mail.subject, self.config.ack.ticket_prefix)
        with watch("store"):
            found = self.store.ticket_for_reply(
                self.account,
                referenced,
                subject_ref,
                mail.sender,
                normalise_subject(mail.subject),
                subject_window=cfg.subject_window_hours * 3600,
                followup_window=cfg.followup_window_hours * 3600,
            )
        if found is not None:
            ticket, how = found
            category = self.policy.categories.get(ticket.category)
            plan = plan_followup(ticket, decision, text, category, self.policy.fields, self.ticket_policy)
            followup = replace(decision, action=Action.FOLLOWUP, reason=f"reply on {ticket.ref} (by {how})")
            confirm = None
            if plan.send == "confirmation":
                facts = facts_from_dict(plan.facts)
                # The ticket is with the team from now: the promise counts from this mail.
                promised = promise(self.policy.promise, received, self._queue_state(ticket.category))

                def confirm(ref: str) -> OutgoingMail:
                    with watch("render"):
                        return build_confirmation(
                            mail, followup, ticket.category, facts, ref, self.renderer, self.policy, ticket.customer,
                            promised,
                        )  # fmt: skip

            self._record(row, mail, followup, plan, confirm, report)
            return
        notes: tuple[str, ...] = ()
        if referenced or subject_ref:
            with watch("store"):
                foreign = self.store.foreign_reference(self.account, referenced, subject_ref, mail.sender)
            if foreign:
                # Not its owner's mail: a ticket of its own, and the other ticket is not touched.
                notes = (f"refers to {foreign}, which another address opened: not joined to it",)
        withheld = self._withheld(mail)
        if withheld is not None:
            reason, text_reason = withheld
            report.withheld[reason.value] += 1
            skip = replace(decision, action=Action.SKIP, skip_reason=reason, reason=text_reason)
            self._record(row, mail, skip, None, None, report)
            return

        category_name = decision.classification.category if decision.classification else "other"
        queue = self._queue_state(category_name)
        promised = promise(self.policy.promise, received, queue)
        report.estimates[category_name] = promised.estimate_seconds or 0.0
        if queue is not None:
            report.open_tickets[category_name] = queue.backlog

        def ack(ref: str) -> OutgoingMail:
            with watch("render"):
                return build_ack(mail, decision, ref, self.renderer, self.policy, promised)

        plan = self._with_due(replace(plan_new(decision, text, self.ticket_policy), notes=notes), received)
        self._record(row, mail, decision, plan, ack, report)
        self._count_ack(mail)
        self._opened(decision)

    # -- the queue and the SLA -------------------------------------------------------------------

    def _queue_state(self, category: str) -> QueueState | None:
        """The category's queue as it was read, plus the tickets opened since; None when
        neither the estimate nor the surge wording is configured (nothing is read then)."""
        settings = self.policy.promise
        if settings.estimate_window_days <= 0 and settings.surge_backlog <= 0:
            return None
        if self._queue is None or time.monotonic() - self._queue_read > QUEUE_SECONDS:
            self._queue_read = time.monotonic()
            since = self.clock() - settings.estimate_window_days * 86400
            with self._watch("store"):
                self._queue = {c: [n, r] for c, (n, r) in self.store.queue_counts(since).items()}
        backlog, resolved = self._queue.get(category, (0, 0))
        return QueueState(backlog, resolved)

    def _opened(self, decision: Decision) -> None:
        """A ticket was opened: the batch's queue counts include it."""
        if self._queue is not None and decision.classification is not None:
            self._queue.setdefault(decision.classification.category, [0, 0])[0] += 1

    def _with_due(self, plan: TicketPlan, received: datetime) -> TicketPlan:
        """A new ticket's plan with its [sla] due times as Unix times (None: not tracked)."""
        calendar = self.policy.promise.calendar
        due: list[float | None] = []
        for span in self._sla:
            if span is None:
                due.append(None)
                continue
            try:
                due.append(calendar.after(received, span).timestamp())
            except NoOpenHours:  # a calendar closed for years: elapsed time, rather than no SLA
                due.append((received + timedelta(seconds=span.seconds)).timestamp())
        return replace(plan, first_response_due=due[0], resolution_due=due[1])

    def _first_responses(self, box: Mailbox, uidvalidity: int) -> None:
        """Tickets an agent has answered: their mail client set \\Answered on a customer mail.
        Only the mails of tickets still waiting for a first response under an SLA are asked about."""
        with self._watch("store"):
            waiting = self.store.awaiting_first_response(self.account, self.folder, uidvalidity)
        if not waiting:
            return
        with self._watch("sync"):
            answered = box.answered(sorted(waiting))
        if answered:
            with self._watch("store"):
                self.store.record_first_response(sorted({waiting[uid] for uid in answered}), self.clock())

    def _sla_breaches(self, box: Mailbox, uidvalidity: int, report: TickReport) -> None:
        """Tickets whose first response or resolution is overdue: escalated once each (keyword,
        metric, log line, event). One indexed query when none is due.

        The keywords go on the server before the breach is committed: a crash in between sets
        them again on the next tick (they are idempotent), and the breach is counted once."""
        with self._watch("store"):
            due = self.store.sla_due(self.clock())
            if not due:
                return
            uids = self.store.ticket_uids([b.ticket_id for b in due], self.account, self.folder, uidvalidity)
        flagged = sorted({uid for b in due for uid in uids.get(b.ticket_id, [])})
        if flagged:
            with self._watch("sync"):
                box.add_keywords(flagged, [KW_ESCALATED, KW_SLA_BREACHED])
        for breach in due:
            with self._watch("store"):
                if not self.store.record_sla_breach(breach):
                    continue  # resolved meanwhile, or escalated by the worker of another mailbox
            report.sla_breaches += 1
            report.escalations += 1
            log.warning(
                "SLA breached: ticket %s escalated (%s was due)",
                breach.ref,
                breach.kind.replace("_", " "),
                extra={"event": "sla_breached", "ticket": breach.ref, "kind": breach.kind, "due": breach.due},
            )

    def _withheld(self, mail: ParsedEmail) -> tuple[SkipReason, str] | None:
        """Why a new request gets no acknowledgement although it would deserve one, if it does not:
        a bounced address, or the limits per sender, per sender domain and per hour."""
        ack = self.config.ack
        now = self.clock()
        address, domain = mail.sender, domain_of(mail.sender)
        window = ack.sender_window_minutes
        counts = self._ack_counts
        with self._watch("store"):
            if self.store.is_suppressed(address):
                return SkipReason.SUPPRESSED, f"an earlier acknowledgement to {address} bounced"
            limit = ack.max_per_sender
            if self.store.acks_to_since(address, now - window * 60) >= limit:
                return SkipReason.RATE_LIMITED, f"{address} had {limit} acknowledgements in {window:g} minutes"
            # The domain's and the hour's counts are read once per batch and kept up to date here:
            # read per mail, a burst from one domain would count that domain's acks once per mail.
            if domain not in ack.domain_limit_exempt:
                if domain not in counts:
                    counts[domain] = self.store.acks_to_domain_since(
                        domain, now - window * 60, ack.max_per_sender_domain
                    )
                if counts[domain] >= ack.max_per_sender_domain:
                    limit = ack.max_per_sender_domain
                    return SkipReason.DOMAIN_LIMITED, f"{domain} had {limit} acknowledgements in {window:g} minutes"
            if _HOUR not in counts:
                counts[_HOUR] = self.store.acks_since(now - 3600, ack.max_per_hour)
            if counts[_HOUR] >= ack.max_per_hour:
                if not self._budget_warned:
                    self._budget_warned = True
                    # Once per clock hour and mailbox (the key says so), in the batch's commit.
                    self.store.emit_event(
                        "volume_budget", self.account, self.folder, counts={"max_per_hour": ack.max_per_hour},
                        key=f"volume_budget:{self.account}/{self.folder}:{int(now // 3600)}",
                    )  # fmt: skip
                    log.warning(
                        "automatic mail stopped: the budget of %d an hour (ack.max_per_hour) is spent; mail is "
                        "still decided and recorded, and answered again once the hour's count falls",
                        ack.max_per_hour,
                        extra={"event": "ack_budget_spent", "limit": ack.max_per_hour},
                    )
                return SkipReason.BUDGET, f"the budget of {ack.max_per_hour} automatic mails an hour is spent"
        return None

    def _count_ack(self, mail: ParsedEmail) -> None:
        """An acknowledgement was planned: the batch's counts for the limits include it."""
        counts = self._ack_counts
        domain = domain_of(mail.sender)
        for key in (domain, _HOUR):
            if key in counts:
                counts[key] += 1

    def _record(
        self,
        row: int,
        mail: ParsedEmail,
        decision: Decision,
        plan: TicketPlan | None,
        render: Callable[[str], OutgoingMail] | None,
        report: TickReport,
    ) -> None:
        faults.point("before_decision")
        with self._watch("store"):
            # The redacted text the model read, for the operator console (if it is kept at all).
            text = classifier_text(mail) if self.config.console.keep_text_days > 0 else None
            ticket = self.store.record_decision(
                row, mail, decision, plan=plan, ticket_prefix=self.config.ack.ticket_prefix, render=render, text=text
            )
        faults.point("after_decision")
        report.rows.append(row)
        c = decision.classification
        outcome = decision.action.value
        if decision.skip_reason:
            outcome = f"skip:{decision.skip_reason.value}"
        report.outcomes[(c.category if c else "none", outcome)] += 1
        if plan is not None and plan.escalation is not None:
            report.escalations += 1
            if PHISHING_REPORT in plan.escalation.reason:
                self._to_security_team(row, mail, decision, ticket, report)
        if decision.lookalike:
            report.lookalikes += 1
        log.info(
            "decided",
            extra={
                "event": "decided",
                "row": row,
                "message_id": mail.message_id,
                "action": decision.action.value,
                "skip_reason": decision.skip_reason.value if decision.skip_reason else None,
                "category": c.category if c else None,
                "confidence": c.confidence if c else None,
                "language": decision.language,
                "sender_verdict": decision.sender.verdict,
                "missing": list(plan.missing if plan else decision.missing),
                "ticket": ticket,
                "escalation": plan.escalation.reason if plan and plan.escalation else None,
                "send": plan.send if plan else None,
            },
        )

    def _to_security_team(
        self, row: int, mail: ParsedEmail, decision: Decision, ticket: str | None, report: TickReport
    ) -> None:
        """A phishing report was committed: the one place that tells the security team.

        A log event and the `inboxd_phishing_reports` metric (the ticket is escalated and its mail
        flagged $Inboxd-PhishingReport by the sync); the `phishing_report` webhook event was
        committed with the decision (`store.messages._plan_events`).
        """
        report.phishing_reports += 1
        lookalikes = [link.domain for link in decision.links if link.verdict == "lookalike"]
        log.warning(
            "phishing report: escalated to the security team",
            extra={"event": "phishing_report", "row": row, "ticket": ticket, "message_id": mail.message_id,
                   "lookalikes": lookalikes[:20], "domains": len(decision.links)},
        )  # fmt: skip

    def _quarantine(self, row: int, mail: ParsedEmail | None, reason: str, report: TickReport) -> None:
        decision = Decision(Action.QUARANTINE, reason=reason)
        with self._watch("store"):
            self.store.record_decision(row, mail, decision)
        report.rows.append(row)
        report.quarantined += 1
        report.outcomes[("none", "quarantine")] += 1
        log.warning("quarantined", extra={"event": "quarantined", "row": row, "reason": reason})

    # -- sending -------------------------------------------------------------------------------

    def _backoff(self, attempts: int) -> float:
        return float(min(3600.0, self.config.ack.retry_base_seconds * 2 ** max(0, attempts - 1)))

    def _send_due(self, outbox: Outbox, report: TickReport) -> None:
        watch = self._watch
        with watch("store"):
            due = self.store.acks_due(self.clock())
        for start in range(0, len(due), RESERVE_AT_ONCE):
            if self.stop.is_set():
                return
            self._keep_lease()
            group = due[start : start + RESERVE_AT_ONCE]
            with watch("store"):
                reserved = self.store.reserve_sending([ack.id for ack in group])
            faults.point("reserved")
            left = list(reserved)  # reserved and not attempted: pending again if the tick stops here
            try:
                for ack in (a for a in group if a.id in reserved):
                    if self.stop.is_set():
                        return
                    self._keep_lease()
                    left.remove(ack.id)
                    with watch("store"):
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
            with self._watch("send"):
                outbox.send(ack.mail, ack.ticket_ref)
        except SendTemporary as exc:
            if attempts >= self.config.ack.max_send_attempts:
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
                with self._watch("store"):
                    self.store.mark_sent(ack.id)
            except StoreError:
                self._sent_unrecorded.add(ack.id)
                raise
            report.sent += 1
        return True

    # -- agents --------------------------------------------------------------------------------

    def _agent_resolutions(self, box: Mailbox, uidvalidity: int) -> None:
        """Tickets that agents resolved by setting the resolved keyword in their mail client."""
        with self._watch("sync"):
            uids = box.uids_with_keyword(self.config.tickets.resolved_keyword)
        with self._watch("store"):
            resolved = self.store.apply_resolved_keyword(self.account, self.folder, uidvalidity, uids)
        for ref in resolved:
            log.info("ticket resolved by an agent", extra={"event": "resolved", "ticket": ref})

    def _resolution_notices(self, report: TickReport) -> int:
        """Close tickets nobody answered in time; queue the notice of each newly resolved ticket
        (sent by `_send_due` like an acknowledgement). Returns the notices queued."""
        days = self.config.tickets.reopen_within_days
        with self._watch("store"):
            closed = self.store.close_resolved(self.clock() - days * 86400)
            due = self.store.notices_due(self.account, self.folder)
        for ref in closed:
            log.info("ticket closed: no reply since it was resolved", extra={"event": "closed", "ticket": ref})
        report.closed += len(closed)
        queued = 0
        for notice in due:
            with self._watch("store"):
                blocked = self.store.notice_blocked(notice.ticket_id)
                if blocked:
                    self.store.skip_notice(notice.ticket_id, blocked)
                    continue
                serial = self.store.notice_serial(self.account, self.folder)
            with self._watch("render"):
                mail = build_notice(notice, serial, self.renderer, self.policy)
            with self._watch("store"):
                if self.store.queue_notice(notice.ticket_id, self.account, self.folder, serial, mail):
                    queued += 1
        report.notices += queued
        return queued

    def _deliver_events(self, report: TickReport) -> None:
        """The webhook events of this mailbox, delivered (bounded: a receiver that is down costs the
        tick one short timeout)."""
        if self._webhooks is None:
            return
        with self._watch("send"):
            done = self._webhooks.deliver(self.store, self.stop.is_set)
        report.webhooks.update(delivered=done.delivered, retrying=done.retrying, failed=done.failed)

    # -- server sync ---------------------------------------------------------------------------

    def _sync(self, box: Mailbox, uidvalidity: int, report: TickReport) -> None:
        self._unsynced_mails, self._synced_at = 0, time.monotonic()
        with self._watch("store"):
            unsynced = self.store.unsynced(self.account, self.folder, uidvalidity)
        rows = [r for r in unsynced if r.ack_state not in ("pending", "sending")]
        if not rows:
            return
        with self._watch("sync"):
            self._apply_on_server(box, rows)
        with self._watch("store"):
            self.store.mark_synced([r.row for r in rows])
        report.synced += len(rows)

    def _apply_on_server(self, box: Mailbox, rows: list[SyncRow]) -> None:
        groups: dict[tuple[str, ...], list[int]] = {}
        for r in rows:
            groups.setdefault(tuple(keywords_for(r, self._category_keywords)), []).append(r.uid)
        for keywords, uids in groups.items():
            box.add_keywords(uids, keywords)
            faults.point("keywords")
        moves: dict[str, list[int]] = {}
        quarantine = self.config.imap.quarantine_folder
        for r in rows:
            target = ""
            if r.action == Action.QUARANTINE:
                target = quarantine
            elif r.security_incident and self.config.imap.restricted_folder:
                target = self.config.imap.restricted_folder
            elif r.action == Action.SKIP and r.skip_reason in _SPAM:
                target = self.config.spam.folder  # "" keeps it in place: spam is never deleted
            elif r.action == Action.ACK and self.config.imap.move_to_category_folders and r.category:
                category = self.policy.categories.get(r.category)
                target = category.folder if category else ""
            if target and target != self.folder:
                moves.setdefault(target, []).append(r.uid)
        for folder, uids in moves.items():
            faults.point("before_move")
            box.move(uids, folder)
            faults.point("after_move")


def describe(store: Store, rows: Sequence[int]) -> list[MessageRow]:
    """The committed outcome of each decided message, for summaries and JSON output."""
    return store.message_rows(rows)
