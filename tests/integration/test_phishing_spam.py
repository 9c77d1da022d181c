"""Phishing reports and spam through a real poll (Dovecot + SMTP sink): the report gets the
phishing-report acknowledgement and $Inboxd-PhishingReport; spam gets no ticket, no mail, the
$Inboxd-Spam keyword, and is moved aside, never deleted."""

from __future__ import annotations

import pytest

from inboxd.store import Store
from tests.conftest import Servers, write_config

pytestmark = pytest.mark.integration

PHISHING_REPORT = (
    b"From: Ann Lee <ann@mail.example>\r\nTo: support@exchange.test\r\nSubject: Fwd: Verify your wallet\r\n"
    b"Message-ID: <report-1@mail.example>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0800\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Hi, I got this today. Is this email from you?\r\n\r\n"
    b"---------- Forwarded message ---------\r\nFrom: Security <security@exchange-support.net>\r\n"
    b"Subject: Verify your wallet\r\n\r\nYour withdrawals will be suspended unless you verify your wallet at "
    b"https://exchange-support.net/verify today.\r\n"
)
SPAM = (
    b"X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=12.3 required=5.0\r\n"
    b"From: Deals <deals@promo.example>\r\nTo: support@exchange.test\r\nSubject: My withdrawal is stuck\r\n"
    b"Message-ID: <spam-1@promo.example>\r\nDate: Mon, 07 Dec 2026 10:01:00 +0800\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nCheap watches, click now.\r\n"
)


def test_a_phishing_report_and_spam_through_a_poll(servers: Servers) -> None:
    servers.config_path = write_config(
        servers.config_path.parent,
        model_path=servers.config().classifier.model_path,
        imap_port=servers.dovecot.port,
        imap_user=servers.user,
        smtp_port=servers.sink.port,
        sections={"trust": {"official_domains": ["exchange.test"]}, "spam": {"trust_headers": True, "folder": "Spam"}},
    )
    servers.append(PHISHING_REPORT, SPAM)
    servers.poll()
    servers.poll()  # the keywords and moves of the first poll's mail are applied by the end of a tick

    sent = [servers.sink.message(r) for r in servers.sink.received()]
    assert [m["To"] for m in sent] == ["ann@mail.example"]  # the spam got nothing
    body = sent[0].get_content()
    assert "exchange-support[.]net: NOT OURS" in body
    assert "exchange-support.net" not in body and "https://" not in body
    assert "Our only web addresses are exchange.test" in body

    inbox = {raw.split(b"Message-ID: ")[1].split(b"\r\n")[0]: flags for flags, raw in servers.messages().values()}
    report_flags = inbox[b"<report-1@mail.example>"]
    assert {"$Inboxd-PhishingReport", "$Inboxd-Escalated", "$Inboxd-Acked"} <= report_flags
    spam_box = servers.messages("Spam")
    assert len(spam_box) == 1  # moved, not deleted
    ((flags, raw),) = spam_box.values()
    assert b"<spam-1@promo.example>" in raw and {"$Inboxd-Spam", "$Inboxd-Skipped"} <= flags

    store = Store(servers.config().store.path, readonly=True)
    tickets = store.tickets()
    assert len(tickets) == 1 and tickets[0].escalated and tickets[0].priority in ("high", "urgent")
    assert "phishing report" in (tickets[0].escalation_reason or "")
    # The security team's webhook event was committed with the decision: counts, no domains.
    (event,) = store.notify_events("phishing_report")
    assert '"lookalikes":1' in event["payload"] and "exchange-support" not in event["payload"]
    assert store.notify_events("escalation") == []  # the report's escalation pages once, as this event
