"""Webhooks against a real HTTP receiver on 127.0.0.1, and the resolution flow against Dovecot
and the SMTP sink: resolve → one notice → the customer replies → reopened, escalated, paged once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from inboxd import webhooks
from inboxd.compose import open_store
from testbed.dovecot import free_port
from testbed.hookreceiver import HookReceiver
from tests.conftest import Servers
from tests.integration.test_tickets import cli, first_ticket, mail, ticket

pytestmark = pytest.mark.integration

SECRET = "whsec-test-0123456789"


@pytest.fixture
def hooks(servers: Servers) -> Iterator[HookReceiver]:
    """A receiver (not started: the test starts it), and the mailbox's config pointing at it."""
    receiver = HookReceiver(free_port())
    (servers.config_path.parent / "hook-secret").write_text(SECRET + "\n")
    with servers.config_path.open("a") as f:
        f.write(
            f'\n[[notify]]\nurl = "{receiver.url}"\nsecret_file = "hook-secret"\ntimeout_seconds = 2\n'
            'retry_base_seconds = 0.5\nevents = ["escalation", "quarantine", "security_incident"]\n'
        )
    yield receiver
    receiver.stop()


def bodies(receiver: HookReceiver) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in receiver.requests]


def deliveries(servers: Servers) -> list[dict[str, Any]]:
    store = open_store(servers.config())
    try:
        return store.notify_events()
    finally:
        store.close()


def test_a_receiver_down_then_failing_then_up_gets_the_event_once_under_one_key(
    servers: Servers, hooks: HookReceiver
) -> None:
    # Over [limits] max_message_bytes: quarantined unread, which is an event.
    with servers.config_path.open("a") as f:
        f.write("\n[limits]\nmax_message_bytes = 2048\n")
    servers.append(mail("x" * 4000, "a big one"))
    started = time.monotonic()
    servers.poll()  # the receiver is down: connection refused
    assert time.monotonic() - started < 30
    (row,) = deliveries(servers)
    assert row["kind"] == "quarantine" and row["state"] == "pending" and row["attempts"] == 1
    assert "refused" in row["last_error"].lower() or "connect" in row["last_error"].lower()

    hooks.status = 503
    hooks.start()
    time.sleep(0.6)
    servers.poll()  # up, but failing
    hooks.status = 200
    time.sleep(1.1)
    servers.poll()  # delivered
    servers.poll()  # and never again
    assert len(hooks.requests) == 2
    keys = {r["headers"]["idempotency-key"] for r in hooks.requests}
    assert len(keys) == 1 and {r["body"] for r in hooks.requests} == {hooks.requests[0]["body"]}
    for r in hooks.requests:
        assert webhooks.verify(SECRET, r["headers"]["x-inboxd-signature"], r["body"].encode(), time.time())
    (row,) = deliveries(servers)
    assert row["state"] == "delivered" and row["attempts"] == 3
    assert bodies(hooks)[0]["event"] == "quarantine"


def test_resolution_notice_reply_reopens_escalates_and_pages_once(servers: Servers, hooks: HookReceiver) -> None:
    hooks.start()
    servers.append(mail("My withdrawal of 0.5 BTC has not arrived in my wallet", "Withdrawal missing"))
    servers.poll()
    ref, ack = first_ticket(servers)
    result = cli(servers, "ticket", "resolve", ref)
    assert result.returncode == 0, result.stderr
    servers.poll()
    servers.poll()  # exactly one notice, however many ticks
    received = servers.sink.received()
    assert len(received) == 2
    notice = servers.sink.message(received[1])
    assert f"[#{ref}]" in notice["Subject"] and received[1]["rcpt_tos"] == [ack["rcpt_tos"][0]]
    body = notice.get_content()
    assert "If this is not solved, just reply" in body and ref in body
    assert notice["In-Reply-To"] == ack["message_id"]  # threads under our acknowledgement
    data = ticket(servers, ref)
    assert data["state"] == "resolved" and [a["kind"] for a in data["acks"]] == ["ack", "resolution"]
    assert [a["state"] for a in data["acks"]] == ["sent", "sent"]
    assert hooks.requests == []  # resolving pages nobody

    servers.append(mail("still not received", f"Re: {notice['Subject']}", in_reply_to=notice["Message-ID"]))
    servers.poll()
    servers.poll()
    data = ticket(servers, ref)
    assert data["state"] == "open" and data["escalated"] == 1 and data["priority"] == "high"
    assert [e["kind"] for e in data["events"]][-2:] == ["reopened", "escalated"]
    assert len(servers.sink.received()) == 2  # no form letter to the reply
    (page,) = bodies(hooks)
    assert page["event"] == "escalation" and page["ticket"]["ref"] == ref
    assert page["reason"] == "reopened: the customer replied to a resolved ticket"
    assert "still not received" not in hooks.requests[0]["body"]
    assert "dan.whitaker84@gmail.com" not in hooks.requests[0]["body"]


def test_no_reply_closes_the_ticket_and_a_later_mail_opens_a_new_one(servers: Servers, hooks: HookReceiver) -> None:
    text = servers.config_path.read_text()
    servers.config_path.write_text(text + "\n[tickets]\nreopen_within_days = 0.00002\n")  # about 2 seconds
    hooks.start()
    servers.append(mail("How do I set up the withdrawal whitelist?", "Whitelist"))
    servers.poll()
    ref, ack = first_ticket(servers)
    assert cli(servers, "ticket", "resolve", ref).returncode == 0
    servers.poll()
    time.sleep(2.5)
    servers.poll()
    data = ticket(servers, ref)
    assert data["state"] == "closed" and data["events"][-1]["kind"] == "closed"
    servers.append(
        mail(
            "One more question: how do I add a second address to the withdrawal whitelist?",
            f"Re: {ack['subject']}",
            in_reply_to=ack["message_id"],
        )
    )
    servers.poll()
    assert ticket(servers, ref)["state"] == "closed"
    tickets = [json.loads(line) for line in cli(servers, "ticket", "list", "--json").stdout.splitlines()]
    assert len(tickets) == 2 and hooks.requests == []


def test_the_spent_budget_pages_once_per_hour_not_per_mail(servers: Servers, hooks: HookReceiver) -> None:
    text = servers.config_path.read_text().replace("[ack]\n", "[ack]\nmax_per_hour = 1\n", 1)
    servers.config_path.write_text(text.replace('events = ["escalation"', 'events = ["volume_budget", "escalation"', 1))
    hooks.start()
    for i in range(3):
        servers.append(mail("my deposit is missing", f"deposit {i}", sender=f"someone@d{i}.example"))
    servers.poll()
    for i in range(3, 5):  # the next tick, the same hour: no second page
        servers.append(mail("my deposit is missing", f"deposit {i}", sender=f"someone@d{i}.example"))
    servers.poll()
    assert len(servers.sink.received()) == 1
    (page,) = bodies(hooks)
    assert page["event"] == "volume_budget" and page["counts"] == {"max_per_hour": 1}
    assert hooks.requests[0]["headers"]["idempotency-key"].startswith("volume_budget:")
