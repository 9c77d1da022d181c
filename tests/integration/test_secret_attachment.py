"""A customer secret only in a text attachment, end to end: an incident, the mail moved aside, nothing leaked."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest

from inboxd.store import Store
from tests.conftest import Servers

pytestmark = pytest.mark.integration

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"


def test_a_seed_phrase_in_wallet_txt_is_an_incident(servers: Servers) -> None:
    attachment = base64.encodebytes(f"my backup, keep safe\n{PHRASE}\n".encode()).decode()
    raw = (
        "From: Dan Whitaker <dan@example.org>\r\nTo: support@exchange.test\r\nSubject: My wallet was emptied\r\n"
        "Message-ID: <att-incident@example.org>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0800\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "All my USDT is gone. I attached my notes so you can check what happened.\r\n"
        "--b1\r\nContent-Type: text/plain; charset=utf-8; name=wallet.txt\r\n"
        "Content-Disposition: attachment; filename=wallet.txt\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{attachment}\r\n--b1--\r\n"
    ).encode()
    servers.append(raw)
    result = subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(servers.config_path), "--log-format", "json", "poll"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]

    store_path = servers.config().store.path
    (ticket,) = Store(store_path, readonly=True).tickets()
    assert ticket.security_incident and ticket.priority == "urgent"
    (flags, _) = next(iter(servers.messages("Restricted").values()))
    assert "$Inboxd-Secret" in flags
    assert servers.messages("INBOX") == {}

    (ack,) = servers.sink.received()
    body = servers.sink.message(ack).get_content()
    assert "IMPORTANT: your message contained" in body
    stored = "".join(p.read_bytes().decode("utf-8", "replace") for p in store_path.parent.glob(store_path.name + "*"))
    words = PHRASE.split()
    for place in (stored, result.stderr, result.stdout, body):
        for i in range(len(words) - 3):
            assert " ".join(words[i : i + 4]) not in place
