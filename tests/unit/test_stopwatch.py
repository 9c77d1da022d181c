"""The stopwatch behind `totals.stages`: nested stages are not counted twice."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from inboxd.stopwatch import STAGES, Stopwatch, Timed


def test_a_nested_stage_is_taken_out_of_the_one_around_it() -> None:
    watch = Stopwatch()
    started = time.perf_counter()
    with watch("store"):
        time.sleep(0.02)
        with watch("render"):
            time.sleep(0.03)
    total = time.perf_counter() - started
    assert 0.03 <= watch.seconds["render"] < 0.045
    assert 0.02 <= watch.seconds["store"] < 0.035
    assert abs(watch.seconds["store"] + watch.seconds["render"] - total) < 0.005
    assert set(watch.seconds) == set(STAGES)


def test_timed_counts_the_time_spent_producing_each_item() -> None:
    def slow() -> list[int]:
        time.sleep(0.02)
        return [1, 2]

    def items() -> Iterator[int]:
        yield from slow()
        time.sleep(0.02)

    watch = Stopwatch()
    got = []
    for item in watch.timed("fetch", items()):
        time.sleep(0.01)  # the consumer's time is not the producer's
        got.append(item)
    assert got == [1, 2]
    assert 0.04 <= watch.seconds["fetch"] < 0.055


def test_an_exception_still_closes_the_stage() -> None:
    watch = Stopwatch()
    with contextlib.suppress(ValueError), watch("parse"):
        raise ValueError("bad mail")
    with watch("decide"):
        pass
    assert watch.seconds["parse"] >= 0 and watch._nested == []


class _Slow:
    limit = 7  # not a method: passes through untimed

    def read(self) -> int:
        time.sleep(0.02)
        return 1

    def rows(self) -> Iterator[int]:
        for i in range(2):
            time.sleep(0.01)
            yield i

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        time.sleep(0.01)
        yield
        time.sleep(0.02)  # the commit


def test_a_timed_proxy_counts_each_call_to_its_stage_and_nothing_else() -> None:
    watch = Stopwatch()
    target = _Slow()
    proxy: Any = Timed(target, watch, "store", {"rows": "fetch"})
    assert proxy.limit == 7 and proxy.read() == 1
    assert list(proxy.rows()) == [0, 1]  # timed item by item, as it is consumed
    with proxy.batch():
        time.sleep(0.03)  # the caller's own work inside the batch is not the store's
    assert 0.05 <= watch.seconds["store"] < 0.08
    assert 0.02 <= watch.seconds["fetch"] < 0.04
    target.read = lambda: 2  # type: ignore[method-assign]  # patched on the object: the proxy calls the patch
    assert proxy.read() == 2
    assert watch.reset() == dict.fromkeys(STAGES, 0.0) and watch.seconds["store"] == 0.0
