"""inboxd.health: a mailbox's health, a ticket's SLA in words, tick reports summed."""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import replace

from inboxd.health import MailboxHealth, add_reports, local_time, mailbox_health, sla_state
from inboxd.pipeline import TickReport
from inboxd.store.rows import MailboxStatus, TicketRow
from inboxd.values import Facts

NOW = 1_800_000_000.0
HOUR = 3600.0

TICKET = TicketRow(
    id=1, ref="INB-000001", customer="c@example.com", subject="s", category="account", language="en", state="open",
    priority="normal", missing=(), created_at=NOW - HOUR, updated_at=NOW - HOUR, subject_key="s", facts=Facts(),
    escalated=False, escalation_reason=None, security_incident=False, resolved_at=None, last_customer_at=None,
    sender_verdict="pass", notice=None, closed_at=None, first_response_due=None, resolution_due=None,
    first_response_at=None, sla_due=None, sla_breach=None, sla_breached_at=None,
)  # fmt: skip


def test_sla_state_in_words() -> None:
    assert sla_state(TICKET, NOW) == "not tracked"
    due = replace(TICKET, first_response_due=NOW + HOUR, resolution_due=NOW + 5 * HOUR)
    assert sla_state(due, NOW) == f"on time: first response due {local_time(NOW + HOUR)}"
    assert sla_state(due, NOW + 2 * HOUR) == f"overdue: first response due {local_time(NOW + HOUR)}"
    answered = replace(due, first_response_at=NOW)
    assert sla_state(answered, NOW) == f"on time: resolution due {local_time(NOW + 5 * HOUR)}"
    assert sla_state(replace(answered, resolution_due=None), NOW) == "met"
    assert sla_state(replace(due, state="resolved"), NOW + 9 * HOUR) == "met"
    breached = replace(due, sla_breach="first_response", sla_breached_at=NOW + 2 * HOUR, state="resolved")
    assert sla_state(breached, NOW) == f"breached: first response ({local_time(NOW + 2 * HOUR)})"
    assert local_time(None) == ""


def _status(**changes: object) -> MailboxStatus:
    polled = MailboxStatus("default", "acct", "INBOX", NOW - 10, NOW - 10, None, None, 0, 0.1)
    return replace(polled, **changes)  # type: ignore[arg-type]


def test_mailbox_health() -> None:
    assert mailbox_health(_status(), 60, None, NOW) == MailboxHealth(True, None, None)
    # No success within three intervals (or ever): stale, with no error to show.
    assert mailbox_health(_status(last_success_at=NOW - 181), 60, None, NOW) == MailboxHealth(False, None, None)
    assert mailbox_health(None, 60, None, NOW) == MailboxHealth(False, None, None)
    # The last poll failed after the last success: failing, with its error.
    failed = _status(last_poll_at=NOW - 5, last_error="IMAP down", last_error_at=NOW - 5)
    assert mailbox_health(failed, 60, None, NOW) == MailboxHealth(False, "IMAP down", None)
    # An error older than the last success is over.
    recovered = _status(last_error="IMAP down", last_error_at=NOW - 20)
    assert mailbox_health(recovered, 60, None, NOW) == MailboxHealth(True, None, None)
    # A lease held until later has a holder; an expired one has none.
    assert mailbox_health(_status(), 60, ("host-a", NOW + 30), NOW).lease_holder == "host-a"
    assert mailbox_health(_status(), 60, ("host-a", NOW - 1), NOW).lease_holder is None


def test_tick_reports_are_summed() -> None:
    a = TickReport(rows=array("q", [1, 2]), sent=2, webhooks=Counter(delivered=1), error="x",
                   stages={"parse": 0.5}, slowest_mail_seconds=0.2, estimates={"account": 60.0})  # fmt: skip
    b = TickReport(rows=array("q", [3]), sent=1, failed=1, webhooks=Counter(delivered=2, failed=1),
                   stages={"parse": 0.25, "decide": 1.0}, slowest_mail_seconds=0.3)  # fmt: skip
    total = add_reports(a, b)
    assert list(total.rows) == [1, 2, 3] and (total.sent, total.failed) == (3, 1)
    assert total.webhooks == Counter(delivered=3, failed=1)
    assert total.stages["parse"] == 0.75 and total.stages["decide"] == 1.0
    assert total.slowest_mail_seconds == 0.3
    assert total.error == "x" and total.estimates == {"account": 60.0}  # not summed: the first's
    assert list(a.rows) == [1, 2] and a.sent == 2  # the operands are left as they were
