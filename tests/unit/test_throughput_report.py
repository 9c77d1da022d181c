"""The throughput benchmark's report: the issue-18 targets, and the CPU table per process.

The figures come from real servers in benchmarks/throughput.py (its quick run is
tests/integration/test_throughput_quick.py); here the report is fed chosen figures.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import pytest

from tests.conftest import ROOT


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("throughput_benchmark", ROOT / "benchmarks" / "throughput.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up there
    spec.loader.exec_module(bench)
    return bench


BENCH = _bench()


def _run(n: int, ratio: float, tree_rss_mib: float) -> Any:
    floor = BENCH.Floor(n=n, fetch_s=1.0, parse_s=1.0, smtp_s=n / 500 - 2.0, cpu_s=n * 0.001)  # 500 mails/s
    return BENCH.Run(
        n=n,
        floor=floor,
        totals={"seconds": n / (500 * ratio), "decided": n, "stages": {"store": n * 0.0004}},
        wall_s=n / (500 * ratio) + 3,
        maxrss_mib=180,
        tree_rss_mib=tree_rss_mib,
        tree_pss_mib=tree_rss_mib - 50,
        processes=4,
        acks=n,
        expected_acks=n,
        duplicates=0,
        missing=0,
        exit_code=0,
        floor_cpu={"own process": n * 0.001, "SMTP sink": n * 0.0011, "Dovecot": n * 0.0002},
        cpu={"main": n * 0.004, "worker 1": n * 0.0025, "worker 2": n * 0.0024, "SMTP sink": n * 0.0011,
             "Dovecot": n * 0.0003},
        startup_cpu={"main": 2.5, "worker 1": 1.9},
        reaped_cpu_s=n * 0.005,
    )  # fmt: skip


def _checks(lines: list[str]) -> dict[str, str]:
    return {line.split(":")[0][8:]: line[2:6] for line in lines if line.startswith(("  PASS", "  MISS"))}


@pytest.mark.parametrize(("ratio", "verdict"), [(0.81, "PASS"), (0.79, "MISS")])
def test_throughput_target_is_four_fifths_of_the_floor_at_every_n(ratio: float, verdict: str) -> None:
    runs = [_run(10_000, 0.9, 200), _run(50_000, ratio, 200)]
    lines, ok = BENCH.report(runs, [], None, quick=False)
    assert ok == (verdict == "PASS")
    checks = _checks(lines)
    assert checks["throughput, N = 10,000"] == "PASS"
    assert checks["throughput, N = 50,000"] == verdict


@pytest.mark.parametrize(("rss", "verdict"), [(249.0, "PASS"), (251.0, "MISS")])
def test_memory_target_is_250_mib_for_the_whole_tree(rss: float, verdict: str) -> None:
    lines, _ = BENCH.report([_run(10_000, 0.9, rss), _run(50_000, 0.9, rss)], [], None, quick=False)
    assert _checks(lines)["memory"] == verdict


def test_cpu_table_has_every_process_per_mail_and_the_totals() -> None:
    runs = [_run(10_000, 0.9, 200), _run(50_000, 0.9, 200)]
    lines = BENCH.cpu_table(runs)
    rows = {
        " ".join(line.split()[:-2]): line.split()[-2:] for line in lines if line.startswith("  ") and "," not in line
    }
    assert rows["floor own process"] == ["1.000", "1.000"]
    assert rows["floor total"] == ["2.300", "2.300"]
    assert rows["inboxd main"] == ["4.000", "4.000"]
    assert rows["inboxd worker 2"] == ["2.400", "2.400"]
    assert rows["inboxd total"] == ["10.300", "10.300"]
    assert rows["ratio floor / inboxd total"] == ["0.22", "0.22"]
    assert any("start-up, taken off: main 2.50 s, worker 1 1.90 s" in line for line in lines)
    assert runs[0].cpu_ms(runs[0].cpu)["total"] == pytest.approx(10.3)


def test_a_process_cpu_is_read_from_proc_including_the_children_it_reaped() -> None:
    import os
    import subprocess

    busy = "x = 0\nfor i in range(3_000_000): x += i"
    child = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, sys\n{busy}\nsubprocess.run([sys.executable, '-c', {busy!r}])"]
    )
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    own, reaped = BENCH._cpu(child.pid)  # a zombie still has its figures
    _, _, usage = os.wait4(child.pid, 0)
    child.returncode = 0
    assert own > 0.05 and reaped > 0.05
    assert own + reaped == pytest.approx(usage.ru_utime + usage.ru_stime, abs=0.05)
    assert BENCH._cpu(child.pid) is None
