"""What a mail's sender wrote reaches the operator's terminal as text, and `status` after a cron `poll`.

Every command that shows mail data runs as `python -m inboxd` (stdout a pipe, as under cron or
`| less`) on a store filled by a real poll of a hostile mail: rich markup, a terminal hyperlink,
ANSI and OSC escape sequences, a C1 control and a bidi override in its subject, sender name,
Reply-To and Message-ID. Each command must exit 0 and show the text literally, with no
escape byte reaching the terminal.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from inboxd.parse import parse_message
from inboxd.store import Store
from inboxd.values import Action, Decision, MessageKey, ParseLimits
from testbed.dovecot import free_port
from tests.conftest import Servers, run_inboxd, write_config

pytestmark = pytest.mark.integration

# The first 40 characters (the shortest subject column) already hold markup that raises, a
# colour, a bidi override and a link; the rest: an OSC 8 hyperlink, a screen clear, C1 CSI.
HOSTILE = (
    "[/bold]\x1b[31m\u202e[link=https://evil.example]click[/link] "
    "\x1b]8;;https://evil.example\x07here\x1b]8;;\x07 \x1b[2J\x9b31m :warning: my withdrawal is missing"
)
SHOWN_PREFIX = "[/bold]\\x1b[31m\\u202e[link=https://evil.example]"  # HOSTILE[:40] as the terminal shows it
SHOWN_REST = "\\x1b]8;;https://evil.example\\x07here\\x1b]8;;\\x07 \\x1b[2J\\x9b31m :warning: my withdrawal"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")
REPLY_TO = '"[/bold][link=https://evil.example]x[/link]"@evil.example'


def hostile_mail(tag: str = "") -> bytes:
    """`tag` makes another mail (Message-ID, body) with the same hostile headers."""
    subject = "=?utf-8?b?" + base64.b64encode(HOSTILE.encode()).decode() + "?="
    return (
        'From: "Dan [/bold] \x1b[31mW\u202e" <dan.whitaker84@gmail.com>\r\n'
        f"Reply-To: {REPLY_TO}\r\n"
        "To: support@exchange.test\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{tag}[/bold]\x1b[2J@gmail.com>\r\n"
        "Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n"
        "\r\n"
        f"Hi, my USDT withdrawal never arrived [/bold] \x1b[31m. Please check. {tag}\r\n"
    ).encode()


def inboxd(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_inboxd(config, *args, wide=True)


def shows_literally(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 0, result.stderr
    for text in (result.stdout, result.stderr):
        assert not [c for c in RAW if c in text], text
    for text in expected:
        assert text in result.stdout, result.stdout


def no_raw_controls(line: str) -> Any:
    """One line of JSON output: valid, and with no control character written raw."""
    assert not [c for c in RAW if c in line], line
    return json.loads(line)


def test_every_command_shows_a_hostile_mail_as_text(servers: Servers) -> None:
    config = servers.config_path
    servers.append(hostile_mail())

    dry = inboxd(config, "poll", "--dry-run")
    shows_literally(dry, SHOWN_PREFIX, "Subject: ")
    assert "evil.example" in dry.stdout

    polled = inboxd(config, "poll")
    shows_literally(polled, SHOWN_PREFIX, "decided=1")

    listed = inboxd(config, "ticket", "list")
    shows_literally(listed, SHOWN_PREFIX)
    (record,) = [no_raw_controls(line) for line in inboxd(config, "ticket", "list", "--json").stdout.splitlines()]
    assert record["subject"] == HOSTILE
    ref = record["ref"]

    shown = inboxd(config, "ticket", "show", ref)
    shows_literally(shown, SHOWN_PREFIX, SHOWN_REST, REPLY_TO)
    data = no_raw_controls(inboxd(config, "ticket", "show", ref, "--json").stdout)
    assert data["subject"] == HOSTILE and data["messages"][0]["subject"] == HOSTILE

    # The acknowledgement itself carries none of it (inboxd.echo) and goes to From, not Reply-To.
    acks = inboxd(config, "acks", "list")
    shows_literally(acks, "dan.whitaker84@gmail.com")
    (ack,) = [no_raw_controls(line) for line in inboxd(config, "acks", "list", "--json").stdout.splitlines()]
    assert "[/bold]" not in ack["subject"] and ack["to"] == "dan.whitaker84@gmail.com"

    # A second hostile mail, polled with --json: the same values, escaped by the JSON encoder.
    servers.append(hostile_mail("second"))
    polled_json = inboxd(config, "poll", "--json")
    assert polled_json.returncode == 0, polled_json.stderr
    (message,) = no_raw_controls(polled_json.stdout)["messages"]
    assert message["subject"] == HOSTILE and message["message_id"] == "<second[/bold]\x1b[2J@gmail.com>"

    # A reason that quotes the mail (a parser's error message, say) in the quarantine list.
    path = servers.config().store.path
    assert path is not None
    store = Store(path)
    try:
        mail = parse_message(hostile_mail("third"), ParseLimits.of(servers.config().limits))
        claim = store.claim(MessageKey(servers.config().account, "INBOX", 1, 999), "<q@x>", "q", 1)
        store.record_decision(claim.row, mail, Decision(Action.QUARANTINE, reason=f"cannot parse: {HOSTILE}"))
    finally:
        store.close()
    quarantined = inboxd(config, "quarantine", "list")
    shows_literally(quarantined, SHOWN_PREFIX, f"cannot parse: {SHOWN_PREFIX}")
    (row,) = [no_raw_controls(line) for line in inboxd(config, "quarantine", "list", "--json").stdout.splitlines()]
    assert row["subject"] == HOSTILE and row["reason"] == f"cannot parse: {HOSTILE}"


# -- status after `inboxd poll` (cron) rather than `inboxd run` ----------------------------------


def status(config: Path) -> tuple[int, dict[str, Any]]:
    result = inboxd(config, "status", "--json")
    (mailbox,) = json.loads(result.stdout)["mailboxes"]
    return result.returncode, mailbox


def test_status_is_right_for_a_mailbox_polled_by_cron(servers: Servers, tmp_path: Path, model_path: Path) -> None:
    # One store for both configs; an interval long enough that a success cannot go stale during the test.
    shared: dict[str, dict[str, object]] = {
        "store": {"path": str(tmp_path / "store.sqlite3")},
        "schedule": {"interval_seconds": 600},
    }
    good = write_config(
        tmp_path / "good",
        model_path=model_path,
        imap_port=servers.dovecot.port,
        imap_user=servers.user,
        smtp_port=servers.sink.port,
        sections=shared,
    )
    # The same mailbox and store, but nothing listens on the IMAP port: the server is down.
    down = write_config(
        tmp_path / "down",
        model_path=model_path,
        imap_port=free_port(),
        imap_user=servers.user,
        smtp_port=servers.sink.port,
        sections=shared,
    )
    servers.append(hostile_mail())

    assert inboxd(good, "poll").returncode == 0
    code, mailbox = status(good)
    assert code == 0 and mailbox["healthy"] is True and mailbox["last_error"] is None
    assert mailbox["last_success_at"] is not None and mailbox["last_poll_at"] == mailbox["last_success_at"]

    failed = inboxd(down, "poll")
    assert failed.returncode == 1
    code, mailbox = status(good)
    assert code == 1 and mailbox["healthy"] is False
    assert mailbox["last_error"] and mailbox["last_error"] in failed.stderr
    assert mailbox["last_poll_at"] > mailbox["last_success_at"]
    text = inboxd(good, "status")
    assert text.returncode == 1 and mailbox["last_error"] in text.stdout

    assert inboxd(good, "poll").returncode == 0  # the server is back
    code, mailbox = status(good)
    assert code == 0 and mailbox["healthy"] is True and mailbox["last_error"] is None
