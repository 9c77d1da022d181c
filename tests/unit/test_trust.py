"""The sender verdict: which Authentication-Results count, DMARC alignment, DKIM checked by inboxd."""

from __future__ import annotations

import base64
import email.utils

import dkim
import pytest
from Crypto.PublicKey import RSA

from inboxd.domains import aligned, normalise, registered_domain
from inboxd.trust import TrustSettings, sender_auth
from inboxd.values import FAIL, NONE, PASS

MX = TrustSettings(frozenset({"mx.exchange.example"}))


def verdict(sender: str, *headers: str, settings: TrustSettings = MX) -> str:
    return sender_auth(sender, headers, settings).verdict


def test_the_topmost_trusted_header_decides_and_a_forged_pass_below_it_is_ignored() -> None:
    trusted_fail = "mx.exchange.example; dmarc=fail (p=reject) header.from=bank.example"
    forged_pass = "mx.exchange.example; dmarc=pass header.from=bank.example"
    assert verdict("ceo@bank.example", trusted_fail, forged_pass) == FAIL
    # The attacker's header above ours carries another id: ignored, ours still decides.
    assert verdict("ceo@bank.example", "evil.example; dmarc=pass header.from=bank.example", trusted_fail) == FAIL


def test_headers_from_servers_not_named_by_the_operator_are_ignored() -> None:
    assert verdict("a@bank.example", "mx.evil.example; dmarc=pass header.from=bank.example") == NONE
    # With no trusted server configured, nothing is trusted at all.
    untrusting = TrustSettings()
    auth = sender_auth("a@bank.example", ["mx.exchange.example; dmarc=pass header.from=bank.example"], untrusting)
    assert auth.verdict == NONE and "authserv_ids" in auth.evidence


def test_dmarc_pass_counts_only_for_the_from_domain() -> None:
    assert verdict("a@bank.example", "mx.exchange.example; dmarc=pass header.from=bank.example") == PASS
    assert verdict("a@bank.example", "mx.exchange.example; dmarc=pass header.from=other.example") == NONE


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("mx.exchange.example; dkim=pass header.d=bank.example", PASS),
        ("mx.exchange.example; dkim=pass header.d=mail.bank.example", PASS),  # relaxed alignment
        ("mx.exchange.example; dkim=pass header.i=@news.bank.example", PASS),
        ("mx.exchange.example; dkim=pass header.d=mailer.example", NONE),  # valid but not aligned
        ("mx.exchange.example; spf=pass smtp.mailfrom=bounce@bank.example", PASS),
        ("mx.exchange.example; spf=pass smtp.mailfrom=esp.example", NONE),
        ("mx.exchange.example; spf=fail smtp.mailfrom=bank.example; dkim=fail header.d=bank.example", NONE),
        ("mx.exchange.example; dkim=pass header.d=bank.example; dmarc=fail header.from=bank.example", FAIL),
        ("mx.exchange.example; none", NONE),
        ("mx.exchange.example; this is not ( a valid header", NONE),
    ],
)
def test_alignment_without_a_dmarc_result(header: str, expected: str) -> None:
    assert verdict("alice@bank.example", header) == expected


def test_registered_domains_come_from_the_public_suffix_list() -> None:
    assert registered_domain("mx.mail.example.co.uk") == "example.co.uk"
    assert not aligned("a.example.co.uk", "b.other.co.uk")
    assert aligned("例子.测试", "mail.xn--fsqu00a.xn--0zwm56d")
    assert normalise("Bank.Example.") == "bank.example"


def test_evidence_is_printable_and_bounded() -> None:
    long_fail = "mx.exchange.example; dmarc=fail header.from=" + "x" * 500 + ".example"
    unreadable = "mx.exchange.example; dmarc=fail header.from=\x1b[31mevil.example\u202e"
    for header, expected in ((long_fail, FAIL), (unreadable, NONE)):
        auth = sender_auth("a@evil.example", [header], MX)
        assert auth.verdict == expected
        assert auth.evidence.isascii() and auth.evidence.isprintable() and len(auth.evidence) < 200


def _signed(from_addr: str, d: str, key: RSA.RsaKey) -> bytes:
    body = (
        f"From: Alice <{from_addr}>\r\nTo: support@exchange.example\r\nSubject: withdrawal\r\n"
        f"Date: {email.utils.formatdate()}\r\nMessage-ID: <m1@{d}>\r\n\r\nMy withdrawal is stuck.\r\n"
    ).encode()
    signature = dkim.sign(body, b"sel", d.encode(), key.export_key("PEM"), include_headers=[b"from", b"subject"])
    return signature + body


def test_dkim_checked_by_inboxd_when_no_trusted_header_exists() -> None:
    key = RSA.generate(1024)
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(key.publickey().export_key("DER"))
    asked: list[bytes] = []

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        asked.append(name)
        return record if name == b"sel._domainkey.bank.example." else None

    settings = TrustSettings(frozenset({"mx.exchange.example"}), verify_dkim=True)
    raw = _signed("alice@bank.example", "bank.example", key)
    assert sender_auth("alice@bank.example", [], settings, raw, lookup).verdict == PASS
    assert asked == [b"sel._domainkey.bank.example."]
    # Tampered after signing: the signature no longer holds.
    tampered = raw.replace(b"Subject: withdrawal", b"Subject: urgent")
    assert sender_auth("alice@bank.example", [], settings, tampered, lookup).verdict == NONE
    # A valid signature of a domain that is not the From's proves nothing about the From.
    other = _signed("alice@victim.example", "bank.example", key)
    assert sender_auth("alice@victim.example", [], settings, other, lookup).verdict == NONE
    # Off by default: no lookup is made.
    asked.clear()
    assert sender_auth("alice@bank.example", [], MX, raw, lookup).verdict == NONE and not asked
    # A trusted header, when there is one, decides without DKIM.
    fail = ["mx.exchange.example; dmarc=fail header.from=bank.example"]
    assert sender_auth("alice@bank.example", fail, settings, raw, lookup).verdict == FAIL
