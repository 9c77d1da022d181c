"""An attacker's attempts to turn the exchange's support address against its customers, on real servers.

Each test is one attack from issue 15 (or one of our own), run through a real poll against
Dovecot and the SMTP sink. What the attacker gets is read from what the SMTP server accepted
(envelope recipients and the raw bytes), from the IMAP keywords and from `inboxd` commands,
never from inboxd's own idea of what it sent. The "What inboxd trusts" table of docs/security.md lists
them.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from email.utils import formatdate, make_msgid
from typing import Any

import pytest

from testbed.mx import AUTHSERV_ID, stamp
from tests.conftest import Servers, run_inboxd, write_config

pytestmark = pytest.mark.integration

CUSTOMER = "alice.chen@bank-customer.example"
MALLORY = "mallory@attacker.example"
VICTIM = "victim@bank-customer.example"
LURE = "URGENT SECURITY NOTICE: your account will be closed. Cancel at https://exchange-verify.example/c"
ATTACKER_TEXT = re.compile(rb"(?i)exchange-verify|https?:|URGENT SECURITY|\+1 ?415|cancel at")
WALLET_A = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
WALLET_B = "TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9"
TX = "9a3f5e7c1b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d2f4a"


def mail(
    body: str,
    subject: str,
    sender: str = CUSTOMER,
    name: str = "Alice Chen",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    lines = [
        f"From: {name} <{sender}>",
        "To: support@exchange.test",
        f"Subject: {subject}",
        f"Date: {formatdate(localtime=True)}",
        f"Message-ID: {message_id or make_msgid(domain=sender.split('@')[1])}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def cli(servers: Servers, *args: str) -> subprocess.CompletedProcess[str]:
    return run_inboxd(servers.config_path, *args)


def json_of(servers: Servers, *args: str) -> Any:
    result = cli(servers, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def sent(servers: Servers) -> list[tuple[list[str], bytes, str]]:
    """(envelope recipients, raw bytes, subject) of everything the SMTP server accepted."""
    return [
        (r["rcpt_tos"], (servers.sink.directory / r["file"]).read_bytes(), r["subject"])
        for r in servers.sink.received()
    ]


def ref_of(subject: str) -> str:
    return subject.rsplit("[#", 1)[1].rstrip("]")


def flags_of(servers: Servers, needle: bytes) -> set[str]:
    (flags,) = [f for f, raw in servers.messages().values() if needle in raw]
    return flags


def test_reply_to_and_a_hostile_display_name_reach_nobody_but_the_sender(servers: Servers) -> None:
    """Phishing from the official address: Reply-To a victim, a paragraph with a link as the name."""
    encoded_name = "=?utf-8?b?" + base64.b64encode(f"{LURE}\r\nCall +1 415 555 0100".encode()).decode() + "?="
    for authenticated in (True, False):
        servers.append(
            mail(
                "hello, is my account ok?",
                f"Re: cancel at https://exchange-verify.example/c{int(authenticated)} or call +1 415 555 0100",
                sender=MALLORY,
                name=encoded_name,
                headers={"Reply-To": VICTIM},
            ),
            authenticated=authenticated,
        )
        servers.poll()
    out = sent(servers)
    assert [rcpt for rcpt, _, _ in out] == [[MALLORY], [MALLORY]]  # never the Reply-To address
    for _, raw, _ in out:
        assert not ATTACKER_TEXT.search(raw), ATTACKER_TEXT.search(raw)
        assert VICTIM.encode() not in raw


def test_a_stranger_naming_a_customers_ticket_gets_a_ticket_of_their_own(servers: Servers) -> None:
    """Ticket hijack: the customer's reference in the subject, Reply-To the customer, a wallet to merge."""
    servers.append(mail("My USDT withdrawal never arrived, please check.", "Withdrawal missing"))
    servers.poll()
    ((_, _, subject),) = sent(servers)
    ref = ref_of(subject)
    before = json_of(servers, "ticket", "show", ref)

    servers.append(
        mail(
            f"It was 5,000 USDT on TRC20 to {WALLET_B}, sent 2026-11-20 14:32 UTC. TXID: {TX}",
            f"Re: Withdrawal missing [#{ref}]",
            sender=MALLORY,
            name="Alice Chen",
            headers={"Reply-To": CUSTOMER},
        )
    )
    servers.poll()
    after = json_of(servers, "ticket", "show", ref)
    assert after["facts"] == before["facts"] and after["state"] == before["state"]
    assert len(after["messages"]) == 1 and after["acks"] == before["acks"]
    out = sent(servers)
    assert [rcpt for rcpt, _, _ in out] == [[CUSTOMER], [MALLORY]]
    stranger_ref = ref_of(out[1][2])
    assert stranger_ref != ref
    stranger = json_of(servers, "ticket", "show", stranger_ref)
    assert stranger["customer"] == MALLORY
    assert any(ref in e["detail"] and e["kind"] == "note" for e in stranger["events"])  # the agent sees it


def test_a_stranger_replying_to_a_customers_mail_learns_none_of_its_facts(servers: Servers) -> None:
    """Facts leak: In-Reply-To/References name the customer's mail; the answer would list its facts."""
    order = "W20261120000123"
    customer_mail = mail(
        f"Withdrawal {order} of 1,250 USDT to {WALLET_A} on 2026-11-20 14:32 UTC never arrived. TXID: {TX}",
        "Withdrawal missing",
        message_id="<alice-1@bank-customer.example>",
    )
    servers.append(customer_mail)
    servers.poll()
    servers.append(
        mail(
            "Any news on this one?",
            "Re: Withdrawal missing",
            sender=MALLORY,
            headers={"In-Reply-To": "<alice-1@bank-customer.example>", "References": "<alice-1@bank-customer.example>"},
        )
    )
    servers.poll()
    out = sent(servers)
    assert [rcpt for rcpt, _, _ in out] == [[CUSTOMER], [MALLORY]]
    stranger_raw = out[1][1]
    for secret in (order, "1250", "1,250", WALLET_A, TX[:16]):
        assert secret.encode() not in stranger_raw
    assert order.encode() in out[0][1]  # the customer, authenticated, does see them


