"""The daemon as a service: several mailboxes, IDLE, metrics, reload on SIGHUP, sd_notify, status."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from testbed.dovecot import Dovecot, free_port
from testbed.smtpsink import SmtpSink
from tests.conftest import ROOT, fixture_bytes, write_config

pytestmark = pytest.mark.integration


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class Running:
    """`inboxd run` as a subprocess, the way systemd runs it."""

    def __init__(self, config: Path, env: dict[str, str] | None = None):
        self.log = config.parent / "inboxd.log"
        with self.log.open("wb") as log:  # a file, so that tests can read it while it runs
            self.process = subprocess.Popen(
                [sys.executable, "-m", "inboxd", "--config", str(config), "run"],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env={**os.environ, **(env or {})},
            )

    @property
    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, text: str, count: int = 1, timeout: float = 60) -> bool:
        return wait_for(lambda: self.stderr.count(text) >= count, timeout)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()  # never leave a daemon behind; the test fails on the code below
            self.process.wait()
            return -9


@pytest.fixture
def two_users(dovecot: Dovecot) -> tuple[str, str]:
    from tests.conftest import _user_numbers

    return f"user{next(_user_numbers)}@exchange.test", f"user{next(_user_numbers)}@exchange.test"


def mailbox_block(name: str, user: str, port: int, extra: str = "") -> str:
    return f"""
