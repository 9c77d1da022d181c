"""Text safe for a terminal (inboxd.terminal) and `inboxd classify` on a hostile mail.

The other commands that show mail data run on real servers: tests/integration/test_terminal.py.
"""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
from pathlib import Path

import pytest

from inboxd.terminal import Table, Terminal, json_text, shown, styled
from tests.conftest import run_inboxd, write_config

UNSAFE = [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
RAW = ("\x1b", "\x07", "\x9b", "\u202e")
HOSTILE = (
    "[/bold]\x1b[31m\u202e[link=https://evil.example]click[/link] "
    "\x1b]8;;https://evil.example\x07here\x1b]8;;\x07 \x1b[2J\x9b31m :warning: my withdrawal is missing"
)
SHOWN = (
    "[/bold]\\x1b[31m\\u202e[link=https://evil.example]click[/link] "
    "\\x1b]8;;https://evil.example\\x07here\\x1b]8;;\\x07 \\x1b[2J\\x9b31m :warning: my withdrawal is missing"
)
SGR = re.compile("\x1b\\[[0-9;]*m")  # the colours and emphasis a real terminal gets from us


def test_shown_escapes_every_control_and_bidi_character_and_nothing_else() -> None:
    unsafe = set(UNSAFE)
    for code in range(0x3000):
        char = chr(code)
        if code in unsafe:
            expected = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
            assert shown(f"a{char}b") == f"a{expected}b", hex(code)
        else:
            assert shown(f"a{char}b") == f"a{char}b", hex(code)
    assert shown(HOSTILE) == SHOWN
    assert shown("提现没有到账 🙂 naïve\tcolumn\nnext line") == "提现没有到账 🙂 naïve\tcolumn\nnext line"


@pytest.mark.parametrize(
    "value",
    [
        {"subject": HOSTILE, "ids": ["<[/bold]\x1b[2J@x>"], "n": 3, "none": None},
        ["\x7f\x85\u2066x\u2069", "\u202a\u202b\u202c\u202d\u202e"],
        "".join(map(chr, UNSAFE)),
    ],
)
def test_json_text_is_the_same_json_without_raw_controls(value: object) -> None:
    text = json_text(value)
    assert json.loads(text) == value
    assert not [c for c in map(chr, UNSAFE) if c in text]


def test_json_text_is_json_dumps_when_nothing_needs_escaping() -> None:
    value = {"subject": '提现没有到账 "quoted" \\ [bold]', "n": 1.5, "list": [None, True]}
    assert json_text(value) == json.dumps(value, ensure_ascii=False)
    assert json_text({"at": object()}, default=lambda _: "x") == '{"at": "x"}'


def terminal() -> tuple[Terminal, io.StringIO]:
    """A Terminal writing to a real (forced) colour terminal, as an operator sees it."""
    buffer = io.StringIO()
    return Terminal(file=buffer, force_terminal=True, color_system="truecolor", width=400), buffer


def test_a_terminal_shows_markup_and_controls_literally_wherever_a_string_is_printed() -> None:
    term, buffer = terminal()
    table = Table("Subject", "Reason", title=f"Tickets of {HOSTILE}")
    table.add_row(HOSTILE, f"quoted: {HOSTILE}")
    term.print(table)
    term.print(f"subject {HOSTILE}")
    term.print(f"[bold]{HOSTILE}[/]", markup=True)  # asking for markup does not make data markup
    term.print(styled("error:", "bold red"), HOSTILE)
    term.rule(HOSTILE)
    term.print("real\rfake\x08")  # a carriage return would overwrite the line, a backspace erase
    output = buffer.getvalue()
    ours = SGR.findall(output)
    assert ours  # our own styles still reach the terminal
    plain = SGR.sub("", output)
    assert not [c for c in (*RAW, "\r", "\x08") if c in plain]
    assert "\x1b]8" not in output  # no terminal hyperlink
    assert plain.count(SHOWN) == 7  # the title, two cells, three printed lines, the rule
    assert f"[bold]{SHOWN}[/]" in plain and "error: " + SHOWN in plain and "real\\x0dfake\\x08" in plain


def test_a_status_line_shows_markup_and_controls_literally() -> None:
    term, buffer = terminal()
    with term.status(HOSTILE):  # rich's spinner reads a string as markup on its own
        pass
    output = buffer.getvalue()
    # The spinner's own cursor moves and line erasing are CSI sequences and CRs: ours, not the mail's.
    plain = re.sub("\x1b\\[[0-9;?]*[A-Za-z]|\r", "", output)
    assert SHOWN in plain
    assert not [c for c in RAW if c in plain]


def test_our_emphasis_is_styled_and_its_text_shown() -> None:
    term, buffer = terminal()
    term.print(styled("escalated:", "bold red"), "[red]not red[/red]")
    output = buffer.getvalue()
    assert "\x1b[1;31mescalated:" in output and "[red]not red[/red]" in output
    assert "\x1b[31mnot red" not in output


# -- inboxd classify on a hostile mail ---------------------------------------------------------


def hostile_eml(directory: Path) -> Path:
    # The file name is shown too (the rule above each record): files are named after subjects.
    path = directory / "mail [red]:warning: \x1b[31m\u202e.eml"
    path.write_bytes(
        (
            'From: "Dan [/bold] \x1b[31mW" <dan.whitaker84@gmail.com>\r\n'
            'Reply-To: "[/bold][link=https://evil.example]x[/link]"@evil.example\r\n'
            "To: support@exchange.test\r\n"
            f"Subject: {HOSTILE}\r\n"
            "Message-ID: <[/bold]\x1b[2J@gmail.com>\r\n"
            "Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\n"
            "Hi, my USDT withdrawal never arrived [/bold] \x1b[31m. Please check.\r\n"
        ).encode()
    )
    return path


def inboxd(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_inboxd(config, *args, wide=True)


def test_classify_shows_a_hostile_mail_as_text(tmp_path: Path, model_path: Path) -> None:
    config = write_config(tmp_path / "cfg", model_path=model_path)
    eml = hostile_eml(tmp_path)

    result = inboxd(config, "classify", "--explain", str(eml))
    assert result.returncode == 0, result.stderr
    for text in (result.stdout, result.stderr):
        assert not [c for c in RAW if c in text], text
    assert f"Subject: {SHOWN}" in result.stdout
    assert "mail [red]:warning: \\x1b[31m\\u202e.eml" in result.stdout
    # The acknowledgement greets neutrally: a name with markup and escapes is no name (inboxd.echo).
    assert "Hello," in result.stdout and "Hello Dan" not in result.stdout

    as_json = inboxd(config, "classify", "--json", str(eml))
    assert as_json.returncode == 0, as_json.stderr
    assert not [c for c in RAW if c in as_json.stdout]
    record = json.loads(as_json.stdout.splitlines()[0])
    assert record["subject"] == HOSTILE and record["source"] == str(eml)


# -- log records (a Message-ID, a server error quoting a subject) -----------------------------------


def test_log_records_show_control_characters_as_text() -> None:
    from inboxd.logs import JsonFormatter, TextFormatter

    message_id = "<[/bold]\x1b[2J\u202e@gmail.com>"
    record = logging.makeLogRecord(
        {
            "name": "inboxd.pipeline",
            "levelname": "INFO",
            "msg": "decided %s",
            "args": (HOSTILE,),
            "message_id": message_id,
        }
    )
    text = TextFormatter().format(record)
    assert not [c for c in RAW if c in text]
    assert f"decided {SHOWN}" in text and "message_id=<[/bold]\\x1b[2J\\u202e@gmail.com>" in text
    line = JsonFormatter().format(record)
    assert not [c for c in RAW if c in line]
    data = json.loads(line)
    assert data["message"] == f"decided {HOSTILE}" and data["message_id"] == message_id
