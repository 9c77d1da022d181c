"""The pure per-mail work before deciding (parse, redact, read), in this process or in workers.

Parsing, redaction and reading a mail (`triage.examine`: its facts, language, links,
phishing cues, screening) are most of the CPU a mail costs and need nothing but the raw
bytes and plain settings: no store, no server, no model. A tick with a burst of mail hands
them to a pool of worker processes (`[processing] workers`), so that every core works
while the main process fetches, records and sends. The workers only compute: the main
process still claims each mail before it is parsed and commits every outcome, so the
order that keeps a mail from being lost or answered twice is unchanged, and a mail's
text is redacted before anything that stores, logs or answers it sees it. A batch goes to
the pool in chunks; when the main process would wait for a chunk that no worker has
started, it prepares that chunk itself (`processing.take_back`) instead of idling.

The pool lives for one tick (it is shut down when the tick ends, is stopped or fails),
so an idle daemon holds no worker processes and a reload or SIGTERM needs nothing more:
the workers ignore SIGINT and SIGTERM (the main process finishes the batch in hand and
shuts them down) and exit on their own if the main process dies.
Workers are started with `spawn`: a fork of a process with threads (the scheduler, the
IDLE watcher) is not safe.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from inboxd import faults
from inboxd.errors import MessageError
from inboxd.values import ParsedEmail, ParseLimits, pickled_by_position

if TYPE_CHECKING:  # only for annotations: a worker process must not load the config schema
    from inboxd.config import LimitsConfig
from inboxd.parse import parse_message
from inboxd.redact import redact_mail
from inboxd.redact.words import wordlists
from inboxd.triage import Findings, TriageSettings, examine

log = logging.getLogger("inboxd.workers")

# A pool costs a start-up (≈0.3 s per worker); below this many mails in a tick, work in place.
MIN_BACKLOG_FOR_POOL = 50
# A batch goes to the workers in chunks of at most this many mails. A chunk no worker has
# started when the tick asks for it is taken back and prepared in the main process, which
# would otherwise wait idle (see WorkerPool.start); small chunks keep the two sides even.
CHUNK_MAILS = 25


@pickled_by_position  # a worker sends one back for each mail: see values.pickled_by_position
@dataclass(frozen=True, slots=True)
class Prepared:
    """One mail parsed and redacted (and read, given the settings), or why it could not be
    (`error`; `internal`: a bug, with `trace`).

    `mail` is the whole parsed mail where it was prepared in place (`InProcess`); from the pool
    it is None when `found` is there (`for_the_tick`), whose `mail` is what deciding reads."""

    mail: ParsedEmail | None
    error: str | None
    internal: bool
    trace: str
    parse_seconds: float
    redact_seconds: float  # redaction
    found: Findings | None = None  # the mail read once (inboxd.triage), when `prepare` had the settings
    screen_seconds: float = 0.0  # reading it: screening, facts, language, links, phishing cues


def prepare(
    raw: bytes,
    limits: LimitsConfig | ParseLimits,
    settings: TriageSettings | None = None,
    content_hash: str | None = None,
) -> Prepared:
    """Parse and redact one mail (and read it, given `settings`: `triage.examine`). Pure: the
    same bytes and settings give the same result. `content_hash`: the sha256 the claim computed."""
    started = time.perf_counter()
    parsed_at = started
    try:
        mail = parse_message(raw, ParseLimits.of(limits), content_hash)
        parsed_at = time.perf_counter()
        mail, _ = redact_mail(mail)
        redacted_at = time.perf_counter()
        found = examine(mail, settings) if settings is not None else None
        return Prepared(mail, None, False, "", parsed_at - started, redacted_at - parsed_at, found,
                        time.perf_counter() - redacted_at)  # fmt: skip
    except MessageError as exc:
        return Prepared(None, str(exc), False, "", time.perf_counter() - started, 0.0)
    except Exception as exc:  # a bug must cost one mail, not the mailbox
        reason = f"internal error while parsing: {type(exc).__name__}: {exc}"
        return Prepared(None, reason, True, traceback.format_exc(), time.perf_counter() - started, 0.0)


def for_the_tick(prepared: Prepared) -> Prepared:
    """What the pool gives the tick of a prepared mail: the findings without the whole parsed mail.

    The tick reads only the findings (their `mail` is `ParsedEmail.summary`): a worker that sent
    the mail's text, headers, hrefs, attachment text and forwarded parts as well pickled about
    nine times the bytes, for the main process to unpickle and drop. Without findings (no triage
    settings), the parsed mail is all there is and stays."""
    return replace(prepared, mail=None) if prepared.found is not None else prepared


def _prepare_for_the_tick(
    raw: bytes, digest: str, limits: LimitsConfig | ParseLimits, settings: TriageSettings | None
) -> Prepared:
    """A mail as the pool gives it, in a worker or taken back here: the same code and limits."""
    return for_the_tick(prepare(raw, limits, settings, digest))


class Preparer(Protocol):
    remote: bool  # True: the work is done in other processes (the tick waits for them)

    def start(self, raws: Sequence[tuple[bytes, str]]) -> Callable[[], list[Prepared]]:
        """Start on `raws` (each mail's bytes and their sha256, hex); the returned call gives
        the results, in order."""
        ...


class InProcess:
    remote = False

    def __init__(self, limits: LimitsConfig | ParseLimits, settings: TriageSettings | None = None):
        self.limits = limits
        self.settings = settings

    def start(self, raws: Sequence[tuple[bytes, str]]) -> Callable[[], list[Prepared]]:
        return lambda: [prepare(raw, self.limits, self.settings, digest) for raw, digest in raws]  # in place


# A worker process's limits and triage settings, set once when it starts.
_worker: dict[str, tuple[ParseLimits, TriageSettings | None]] = {}


def _exit_with_parent(parent: int) -> None:
    """A worker whose main process died (SIGKILL, OOM) would wait for work forever: it exits."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


# Workers run below the main process: it is the one path every mail takes in order
# (record, send, sync) and the SMTP server on the same host waits on it, while the
# workers are a batch ahead. On a busy machine they take the time that is left over.
WORKER_NICENESS = 5


def _init_worker(limits: ParseLimits, settings: TriageSettings | None) -> None:
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    # Ctrl-C and SIGTERM are for the main process: it stops the tick and shuts the pool down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    _worker["settings"] = (limits, settings)
    wordlists()  # load the wordlists once, before the first mail


def _prepare_in_worker(item: tuple[bytes, str]) -> Prepared:
    limits, settings = _worker["settings"]
    faults.point("parsing")  # a worker's death, never the main process's: see faults.WORKER_POINTS
    return _prepare_for_the_tick(item[0], item[1], limits, settings)


def _prepare_chunk(items: list[tuple[bytes, str]]) -> list[Prepared]:
    return [_prepare_in_worker(item) for item in items]


def _executor(workers: int, limits: LimitsConfig | ParseLimits, settings: TriageSettings | None) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(ParseLimits.of(limits), settings),  # plain values: unpickling them needs no pydantic
    )


