"""The quick run of the fault-injection suite, as part of the test suite (and so of CI).

`benchmarks/faults.py --quick` kills, cuts and starves a real `inboxd run` against a
private Dovecot and SMTP sink, then checks every invariant from the servers' own
records; it exits 1 if any failed. Here it must pass, and its figures must say so.
The full run (several hundred mails, >= 20 kills per run) is documented in docs/guarantees.md, section "Proven under faults".
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.faults]


@pytest.mark.timeout(1500)
def test_quick_fault_run_holds_every_invariant(tmp_path: Path) -> None:
    figures = tmp_path / "faults.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "faults.py"), "--quick", "--json", str(figures)],
        capture_output=True,
        text=True,
        timeout=1500,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    data = json.loads(figures.read_text())
    rows = {row["scenario"]: row for row in data["scenarios"]}
    assert len(rows) >= 15
    for name, row in rows.items():
        if row["result"].startswith("skipped"):
            continue  # e.g. no permission to mount a tmpfs: said in the table
        assert row["result"] == "PASS", (name, row)
        assert row["duplicates"] == 0 and row["lost"] == 0, (name, row)
        assert row["messages"] > 0
    assert rows["SIGKILL at random points"]["faults"] >= 6
    assert rows["SMTP drop after DATA"]["unknown_fate"] >= 1  # the window exists, and is counted
    assert {"fetched", "before_decision", "after_send", "keywords"} <= set(data["kills_by_stage"])
    hooks = rows["SIGKILL around webhook delivery"]
    assert hooks["faults"] >= 2 and {"before_webhook", "after_webhook"} <= set(data["kills_by_stage"])
    assert hooks["webhook_events"] > 0 and hooks["webhook_lost"] == 0
    assert hooks["webhook_requests"] == hooks["webhook_events"] + hooks["webhook_repeats"]
