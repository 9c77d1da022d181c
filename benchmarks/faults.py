"""Proven under faults: crash, outage and restart runs against real servers, with figures.

    .venv/bin/python benchmarks/faults.py            # the full run (several hundred mails, >= 20 kills)
    .venv/bin/python benchmarks/faults.py --quick    # the CI subset (a few minutes)
    .venv/bin/python benchmarks/faults.py --only kill --only smtp --seed 7

Every scenario starts a private Dovecot and an SMTP sink, loads a mailbox of
realistic mail (see faultsuite/mailgen.py), runs `inboxd run` as a child process,
breaks something while it works (SIGKILL at named points and at random times,
servers stopped, connections cut, the SQLite file locked, the disk full, the
folder rebuilt, two daemons at once, bad input) and lets it finish. Then the
invariants are counted from the servers' own records (faultsuite/verify.py):
every mail handled exactly once, no duplicate acknowledgement, nothing lost, the
store consistent with the servers, every unknown-fate acknowledgement listed.

Prints one table; exits 1 if any invariant failed in any run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # faultsuite uses the repo's testbed (not installed)
from faultsuite.mailgen import corpus
from faultsuite.scenarios import FULL_RUNS, QUICK_RUNS, SCENARIOS, Skip, Suite
from faultsuite.verify import Tally
from faultsuite.world import ROOT, trained_model
from rich.console import Console
from rich.table import Table

console = Console(highlight=False, width=200)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the CI subset: fewer mails, kills and runs")
    parser.add_argument("--seed", type=int, default=1, help="seed for kill points and timings (default 1)")
    parser.add_argument("--only", action="append", default=[], help="run scenarios whose name contains this")
    parser.add_argument("--mails", type=int, help="mails per run (default 400, quick 60)")
    parser.add_argument("--runs", type=int, help="runs per scenario (default 2, quick 1)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, stores, servers' files)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so that every world stops its servers and daemons.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    count = args.mails or (60 if args.quick else 400)
    runs = QUICK_RUNS if args.quick else FULL_RUNS
    names = [n for n in SCENARIOS if not args.only or any(o.lower() in n.lower() for o in args.only)]
    if names and names[0] != "baseline (no fault)":
        names.insert(0, "baseline (no fault)")  # every run is compared with the fault-free outcome
    work = Path(tempfile.mkdtemp(prefix="inboxd-faults-"))
    started = time.monotonic()
    console.print(f"work directory {work}; {count} mails per run; seed {args.seed}")
    suite = Suite(
        root=work,
        model=trained_model(ROOT / "var" / "faults"),
        mails=corpus(count, "faults"),
        seed=args.seed,
        quick=args.quick,
    )
    results: list[tuple[str, int, Tally | None, str]] = []
    failed = False
    try:
        for name in names:
            total, done, status = Tally(), 0, ""
            for run in range(args.runs or runs[name]):
                began = time.monotonic()
                try:
                    tally = SCENARIOS[name](suite, run)
                except Skip as exc:
                    status = f"skipped: {exc}"
                    break
                except Exception:
                    status = "ERROR"
                    failed = True
                    console.print(f"[red]{name} run {run} raised:[/]\n{traceback.format_exc()}")
                    break
                done += 1
                total.add(tally)
                mark = "ok" if tally.ok else "[red]FAILED[/]"
                console.print(
                    f"{name} run {run + 1}: {mark} in {time.monotonic() - began:.0f} s; "
                    f"{dict(tally.outcomes)} faults={tally.faults}"
                )
                for line in tally.violations[:15]:
                    console.print(f"  [red]violation:[/] {line}", markup=True)
                if len(tally.violations) > 15:
                    console.print(f"  … and {len(tally.violations) - 15} more")
                for line in tally.notes:
                    console.print(f"  note: {line}")
            if done and not total.ok:
                failed = True
            results.append((name, done, total if done else None, status or ("PASS" if total.ok else "FAIL")))
    finally:
        if args.keep or failed:
            console.print(f"kept {work} for inspection")
        else:
            shutil.rmtree(work, ignore_errors=True)

    table = Table(title=f"inboxd under faults ({'quick' if args.quick else 'full'} run, seed {args.seed})")
    columns = ("scenario", "runs", "messages", "kills/outages", "acked", "skipped", "quarantined", "failed")
    for column in (*columns, "duplicates", "lost", "unknown-fate", "result"):
        table.add_column(column, justify="left" if column in ("scenario", "result") else "right")
    for name, done, tally, status in results:
        if tally is None:
            table.add_row(name, str(done), *[""] * 10, status)
            continue
        o = tally.outcomes
        table.add_row(
            name, str(done), str(tally.messages), str(tally.faults), str(o["acked"]), str(o["skipped"]),
            str(o["quarantined"]), str(o["failed"]), str(tally.duplicates), str(tally.lost), str(o["unknown"]),
            status if tally.ok else f"[red]{status}[/]",
        )  # fmt: skip
    console.print(table)
    if suite.stages:
        console.print(
            "kills by stage: " + ", ".join(f"{stage} {n}" for stage, n in sorted(suite.stages.items())),
        )
    console.print(f"{time.monotonic() - started:.0f} s in all")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "seed": args.seed,
                    "quick": args.quick,
                    "mails": count,
                    "kills_by_stage": dict(suite.stages),
                    "scenarios": [
                        {
                            "scenario": name,
                            "runs": done,
                            "result": status,
                            **(
                                {
                                    "messages": t.messages,
                                    "faults": t.faults,
                                    **{k: t.outcomes[k] for k in ("acked", "skipped", "quarantined", "failed")},
                                    "duplicates": t.duplicates,
                                    "lost": t.lost,
                                    "unknown_fate": t.outcomes["unknown"],
                                    "violations": t.violations,
                                    "notes": t.notes,
                                    **t.extra,
                                }
                                if t
                                else {}
                            ),
                        }
                        for name, done, t, status in results
                    ],
                },
                indent=2,
            )
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