class WorkerPool:
    """`workers` processes; what `start` returns keeps the order of its input.

    A worker that dies (the OOM killer on a hostile mail, a crash in a C extension) breaks
    the pool and every batch in it. The pool is started again, and the mails of a broken
    batch are parsed once more, each in a process of its own: the mail that kills its
    process again is quarantined with that reason, instead of failing every tick for ever.
    """

    remote = True

    def __init__(
        self,
        workers: int,
        limits: LimitsConfig | ParseLimits,
        settings: TriageSettings | None = None,
        *,
        take_back: bool = True,
    ):
        self.workers = workers
        self.limits = limits
        self.settings = settings
        self.take_back = take_back  # False: every mail is prepared in a worker (a crash there costs a worker)
        self.taken_back = 0  # mails prepared here because no worker had started them
        self._executor = _executor(workers, limits, settings)

    def start(self, raws: Sequence[tuple[bytes, str]]) -> Callable[[], list[Prepared]]:
        executor = self._executor
        size = max(1, min(CHUNK_MAILS, len(raws) // (self.workers * 4)))
        chunks = [list(raws[i : i + size]) for i in range(0, len(raws), size)]
        futures = [executor.submit(_prepare_chunk, chunk) for chunk in chunks]  # submitted now

        def collect() -> list[Prepared]:
            done: dict[int, list[Prepared]] = {}
            try:
                for index, future in enumerate(futures):
                    # Rather than wait, take back the last chunk no worker has started and
                    # prepare it here; a cancelled future is one no worker will ever see.
                    while index not in done and not future.done() and self.take_back:
                        if not self._prepare_here(futures, chunks, index, done):
                            break
                    if index not in done:
                        done[index] = future.result()
            except BrokenProcessPool:
                log.error("a worker process died; parsing the %d mails of its batch again, one process each", len(raws))
                if self._executor is executor:  # the first batch to notice starts a new pool
                    executor.shutdown(wait=False, cancel_futures=True)
                    self._executor = _executor(self.workers, self.limits, self.settings)
                return [self._alone(raw) for raw in raws]
            return [prepared for index in range(len(chunks)) for prepared in done[index]]

        return collect

    def _prepare_here(
        self,
        futures: list[Future[list[Prepared]]],
        chunks: list[list[tuple[bytes, str]]],
        first: int,
        done: dict[int, list[Prepared]],
    ) -> bool:
        """Prepare here the last chunk from `first` on that no worker has started; False: none left."""
        for index in range(len(futures) - 1, first - 1, -1):
            if index not in done and futures[index].cancel():
                done[index] = [
                    _prepare_for_the_tick(raw, digest, self.limits, self.settings) for raw, digest in chunks[index]
                ]
                self.taken_back += len(chunks[index])
                return True
        return False

    def _alone(self, raw: tuple[bytes, str]) -> Prepared:
        with _executor(1, self.limits, self.settings) as one:
            try:
                return one.submit(_prepare_in_worker, raw).result()
            except BrokenProcessPool:
                reason = "parsing this mail killed the process that parsed it (out of memory?), twice"
                return Prepared(None, reason, False, "", 0.0, 0.0)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


@contextmanager
def preparer(
    workers: int,
    limits: LimitsConfig | ParseLimits,
    backlog: int,
    settings: TriageSettings | None = None,
    *,
    take_back: bool = True,
) -> Iterator[Preparer]:
    """Worker processes for a burst (`workers` ≥ 1 and at least MIN_BACKLOG_FOR_POOL mails), else in place.

    One worker is a pool too: it parses and reads the next batch while the main process decides,
    records and sends the one before (on two cores that is the pipeline that pays)."""
    if workers < 1 or backlog < MIN_BACKLOG_FOR_POOL:
        yield InProcess(limits, settings)
        return
    pool = WorkerPool(workers, limits, settings, take_back=take_back)
    try:
        yield pool
    finally:
        pool.close()
