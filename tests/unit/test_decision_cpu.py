"""The main process's work per mail, made cheaper without changing a result: the model's margins
bit for bit, a new ticket's row and its facts, the stopwatch's stages."""

from __future__ import annotations

import dataclasses
import sqlite3
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inboxd.classifier import model as model_module
from inboxd.classifier.features import Terms
from inboxd.classifier.model import _CONVERTED, _GROUP, _HALF_TO_SINGLE, _SLICE, Model
from inboxd.classifier.vocabulary import Vocabulary
from inboxd.links import Link
from inboxd.stopwatch import Stopwatch, Timed
from inboxd.store import Store
from inboxd.store.codec import facts_json
from inboxd.values import Facts
from tests.unit.test_store import PLAN, FakeMail, ack_decision, key, outgoing, with_ack


def test_the_float16_table_is_numpys_own_conversion() -> None:
    halves = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    assert _HALF_TO_SINGLE.dtype == np.float32
    assert _HALF_TO_SINGLE.tobytes() == halves.astype(np.float32).tobytes()


class _GivenFeatures(Model):
    """A model whose features are given: the margins alone are under test."""

    features_given: tuple[np.ndarray, np.ndarray, np.ndarray]

    def features(self, prepared: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.features_given


def _plain_margins(model: Model, rows: np.ndarray, columns: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """The margins as the weights' rows times the values, summed a slice at a time."""
    out = np.tile(model.intercepts.astype(np.float64), (n, 1))
    for start in range(0, len(rows), _SLICE):
        r, c, v = rows[start : start + _SLICE], columns[start : start + _SLICE], values[start : start + _SLICE]
        firsts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
        out[r[firsts]] += np.add.reduceat(model.weights[c] * v[:, None], firsts, axis=0)
    return out


def _word_terms(width: int, *, sublinear_tf: bool, norm: str | None) -> Terms:
    """Word unigrams t0 .. t{width - 1}, one column each, without idf."""
    vocabulary = Vocabulary.of({f"t{i}": i for i in range(width)})
    return Terms("word", 0, "word", (1, 1), True, r"\w+", False, sublinear_tf, norm, vocabulary, None)


@pytest.mark.parametrize(("group", "converted"), [(_GROUP, _CONVERTED), (64, 7)])
def test_margins_are_bit_for_bit_the_weights_times_the_values(
    monkeypatch: pytest.MonkeyPatch, group: int, converted: int
) -> None:
    """Whatever the groups of rows and of converted weights (a row longer than a group among them),
    a row of a slice is summed as one."""
    monkeypatch.setattr(model_module, "_GROUP", group)
    monkeypatch.setattr(model_module, "_CONVERTED", converted)
    random = np.random.default_rng(18)
    width, labels, texts = 3000, 7, 150
    terms = _word_terms(width, sublinear_tf=True, norm="l2")
    weights = random.normal(0, 2, (width, labels)).astype(np.float16)
    # The edges of float16: infinities, signed zero, a subnormal.
    weights[:5] = np.array([np.inf, -np.inf, 0.0, -0.0, 6e-8])[:, None]
    model = _GivenFeatures([terms], weights, random.normal(0, 1, labels), [f"c{i}" for i in range(labels)], None, {})
    # More features than a slice (one text's features cross its edge), with repeated columns
    # (a batch shares its terms), some rows empty.
    counts = random.integers(0, 300, texts)
    rows = np.repeat(np.arange(texts, dtype=np.int64), counts)
    columns = random.integers(5, 400, len(rows)).astype(np.int64)
    values = random.random(len(rows)).astype(np.float32)
    assert len(rows) > _SLICE
    model.features_given = (rows, columns, values)
    got = model.margins(np.empty((texts, 2), dtype=object))
    assert got.tobytes() == _plain_margins(model, rows, columns, values, texts).tobytes()
    model.features_given = (rows[:40], np.arange(40, dtype=np.int64) % 5, values[:40])  # the edge values
    with np.errstate(invalid="ignore"):
        got = model.margins(np.empty((texts, 2), dtype=object))
        plain = _plain_margins(model, rows[:40], np.arange(40, dtype=np.int64) % 5, values[:40], texts)
    assert got.tobytes() == plain.tobytes()


def test_margins_of_a_batch_take_a_few_mib_of_temporaries_not_a_slice_times_the_labels() -> None:
    """The daemon's peak RSS is reached while it scores a batch: 200 mails of ~100 features
    each, drawn from ~2,000 distinct ones, over 113 labels, with no temporary of a whole slice of
    features × labels (7.4 MiB) at any moment. numpy reports its arrays to tracemalloc."""
    random = np.random.default_rng(26)
    width, labels, texts = 20_000, 113, 200
    terms = _word_terms(width, sublinear_tf=False, norm=None)
    weights = random.normal(0, 1, (width, labels)).astype(np.float16)
    model = _GivenFeatures([terms], weights, np.zeros(labels), [f"c{i}" for i in range(labels)], None, {})
    rows = np.repeat(np.arange(texts, dtype=np.int64), 100)
    columns = random.integers(0, 2_000, len(rows)).astype(np.int64)
    model.features_given = (rows, columns, random.random(len(rows)).astype(np.float32))
    assert len(rows) > _SLICE
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        margins = model.margins(np.empty((texts, 2), dtype=object))
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert margins.shape == (texts, labels)
    assert peak < 6 * 2**20, f"{peak / 2**20:.1f} MiB"


def test_a_new_ticket_under_its_reservation_is_written_by_one_statement(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    seen: list[str] = []
    conn: sqlite3.Connection = store._db.conn  # type: ignore[attr-defined]
    claim = store.claim(key(1), None, "h1", 10)
    plan = dataclasses.replace(PLAN, first_response_due=2000.0, resolution_due=1000.0)
    arguments = with_ack(store, plan, outgoing)
    conn.set_trace_callback(seen.append)
    mail: Any = FakeMail("<m1@x>", "h1")
    ref = store.record_decision(claim.row, mail, ack_decision(), **arguments)
    conn.set_trace_callback(None)
    assert ref == arguments["ticket"].ref
    assert [s.split(" (")[0] for s in seen if "INTO tickets" in s or "UPDATE tickets" in s] == ["INSERT INTO tickets"]
    row = conn.execute("SELECT id, ref, first_response_due, resolution_due, sla_due FROM tickets").fetchone()
    assert tuple(row) == (arguments["ticket"].id, ref, 2000.0, 1000.0, 1000.0)
    # Without a reservation (a ticket with nothing to send), its reference is made of the id it got.
    later = store.claim(key(2), None, "h2", 10)
    plain = dataclasses.replace(PLAN, send=None, first_response_due=5.0)
    other = store.record_decision(later.row, FakeMail("<m2@x>", "h2"), ack_decision(), plan=plain)  # type: ignore[arg-type]
    row = conn.execute(
        "SELECT id, ref, first_response_due, resolution_due, sla_due FROM tickets WHERE ref = ?", (other,)
    )
    ticket_id, *rest = row.fetchone()
    assert rest == [f"INB-{ticket_id:06d}", 5.0, None, 5.0]
    store.close()


def test_a_new_ticket_shares_its_mails_facts_but_never_its_lookalikes(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    conn: sqlite3.Connection = store._db.conn  # type: ignore[attr-defined]
    facts = Facts(order_ids=("123456",))
    for uid, links in ((1, ()), (2, (Link("binance-support.help", "lookalike", "like binance.com"),))):
        decision = dataclasses.replace(ack_decision(), facts=facts, links=links)
        plan = dataclasses.replace(PLAN, facts=facts, missing=("tx_id",))
        claim = store.claim(key(uid), None, f"h{uid}", 10)
        mail: Any = FakeMail(f"<m{uid}@x>", f"h{uid}")
        store.record_decision(claim.row, mail, decision, **with_ack(store, plan, outgoing))
    rows = conn.execute(
        "SELECT m.facts, m.missing, t.facts, t.missing FROM messages m JOIN tickets t ON t.id = m.ticket_id ORDER BY m.id"
    ).fetchall()
    assert rows[0][0] == rows[0][2] == facts_json(facts) and rows[0][1] == rows[0][3] == '["tx_id"]'
    assert rows[1][0] == facts_json(facts, ["binance-support.help"]) and rows[1][2] == facts_json(facts)
    store.close()


class _Failing:
    def read(self, fail: bool) -> list[int]:
        if fail:
            raise ValueError("locked")
        return [1]  # iterable, but no iterator: returned as it is


def test_a_timed_call_that_fails_closes_its_stage_and_results_keep_their_type() -> None:
    watch = Stopwatch()
    proxy: Any = Timed(_Failing(), watch, "store")
    with watch("decide"):
        with pytest.raises(ValueError, match="locked"):
            proxy.read(True)
        assert watch._nested == [watch._nested[0]] and watch._nested[0] >= 0.0  # only "decide" is open
        assert proxy.read(False) == [1] and type(proxy.read(False)) is list
    assert watch._nested == [] and watch.seconds["store"] > 0.0
