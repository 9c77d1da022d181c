"""One tick over one mailbox: fetch, claim, parse, screen, classify, decide, send, sync.

The order is what makes it safe (see `inboxd.store` for the state machine):

1. acks left `sending` by a dead process become `unknown` (never re-sent blindly), except
   those it reserved but never handed to SMTP, which are pending again;
2. due acks are sent (`sending` committed durably for up to RESERVE_AT_ONCE of them
   before SMTP, each marked as attempted just before its transaction, `sent` after:
   `inboxd.sending`), by a sender thread beside the rest of the tick, which it wakes
   whenever a commit may have queued more;
3. decided messages get their IMAP keywords / move — only after their state is committed
   (`inboxd.sync`);
4. new UIDs after the checkpoint are fetched in batches with BODY.PEEK[] (`inboxd.intake`,
   which `poll --dry-run` shares: it previews what this step would take in); each is
   claimed (idempotent), parsed, redacted and read in the workers, classified (one model
   call per batch) and decided (`inboxd.triage`), and committed with its ticket and
   pending ack (`inboxd.routing`), which wakes 2; after the batch the checkpoint moves
   past it. 3 runs every SYNC_AT_ONCE mails or SYNC_EVERY_SECONDS of a burst, and when
   the tick ends, after the sender has sent what was due.

A mail that fails anywhere in parse/decide is quarantined with its reason and the
batch goes on. A server or store failure stops the tick; nothing is lost, the next
tick picks up where the store says this one stopped. The mailbox lease is renewed
as the tick goes; if another inboxd holds it, the tick stops at once (LeaseLost).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from inboxd import faults
from inboxd.acknowledge import Policy
from inboxd.errors import (
    LeaseLost,
    MessageError,
    StoreError,
)
from inboxd.intake import Intake, oversized_reason
from inboxd.mailbox import Fetched
from inboxd.processing import Mailbox, Outbox, ProcessorSettings, TickReport
from inboxd.render import Renderer
from inboxd.routing import TICKETS_AT_ONCE, RoutingMixin
from inboxd.sending import RESERVE_AT_ONCE, Sender, SendingMixin
from inboxd.stopwatch import Stopwatch, Timed
from inboxd.store import ReservedTicket, Store
from inboxd.store.rows import MessageRow
from inboxd.sync import SyncMixin
from inboxd.tickets import (
    TicketPolicy,
)
from inboxd.triage import Findings, classify_batch, decide, with_sender
from inboxd.values import (
    Classification,
    MessageKey,
    SkipReason,
)
from inboxd.workers import InProcess, Prepared, Preparer

if TYPE_CHECKING:  # scikit-learn is imported when the model is loaded, not with this module
    from inboxd.classifier import Classifier
    from inboxd.webhook_delivery import Webhooks

log = logging.getLogger("inboxd.pipeline")

# During a burst, keywords and moves are applied to the server for several batches at once.
# On a maildir, Dovecot renames a file for each keyword it sets and then reads the whole
# directory again before the next command, so each STORE costs more the larger the mailbox:
# syncing every batch of 200 cost 0.05 ms a mail at 10,000 mails and 0.18 ms at 50,000. What
# is still to apply is in the store (synced = 0), so waiting loses nothing. Agents see a
# burst's keywords this late (plus the batch in hand, which a sync waits for), and the
# tick's last mails' when it ends.
SYNC_AT_ONCE = 1000
SYNC_EVERY_SECONDS = 10.0


# The mailbox's calls that fetch new mail (the others are the server sync's).
_FETCHING = {"select": "fetch", "uids_after": "fetch", "sizes": "fetch", "fetch": "fetch"}


@dataclass(slots=True)
class _Parsed:
    """A claimed mail, parsed, redacted and read (inboxd.triage); `seconds` is what it has cost so far."""

    row: int
    found: Findings
    raw: bytes
    seconds: float


@dataclass(slots=True)
class _Fetching:
    """A batch fetched and claimed; `results()` gives its mails parsed and redacted, in order."""

    uids: list[int]
    claimed: list[tuple[int, Fetched]]  # (store row, fetched mail) of the mails claimed as new
    results: Callable[[], list[Prepared]]


class Processor(RoutingMixin, SendingMixin, SyncMixin):
    """Runs ticks for one mailbox. Everything with I/O is passed in."""

    def __init__(
        self,
        *,
        settings: ProcessorSettings,
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
        self.settings = settings
        # Every call out (store, servers, model, templates) is timed to its stage where it is made.
        self._watch = watch = Stopwatch()
        self.store = cast(Store, Timed(store, watch, "store"))
        self._raw_store = store  # the sender thread times its own calls
        self._mailbox = mailbox
        self._outbox = outbox
        self.classifier = cast("Classifier", Timed(classifier, watch, "classify"))
        self.renderer = cast(Renderer, Timed(renderer, watch, "render"))
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
        self.account = settings.account
        self.folder = settings.folder
        self._category_keywords = {c.name: c.keyword for c in policy.categories.values()}
        self._unsynced_mails = 0  # decided since the last sync to the server
        self._budget_warned = False  # the hourly budget's warning is logged once per tick
        # Acks per sender domain, and in the last hour (key _HOUR), for the batch being decided.
        self._ack_counts: dict[str, int] = {}
        self._synced_at = 0.0  # time.monotonic() of that sync
        # Unresolved tickets and recent resolutions per category (None: not read yet), and when they
        # were read (time.monotonic()): once a tick, again after QUEUE_SECONDS of a long one.
        self._queue: dict[str, list[int]] | None = None
        self._queue_read = 0.0
        # New tickets' ids, reserved a group at a time; what a batch leaves unused is a gap.
        self._tickets: deque[ReservedTicket] = deque()
        self._tickets_wanted = 1
        # [sla] due times, counted on the [hours] calendar like the promise.
        self._sla = (settings.sla_first_response, settings.sla_resolution)
        # Parsing and redaction, given the tick's backlog: in place, or in worker processes.
        triage = policy.triage
        self._preparer = preparer or (lambda backlog: nullcontext(InProcess(settings.limits, triage)))
        self._prepare: Preparer = InProcess(settings.limits, triage)
        # The [[notify]] receivers, if any.
        self._webhooks = cast("Webhooks", Timed(webhooks, watch, "send")) if webhooks else None

    # -- the tick ----------------------------------------------------------------------------

    def tick(self) -> TickReport:
        report = TickReport()
        self._budget_warned = False
        self._queue = None  # read afresh when the tick's first ticket is opened
        watch = self._watch
        report.stages = watch.reset()
        self._lease_renewed = time.monotonic()
        for ack_id in sorted(self._sent_unrecorded):
            self.store.mark_sent(ack_id)
            self._sent_unrecorded.discard(ack_id)
        recovered = self.store.recover_interrupted(self.account, self.folder)
        # The console's copy of what the model read lives [console] keep_text_days, no longer.
        self.store.purge_text(self.clock() - self.settings.keep_text_days * 86400)
        if recovered:
            report.recovered_unknown = len(recovered)
            log.warning(
                "acknowledgements %s were being sent when inboxd stopped; their fate is unknown "
                "and they are listed by `inboxd acks list --state unknown`",
                recovered,
            )
        self._deliver_events(report)  # pages wait for no mail server (an outage is when they matter)
        with self._mailbox() as server, ExitStack() as connections:
            box = cast(Mailbox, Timed(server, watch, "sync", _FETCHING))
            uidvalidity = box.select(self.folder)
            # Each connects when it first sends: a quiet tick opens none.
            outboxes = [connections.enter_context(self._outbox()) for _ in range(self.settings.smtp_connections)]
            sender = Sender(self._send_due, self._raw_store, outboxes, self.stop, self.clock)  # what is due goes first
            try:
                uids = self._take_in(box, uidvalidity, sender, report)
                sent = sender.finish(self._keep_lease)
            finally:
                sender.close()
            report.sent, report.retrying = sent.sent, sent.retrying
            report.failed, report.unknown = sent.failed, sent.unknown
            report.stages["send"] += sent.seconds
            if uids or sent.handled:  # the rest of the burst, and how its acks went, on the server now
                self._sync(box, uidvalidity, report)
        self._deliver_events(report)
        return report

    def _take_in(self, box: Mailbox, uidvalidity: int, sender: Sender, report: TickReport) -> list[int]:
        """The server's news, the resolutions due, then the new mail in batches; returns its UIDs."""
        self._sync(box, uidvalidity, report)
        self._agent_resolutions(box, uidvalidity)
        self._first_responses(box, uidvalidity)
        self._sla_breaches(box, uidvalidity, report)
        if self._resolution_notices(report):
            sender.wake()
        limit = self.settings.limits.max_message_bytes
        intake = Intake(box, self.store, self.account, self.folder, uidvalidity, limit)
        uids = intake.backlog()
        report.backlog = len(uids)
        batch_size = self.settings.batch_size
        with self._preparer(len(uids)) as self._prepare:
            # Pipelined: a batch is fetched, claimed and handed to the workers to parse
            # while the batch before it is decided and synced here (and its acks sent beside).
            previous: _Fetching | None = None
            for start in range(0, len(uids), batch_size):
                if self.stop.is_set():
                    break
                self._keep_lease()
                fetching = self._fetch(intake, uids[start : start + batch_size], report)
                if previous is not None:
                    self._finish(box, uidvalidity, previous, sender, report)
                previous = fetching
            if previous is not None:
                self._finish(box, uidvalidity, previous, sender, report)
        return uids

    def _keep_lease(self) -> None:
        if self._lease is None or time.monotonic() - self._lease_renewed < self._lease_every:
            return
        if not self._lease():
            raise LeaseLost("another inboxd took over the mailbox lease; this one stops working on it")
        self._lease_renewed = time.monotonic()

    def _finish(self, box: Mailbox, uidvalidity: int, batch: _Fetching, sender: Sender, report: TickReport) -> None:
        """Decide a fetched batch (the sender sends its acks as they are committed), move the
        checkpoint past it; apply a burst's outcomes on the server every SYNC_AT_ONCE mails or
        SYNC_EVERY_SECONDS."""
        self._decide_fetched(batch, sender, report)
        self._unsynced_mails += len(batch.claimed)
        if self._unsynced_mails >= SYNC_AT_ONCE or time.monotonic() - self._synced_at >= SYNC_EVERY_SECONDS:
            self._sync(box, uidvalidity, report)
        faults.point("before_checkpoint")
        self.store.set_checkpoint(self.account, self.folder, uidvalidity, batch.uids[-1])

    # -- one batch -----------------------------------------------------------------------------

    def _key(self, uidvalidity: int, uid: int) -> MessageKey:
        return MessageKey(self.account, self.folder, uidvalidity, uid)

    def _fetch(self, intake: Intake, uids: list[int], report: TickReport) -> _Fetching:
        """Fetch and claim a batch, and start parsing and redacting it (in the workers, if any)."""
        batch = intake.batch(uids)
        limit = intake.max_message_bytes
        for uid, size in batch.oversized:
            claim = self.store.claim(self._key(intake.uidvalidity, uid), None, None, size)
            if claim.state == "new":
                self._quarantine(claim.row, None, oversized_reason(size, limit), report)
        if not batch.fetched:
            return _Fetching(uids, [], list)
        # The batch is claimed in one commit, after the fetch: the write lock is never
        # held while the server sends (other mailboxes may share the store).
        claimed: list[tuple[int, Fetched]] = []
        hashed: list[tuple[bytes, str]] = []  # the one hash of each claimed mail: parsing takes it too
        with self.store.batch():
            for item, digest in batch.fetched:
                claim = self.store.claim(self._key(intake.uidvalidity, item.uid), None, digest, len(item.raw))
                if claim.state == "new":
                    faults.point("claimed")
                    claimed.append((claim.row, item))
                    hashed.append((item.raw, digest))
        # Customer secrets are redacted before anything else sees the mail: nothing
        # downstream (store, logs, the acknowledgement) can hold one.
        return _Fetching(uids, claimed, self._prepare.start(hashed))

    def _decide_fetched(self, batch: _Fetching, sender: Sender, report: TickReport) -> None:
        watch = self._watch
        with watch("wait") if self._prepare.remote else nullcontext():
            results = batch.results()
        parsed: list[_Parsed] = []
        for (row, item), result in zip(batch.claimed, results, strict=True):
            watch.add("parse", result.parse_seconds)
            # Reading the mail (facts, links, phishing cues, screening) counts with its redaction:
            # both are the worker's per-mail work between parsing and the model.
            watch.add("redact", result.redact_seconds + result.screen_seconds)
            if result.found is not None:
                seconds = result.parse_seconds + result.redact_seconds + result.screen_seconds
                parsed.append(_Parsed(row, result.found, item.raw, seconds))
                continue
            if result.internal:  # a bug must cost one mail, not the mailbox
                log.error("uid %s: unexpected error while parsing\n%s", item.uid, result.trace.rstrip())
            self._quarantine(row, None, result.error or "could not be parsed", report)
        self._decide_all(parsed, sender, report)

    def _decide_all(self, parsed: list[_Parsed], sender: Sender, report: TickReport) -> None:
        classification = classify_batch(self.classifier, [p.found for p in parsed])
        self._ack_counts = {}  # the limits' counts, read afresh for each batch
        self._decide_each(parsed, classification, sender, report)

    def _decide_each(
        self,
        parsed: list[_Parsed],
        classification: Mapping[int, Classification | None],
        sender: Sender,
        report: TickReport,
    ) -> None:
        # Each mail's decision is its own commit, and the sender is woken after a group of
        # them: a commit for the whole batch would hold the store's write lock (and its acks)
        # from the sender until the last mail is decided. Nothing is sent or applied on the
        # server before the commit of the decision that queued it.
        watch = self._watch
        trust = self.policy.trust
        self._tickets.clear()  # reserved by an earlier batch and not used: a gap in the numbers
        for index, p in enumerate(parsed):
            self._keep_lease()
            self._tickets_wanted = min(TICKETS_AT_ONCE, len(parsed) - index)
            row, mail = p.row, p.found.mail
            try:
                c = classification.get(index)
                if index in classification and c is None:
                    raise MessageError("the classifier failed on this mail")
                started = time.perf_counter()
                with watch("decide"):
                    # DKIM is checked here, on the raw bytes, only when asked for: it may mean a DNS lookup.
                    found = with_sender(p.found, trust, p.raw if trust.verify_dkim else None)
                    decision = decide(found, c, self.policy)
                p.seconds += time.perf_counter() - started
                report.slowest_mail_seconds = max(report.slowest_mail_seconds, p.seconds)
                if decision.skip_reason == SkipReason.BOUNCE:
                    self._bounce(row, mail.bounce)
                with watch("decide"):
                    self._route(row, found, decision, report)
            except MessageError as exc:
                self._quarantine(row, mail, str(exc), report)
            except StoreError:
                raise  # the store failed, not this mail: stop the tick, the mail is handled on the next
            except Exception as exc:
                log.exception("%s: unexpected error while deciding", mail.message_id)
                self._quarantine(row, mail, f"internal error while deciding: {type(exc).__name__}: {exc}", report)
            if index % RESERVE_AT_ONCE == RESERVE_AT_ONCE - 1:
                sender.wake()  # a group's worth: woken for each mail, it would reserve acks one by one
        sender.wake()


def describe(store: Store, rows: Sequence[int]) -> list[MessageRow]:
    """The committed outcome of each decided message, for summaries and JSON output."""
    return store.message_rows(rows)
