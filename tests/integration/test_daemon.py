"""`inboxd run` as a process: scheduled ticks, new mail picked up, graceful stop on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import Servers

pytestmark = pytest.mark.integration


def wait_for(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_polls_on_schedule_and_stops_gracefully(servers: Servers, sig: signal.Signals) -> None:
    servers.append("en_account_2fa.eml")
    process = subprocess.Popen(
        [sys.executable, "-m", "inboxd", "--config", str(servers.config_path), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: len(servers.sink.received()) == 1), "first mail not acknowledged"
        servers.append("zh_complaint.eml")  # arrives while the daemon runs
        assert wait_for(lambda: len(servers.sink.received()) == 2), "second mail not acknowledged"
        time.sleep(1.5)  # a few more ticks: nothing more is sent
        assert len(servers.sink.received()) == 2
    finally:
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "inboxd stopped" in stderr
    assert "Traceback" not in stderr