[[mailbox]]
name = "{name}"
{extra}
[mailbox.imap]
host = "127.0.0.1"
port = {port}
security = "none"
username = "{user}"
password_file = "imap-password"
"""


def test_two_mailboxes_and_one_broken_server(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink, model_path: Path, two_users: tuple[str, str]
) -> None:
    zh, en = two_users
    config = write_config(tmp_path, model_path=model_path, imap_port=dovecot.port, imap_user=zh, smtp_port=smtp_sink.port,
                          sections={"schedule": {"interval_seconds": 1}})  # fmt: skip
    text = config.read_text()
    text += mailbox_block("english", en, dovecot.port, 'ack = { ticket_prefix = "ENG" }')
    text += mailbox_block("broken", "nobody@exchange.test", free_port())
    config.write_text(text)
    dovecot.append(fixture_bytes("zh_complaint.eml"), user=zh)
    dovecot.append(fixture_bytes("en_account_2fa.eml"), user=en)
    run = Running(config)
    try:
        assert wait_for(lambda: len(smtp_sink.received()) == 2), "both mailboxes acknowledged despite the broken one"
        prefixes = sorted(r["subject"].rsplit("[#", 1)[1][:3] for r in smtp_sink.received())
        assert prefixes == ["ENG", "INB"]
        status = subprocess.run([sys.executable, "-m", "inboxd", "--config", str(config), "status", "--json"],
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        assert status.returncode == 1  # one mailbox is failing: scripts and alerts can see it
        boxes = {m["mailbox"]: m for m in json.loads(status.stdout)["mailboxes"]}
        assert boxes["default"]["healthy"] and boxes["english"]["healthy"]
        assert not boxes["broken"]["healthy"] and "cannot connect" in boxes["broken"]["last_error"]
    finally:
        assert run.stop() == 0, run.stderr


def test_idle_acknowledges_within_seconds(servers, tmp_path: Path, model_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = write_config(tmp_path / "idle", model_path=model_path, imap_port=servers.dovecot.port,
                          imap_user=servers.user, smtp_port=servers.sink.port,
                          sections={"schedule": {"interval_seconds": 300}})  # fmt: skip
    run = Running(config)
    try:
        assert run.wait_log("IDLE, waiting for new mail") and run.wait_log("tick done")
        latencies = []
        for index in range(3):
            appended = time.time()
            # Distinct customers: the same subject from the same sender would be one request.
            raw = fixture_bytes("en_account_2fa.eml").replace(b"<0a1b2c3d4e5f@", f"<idle{index}@".encode())
            servers.append(raw.replace(b"sooah.kim@", f"customer{index}@".encode()))
            assert wait_for(lambda n=index + 1: len(servers.sink.received()) == n, timeout=20), "IDLE did not wake"
            latencies.append(servers.sink.received()[-1]["time"] - appended)
        assert max(latencies) < 10, latencies  # with a 300 s poll interval only IDLE can explain this
    finally:
        assert run.stop() == 0, run.stderr


def test_metrics_endpoint(servers, tmp_path: Path, model_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    config = write_config(tmp_path / "m", model_path=model_path, imap_port=servers.dovecot.port,
                          imap_user=servers.user, smtp_port=servers.sink.port,
                          sections={"metrics": {"listen": f"127.0.0.1:{port}"}})  # fmt: skip
    servers.append("zh_complaint.eml", "auto_reply.eml")
    run = Running(config)
    try:
        assert wait_for(lambda: len(servers.sink.received()) == 1)

        def scrape() -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                return str(response.read().decode())

        assert wait_for(lambda: "inboxd_acks_sent_total" in scrape() and 'outcome="skip:auto_reply"' in scrape())
        text = scrape()
        assert 'inboxd_mails_total{category="complaint_suggestion",mailbox="default",outcome="ack"} 1.0' in text
        assert 'inboxd_escalations_total{mailbox="default"} 1.0' in text
        assert 'inboxd_last_successful_poll_timestamp_seconds{mailbox="default"}' in text
        assert 'inboxd_info{config="' in text
    finally:
        assert run.stop() == 0, run.stderr


def test_sighup_reloads_and_a_bad_config_is_rejected(servers, tmp_path: Path, model_path: Path) -> None:  # type: ignore[no-untyped-def]
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    config = write_config(tmp_path / "r", model_path=model_path, imap_port=servers.dovecot.port,
                          imap_user=servers.user, smtp_port=servers.sink.port,
                          sections={"templates": {"dir": str(templates)}})  # fmt: skip
    run = Running(config)
    try:
        servers.append("en_account_2fa.eml")
        assert wait_for(lambda: len(servers.sink.received()) == 1)
        # A broken template: SIGHUP is refused, the old configuration keeps running.
        (templates / "en" / "account.txt.j2").write_text("{{ nonsense_variable }}")
        run.process.send_signal(signal.SIGHUP)
        assert run.wait_log("reload rejected")
        servers.append(
            fixture_bytes("en_account_2fa.eml")
            .replace(b"<0a1b2c3d4e5f@", b"<reload1@")
            .replace(b"sooah.kim@", b"second@")
        )
        assert wait_for(lambda: len(servers.sink.received()) == 2)
        assert (
            "Thank you for contacting us about your account"
            in servers.sink.message(servers.sink.received()[1]).get_content()
        )
        # A good change: taken on SIGHUP.
        (templates / "en" / "account.txt.j2").write_text(
            '{% extends "en/ack.txt.j2" %}{% block intro %}Reloaded wording for {{ ticket }}.{% endblock %}'
        )
        run.process.send_signal(signal.SIGHUP)
        assert run.wait_log("INFO    inboxd.daemon: reloaded")
        servers.append(
            fixture_bytes("en_account_2fa.eml")
            .replace(b"<0a1b2c3d4e5f@", b"<reload2@")
            .replace(b"sooah.kim@", b"third@")
        )
        assert wait_for(lambda: len(servers.sink.received()) == 3)
        assert "Reloaded wording for INB-" in servers.sink.message(servers.sink.received()[2]).get_content()
    finally:
        assert run.stop() == 0, run.stderr
    assert "reload rejected" in run.stderr and "nonsense_variable" in run.stderr
    assert "reloaded" in run.stderr


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    yield sock, path
    sock.close()


def test_systemd_readiness_watchdog_and_stopping(servers, notify_socket) -> None:  # type: ignore[no-untyped-def]
    """Run the daemon the way docs/systemd/inboxd.service does (Type=notify, WatchdogSec)."""
    sock, path = notify_socket
    unit = (ROOT / "docs" / "systemd" / "inboxd.service").read_text()
    assert "Type=notify" in unit and "WatchdogSec=" in unit and "ExecReload=/bin/kill -HUP $MAINPID" in unit
    run = Running(servers.config_path, env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"})
    messages: list[str] = []

    def drain() -> None:
        try:
            while True:
                messages.append(sock.recv(4096).decode())
        except TimeoutError:
            pass

    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sum("WATCHDOG=1" in m for m in messages) < 3:
            drain()
        assert any(m.startswith("READY=1") for m in messages), messages
        assert sum("WATCHDOG=1" in m for m in messages) >= 3, messages
    finally:
        assert run.stop() == 0, run.stderr
    drain()
    assert any("STOPPING=1" in m for m in messages)
