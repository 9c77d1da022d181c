"""Where a tick's time goes: seconds per pipeline stage, measured by inboxd itself.

`inboxd poll --json` reports them (`totals.stages`) and the throughput benchmark prints
them, so the slowest stage is visible without a profiler. Stages nest (rendering the
acknowledgement happens inside the store transaction that records it): a stage's
seconds exclude the stages timed inside it, so the stages of one process add up to the
time it spent in them. Work done in the worker processes (parsing, redaction,
screening, extraction) is reported as the workers measured it; `wait` is the time the
tick spent waiting for them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TypeVar

# In the order a mail meets them.
STAGES = (
    "fetch",  # IMAP: select, search, sizes, FETCH BODY.PEEK[]
    "parse",  # MIME, charsets, HTML to text, quoted history
    "redact",  # customer secrets found and removed
    "screen",  # robots, lists, bounces
    "wait",  # waiting for the worker processes
    "classify",  # rules and the model, once per batch
    "decide",  # language, facts, missing information, ticket plan
    "render",  # the acknowledgement's text
    "store",  # every read and commit of the store
    "send",  # SMTP
    "sync",  # IMAP keywords and moves
)

T = TypeVar("T")


class _Stage:
    __slots__ = ("_name", "_started", "_watch")

    def __init__(self, watch: Stopwatch, name: str):
        self._watch = watch
        self._name = name
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.perf_counter()
        self._watch._nested.append(0.0)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        spent = time.perf_counter() - self._started
        nested = self._watch._nested.pop()
        self._watch.seconds[self._name] += spent - nested
        if self._watch._nested:
            self._watch._nested[-1] += spent


class Stopwatch:
    """Seconds per stage; `with watch("store"): …` times one call."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self._nested: list[float] = []  # per open stage: seconds of the stages timed inside it

    def __call__(self, name: str) -> _Stage:
        return _Stage(self, name)

    def add(self, name: str, seconds: float) -> None:
        """Time measured elsewhere (in a worker process)."""
        self.seconds[name] += seconds

    def timed(self, name: str, items: Iterable[T]) -> Iterator[T]:
        """Iterate, counting the time spent producing each item (a generator doing I/O)."""
        iterator = iter(items)
        while True:
            with self(name):
                try:
                    item = next(iterator)
                except StopIteration:
                    return
            yield item
