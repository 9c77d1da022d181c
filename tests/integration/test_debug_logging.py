"""`--log-level DEBUG` writes no message bytes: no body, no customer secret, no password.

imapclient logs the whole IMAP conversation at DEBUG (every FETCH literal, i.e. every mail
with whatever secret it holds); a real `inboxd poll` at DEBUG, against the real Dovecot and
SMTP sink, must leave none of the mail's text in its output.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PASSWORD, Servers

pytestmark = pytest.mark.integration

SEED = "abandon ability able about above absent absorb abstract absurd abuse access accident"
WALLET_PASSWORD = "Tr0ub4dor&3-wallet"
BODY_LINE = "My withdrawal of 0.75 BTC to my hardware wallet has been pending since Tuesday morning"
MAIL = (
    "From: Daniel Whitaker <dan.whitaker84@gmail.com>\r\n"
    "To: support@exchange.test\r\n"
    "Subject: Withdrawal stuck, please help\r\n"
    "Message-ID: <debug-log-1@gmail.com>\r\n"
    "Date: Sun, 22 Nov 2026 09:30:00 +0000\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    f"{BODY_LINE}.\r\n"
    f"Here is my recovery phrase so you can check: {SEED}\r\n"
    f"and my password is {WALLET_PASSWORD}\r\n"
).encode()


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_debug_logs_hold_no_message_bytes(servers: Servers, fmt: str) -> None:
    servers.append(MAIL)
    result = subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(servers.config_path), "--log-level", "DEBUG",
         "--log-format", fmt, "poll"],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(servers.sink.received()) == 1  # the mail was fetched, handled and answered
    logs = result.stderr + result.stdout
    for needle in ("absorb abstract absurd", WALLET_PASSWORD, BODY_LINE, "hardware wallet", PASSWORD):
        assert needle not in logs
