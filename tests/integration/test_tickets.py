"""Replies threaded onto tickets, reopen, escalation, flood limits, quarantine retry — on real servers."""

from __future__ import annotations

import json
import subprocess
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import pytest

from inboxd.store import Store
from tests.conftest import Servers, run_inboxd, write_config

pytestmark = pytest.mark.integration

CUSTOMER = "dan.whitaker84@gmail.com"


def mail(
    body: str,
    subject: str,
    sender: str = CUSTOMER,
    in_reply_to: str | None = None,
    references: str | None = None,
) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = f"Customer <{sender}>"
    message["To"] = "support@exchange.test"
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = references or in_reply_to
    message.set_content(body)
    return message.as_bytes()


def cli(servers: Servers, *args: str) -> subprocess.CompletedProcess[str]:
    return run_inboxd(servers.config_path, *args)


def ticket(servers: Servers, ref: str) -> dict[str, Any]:
    result = cli(servers, "ticket", "show", ref, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def flags_of(servers: Servers, needle: bytes, folder: str = "INBOX") -> set[str]:
    (flags,) = [f for f, raw in servers.messages(folder).values() if needle in raw]
    return flags


def first_ticket(servers: Servers) -> tuple[str, dict[str, Any]]:
    (record,) = servers.sink.received()
    ref = record["subject"].rsplit("[#", 1)[1].rstrip("]")
    return ref, record


def test_reply_supplying_the_missing_information_gets_a_confirmation_not_a_second_ack(servers: Servers) -> None:
    servers.append(mail("Hi, my USDT withdrawal never arrived. Please check.", "Withdrawal missing"))
    servers.poll()
    ref, ack = first_ticket(servers)
    assert ticket(servers, ref)["missing"] == ["tx_or_order_id", "amount", "time"]

    # The customer answers our acknowledgement (In-Reply-To = our Message-ID).
    txid = "4f1c1e0b6f0a7d3f6b5c2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c"
    servers.append(
        mail(
            f"It was 1,250 USDT on TRC20, sent 2026-11-20 14:32 UTC.\nTXID: {txid}\n\n"
            f"On Fri, Support <support@exchange.test> wrote:\n> We still need the transaction hash",
            f"Re: {ack['subject']}",
            in_reply_to=ack["message_id"],
        )
    )
    servers.poll()
    received = servers.sink.received()
    assert len(received) == 2
    confirmation = servers.sink.message(received[1])
    assert confirmation["In-Reply-To"] != ack["in_reply_to"]  # it answers the reply, not the first mail
    body = confirmation.get_content()
    assert "we now have the information we need" in body and txid in body and "we still need" not in body
    data = ticket(servers, ref)
    assert data["missing"] == [] and data["state"] == "open"
    assert [m["role"] for m in data["messages"]] == ["new", "followup"]
    assert [a["kind"] for a in data["acks"]] == ["ack", "confirmation"]
    assert "$Inboxd-FollowUp" in flags_of(servers, txid.encode())

    # A third mail adds nothing new: recorded on the ticket, nothing sent.
    servers.append(mail("any news?", f"Re: {ack['subject']}", in_reply_to=ack["message_id"]))
    servers.poll()
    assert len(servers.sink.received()) == 2
    assert len(ticket(servers, ref)["messages"]) == 3


def test_subject_reference_only_counts_from_the_tickets_customer(servers: Servers) -> None:
    servers.append(mail("I cannot log in since yesterday, it says account frozen", "Account frozen"))
    servers.poll()
    ref, _ = first_ticket(servers)
    servers.append(mail("my UID is 58213904", f"Re: Account frozen [#{ref}]"))  # no In-Reply-To: client dropped it
    servers.append(
        mail("I also cannot log in, UID 77777777", f"Account frozen [#{ref}]", sender="someone@else.example")
    )
    servers.poll()
    recipients = [r["rcpt_tos"] for r in servers.sink.received()]
    # The customer's reply completed the ticket (a confirmation); the stranger got a ticket of their own.
    assert recipients == [[CUSTOMER], [CUSTOMER], ["someone@else.example"]]
    assert ticket(servers, ref)["missing"] == []
    assert len(ticket(servers, ref)["messages"]) == 2


def test_the_same_request_sent_twice_gets_one_ack(servers: Servers) -> None:
    servers.append(mail("deposit of 0.5 BTC not credited", "Deposit not credited"))
    servers.poll()
    servers.append(mail("hello?? deposit of 0.5 BTC still not credited", "Deposit not credited"))
    servers.poll()
    assert len(servers.sink.received()) == 1
    (only,) = [json.loads(line) for line in cli(servers, "ticket", "list", "--json").stdout.splitlines()]
    assert [m["role"] for m in ticket(servers, only["ref"])["messages"]] == ["new", "followup"]


def test_reply_to_a_resolved_ticket_reopens_and_escalates(servers: Servers) -> None:
    servers.append(mail("How do I set up the withdrawal whitelist?", "Whitelist"))
    servers.poll()
    ref, ack = first_ticket(servers)
    result = cli(servers, "ticket", "resolve", ref)
    assert result.returncode == 0, result.stderr
    assert ticket(servers, ref)["state"] == "resolved"

    servers.append(
        mail(
            "You marked this resolved but I still can't find it!",
            f"Re: {ack['subject']}",
            in_reply_to=ack["message_id"],
        )
    )
    servers.poll()
    # The resolution notice (sent on the poll after the resolution), and no form letter to the reply.
    received = servers.sink.received()
    assert len(received) == 2 and f"[#{ref}]" in received[1]["subject"]
    data = ticket(servers, ref)
    assert data["state"] == "open" and data["priority"] == "high" and data["escalated"] == 1
    assert [e["kind"] for e in data["events"]][-2:] == ["reopened", "escalated"]
    flags = flags_of(servers, b"still can't find it")
    assert {"$Inboxd-FollowUp", "$Inboxd-Escalated", "$Inboxd-Reopened"} <= flags
    assert cli(servers, "ticket", "resolve", "INB-999999").returncode == 1


def test_agents_resolve_with_a_keyword_in_their_mail_client(servers: Servers) -> None:
    servers.append(mail("what are the withdrawal fees for BTC?", "Fees"))
    servers.poll()
    ref, _ = first_ticket(servers)
    client = servers.dovecot.connect(servers.user)
    client.select("INBOX")
    client.uid("STORE", "1", "+FLAGS", "($Inboxd-Resolved)")  # as an agent's mail client does
    client.logout()
    servers.poll()
    data = ticket(servers, ref)
    assert data["state"] == "resolved"
    assert [e["detail"] for e in data["events"] if e["kind"] == "resolved"] == ["agent keyword on the mail"]


def test_repeated_followups_escalate(servers: Servers) -> None:
    servers.append(mail("my withdrawal W123456789 of 2 ETH is stuck since 2026-11-20 10:00", "Stuck withdrawal"))
    servers.poll()
    ref, ack = first_ticket(servers)
    for text in ("any update?", "hello??", "third time asking, where is my money"):
        servers.append(mail(text, f"Re: {ack['subject']}", in_reply_to=ack["message_id"]))
    servers.poll()
    data = ticket(servers, ref)
    assert data["escalated"] == 1 and "follow-ups without an answer" in data["escalation_reason"]
    assert len(servers.sink.received()) == 1
    assert "$Inboxd-Escalated" in flags_of(servers, b"third time asking")
    assert "$Inboxd-Escalated" not in flags_of(servers, b"any update?")


def test_complaints_and_takeovers_escalate_on_arrival(servers: Servers) -> None:
    servers.append(
        mail(
            "Your support is useless, nobody answered me for a week. I will report you to the regulator.",
            "Terrible service",
        ),
        mail(
            "Someone logged into my account and withdrew all my USDT, it was not me! UID 58213904",
            "HELP account hacked",
        ),
    )
    servers.poll()
    assert len(servers.sink.received()) == 2  # they still get their acknowledgement
    listed = [json.loads(line) for line in cli(servers, "ticket", "list", "--escalated", "--json").stdout.splitlines()]
    assert sorted(t["priority"] for t in listed) == ["high", "urgent"]
    assert listed[0]["priority"] == "urgent"  # most urgent first
    for flags, _ in servers.messages().values():
        assert "$Inboxd-Escalated" in flags


def test_a_flooding_sender_is_recorded_not_answered(servers: Servers, tmp_path: Path, model_path: Path) -> None:
    servers.config_path = write_config(
        tmp_path / "flood",
        model_path=model_path,
        imap_port=servers.dovecot.port,
        imap_user=servers.user,
        smtp_port=servers.sink.port,
        sections={"ack": {"max_per_sender": 2, "sender_window_minutes": 60}},
    )
    topics = ["login broken", "deposit missing", "fees question", "order failed", "kyc rejected"]
    servers.append(*[mail(f"problem: {t}", t.title(), sender="flood@example.org") for t in topics])
    servers.poll()
    assert len(servers.sink.received()) == 2
    limited = [f for f, _ in servers.messages().values() if "$Inboxd-RateLimited" in f]
    assert len(limited) == 3
    store = Store(servers.config().store.path, readonly=True)
    assert store.counts()["messages.skip"] == 3


@pytest.mark.parametrize("folder", ["Quarantine", ""])
def test_quarantine_list_and_retry_after_raising_the_limit(
    servers: Servers, tmp_path: Path, model_path: Path, folder: str
) -> None:
    def configure(depth: int) -> None:
        servers.config_path = write_config(
            tmp_path / f"q{depth}",
            model_path=model_path,
            imap_port=servers.dovecot.port,
            imap_user=servers.user,
            smtp_port=servers.sink.port,
            sections={"imap": {"quarantine_folder": folder}, "limits": {"max_mime_depth": depth},
                      "store": {"path": str(tmp_path / "store.sqlite3")}},
        )  # fmt: skip

    configure(20)
    servers.append("hostile_nested.eml", "en_account_2fa.eml")
    servers.poll()
    listed = [json.loads(line) for line in cli(servers, "quarantine", "list", "--json").stdout.splitlines()]
    assert len(listed) == 1 and "max_mime_depth" in listed[0]["reason"]
    assert len(servers.sink.received()) == 1
    where = folder or "INBOX"
    assert "$Inboxd-Quarantined" in flags_of(servers, b"nested-60@evil.example", where)

    configure(100)  # the operator raises the limit, then retries
    result = cli(servers, "quarantine", "retry", "--all")
    assert result.returncode == 0, result.stderr
    assert cli(servers, "quarantine", "list", "--json").stdout.strip() == ""
    servers.poll()
    assert len(servers.sink.received()) == 2  # the once-hostile mail is handled now
    flags = flags_of(servers, b"nested-60@evil.example", "INBOX")
    assert "$Inboxd-Acked" in flags and "$Inboxd-Quarantined" not in flags
    if folder:
        assert servers.messages("Quarantine") == {}
    total = sum(len(servers.messages(f)) for f in ("INBOX", "Quarantine") if f in servers.dovecot.folders(servers.user))
    assert total == 2  # nothing lost, nothing duplicated


def test_quarantine_retry_needs_an_id_or_all(servers: Servers) -> None:
    assert cli(servers, "quarantine", "retry").returncode == 2


def dsn(original_message_id: str, recipient: str) -> bytes:
    """A Postfix delivery status notification for one of our acknowledgements."""
    return (
        "From: MAILER-DAEMON@mx.exchange.test (Mail Delivery System)\r\n"
        "To: support@exchange.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Date: Mon, 23 Nov 2026 10:05:11 +0000\r\nMessage-ID: <bounce-1@mx.exchange.test>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        f"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.exchange.test\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Exchange Support <support@exchange.test>\r\n"
        f"To: {recipient}\r\nMessage-ID: {original_message_id}\r\n\r\n--B--\r\n"
    ).encode()


def test_a_bounced_ack_is_attached_to_its_ticket_and_the_address_is_not_mailed_again(servers: Servers) -> None:
    servers.append(mail("please reset my 2fa, UID 58213904", "2FA reset", sender="typo@gmial.example"))
    servers.poll()
    ref, ack = first_ticket(servers)
    servers.append(dsn(ack["message_id"], "typo@gmial.example"))
    servers.poll()
    events = [e["kind"] for e in ticket(servers, ref)["events"]]
    assert "ack_bounced" in events
    assert [m["role"] for m in ticket(servers, ref)["messages"]] == ["new", "bounce"]
    servers.append(mail("hello? I also cannot log in now", "Another problem", sender="typo@gmial.example"))
    servers.poll()
    assert len(servers.sink.received()) == 1  # no acknowledgement to an address that bounced
    store = Store(servers.config().store.path, readonly=True)
    assert store.is_suppressed("typo@gmial.example")
