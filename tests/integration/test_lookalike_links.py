"""A mail that links to a look-alike of the exchange's domain is flagged on the real server."""

from __future__ import annotations

import pytest

from inboxd.store import Store
from tests.conftest import Servers

pytestmark = pytest.mark.integration


def _mail(n: int, html: str) -> bytes:
    return (
        f"From: Customer {n} <customer{n}@example.org>\r\nTo: support@exchange.test\r\n"
        f"Subject: Is this mail from you? ({n})\r\nMessage-ID: <links-{n}@example.org>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "I got a mail asking me to verify my wallet. Is it from you?\r\n"
        f"--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Verify {html}</p>\r\n--B--\r\n"
    ).encode()


def test_a_lookalike_link_flags_the_mail_and_its_ticket(servers: Servers) -> None:
    text = servers.config_path.read_text()
    servers.config_path.write_text(text.replace("[trust]\n", '[trust]\nofficial_domains = ["exchange.test"]\n', 1))
    servers.append(
        _mail(1, '<a href="https://xn--xchange-6gg.test/verify?token=abc">here</a>'),  # Cyrillic е
        _mail(2, '<a href="https://www.exchange.test/security">here</a>'),
    )
    servers.poll()

    flags = {raw.split(b"Message-ID: ")[1].split(b"\r\n")[0]: found for found, raw in servers.messages().values()}
    assert "$Inboxd-Lookalike" in flags[b"<links-1@example.org>"]
    assert "$Inboxd-Lookalike" not in flags[b"<links-2@example.org>"]
    assert all("$Inboxd-Acked" in found for found in flags.values())  # flagged, still answered

    store = Store(servers.config().store.path, readonly=True)
    try:
        tickets = {t.customer: t.ref for t in store.tickets()}
        flagged = store.ticket(tickets["customer1@example.org"])
        assert flagged is not None
        events = [e.detail for e in flagged.events if e.kind == "lookalike"]
        assert events == ["links to look-alike domains: \u0435xchange.test"]
    finally:
        store.close()