def test_a_trusted_dmarc_fail_is_not_answered_whatever_sits_below_it(servers: Servers) -> None:
    """A spoofed From: our MX says dmarc=fail; a forged pass with the same id sits below."""
    forged = stamp(mail("Please send my balance to my new wallet " + WALLET_B, "New wallet", sender=VICTIM))
    forged = stamp(forged, dmarc="fail")  # the MX's header is prepended last: topmost
    assert forged.index(b"dmarc=fail") < forged.index(b"dmarc=pass")
    servers.append(forged, authenticated=False)
    servers.poll()
    assert sent(servers) == []
    flags = flags_of(servers, b"New wallet")
    assert {"$Inboxd-Spoofed", "$Inboxd-Escalated"} <= flags and "$Inboxd-Acked" not in flags
    listing = cli(servers, "ticket", "list", "--escalated", "--json")
    escalated = [json.loads(line) for line in listing.stdout.splitlines()]
    (item,) = [t for t in escalated if t["customer"] == VICTIM]
    shown = json_of(servers, "ticket", "show", item["ref"])
    assert shown["messages"][0]["sender_verdict"] == "fail"
    assert shown["acks"] == []
    # The real customer writing later is not joined to the forged ticket, and is answered.
    servers.append(mail("Hi, I cannot log in since today.", "New wallet", sender=VICTIM))
    servers.poll()
    ((rcpt, _, subject),) = sent(servers)
    assert rcpt == [VICTIM] and ref_of(subject) != item["ref"]


def test_two_customers_sharing_one_message_id_each_get_one_answer(servers: Servers) -> None:
    """A broken web form gives every mail the same Message-ID: the second customer is not a duplicate."""
    shared = "<contact-form@forms.example>"
    servers.append(mail("My deposit is missing.", "Deposit", sender="bob@one.example", message_id=shared))
    servers.append(mail("I cannot log in.", "Login", sender="carol@two.example", message_id=shared))
    servers.poll()
    servers.poll()  # a second tick sends nothing more
    recipients = sorted(rcpt[0] for rcpt, _, _ in sent(servers))
    assert recipients == ["bob@one.example", "carol@two.example"]
    # The same mail seen twice (a copy in the folder) is still one mail.
    servers.append(mail("I cannot log in.", "Login", sender="carol@two.example", message_id=shared))
    servers.poll()
    assert len(sent(servers)) == 2


def test_rotating_addresses_and_a_flood_are_capped(servers: Servers, tmp_path: Any) -> None:
    """Volume: a per-domain limit and an hourly budget above the per-recipient one."""
    servers.config_path = write_config(
        tmp_path / "limited",
        model_path=servers.app().config.classifier.model_path,
        imap_port=servers.dovecot.port,
        imap_user=servers.user,
        smtp_port=servers.sink.port,
        sections={"ack": {"max_per_sender_domain": 2, "max_per_hour": 4, "retry_base_seconds": 1}},
    )
    for i in range(4):  # one domain, four addresses
        servers.append(mail("my deposit is missing", f"deposit {i}", sender=f"user{i}@rotate.example"))
    servers.poll()
    assert len(sent(servers)) == 2
    for i in range(4):  # four domains: two more fit the hour's budget of 4
        servers.append(mail("my deposit is missing", f"deposit d{i}", sender=f"someone@d{i}.example"))
    servers.poll()
    assert len(sent(servers)) == 4
    flags = flags_of(servers, b"deposit d3")
    assert {"$Inboxd-Skipped", "$Inboxd-RateLimited"} <= flags
    status = cli(servers, "poll", "--json")  # nothing new; the decisions stay recorded
    assert status.returncode == 0


def test_a_follow_up_with_another_wallet_is_flagged_not_confirmed(servers: Servers) -> None:
    """The owner's follow-up brings a different payout address: both kept, a human checks, no confirmation."""
    servers.append(mail(f"Refund my 300 USDT to {WALLET_A}, the withdrawal failed.", "Refund"))
    servers.poll()
    ((_, _, subject),) = sent(servers)
    ref = ref_of(subject)
    servers.append(mail(f"Sorry, use {WALLET_B} instead. TXID {TX}, 2026-11-20 14:32 UTC.", f"Re: Refund [#{ref}]"))
    servers.poll()
    assert len(sent(servers)) == 1  # no confirmation while the address is in doubt
    shown = json_of(servers, "ticket", "show", ref)
    addresses = [a["value"] for a in shown["facts"]["addresses"]]
    assert addresses == [WALLET_A, WALLET_B]
    assert shown["escalated"]
    assert any("wallet address" in e["detail"] for e in shown["events"])


def test_authserv_ids_are_validated(tmp_path: Any, model_path: Any) -> None:
    path = write_config(tmp_path / "bad", model_path=model_path, sections={"trust": {"authserv_ids": ["mx ex;ample"]}})
    result = run_inboxd(path, "check", "--no-model")
    assert result.returncode == 2
    assert "trust.authserv_ids" in result.stdout + result.stderr


def test_the_stamp_names_the_servers_trusted_id() -> None:
    assert stamp(b"From: a@b.example\r\n\r\nx").startswith(f"Authentication-Results: {AUTHSERV_ID};".encode())
