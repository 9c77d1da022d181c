"""The quick run of the throughput benchmark, as part of the test suite (and so of CI).

`benchmarks/throughput.py --quick` loads a few hundred generated mails into a private
Dovecot, measures the floor and `inboxd poll` against a separate SMTP sink process, then
the latency with IDLE and with polling. A few hundred mails say nothing about throughput;
what must hold here is that it runs end to end and that the SMTP sink's own record has
exactly one acknowledgement for every mail that wants one. The full run (N = 10,000 and
50,000) and its figures are in docs/speed.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inboxd.config.running import default_workers

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


@pytest.mark.timeout(600)
def test_quick_throughput_run_acknowledges_every_mail_once(tmp_path: Path) -> None:
    figures = tmp_path / "throughput.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "throughput.py"), "--quick", "--json", str(figures)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    data = json.loads(figures.read_text())
    [run] = data["runs"]
    assert run["exit_code"] == 0
    assert run["expected_acks"] > 0.9 * run["n"]  # a few auto-replies, which get none
    assert run["acks"] == run["expected_acks"] and run["duplicates"] == 0 and run["missing"] == 0
    assert run["totals"]["decided"] == run["n"]
    assert run["floor_rate"] > 0 and run["rate"] > 0 and run["tree_rss_mib"] > 0
    stages = run["totals"]["stages"]
    assert all(stages[name] > 0 for name in ("fetch", "parse", "redact", "classify", "store", "send"))
    # CPU per mail of each process (issue 18): the floor's, inboxd's main process and its workers,
    # and the SMTP sink and Dovecot for each; the totals are the sums of their rows.
    cpu = run["cpu_ms_per_mail"]
    assert all(cpu["floor"][name] > 0 for name in ("own process", "SMTP sink"))
    assert all(cpu["inboxd"][name] > 0 for name in ("main", "SMTP sink"))
    # As many workers as the default starts on this machine (the cores less one, 1 to 4), each working.
    workers_seen = [name for name in cpu["inboxd"] if name.startswith("worker ")]
    assert len(workers_seen) == default_workers() and all(cpu["inboxd"][name] > 0 for name in workers_seen)
    assert cpu["floor"]["Dovecot"] + cpu["inboxd"]["Dovecot"] > 0
    for side in ("floor", "inboxd"):
        assert cpu[side]["total"] == pytest.approx(sum(v for k, v in cpu[side].items() if k != "total"))
    # The workers' last samples cannot exceed the main process's own accounting of its reaped children.
    workers = sum(v for k, v in run["cpu_s"]["inboxd"].items() if k.startswith("worker "))
    assert 0 < workers <= run["reaped_cpu_s"] + 0.02
    assert run["startup_cpu_s"]["main"] > 0
    assert [lat["mode"] for lat in data["latency"]] == ["idle", "poll"]
    assert all(len(lat["seconds"]) == 3 and 0 < lat["p95"] < 30 for lat in data["latency"])
    assert "Stages" in result.stdout and "Latency" in result.stdout and "CPU (ms per mail" in result.stdout
