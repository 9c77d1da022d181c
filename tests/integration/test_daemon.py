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


def test_run_survives_an_imap_outage(tmp_path, model_path, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    """The server goes away under the daemon and comes back: retried with backoff, nothing lost."""
    from testbed.dovecot import Dovecot
    from tests.conftest import PASSWORD, fixture_bytes, write_config

    private = Dovecot(tmp_path / "dovecot", users={"support@exchange.test": PASSWORD})
    private.start()
    config = write_config(tmp_path / "cfg", model_path=model_path, imap_port=private.port, smtp_port=smtp_sink.port)
    process = subprocess.Popen(
        [sys.executable, "-m", "inboxd", "--config", str(config), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        private.append(fixture_bytes("en_account_2fa.eml"))
        assert wait_for(lambda: len(smtp_sink.received()) == 1)
        private.stop()
        time.sleep(3)  # several ticks fail meanwhile
        assert process.poll() is None, "the daemon died with its server"
        private.start()
        private.append(fixture_bytes("zh_complaint.eml"))
        assert wait_for(lambda: len(smtp_sink.received()) == 2, timeout=45)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        private.stop()
    assert process.returncode == 0, stderr
    assert "tick failed, retrying in" in stderr
    assert "Traceback" not in stderr


def test_a_folder_that_does_not_exist_is_a_clear_error_not_a_retry_loop(  # type: ignore[no-untyped-def]
    servers: Servers, tmp_path, model_path
) -> None:
    from tests.conftest import write_config

    config = write_config(
        tmp_path / "nofolder",
        model_path=model_path,
        imap_port=servers.dovecot.port,
        imap_user=servers.user,
        smtp_port=servers.sink.port,
        sections={"imap": {"folder": "Support/NoSuchFolder"}},
    )
    base = [sys.executable, "-m", "inboxd", "--config", str(config)]
    poll = subprocess.run([*base, "poll"], capture_output=True, text=True, timeout=60)
    assert poll.returncode == 1
    assert "'Support/NoSuchFolder' does not exist" in poll.stderr and "imap.folder" in poll.stderr
    run = subprocess.run([*base, "run"], capture_output=True, text=True, timeout=60)  # stops by itself
    assert run.returncode == 1
    assert "does not exist" in run.stderr and "Traceback" not in run.stderr + poll.stderr
