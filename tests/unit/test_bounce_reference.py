"""The bounce facts the parse reads (`ParsedEmail.bounce`) from the bounces real servers send, and ticket
references as customers send them back."""

from __future__ import annotations

import pytest

from inboxd.parse import parse_message
from inboxd.values import Bounce
from tests.conftest import data_path, fixture_bytes

OUR_ACK = "<inboxd.INB-000088.7a6b5c4d3e2f1a0b@exchange.test>"


def read_bounce(raw: bytes) -> Bounce:
    bounce = parse_message(raw).bounce
    assert bounce is not None, "a bounce must carry its bounce facts from the parse"
    return bounce


@pytest.mark.parametrize(
    ("name", "recipient", "standard"),
    [
        ("bounce_gmail.eml", "wrong.address@gmail.com", True),
        ("bounce_exchange.eml", "wrong.address@contoso.com", True),
        ("bounce_exim.eml", "wrong.address@example.net", False),
        ("bounce_qmail.eml", "wrong.address@example.net", False),
    ],
)
def test_bounce_of_our_acknowledgement(name: str, recipient: str, standard: bool) -> None:
    bounce = read_bounce(fixture_bytes(name))
    assert bounce.original_message_ids[0] == OUR_ACK
    assert bounce.failed_recipients == (recipient,)
    assert bounce.delayed_recipients == ()
    assert bounce.standard is standard


def test_postfix_dsn_with_returned_headers() -> None:
    bounce = read_bounce(fixture_bytes("bounce.eml"))
    assert bounce.original_message_ids == ("<inboxd.INB-000007.1a2b3c4d5e6f7a8b@exchange.test>",)
    assert bounce.failed_recipients == ("nosuchuser@example.org",)


def test_a_customer_mail_is_not_a_bounce() -> None:
    assert parse_message(fixture_bytes("en_withdrawal_complete.eml")).bounce is None


def test_a_null_return_path_report_carries_its_bounce_facts() -> None:
    """Screened as a bounce by its Return-Path alone: the facts are read for it too."""
    raw = (
        b"Return-Path: <>\r\nFrom: Mail System <postmaster@mx.example.net>\r\nTo: support@exchange.test\r\n"
        b"Subject: Undelivered Mail\r\nMessage-ID: <own@mx.example.net>\r\n\r\n"
        b"<gone@example.net>: host mx.example.net said: 550 no such user\r\n\r\n"
        b"--- Below this line is a copy of the message.\r\n\r\n"
        b"Message-ID: <inboxd.INB-000001.0011223344556677@exchange.test>\r\nTo: gone@example.net\r\n"
    )
    bounce = read_bounce(raw)
    assert bounce.failed_recipients == ("gone@example.net",)
    assert bounce.original_message_ids == ("<inboxd.INB-000001.0011223344556677@exchange.test>",)


def test_the_bounce_does_not_report_its_own_message_id() -> None:
    bounce = read_bounce(fixture_bytes("bounce_gmail.eml"))
    assert "<6561b3a6.2a0a0220.1c2b3.0f1e.GMR@mx.google.com>" not in bounce.original_message_ids


# The corpus's bounces, checked against what their own delivery-status parts say.
@pytest.mark.parametrize(
    ("path", "failed", "delayed", "original"),
    [
        (
            ("mikel-mail", "multipart_report_emails", "multi_address_bounce1.eml"),
            5,
            0,
            "<118707422.15521266992174819.JavaMail.root@lvmail01>",
        ),
        (
            ("mikel-mail", "multipart_report_emails", "multipart_report_multiple_status.eml"),
            1,
            0,
            "<4c2a146147ac8_61ff157c4ec1652df@s.h.c.mail>",
        ),
        (
            ("mikel-mail", "multipart_report_emails", "report_422.eml"),
            0,
            1,
            "<15655788.13.1200472642578.JavaMail.Administrator@mail.ttttt.com.au>",
        ),
        (
            ("spamscope-mail-parser", "mail_malformed_2"),
            1,
            0,
            "<004801d1fc84$01c934ac$b247f0b7$@infospacemail.com>",
        ),
    ],
)
def test_corpus_bounces(path: tuple[str, ...], failed: int, delayed: int, original: str) -> None:
    bounce = read_bounce(data_path("mime-corpus", *path).read_bytes())
    assert (len(bounce.failed_recipients), len(bounce.delayed_recipients)) == (failed, delayed)
    assert bounce.original_message_ids[0] == original
    assert bounce.standard
