"""SLA due times and the queue in the store, on SQLite and PostgreSQL: a ticket's due times are
committed with it, a breach escalates it once, an answer or a resolution stops its clock."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from inboxd.store import Store
from tests.unit.test_store import PLAN, FakeMail, ack_decision, key, outgoing, with_ack


def open_ticket(store: Store, uid: int, first: float | None, resolution: float | None) -> str:
    claim = store.claim(key(uid), None, f"h{uid}", 10)
    plan = dataclasses.replace(PLAN, first_response_due=first, resolution_due=resolution)
    mail = FakeMail(f"<m{uid}@x>", f"h{uid}")
    ref = store.record_decision(claim.row, mail, ack_decision(), **with_ack(store, plan, outgoing))  # type: ignore[arg-type]
    assert ref is not None
    return ref


def test_due_times_breach_once_and_stop_when_answered_or_resolved(make_store: Callable[[], Store]) -> None:
    store = make_store()
    late = open_ticket(store, 1, first=100.0, resolution=1000.0)
    answered = open_ticket(store, 2, first=100.0, resolution=1000.0)
    resolved = open_ticket(store, 3, first=100.0, resolution=1000.0)
    untracked = open_ticket(store, 4, first=None, resolution=None)
    assert store.sla_due(99.0) == []
    assert sorted(b.ref for b in store.sla_due(100.0)) == sorted([late, answered, resolved])

    waiting = store.awaiting_first_response("acct", "INBOX", 1)
    assert sorted(waiting) == [1, 2, 3]  # UIDs of the tickets still waiting for a first response
    store.record_first_response([waiting[2]], 50.0)
    assert store.resolve_ticket(resolved, "agent")

    (breach,) = store.sla_due(500.0)
    assert breach.ref == late and breach.kind == "first_response"
    assert store.record_sla_breach(breach)
    assert not store.record_sla_breach(breach)  # once
    assert store.sla_due(500.0) == []
    (row,) = store.tickets(breached=True)
    assert row.ref == late and row.escalated and row.priority == "high"
    assert row.sla_breach == "first_response"
    assert "sla_breached" in [e.kind for e in store.ticket(late).events]  # type: ignore[union-attr]
    # The webhook event was committed with the breach, once, keyed by ticket and kind of breach.
    (event,) = store.notify_events("sla_breach")
    assert event["key"] == f"sla_breach-{breach.ticket_id}-first_response"
    assert late in event["payload"]

    # The answered ticket is due for resolution next; the resolved and untracked ones never.
    (breach,) = store.sla_due(2000.0)
    assert breach.ref == answered and breach.kind == "resolution"
    assert untracked not in [b.ref for b in store.sla_due(10**10)]
    assert store.ticket_uids([breach.ticket_id], "acct", "INBOX", 1) == {breach.ticket_id: [2]}


def test_the_queue_per_category(make_store: Callable[[], Store]) -> None:
    store = make_store()
    refs = [open_ticket(store, uid, None, None) for uid in range(1, 4)]
    store.resolve_ticket(refs[0], "agent")
    assert store.queue_counts(resolved_since=0.0) == {"account": (2, 1)}
    assert store.queue_counts(resolved_since=10**10) == {"account": (2, 0)}
