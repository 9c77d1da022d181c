"""Where a tick's time goes: seconds per pipeline stage, measured by inboxd itself.

The tick does not time its own logic: the objects it calls out to (store, mailbox, outbox,
classifier, renderer, webhooks) are wrapped in a `Timed` proxy when the Processor is put
together, so every call is counted to its stage where it is made; only the deciding itself
and the wait for the workers are timed where they happen.

`inboxd poll --json` reports them (`totals.stages`) and the throughput benchmark prints
them, so the slowest stage is visible without a profiler. Stages nest (the store read
while a mail is decided): a stage's seconds exclude the stages timed inside it, so the
stages of one process add up to the time it spent in them. Work done in the worker processes (parsing, redaction,
screening, extraction) is reported as the workers measured it; `wait` is the time the
tick spent waiting for them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, TypeVar

# In the order a mail meets them.
STAGES = (
    "fetch",  # IMAP: select, search, sizes, FETCH BODY.PEEK[]
    "parse",  # MIME, charsets, HTML to text, quoted history
    # customer secrets found and removed; and, in the worker that parsed it, the mail read once
    # (inboxd.triage.examine: screening, facts, language, links, phishing cues)
    "redact",
    "screen",  # robots, lists, bounces, where a mail is screened apart from the worker's reading
    "wait",  # waiting for the worker processes
    "classify",  # rules and the model, once per batch
    "decide",  # the decision from what was read and the model's verdict, missing information, ticket plan
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
        self._started = self._watch._start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._watch._stop(self._name, self._started)


class Stopwatch:
    """Seconds per stage; `with watch("store"): …` times one call."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self._nested: list[float] = []  # per open stage: seconds of the stages timed inside it

    def reset(self) -> dict[str, float]:
        """Start counting afresh (a new tick); returns the new counts, which the watch keeps up to date."""
        self.seconds = dict.fromkeys(STAGES, 0.0)
        self._nested = []
        return self.seconds

    def __call__(self, name: str) -> _Stage:
        return _Stage(self, name)

    def _start(self) -> float:
        """A stage opens: the stages timed inside it are counted from here."""
        self._nested.append(0.0)
        return time.perf_counter()

    def _stop(self, name: str, started: float) -> None:
        """The stage opened at `started` closes: its seconds less those of the stages inside it."""
        spent = time.perf_counter() - started
        nested = self._nested
        self.seconds[name] += spent - nested.pop()
        if nested:
            nested[-1] += spent

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


class _TimedContext(AbstractContextManager[Any]):
    """A context manager whose entering and leaving (a transaction's begin and commit) are timed."""

    def __init__(self, inner: AbstractContextManager[Any], watch: Stopwatch, name: str):
        self._inner, self._watch, self._name = inner, watch, name

    def __enter__(self) -> Any:
        with self._watch(self._name):
            return self._inner.__enter__()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        with self._watch(self._name):
            return self._inner.__exit__(kind, exc, tb)


class Timed:
    """A proxy that counts the time of every method call of `target` to a stage: `stages[name]`,
    else `default`. A returned iterator is timed item by item (a FETCH that streams), a returned
    context manager on entering and leaving. Attributes that are not methods pass through."""

    def __init__(self, target: object, watch: Stopwatch, default: str, stages: Mapping[str, str] | None = None):
        self._target, self._watch, self._default, self._stages = target, watch, default, stages or {}

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)  # looked up at each call: a patched method is what is called
        if not callable(value):
            return value
        watch, stage = self._watch, self._stages.get(name, self._default)

        # Every store, model and template call of every mail comes through here: the stage is
        # opened and closed inline, not by a context manager object per call.
        def call(*args: Any, **kwargs: Any) -> Any:
            started = watch._start()
            try:
                result = value(*args, **kwargs)
            finally:
                watch._stop(stage, started)
            kind = _kinds.get(type(result))
            if kind is None:
                kind = _kind_of(type(result))
            if kind is _PLAIN:
                return result
            if kind is _CONTEXT:
                return _TimedContext(result, watch, stage)
            return watch.timed(stage, result)

        return call


# How a call's result is timed: as it is (_PLAIN), on entering and leaving (_CONTEXT), item by
# item (_ITERATOR). It depends on the result's type alone, and an isinstance() against these
# ABCs walks their subclass hooks at each call: each type is looked at once.
_PLAIN, _CONTEXT, _ITERATOR = "plain", "context", "iterator"
_kinds: dict[type, str] = {}


def _kind_of(result_type: type) -> str:
    if issubclass(result_type, AbstractContextManager):
        kind = _CONTEXT
    elif issubclass(result_type, Iterator):
        kind = _ITERATOR
    else:
        kind = _PLAIN
    _kinds[result_type] = kind
    return kind
