"""The fault-injection hook: inert unless INBOXD_FAULTS is set, then a real SIGKILL at the named point."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from inboxd import faults


def test_unset_means_no_effect() -> None:
    # The test process has no INBOXD_FAULTS: every point is passed through.
    for name in faults.POINTS:
        faults.point(name)


def test_plan_parses_rates_seed_and_log() -> None:
    plan = faults.Plan("after_send=1, before_decision=0.25,seed=3,log=/tmp/x.log")
    assert plan.rates == {"after_send": 1.0, "before_decision": 0.25}
    assert plan.log == "/tmp/x.log"
    assert plan.hit("after_send")
    assert not plan.hit("fetched")
    one, two = faults.Plan("before_decision=0.25,seed=3"), faults.Plan("before_decision=0.25,seed=3")
    first = [one.hit("before_decision") for _ in range(50)]
    assert first == [two.hit("before_decision") for _ in range(50)]  # the seed makes it repeatable
    assert 0 < sum(first) < 50


@pytest.mark.parametrize(
    ("spec", "problem"),
    [("after_sned=1", "unknown point"), ("after_send=2", "not a probability"), ("after_send", "not name=value")],
)
def test_bad_spec_is_refused(spec: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        faults.Plan(spec)


def test_point_kills_the_process_and_logs_the_stage(tmp_path: Path) -> None:
    log = tmp_path / "kills.log"
    code = "from inboxd import faults\nfaults.point('fetched')\nfaults.point('after_send')\nprint('survived')\n"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"INBOXD_FAULTS": f"after_send=1,log={log}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == -signal.SIGKILL
    assert "survived" not in result.stdout
    assert log.read_text() == "after_send\n"
