"""A test hook: kill this process at named points of the pipeline, to prove it crash-safe.

Only the fault-injection suite (`benchmarks/faults.py`) sets it. With the
environment variable INBOXD_FAULTS unset, `point()` returns at once and does
nothing. Set, it names points and the probability of dying at each:

    INBOXD_FAULTS="after_send=0.05,before_decision=0.02,seed=7,log=/tmp/kills.log"

At `point("after_send")` the process then SIGKILLs itself with probability 0.05
(1 means: at the first pass). `seed` makes the run repeatable; `log` names a file
to which the point's name is appended (and synced) just before the kill, so the
suite can count kills by stage. SIGKILL, not an exception: nothing in inboxd can
catch it, no `finally` runs, exactly like the OOM killer or a power cut.

The points, in the order a mail meets them (see `inboxd.pipeline`): fetched,
claimed, parsing (in the process that parses it: a pool's worker, when there is one),
before_decision, after_decision, reserved (after a group of acks is committed as
`sending`), before_send, after_send, keywords, before_move, after_move,
before_checkpoint; and for a webhook event (inboxd.webhook_delivery): before_webhook
(before the request) and after_webhook (answered 2xx, `delivered` not yet committed).
"""

from __future__ import annotations

import os
import random
import signal

ENV = "INBOXD_FAULTS"
POINTS = (
    "fetched",
    "claimed",
    "before_decision",
    "after_decision",
    "reserved",
    "before_send",
    "after_send",
    "keywords",
    "before_move",
    "after_move",
    "before_checkpoint",
)
# In the process that parses a mail: a worker of the pool, when there is one. Not among the
# suite's kill points: a worker that dies twice on a mail quarantines it (inboxd.workers).
WORKER_POINTS = ("parsing",)
# Around a webhook request: passed only with [[notify]] receivers, so the suite's webhook
# scenario kills there, not the random-kill rotation.
WEBHOOK_POINTS = ("before_webhook", "after_webhook")


class Plan:
    """Where to die, parsed from the INBOXD_FAULTS syntax."""

    def __init__(self, spec: str):
        self.rates: dict[str, float] = {}
        self.log: str | None = None
        seed: int | None = None
        for item in filter(None, (part.strip() for part in spec.split(","))):
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"{ENV}: {item!r} is not name=value")
            if key == "seed":
                seed = int(value)
            elif key == "log":
                self.log = value
            elif key in POINTS or key in WORKER_POINTS or key in WEBHOOK_POINTS:
                rate = float(value)
                if not 0.0 <= rate <= 1.0:
                    raise ValueError(f"{ENV}: {key}: {rate} is not a probability")
                self.rates[key] = rate
            else:
                raise ValueError(
                    f"{ENV}: unknown point {key!r}; known: {', '.join(POINTS + WORKER_POINTS + WEBHOOK_POINTS)}"
                )
        self.random = random.Random(seed)

    def hit(self, name: str) -> bool:
        rate = self.rates.get(name)
        return rate is not None and self.random.random() < rate


def _load() -> Plan | None:
    spec = os.environ.get(ENV)
    return Plan(spec) if spec else None


_plan = _load()


def point(name: str) -> None:
    """Maybe die here (only when INBOXD_FAULTS asks for it)."""
    if _plan is None or not _plan.hit(name):
        return
    if _plan.log:
        fd = os.open(_plan.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{name}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)
