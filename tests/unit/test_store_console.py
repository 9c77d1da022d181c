"""The console's queries in the store: kept text and its purge, filters, corrections, audit, daily figures.

Each test runs on both backends: a SQLite file and a real PostgreSQL database.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from inboxd.store import DecisionFilter, Store
from inboxd.values import Action, Classification, Decision
from tests.unit.test_store import PLAN, FakeMail, key, outgoing, with_ack


def decided(store: Store, uid: int, category: str, confidence: float, text: str | None, rule: str | None = None) -> int:
    claim = store.claim(key(uid), f"<m{uid}@x>", f"h{uid}", 10)
    c = Classification(category, confidence, category, rule=rule, runner_up="other", runner_up_confidence=0.1)
    decision = Decision(Action.ACK, language="en", classification=c)
    store.record_decision(claim.row, FakeMail(f"<m{uid}@x>", f"h{uid}"), decision,  # type: ignore[arg-type]
                          **with_ack(store, PLAN, outgoing), text=text)  # fmt: skip
    return claim.row


def test_text_is_kept_with_the_decision_and_purged(make_store: Callable[[], Store]) -> None:
    store = make_store()
    row = decided(store, 1, "account", 0.9, "subject\nthe words the model read")
    bare = decided(store, 2, "account", 0.9, None)
    got = store.decision(row)
    assert got is not None and got["model_text"] == "subject\nthe words the model read"
    assert (got["runner_up"], got["runner_up_confidence"]) == ("other", 0.1)
    assert store.decision(bare)["model_text"] is None  # type: ignore[index]
    assert [r["id"] for r in store.kept_texts()] == [row]
    assert store.purge_text(time.time() - 3600) == 0
    assert store.purge_text(time.time() + 1) == 1
    assert store.kept_texts() == [] and store.decision(row)["model_text"] is None  # type: ignore[index]


def test_filters_and_newest_first(make_store: Callable[[], Store]) -> None:
    store = make_store()
    high = decided(store, 1, "account", 0.95, "a")
    low = decided(store, 2, "deposit_withdrawal", 0.3, "b")
    ruled = decided(store, 3, "deposit_withdrawal", 1.0, "c", rule="otc")
    assert [r["id"] for r in store.decisions(DecisionFilter())] == [ruled, low, high]
    assert [r["id"] for r in store.decisions(DecisionFilter(band="low"))] == [low]
    assert [r["id"] for r in store.decisions(DecisionFilter(by="rule"))] == [ruled]
    assert [r["id"] for r in store.decisions(DecisionFilter(by="model", category="deposit_withdrawal"))] == [low]
    assert store.decisions(DecisionFilter(security=True)) == []
    assert [r["id"] for r in store.decisions(DecisionFilter(), limit=1, offset=1)] == [low]
    assert store.decision_values()["category"] == ["account", "deposit_withdrawal"]


def test_correction_audit_and_daily_figures(make_store: Callable[[], Store]) -> None:
    store = make_store()
    row = decided(store, 1, "account", 0.9, "a")
    assert store.record_correction(row, "transaction", "")
    assert store.decision(row)["corrected_category"] == "transaction"  # type: ignore[index]
    store.audit("alice", "correct", f"mail {row}", "account -> transaction")
    assert store.audit_log()[0] | {"at": 0} == {
        "at": 0,
        "who": "alice",
        "action": "correct",
        "target": f"mail {row}",
        "detail": "account -> transaction",
    }
    volume = store.daily_volume(time.time() - 86400)
    assert [(v["category"], v["n"]) for v in volume] == [("account", 1)]
    assert store.ack_delays(time.time() - 86400) == []  # nothing sent yet
