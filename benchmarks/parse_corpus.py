"""How long parsing takes, and how much memory: the shared MIME corpus and the hostile set.

    .venv/bin/python benchmarks/parse_corpus.py            # times
    .venv/bin/python benchmarks/parse_corpus.py --memory   # also peak Python allocations (slower)

Prints the slowest corpus messages and every hostile message (testbed.hostile,
at full size: close to the default limits) with its outcome, and compares them with
the targets below. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import tracemalloc
from pathlib import Path

from inboxd.config import LimitsConfig
from inboxd.errors import MessageError
from inboxd.parse import parse_message

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo's testbed package (not installed)
from testbed.hostile import hostile_messages

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SUPPORT_TEST_DATA", ROOT.parent / "shared" / "data"))
# Targets: a corpus message well inside the test's per-message bound (2 s), and
# every hostile message inside the default wall-clock budget.
CORPUS_TARGET_S = 0.5
HOSTILE_TARGET_S = LimitsConfig().max_parse_seconds
# Peak Python allocations per byte of message, for the large hostile messages.
MEMORY_TARGET_X = 20
_NOT_MESSAGES = {"SOURCES.md", "MANIFEST.csv", "COPYING", ".gitattributes"}


def _measure(raw: bytes, limits: LimitsConfig, memory: bool) -> tuple[float, int, str]:
    """Wall time of one untraced parse, and with `memory` the peak of a second, traced one."""
    started = time.perf_counter()
    try:
        mail = parse_message(raw, limits)
        outcome = f"parsed, {len(mail.text)} chars of text"
    except MessageError as exc:
        outcome = f"refused: {exc}"
    elapsed = time.perf_counter() - started
    peak = 0
    if memory:
        tracemalloc.start()
        with contextlib.suppress(MessageError):
            parse_message(raw, limits)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return elapsed, peak, outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DATA / "mime-corpus")
    parser.add_argument("--top", type=int, default=10, help="how many of the slowest corpus messages to show")
    parser.add_argument(
        "--memory", action="store_true", help="also measure peak allocations (a second, traced parse of each message)"
    )
    args = parser.parse_args()
    failed = False
    # No wall-clock budget here: the point is to see what each message really costs.
    limits = LimitsConfig(max_parse_seconds=300)

    if args.corpus.is_dir():
        files = sorted(
            p
            for p in args.corpus.rglob("*")
            if p.is_file()
            and p.name not in _NOT_MESSAGES
            and not p.name.startswith(("LICENSE", "NOTICE"))
            and p.suffix != ".json"
        )
        rows = []
        for path in files:
            elapsed, peak, outcome = _measure(path.read_bytes(), limits, args.memory)
            rows.append((elapsed, peak, path.stat().st_size, path.relative_to(args.corpus), outcome))
        rows.sort(key=lambda r: r[0], reverse=True)
        total = sum(r[0] for r in rows)
        refused = sum(1 for r in rows if r[4].startswith("refused"))
        print(f"corpus: {len(rows)} messages in {total:.2f} s, {refused} refused; slowest:")
        for elapsed, peak, size, name, outcome in rows[: args.top]:
            mem = f"  peak {peak / 1e6:6.1f} MB" if args.memory else ""
            print(f"  {elapsed * 1000:8.1f} ms  {size / 1e3:8.1f} kB{mem}  {name}  ({outcome[:60]})")
        slowest = rows[0][0] if rows else 0.0
        ok = slowest < CORPUS_TARGET_S
        failed |= not ok
        print(
            f"{'PASS' if ok else 'FAIL'}: slowest corpus message {slowest * 1000:.0f} ms (target < {CORPUS_TARGET_S} s)"
        )
    else:
        print(f"corpus not found at {args.corpus}: skipped (set SUPPORT_TEST_DATA or place ../shared/data)")

    print("\nhostile messages (full size, default limits):")
    worst = 0.0
    for name, raw, refusal in hostile_messages(scale=1.0):
        elapsed, peak, outcome = _measure(raw, limits, args.memory)
        worst = max(worst, elapsed)
        mem = ""
        if args.memory:
            ratio = peak / len(raw)
            mem = f"  peak {peak / 1e6:6.1f} MB ({ratio:4.1f}x)"
            if len(raw) > 10_000_000 and ratio > MEMORY_TARGET_X:
                failed = True
                mem += " FAIL"
        expected = "refused" if refusal else "parsed"
        if not outcome.startswith(expected):
            failed = True
            outcome += f"  FAIL: expected {expected}"
        print(f"  {elapsed:6.2f} s  {len(raw) / 1e6:6.1f} MB{mem}  {name}: {outcome[:90]}")
    ok = worst < HOSTILE_TARGET_S
    failed |= not ok
    print(f"{'PASS' if ok else 'FAIL'}: slowest hostile message {worst:.2f} s (target < {HOSTILE_TARGET_S:g} s)")
    if args.memory:
        print(f"memory target: peak < {MEMORY_TARGET_X}x the size of messages over 10 MB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
