"""The tick's work on the IMAP server: keywords and moves of decided mail, and what agents did there.

A decided message's keywords (`keywords_for`) and its move are applied only after its state is
committed, and marked synced after they are; a crash in between applies them again (they are
idempotent). Agents' work is read back from the server: the resolved keyword (tickets resolved
in their mail client), \\Answered (the first response under an SLA); an overdue SLA flags the
ticket's mails.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from inboxd import faults
from inboxd.acknowledge import Policy
from inboxd.escalation import PHISHING_REPORT
from inboxd.processing import Mailbox, ProcessorSettings, TickReport
from inboxd.store import Store, SyncRow
from inboxd.values import Action, SkipReason

log = logging.getLogger("inboxd.pipeline")

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
# Skip reasons of a request answered no more because of a limit: all flagged alike.
_LIMITED = frozenset({"rate_limited", "domain_limited", "budget"})
_ACK_KEYWORD = {
    "sent": KW_ACKED,
    "failed": KW_ACK_FAILED,
    "unknown": KW_ACK_UNKNOWN,
    "cancelled": KW_ACK_CANCELLED,
}


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


class SyncMixin:
    """The server sync of `inboxd.pipeline.Processor`."""

    settings: ProcessorSettings
    account: str
    folder: str
    store: Store
    policy: Policy
    stop: threading.Event
    clock: Callable[[], float]
    _category_keywords: dict[str, str]
    _unsynced_mails: int
    _synced_at: float

    def _sync(self, box: Mailbox, uidvalidity: int, report: TickReport) -> None:
        self._unsynced_mails, self._synced_at = 0, time.monotonic()
        unsynced = self.store.unsynced(self.account, self.folder, uidvalidity)
        rows = [r for r in unsynced if r.ack_state not in ("pending", "sending")]
        if not rows:
            return
        self._apply_on_server(box, rows)
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
        quarantine = self.settings.quarantine_folder
        for r in rows:
            target = ""
            if r.action == Action.QUARANTINE:
                target = quarantine
            elif r.security_incident and self.settings.restricted_folder:
                target = self.settings.restricted_folder
            elif r.action == Action.SKIP and r.skip_reason in _SPAM:
                target = self.settings.spam_folder  # "" keeps it in place: spam is never deleted
            elif r.action == Action.ACK and self.settings.move_to_category_folders and r.category:
                category = self.policy.categories.get(r.category)
                target = category.folder if category else ""
            if target and target != self.folder:
                moves.setdefault(target, []).append(r.uid)
        for folder, uids in moves.items():
            faults.point("before_move")
            box.move(uids, folder)
            faults.point("after_move")

    def _agent_resolutions(self, box: Mailbox, uidvalidity: int) -> None:
        """Tickets that agents resolved by setting the resolved keyword in their mail client."""
        uids = box.uids_with_keyword(self.settings.resolved_keyword)
        resolved = self.store.apply_resolved_keyword(self.account, self.folder, uidvalidity, uids)
        for ref in resolved:
            log.info("ticket resolved by an agent", extra={"event": "resolved", "ticket": ref})

    def _first_responses(self, box: Mailbox, uidvalidity: int) -> None:
        """Tickets an agent has answered: their mail client set \\Answered on a customer mail.
        Only the mails of tickets still waiting for a first response under an SLA are asked about."""
        waiting = self.store.awaiting_first_response(self.account, self.folder, uidvalidity)
        if not waiting:
            return
        answered = box.answered(sorted(waiting))
        if answered:
            self.store.record_first_response(sorted({waiting[uid] for uid in answered}), self.clock())

    def _sla_breaches(self, box: Mailbox, uidvalidity: int, report: TickReport) -> None:
        """Tickets whose first response or resolution is overdue: escalated once each (keyword,
        metric, log line, event). One indexed query when none is due.

        The keywords go on the server before the breach is committed: a crash in between sets
        them again on the next tick (they are idempotent), and the breach is counted once."""
        due = self.store.sla_due(self.clock())
        if not due:
            return
        uids = self.store.ticket_uids([b.ticket_id for b in due], self.account, self.folder, uidvalidity)
        flagged = sorted({uid for b in due for uid in uids.get(b.ticket_id, [])})
        if flagged:
            box.add_keywords(flagged, [KW_ESCALATED, KW_SLA_BREACHED])
        for breach in due:
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
