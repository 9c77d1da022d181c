"""Webhooks: the payload (no customer secret or text), the signature, Slack's body, the backoff,
the [[notify]] config, and the store's events delivered through a fake HTTP post."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from inboxd import webhooks
from inboxd.config import NotifyConfig, load_config
from inboxd.errors import ConfigError
from inboxd.escalation import Escalation
from inboxd.store import Store
from inboxd.tickets import SECURITY_REASON, TicketPlan
from inboxd.values import Action, Classification, Decision, Facts, MessageKey, OutgoingMail, Secret
from inboxd.webhook_delivery import MAX_PER_TICK, Receiver, Webhooks, load_receivers
from tests.conftest import write_config
from tests.unit.test_store import with_ack

SEED = "abandon ability able about above absent absorb abstract absurd abuse access accident"
TICKET = {
    "ref": "INB-000042",
    "category": "account",
    "language": "zh",
    "priority": "urgent",
    "state": "open",
    "customer": "dan.whitaker84@gmail.com",
    "subject": f"my seed is {SEED}",
    "facts": json.dumps({"secrets": [{"kind": "seed_phrase"}]}),
}


def test_payload_carries_the_ticket_but_no_customer_text_secret_or_address() -> None:
    data = webhooks.payload(
        "security_incident", "inboxd-k1", 1_796_000_000, ticket=TICKET, reason="customer secret redacted: seed_phrase"
    )
    text = webhooks.encode(data)
    assert data["ticket"]["ref"] == "INB-000042" and data["ticket"]["language"] == "zh"
    assert data["time"] == "2026-11-30T00:53:20+00:00" and data["id"] == "inboxd-k1"
    assert "abandon" not in text and "seed is" not in text and "subject" not in text and "facts" not in text
    assert "dan.whitaker84@gmail.com" not in text and "gmail.com" not in text
    assert data["ticket"]["customer"].startswith("d") and "@" in data["ticket"]["customer"]


def test_a_forged_senders_evidence_is_not_quoted() -> None:
    reason = "forged sender, not answered (dmarc=fail header.from=evil.example; call +1 555 0100)"
    data = webhooks.payload("escalation", "k", 0, ticket=TICKET, reason=reason)
    assert data["reason"] == "forged sender, not answered"
    with pytest.raises(ValueError, match="unknown event"):
        webhooks.payload("pager", "k", 0)


def test_signature_is_hmac_sha256_over_timestamp_and_body_and_verifies() -> None:
    body = b'{"event":"escalation"}'
    header = webhooks.signature("s3cret", 1_700_000_000, body)
    # The recipe of docs/notify.md, computed independently.
    mac = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={mac}"
    assert webhooks.verify("s3cret", header, body, now=1_700_000_100)
    assert not webhooks.verify("other", header, body, now=1_700_000_100)
    assert not webhooks.verify("s3cret", header, body + b" ", now=1_700_000_100)
    assert not webhooks.verify("s3cret", header, body, now=1_700_001_000)  # too old: a replay
    assert not webhooks.verify("s3cret", "v1=abc", body, now=1_700_000_000)
    headers = webhooks.headers("inboxd-k", "escalation", body, "s3cret", 1_700_000_000)
    assert headers["Idempotency-Key"] == "inboxd-k" and headers["X-Inboxd-Signature"] == header
    assert "X-Inboxd-Signature" not in webhooks.headers("inboxd-k", "escalation", body, None, 1)


def test_slack_body_is_one_text_field() -> None:
    data = webhooks.payload("escalation", "k", 0, ticket=TICKET, reason="matched account_takeover")
    body = json.loads(webhooks.body(data, "slack"))
    assert list(body) == ["text"]
    assert body["text"] == "*Ticket escalated* — INB-000042 (account, zh, urgent) · matched account_takeover"
    budget = webhooks.payload("volume_budget", "k", 0, counts={"max_per_hour": 1000})
    assert json.loads(webhooks.body(budget, "slack"))["text"].endswith("max_per_hour: 1000")


def test_the_json_body_is_the_recorded_text_byte_for_byte(tmp_path: Path) -> None:
    # The store hands the payload over decoded; every retry must still send the bytes recorded.
    store = Store(tmp_path / "s.sqlite3")
    assert store.emit_event("escalation", "acct", "INBOX", reason="客户说：提币未到账", counts={"b": 1, "a": 2})
    store.fan_out("acct", "INBOX", {"t": frozenset({"escalation"})})
    (recorded,) = store.notify_events()
    (delivery,) = store.deliveries_due("acct", "INBOX", ["t"], at=10**10, limit=10)
    assert isinstance(delivery.payload, dict) and delivery.payload["reason"] == "客户说：提币未到账"
    assert webhooks.body(delivery.payload, "json") == recorded["payload"].encode()
    store.close()


def test_backoff_doubles_from_ten_seconds_up_to_an_hour() -> None:
    assert [webhooks.backoff(n) for n in range(1, 11)] == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, "delivered"), (204, "delivered"), (408, "retry"), (429, "retry"), (500, "retry"), (503, "retry"),
     (400, "give_up"), (401, "give_up"), (404, "give_up"), (410, "give_up"), (302, "give_up")],
)  # fmt: skip
def test_what_an_answer_means(status: int, outcome: str) -> None:
    assert webhooks.outcome(status) == outcome


# -- config ---------------------------------------------------------------------------------------


def notify_config(tmp_path: Path, model_path: Path, entry: str) -> Path:
    return write_config(tmp_path, model_path=model_path, extra=f"\n[[notify]]\n{entry}\n")


@pytest.mark.parametrize(
    ("entry", "key", "words"),
    [
        ('url = "http://hooks.example.com/x"\nevents = ["escalation"]\nsecret_env = "S"', "notify.0.url",
         "http:// is allowed only to a loopback host"),
        ('url = "ftp://hooks.example.com/x"\nevents = ["escalation"]\nsecret_env = "S"', "notify.0.url",
         "not an http(s) URL"),
        ('url = "https://u:pw@hooks.example.com/x"\nevents = ["escalation"]\nsecret_env = "S"', "notify.0.url",
         "holds a user or password"),
        ('url = "https://hooks.example.com/x"\nevents = ["paging"]\nsecret_env = "S"', "notify.0.events.0",
         "'security_incident'"),
        ('url = "https://hooks.example.com/x"\nevents = []\nsecret_env = "S"', "notify.0.events", "at least 1"),
        ('url = "https://hooks.example.com/x"\nevents = ["escalation", "escalation"]\nsecret_env = "S"',
         "notify.0.events", "listed twice"),
        ('url = "https://hooks.example.com/x"\nevents = ["escalation"]', "notify.0", "needs secret_env or secret_file"),
        ('url = "https://hooks.example.com/x"\nevents = ["escalation"]\nsecret_env = "S"\nsecret_file = "f"',
         "notify.0", "not both"),
        ('url = "https://hooks.example.com/x"\nevents = ["escalation"]\nsecret = "plain"', "notify.0.secret",
         "unknown key"),
        ('url = "https://hooks.example.com/x"\nevents = ["escalation"]\nformat = "xml"\nsecret_env = "S"',
         "notify.0.format", "'json' or 'slack'"),
    ],
)  # fmt: skip
def test_bad_notify_entries_are_named(tmp_path: Path, model_path: Path, entry: str, key: str, words: str) -> None:
    path = notify_config(tmp_path, model_path, entry)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    found = [str(p) for p in info.value.problems]
    assert any(p.startswith(f"{path}: {key}: ") and words in p for p in found), found


def test_good_notify_entries_and_their_secrets(
    tmp_path: Path, model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hook-secret").write_text("from-a-file\n")
    path = notify_config(
        tmp_path,
        model_path,
        'url = "http://127.0.0.1:8080/hook"\nevents = ["escalation", "sla_breach"]\nsecret_file = "hook-secret"\n'
        '[[notify]]\nurl = "https://hooks.slack.com/services/T/B/X"\nevents = ["security_incident"]\nformat = "slack"\n'
        '[[notify]]\nurl = "https://pager.example.com/in"\nevents = ["volume_budget"]\nsecret_env = "HOOK_SECRET"\n'
        "timeout_seconds = 2",
    )
    config = load_config(path)
    assert [n.format for n in config.notify] == ["json", "slack", "json"]
    assert config.notify[0].secret_file == tmp_path / "hook-secret"
    with pytest.raises(ConfigError) as info:
        load_receivers(config)
    assert [str(p) for p in info.value.problems] == [
        f"{path}: notify[2].secret_env: environment variable HOOK_SECRET is not set"
    ]
    monkeypatch.setenv("HOOK_SECRET", "from-the-env")
    receivers = load_receivers(config)
    assert [r.secret for r in receivers] == ["from-a-file", None, "from-the-env"]
    assert "from-" not in repr(receivers)  # never in a log line or traceback


# -- the store's events, delivered ------------------------------------------------------------------


class Receiving:
    """A fake receiver: answers with the statuses given, in turn, and keeps what it got."""

    def __init__(self, *statuses: int | Exception):
        self.statuses = list(statuses)
        self.got: list[tuple[str, dict[str, str], bytes]] = []

    def __call__(self, url: str, data: bytes, headers: dict[str, str], timeout: float) -> int:
        self.got.append((url, headers, data))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if isinstance(status, Exception):
            raise status
        return status


def receiver(url: str = "https://hooks.example.com/a", events: tuple[str, ...] = webhooks.EVENTS) -> Receiver:
    cfg = NotifyConfig.model_validate_json(json.dumps({"url": url, "events": list(events), "secret_env": "S"}))
    return Receiver(webhooks.target_name(url), cfg, "k3y")


def test_an_event_is_retried_with_the_same_key_until_delivered(make_store: Callable[[], Store]) -> None:
    store = make_store()
    clock = [1000.0]
    post = Receiving(httpx.ConnectError("refused"), 503, 200)
    hooks = Webhooks([receiver()], "acct", "INBOX", post=post, clock=lambda: clock[0])
    assert store.emit_event("volume_budget", "acct", "INBOX", counts={"max_per_hour": 5}, key="vb:1")
    assert not store.emit_event("volume_budget", "acct", "INBOX", key="vb:1")  # once per period
    assert hooks.deliver(store).retrying == 1
    assert hooks.deliver(store).retrying == 0 and len(post.got) == 1  # not due before its backoff
    clock[0] += webhooks.backoff(1)
    assert hooks.deliver(store).retrying == 1
    clock[0] += webhooks.backoff(2)
    assert hooks.deliver(store).delivered == 1
    clock[0] += 10_000
    assert hooks.deliver(store).delivered == 0
    keys = {headers["Idempotency-Key"] for _, headers, _ in post.got}
    bodies = {data for _, _, data in post.got}
    assert keys == {"vb:1"} and len(bodies) == 1 and len(post.got) == 3
    for _, headers, data in post.got:
        assert webhooks.verify("k3y", headers["X-Inboxd-Signature"], data, now=clock[0], tolerance=1e6)
    (row,) = store.notify_events()
    assert row["state"] == "delivered" and row["attempts"] == 3


def test_a_refusal_is_final_and_an_old_event_is_given_up(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    clock = [1000.0]
    post = Receiving(404)
    hooks = Webhooks([receiver()], "acct", "INBOX", post=post, clock=lambda: clock[0])
    store.emit_event("volume_budget", "acct", "INBOX", key="a")
    assert hooks.deliver(store).failed == 1
    assert hooks.deliver(store).failed == 0 and len(post.got) == 1
    # A receiver that never answers: retried until the event is older than max_age_hours.
    down = Receiving(500)
    hooks = Webhooks([receiver()], "acct", "INBOX", post=down, clock=lambda: clock[0])
    store.emit_event("volume_budget", "acct", "INBOX", key="b")
    assert hooks.deliver(store).retrying == 1
    clock[0] = 1e10  # far beyond the event's time (recorded with the real clock)
    assert hooks.deliver(store).failed == 1
    assert [r["state"] for r in store.notify_events()] == ["failed", "failed"]


def test_only_the_kinds_a_receiver_asked_for_and_only_this_mailboxs(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    escalations, budget = Receiving(200), Receiving(200)
    hooks = Webhooks(
        [receiver("https://a.example/", ("escalation",)), receiver("https://b.example/", ("volume_budget",))],
        "acct", "INBOX", post=lambda url, *rest: (escalations if "a.example" in url else budget)(url, *rest),
    )  # fmt: skip
    store.emit_event("volume_budget", "acct", "INBOX", key="x")
    store.emit_event("volume_budget", "other", "INBOX", key="y")  # another mailbox's tick delivers it
    hooks.deliver(store)
    assert len(escalations.got) == 0
    assert [h["Idempotency-Key"] for _, h, _ in budget.got] == ["x"]


def test_a_receiver_that_does_not_answer_costs_one_attempt_per_tick(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    for i in range(MAX_PER_TICK + 5):
        store.emit_event("volume_budget", "acct", "INBOX", key=f"e{i}")
    down = Receiving(httpx.ConnectTimeout("timed out"))
    clock = [1000.0]
    hooks = Webhooks([receiver()], "acct", "INBOX", post=down, clock=lambda: clock[0])
    assert hooks.deliver(store).retrying == 1 and len(down.got) == 1
    store.emit_event("volume_budget", "acct", "INBOX", key="new")
    assert hooks.deliver(store).retrying == 0 and len(down.got) == 1  # the same tick's second round: it rests
    clock[0] += webhooks.backoff(1)
    assert hooks.deliver(store).retrying == 1 and len(down.got) == 2


def _decided(store: Store, uid: int, decision: Decision, plan: TicketPlan) -> str | None:
    claim = store.claim(_key(uid), None, f"h{uid}", 10)

    class Mail:
        message_id, content_hash, sender, reply_to, subject = f"<m{uid}@x>", f"h{uid}", "c@example.com", "", SEED

    def render(ref: str) -> OutgoingMail:
        return OutgoingMail("c@example.com", f"[#{ref}]", "body", f"<inboxd.{ref}.{uid}@x>", None, ())

    return store.record_decision(claim.row, Mail(), decision, **with_ack(store, plan, render))  # type: ignore[arg-type]


def _key(uid: int) -> MessageKey:
    return MessageKey("acct", "INBOX", 1, uid)


def test_events_are_committed_with_the_decision_that_caused_them(make_store: Callable[[], Store]) -> None:
    store = make_store()
    classification = Classification("account", 0.9, "account")
    secret = Decision(
        Action.ACK,
        language="en",
        classification=classification,
        facts=Facts(secrets=(Secret("seed_phrase", 0, len(SEED)),)),
    )
    incident = TicketPlan(
        None, "open", "urgent", (), Facts(), Escalation(SECURITY_REASON, "urgent"), False, "ack", True
    )
    ref = _decided(store, 1, secret, incident)
    plain = Decision(Action.ACK, language="en", classification=classification)
    rule = TicketPlan(
        None, "open", "high", (), Facts(), Escalation("matched account_takeover", "high"), False, "ack", False
    )
    _decided(store, 2, plain, rule)
    claim = store.claim(_key(3), None, "h3", 10)
    store.record_decision(claim.row, None, Decision(Action.QUARANTINE, reason=f"bad mail: {SEED}"))
    events = store.notify_events()
    assert [e["kind"] for e in events] == ["security_incident", "escalation", "quarantine"]
    first = json.loads(events[0]["payload"])
    assert first["ticket"]["ref"] == ref and first["reason"] == "customer secret redacted: seed_phrase"
    assert json.loads(events[1]["payload"])["reason"] == "matched account_takeover"
    assert json.loads(events[2]["payload"])["reason"] == f"record {claim.row}: `inboxd quarantine list`"
    assert all("abandon" not in e["payload"] and "c@example.com" not in e["payload"] for e in events)
    # An ack whose fate is unknown is one too, in the transaction that says so.
    (ack, *_) = store.acks_due()
    assert store.mark_sending(ack.id)
    store.recover_interrupted("acct", "INBOX")
    assert [e["kind"] for e in store.notify_events()][-1] == "ack_unknown_fate"


def test_a_ticket_already_escalated_does_not_page_again_for_each_followup(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    decision = Decision(Action.ACK, language="en", classification=Classification("account", 0.9, "account"))
    high = Escalation("3 follow-ups without an answer", "high")
    _decided(store, 1, decision, TicketPlan(None, "open", "normal", (), Facts(), None, False, "ack", False))
    ticket_id = 1
    followup = TicketPlan(ticket_id, "open", "high", (), Facts(), high, False, None, False)
    _decided(store, 2, decision, followup)
    _decided(store, 3, decision, followup)  # escalated already, same priority: no new page
    urgent = TicketPlan(ticket_id, "open", "urgent", (), Facts(), Escalation("matched account_takeover", "urgent"),
                        False, None, False)  # fmt: skip
    _decided(store, 4, decision, urgent)  # worse: a page
    reopened = TicketPlan(ticket_id, "open", "urgent", (), Facts(), high, True, None, False)
    _decided(store, 5, decision, reopened)  # back after its resolution: a page
    reasons = [json.loads(e["payload"])["reason"] for e in store.notify_events()]
    assert reasons == [
        "3 follow-ups without an answer",
        "matched account_takeover",
        "reopened: 3 follow-ups without an answer",
    ]


def test_sla_breach_and_phishing_report_can_be_emitted_for_a_ticket(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    decision = Decision(Action.ACK, language="en", classification=Classification("account", 0.9, "account"))
    ref = _decided(store, 1, decision, TicketPlan(None, "open", "normal", (), Facts(), None, False, "ack", False))
    assert ref is not None
    assert store.emit_for_ticket("sla_breach", ref, "first response due 2026-12-07T10:00+08:00", key=f"sla:{ref}:1")
    assert not store.emit_for_ticket("sla_breach", ref, "again", key=f"sla:{ref}:1")
    assert store.emit_for_ticket("phishing_report", ref, "a customer forwarded a suspected phishing mail")
    assert not store.emit_for_ticket("sla_breach", "INB-999999")
    assert [e["kind"] for e in store.notify_events()] == ["sla_breach", "phishing_report"]


def test_a_tickets_events_are_delivered_by_the_mailbox_of_its_first_mail(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    decision = Decision(Action.ACK, language="en", classification=Classification("account", 0.9, "account"))
    ref = _decided(store, 1, decision, TicketPlan(None, "open", "normal", (), Facts(), None, False, "ack", False))
    assert ref is not None
    later = store.claim(MessageKey("acct", "Archive", 1, 2), None, "h2", 10)  # the ticket's next mail, elsewhere

    class Mail:
        message_id, content_hash, sender, reply_to, subject = "<m2@x>", "h2", "c@example.com", "", f"Re: [#{ref}]"

    followup = TicketPlan(1, "open", "normal", (), Facts(), None, False, None, False)
    store.record_decision(later.row, Mail(), decision, plan=followup)  # type: ignore[arg-type]
    assert store.emit_for_ticket("phishing_report", ref, "a customer forwarded a suspected phishing mail")
    wanted = {"hook": frozenset({"phishing_report"})}
    assert store.fan_out("acct", "Archive", wanted) == 0
    assert store.fan_out("acct", "INBOX", wanted) == 1
