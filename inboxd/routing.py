"""What a decided mail commits: a new request, a reply on a ticket, one for a human, or none.

`RoutingMixin._route` takes a mail's decision (`inboxd.triage`) to its commit: it finds the
ticket a reply belongs to (only its owner's mail joins it), applies the limits on automatic
mail (per sender, per sender domain, per hour, a bounced address), states the promise from
the queue (inboxd.promise) and the [sla] due times, and records the decision with its ticket
plan and its acknowledgement in one transaction (`_record`). A mail that cannot be decided is
quarantined with its reason (`_quarantine`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from inboxd import faults
from inboxd.acknowledge import Policy, build_ack, build_confirmation
from inboxd.domains import domain_of
from inboxd.escalation import PHISHING_REPORT
from inboxd.hours import NoOpenHours, Span
from inboxd.processing import ProcessorSettings, TickReport
from inboxd.promise import QueueState, promise
from inboxd.reference import ticket_reference
from inboxd.render import Renderer
from inboxd.store import ReservedTicket, Store
from inboxd.tickets import (
    TicketPlan,
    TicketPolicy,
    normalise_subject,
    plan_followup,
    plan_forged,
    plan_new,
)
from inboxd.triage import Findings
from inboxd.values import Action, Bounce, Decision, MailSummary, OutgoingMail, SkipReason

log = logging.getLogger("inboxd.pipeline")

_HOUR = ""  # the key of the last hour's count among the per-domain counts (no domain is "")
# The queue behind the promise (inboxd.promise) is read from the store once a tick, and again
# after this long during a burst: counting every open ticket for each batch of 200 would cost a
# 50,000-mail burst more than the promises themselves; the tickets it opens are counted as it goes.
QUEUE_SECONDS = 60.0
# New tickets' ids reserved in one commit during a burst: a reservation a ticket was one of the
# two commits a new request cost, and at most this many ids are left as a gap when the rest of
# the batch opens no ticket (replies, duplicates, mails for a human).
TICKETS_AT_ONCE = 16


class RoutingMixin:
    """The commit of each decided mail, for `inboxd.pipeline.Processor`."""

    settings: ProcessorSettings
    account: str
    folder: str
    store: Store
    policy: Policy
    renderer: Renderer
    ticket_policy: TicketPolicy
    stop: threading.Event
    clock: Callable[[], float]
    _ack_counts: dict[str, int]
    _budget_warned: bool
    _queue: dict[str, list[int]] | None
    _queue_read: float
    _sla: tuple[Span | None, Span | None]
    _tickets: deque[ReservedTicket]  # reserved for the batch's new tickets, not used yet
    _tickets_wanted: int  # how many the next reservation takes: the batch's mails still to decide

    def _new_ticket(self) -> ReservedTicket:
        """The next new ticket's id and reference, reserved a group at a time (as many as the batch
        has mails left to decide): a burst commits one reservation a group, not one a ticket.
        Every new ticket takes one, so their ids keep the order they were opened in."""
        if not self._tickets:
            self._tickets.extend(self.store.reserve_tickets(self.settings.ticket_prefix, self._tickets_wanted))
        return self._tickets.popleft()

    def _bounce(self, row: int, bounce: Bounce | None) -> None:
        """A bounce of one of our acks: attach it to the ticket, stop mailing a dead address.

        `bounce` was read by the parse (None only when the parse saw no bounce: nothing to attach)."""
        if bounce is None:
            return
        ticket = self.store.attach_bounce(row, bounce.original_message_ids, bounce.failed_recipients)
        if ticket:
            log.warning("an acknowledgement bounced", extra={"event": "ack_bounced", "ticket": ticket,
                                                             "failed": list(bounce.failed_recipients)})  # fmt: skip

    def _route(self, row: int, found: Findings, decision: Decision, report: TickReport) -> None:
        """New request, reply on a ticket, for a human only, or not to be answered: decide what to commit.

        Every automatic mail goes to the From address: a reply joins a ticket only when it
        comes from the ticket's owner, and a new request is answered only within the limits
        per sender, per sender domain and per hour.
        """
        mail, text = found.mail, found.text
        received = datetime.fromtimestamp(self.clock(), UTC)  # "received": when inboxd reads it
        if decision.action == Action.ESCALATE:
            report.spoofed += 1
            log.warning("forged sender: for a human, not answered",
                        extra={"event": "forged_sender", "row": row, "evidence": decision.sender.evidence})  # fmt: skip
            plan = self._with_due(plan_forged(decision, text, self.ticket_policy), received)
            forged = self._new_ticket() if plan.ticket_id is None else None
            self._record(row, found, decision, plan, report, ticket=forged)
            self._opened(decision)
            return
        if decision.action != Action.ACK:
            self._record(row, found, decision, None, report)
            return
        cfg = self.settings
        referenced = [x for x in (mail.in_reply_to, *mail.references) if x]
        subject_ref = ticket_reference(mail.subject, self.settings.ticket_prefix)
        joined = self.store.ticket_for_reply(
            self.account,
            referenced,
            subject_ref,
            mail.sender,
            normalise_subject(mail.subject),
            subject_window=cfg.subject_window_hours * 3600,
            followup_window=cfg.followup_window_hours * 3600,
        )
        if joined is not None:
            ticket, how = joined
            category = self.policy.categories.get(ticket.category)
            plan = plan_followup(ticket, decision, text, category, self.policy.fields, self.ticket_policy)
            followup = replace(decision, action=Action.FOLLOWUP, reason=f"reply on {ticket.ref} (by {how})")
            confirmation = None
            if plan.send == "confirmation":
                # The ticket's facts, without its secrets: they are kinds from any of its mails, and a
                # confirmation names none (`secret_kinds` is for the mail that carried one).
                facts = replace(plan.facts, secrets=())
                # The ticket is with the team from now: the promise counts from this mail.
                promised = promise(self.policy.promise, received, self._queue_state(ticket.category))
                confirmation = build_confirmation(
                    mail, followup, ticket.category, facts, ticket.ref, self.renderer, self.policy,
                    ticket.customer, promised,
                )  # fmt: skip
            self._record(row, found, followup, plan, report, outgoing=confirmation)
            return
        notes: tuple[str, ...] = ()
        if referenced or subject_ref:
            foreign = self.store.foreign_reference(self.account, referenced, subject_ref, mail.sender)
            if foreign:
                # Not its owner's mail: a ticket of its own, and the other ticket is not touched.
                notes = (f"refers to {foreign}, which another address opened: not joined to it",)
        withheld = self._withheld(mail)
        if withheld is not None:
            reason, text_reason = withheld
            report.withheld[reason.value] += 1
            skip = replace(decision, action=Action.SKIP, skip_reason=reason, reason=text_reason)
            self._record(row, found, skip, None, report)
            return

        category_name = decision.classification.category if decision.classification else "other"
        queue = self._queue_state(category_name)
        promised = promise(self.policy.promise, received, queue)
        report.estimates[category_name] = promised.estimate_seconds or 0.0
        if queue is not None:
            report.open_tickets[category_name] = queue.backlog

        plan = self._with_due(plan_new(decision, text, self.ticket_policy), received, notes)
        # The ticket's reference first, then the acknowledgement that quotes it, rendered here:
        # the transaction that records both calls nothing back.
        reserved, ack = self._new_ticket(), None
        if plan.send:
            ack = build_ack(mail, decision, reserved.ref, self.renderer, self.policy, promised)
        self._record(row, found, decision, plan, report, ticket=reserved, outgoing=ack)
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
            self._queue = {c: [n, r] for c, (n, r) in self.store.queue_counts(since).items()}
        backlog, resolved = self._queue.get(category, (0, 0))
        return QueueState(backlog, resolved)

    def _opened(self, decision: Decision) -> None:
        """A ticket was opened: the batch's queue counts include it."""
        if self._queue is not None and decision.classification is not None:
            self._queue.setdefault(decision.classification.category, [0, 0])[0] += 1

    def _with_due(self, plan: TicketPlan, received: datetime, notes: tuple[str, ...] = ()) -> TicketPlan:
        """A new ticket's plan with its [sla] due times as Unix times (None: not tracked), and `notes`."""
        if self._sla == (None, None):  # no [sla]: the plan's due times are None already
            return replace(plan, notes=notes) if notes else plan
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
        return replace(plan, first_response_due=due[0], resolution_due=due[1], notes=notes or plan.notes)

    def _withheld(self, mail: MailSummary) -> tuple[SkipReason, str] | None:
        """Why a new request gets no acknowledgement although it would deserve one, if it does not:
        a bounced address, or the limits per sender, per sender domain and per hour."""
        ack = self.settings.ack_limits
        now = self.clock()
        address, domain = mail.sender, domain_of(mail.sender)
        window = ack.sender_window_minutes
        counts = self._ack_counts
        if self.store.is_suppressed(address):
            return SkipReason.SUPPRESSED, f"an earlier acknowledgement to {address} bounced"
        limit = ack.max_per_sender
        if self.store.acks_to_since(address, now - window * 60) >= limit:
            return SkipReason.RATE_LIMITED, f"{address} had {limit} acknowledgements in {window:g} minutes"
        # The domain's and the hour's counts are read once per batch and kept up to date here:
        # read per mail, a burst from one domain would count that domain's acks once per mail.
        if domain not in ack.domain_limit_exempt:
            if domain not in counts:
                counts[domain] = self.store.acks_to_domain_since(domain, now - window * 60, ack.max_per_sender_domain)
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

    def _count_ack(self, mail: MailSummary) -> None:
        """An acknowledgement was planned: the batch's counts for the limits include it."""
        counts = self._ack_counts
        domain = domain_of(mail.sender)
        for key in (domain, _HOUR):
            if key in counts:
                counts[key] += 1

    def _record(
        self,
        row: int,
        found: Findings,
        decision: Decision,
        plan: TicketPlan | None,
        report: TickReport,
        *,
        ticket: ReservedTicket | None = None,
        outgoing: OutgoingMail | None = None,
    ) -> None:
        mail = found.mail
        faults.point("before_decision")
        # The redacted text the model read, for the operator console (if it is kept at all).
        text = found.text if self.settings.keep_text_days > 0 else None
        ref = self.store.record_decision(
            row, mail, decision, plan=plan, ticket_prefix=self.settings.ticket_prefix, ticket=ticket,
            outgoing=outgoing, text=text,
        )  # fmt: skip
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
                self._to_security_team(row, mail, decision, ref, report)
        if decision.lookalike:
            report.lookalikes += 1
        if not log.isEnabledFor(logging.INFO):
            return  # WARNING, the usual level: the record is built only when it is logged
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
                "ticket": ref,
                "escalation": plan.escalation.reason if plan and plan.escalation else None,
                "send": plan.send if plan else None,
            },
        )

    def _to_security_team(
        self, row: int, mail: MailSummary, decision: Decision, ticket: str | None, report: TickReport
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

    def _quarantine(self, row: int, mail: MailSummary | None, reason: str, report: TickReport) -> None:
        decision = Decision(Action.QUARANTINE, reason=reason)
        self.store.record_decision(row, mail, decision)
        report.rows.append(row)
        report.quarantined += 1
        report.outcomes[("none", "quarantine")] += 1
        log.warning("quarantined", extra={"event": "quarantined", "row": row, "reason": reason})
