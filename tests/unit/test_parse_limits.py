"""Hostile messages cost bounded time and memory: refused by a limit, or parsed within the budget."""

from __future__ import annotations

import dataclasses
import random
import time
import tracemalloc

import pytest

from inboxd.config import LimitsConfig
from inboxd.errors import MessageError
from inboxd.parse import parse_message
from inboxd.values import ParseLimits
from testbed.hostile import hostile_messages

LIMITS = ParseLimits.of(LimitsConfig())
CASES = list(hostile_messages(scale=0.1))


@pytest.mark.parametrize(("name", "raw", "refusal"), CASES, ids=[c[0] for c in CASES])
def test_hostile_message_is_bounded(name: str, raw: bytes, refusal: str | None) -> None:
    started = time.perf_counter()
    if refusal is None:
        mail = parse_message(raw, LIMITS)
        assert len(mail.text) <= LIMITS.max_text_chars
    else:
        with pytest.raises(MessageError, match=refusal):
            parse_message(raw, LIMITS)
    assert time.perf_counter() - started < LIMITS.max_parse_seconds


def test_memory_is_a_small_multiple_of_the_message_size() -> None:
    chosen = {"24 MB HTML part", "24 MB base64 attachment of zeros", "24 MB undeclared 8-bit Big5"}
    for name, raw, _ in hostile_messages(scale=0.02):
        if name not in chosen:
            continue
        tracemalloc.start()
        try:
            parse_message(raw, dataclasses.replace(LIMITS, max_parse_seconds=60.0))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 20 * len(raw) + 10_000_000, f"{name}: peak {peak} bytes for a {len(raw)}-byte message"


def test_the_time_budget_is_enforced() -> None:
    raw = next(r for n, r, _ in hostile_messages(scale=0.2) if n == "240 HTML parts of 100 kB")
    with pytest.raises(MessageError, match=r"limits\.max_parse_seconds"):
        parse_message(raw, dataclasses.replace(LIMITS, max_parse_seconds=0.001))


def test_only_max_html_chars_of_html_is_converted() -> None:
    page = "<p>" + "word " * 400 + "</p>\n"
    raw = (
        "From: a@example.com\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + page * 20
        + "<p>THE-END</p>"
    ).encode()
    assert "THE-END" in parse_message(raw).text
    small = dataclasses.replace(LIMITS, max_html_chars=5000)
    text = parse_message(raw, small).text
    assert "THE-END" not in text and 0 < len(text) < 5000


def test_outlook_msg_file_is_named_as_such() -> None:
    with pytest.raises(MessageError, match=r"Outlook \.msg"):
        parse_message(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)


def test_obsolete_space_before_colon_still_gives_headers() -> None:
    raw = b"From  : John Doe <jdoe@example.com>\r\nSubject     : Saying Hello\r\n\r\nThis is a message just to say hello.\r\n"
    mail = parse_message(raw)
    assert (mail.sender, mail.subject) == ("jdoe@example.com", "Saying Hello")


def test_multipart_without_start_boundary_is_not_a_crash() -> None:
    # mail-parser used to raise AttributeError on this (stalwart malformed/001).
    raw = (
        b'From: a@example.com\r\nContent-Type: multipart/mixed; boundary="ab"\r\n\r\n--ab\r\n'
        b'Content-Type: multipart/mixed; boundary="a"\r\n\r\n--ab\r\nContent-Type: text/plain\r\n\r\n--a\r\n'
    )
    parse_message(raw)


def test_mutated_mail_is_parsed_or_refused_never_a_crash() -> None:
    """Seeded random damage to real-looking fixtures: byte flips, cuts, stray MIME tokens."""
    from inboxd.screen import screen
    from tests.conftest import FIXTURES

    rng = random.Random(20261126)
    seeds = [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))]
    tokens = [b"=?gb2312?B?", b"?=", b"\r\n", b"--", b"boundary=", b"charset=", b"\xff\xfe", b"\x00", b'"', b"=\r\n"]
    for _ in range(400):
        raw = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(raw) or 1)
            op = rng.random()
            if op < 0.35:
                raw[i : i + 1] = bytes([rng.randrange(256)])
            elif op < 0.6:
                raw[i:i] = rng.choice(tokens)
            elif op < 0.8:
                del raw[i : i + rng.randint(1, 60)]
            else:
                j = rng.randrange(len(raw) or 1)
                raw[i:i] = raw[j : j + rng.randint(1, 200)]
        try:
            mail = parse_message(bytes(raw))
        except MessageError:
            continue
        screen(mail, {"support@exchange.test"}, lambda _id: False)
        (mail.subject + mail.sender_name + mail.text + mail.new_text).encode("utf-8")  # no lone surrogates
