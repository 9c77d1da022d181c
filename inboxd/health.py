"""How things stand, from what the store recorded: a mailbox's health, a ticket's SLA in words,
and the sum of several mailboxes' tick reports. Pure: the callers read the store and print.
"""

from __future__ import annotations

import time
from array import array
from collections import Counter
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inboxd.processing import TickReport
    from inboxd.store.rows import MailboxStatus, TicketRow

# A mailbox that has not polled successfully within this many poll intervals is unhealthy.
STALE_INTERVALS = 3


@dataclass(frozen=True, slots=True)
class MailboxHealth:
    healthy: bool  # its last poll succeeded, within STALE_INTERVALS poll intervals
    last_error: str | None  # the error of its last poll, when that poll failed
    lease_holder: str | None  # who holds its lease now (an expired lease is held by nobody)


def mailbox_health(
    status: MailboxStatus | None, interval_seconds: float, holder: tuple[str, float] | None, at: float
) -> MailboxHealth:
    """A mailbox's health at `at`: failing when its last poll failed after its last success,
    stale when no poll succeeded within STALE_INTERVALS × `interval_seconds` (or ever)."""
    success = status.last_success_at if status else None
    error_at = status.last_error_at if status else None
    stale = success is None or at - success > STALE_INTERVALS * interval_seconds
    failing = bool(error_at and (success is None or error_at > success))
    return MailboxHealth(
        healthy=not failing and not stale,
        last_error=status.last_error if status and failing else None,
        lease_holder=holder[0] if holder and holder[1] > at else None,
    )


def sla_state(ticket: TicketRow, at: float) -> str:
    """A ticket's SLA in words: not tracked, on time (what is due when), overdue, breached or met."""
    first, resolution = ticket.first_response_due, ticket.resolution_due
    if first is None and resolution is None:
        return "not tracked"
    if ticket.sla_breach:
        return f"breached: {ticket.sla_breach.replace('_', ' ')} ({local_time(ticket.sla_breached_at)})"
    if ticket.state == "resolved":
        return "met"
    if first is not None and ticket.first_response_at is None:
        what, due = "first response", float(first)
    elif resolution is not None:
        what, due = "resolution", float(resolution)
    else:
        return "met"
    # Overdue but not yet escalated: the next poll does it.
    return f"{'overdue' if due <= at else 'on time'}: {what} due {local_time(due)}"


def local_time(ts: float | None) -> str:
    """A timestamp as the operator reads it (local time, to the minute); '' for none."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else ""


def add_reports(a: TickReport, b: TickReport) -> TickReport:
    """Two tick reports summed (for a poll over several mailboxes): the counts, the rows and the
    per-kind counters added, the stage times added, the slowest mail the slower of the two."""
    summed = {f.name: getattr(a, f.name) + getattr(b, f.name) for f in fields(a)
              if isinstance(getattr(a, f.name), (int, list, array, Counter)) and f.name != "error"}  # fmt: skip
    stages = {name: a.stages.get(name, 0.0) + b.stages.get(name, 0.0) for name in {*a.stages, *b.stages}}
    slowest = max(a.slowest_mail_seconds, b.slowest_mail_seconds)
    return replace(a, **summed, stages=stages, slowest_mail_seconds=slowest)
