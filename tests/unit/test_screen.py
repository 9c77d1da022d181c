"""screen: robots, lists, bounces and ourselves get no acknowledgement."""

from __future__ import annotations

import pytest

from inboxd.models import SkipReason
from inboxd.parse import parse_message
from inboxd.screen import screen
from tests.conftest import fixture_bytes

OWN = frozenset({"support@exchange.test"})


def own_id(message_id: str) -> bool:
    return message_id.startswith("<inboxd.") and message_id.endswith("@exchange.test>")


def check(raw: bytes) -> SkipReason | None:
    return screen(parse_message(raw), OWN, own_id).skip_reason


def mail(headers: str, body: str = "hello") -> bytes:
    return (headers.strip() + "\n\n" + body + "\n").replace("\n", "\r\n").encode()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_reply.eml", SkipReason.AUTO_REPLY),
        ("bounce.eml", SkipReason.BOUNCE),
        ("newsletter.eml", SkipReason.LIST),
        ("noreply.eml", SkipReason.NOREPLY),
        ("en_withdrawal_complete.eml", None),
        ("zh_gbk_deposit.eml", None),
        ("zh_html_only.eml", None),
        ("offtopic_seo.eml", None),
    ],
)
def test_fixtures(name: str, reason: SkipReason | None) -> None:
    assert check(fixture_bytes(name)) == reason


BASE = "From: Alice <alice@example.com>\nTo: support@exchange.test\nSubject: help\nMessage-ID: <a1@example.com>"


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ("Auto-Submitted: auto-generated", SkipReason.AUTO_REPLY),
        ("Auto-Submitted: auto-replied; owner-email=x@example.com", SkipReason.AUTO_REPLY),
        ("Auto-Submitted: no", None),
        ("X-Autoreply: yes", SkipReason.AUTO_REPLY),
        ("X-Autorespond: vacation", SkipReason.AUTO_REPLY),
        ("Precedence: junk", SkipReason.AUTO_REPLY),
        ("Precedence: bulk", SkipReason.LIST),
        ("Precedence: list", SkipReason.LIST),
        ("List-Id: <support.lists.example.com>", SkipReason.LIST),
        ("List-Unsubscribe: <mailto:u@example.com>", SkipReason.LIST),
        ("Return-Path: <>", SkipReason.BOUNCE),
        ("X-Mailer: Microsoft Outlook 16.0", None),
    ],
)
def test_headers(extra: str, reason: SkipReason | None) -> None:
    assert check(mail(BASE + "\n" + extra)) == reason


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        ("MAILER-DAEMON@mx.example.com", SkipReason.BOUNCE),
        ("postmaster@example.com", SkipReason.BOUNCE),
        ("noreply@example.com", SkipReason.NOREPLY),
        ("no-reply@accounts.example.com", SkipReason.NOREPLY),
        ("do-not-reply@example.com", SkipReason.NOREPLY),
        ("SUPPORT@exchange.test", SkipReason.OWN_ADDRESS),
        ("noreen@example.com", None),
    ],
)
def test_senders(sender: str, reason: SkipReason | None) -> None:
    assert check(mail(f"From: {sender}\nTo: support@exchange.test\nSubject: x\nMessage-ID: <b@example.com>")) == reason


def test_our_own_message_id_coming_back_is_skipped() -> None:
    raw = mail("From: someone@example.com\nSubject: x\nMessage-ID: <inboxd.INB-000001.abcdef0123456789@exchange.test>")
    assert check(raw) == SkipReason.OWN_ADDRESS


@pytest.mark.parametrize("subject", ["Out of Office: holiday", "Automatic reply: your mail", "自动回复：休假中"])
def test_out_of_office_subjects(subject: str) -> None:
    raw = (
        f"From: a@example.com\nSubject: {subject}\nMessage-ID: <c@example.com>\nContent-Type: text/plain; charset=utf-8"
    )
    assert check(mail(raw)) == SkipReason.AUTO_REPLY


def test_no_sender_at_all() -> None:
    assert check(mail("To: support@exchange.test\nSubject: x")) == SkipReason.NO_SENDER
