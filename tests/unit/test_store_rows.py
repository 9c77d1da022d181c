"""The store's read side returns typed rows: tuples for lists, `Facts` for facts, bools for flags,
never a JSON string or a dict (inboxd.store.rows). Both backends.

The rows are written with SQL here, as the write side leaves them, so that these tests say what
a read returns whatever the write path looks like.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from inboxd.store import Store
from inboxd.store.rows import (
    MailboxCounts,
    MessageRow,
    QuarantineRow,
    TicketAck,
    TicketDetail,
    TicketEvent,
    TicketMessage,
    TicketRow,
)
from inboxd.values import AccountId, Amount, EventTime, Facts, Secret, TxId, WalletAddress

FACTS = Facts(
    tx_ids=(TxId("0x" + "ab" * 32, "evm"),),
    order_ids=("ORD-77",),
    amounts=(Amount("0.5", "BTC", "bitcoin"),),
    times=(EventTime("yesterday 14:00", datetime(2026, 12, 6, 14, 0, tzinfo=UTC)),),
    account_ids=(AccountId("uid", "12345678"),),
    addresses=(WalletAddress("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "bitcoin", True),),
    secrets=(Secret("seed_phrase", 0, 0),),
)
# FACTS as every version so far has written them to a `facts` column (inboxd.store.codec keeps this format).
STORED_FACTS = (
    '{"tx_ids": [{"value": "0x' + "ab" * 32 + '", "chain": "evm"}], "order_ids": ["ORD-77"], '
    '"amounts": [{"value": "0.5", "asset": "BTC", "network": "bitcoin"}], '
    '"times": [{"text": "yesterday 14:00", "value": "2026-12-06T14:00:00+00:00", "precision": "minute"}], '
    '"account_ids": [{"kind": "uid", "value": "12345678"}], '
    '"addresses": [{"value": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "chain": "bitcoin", "valid": true}], '
    '"secrets": [{"kind": "seed_phrase"}]}'
)


def seed(store: Store, account: str = "acct") -> dict[str, int]:
    """A ticket with two mails (one quarantined), an ack and two history lines; a poll recorded."""
    db = store._db
    ticket = db.execute(
        "INSERT INTO tickets (ref, customer, subject, category, language, state, priority, missing, created_at, "
        "updated_at, subject_key, facts, escalated, escalation_reason, security_incident, sender_verdict, "
        "first_response_due) VALUES ('INB-000001', 'c@example.com', 'Deposit not credited', 'deposit_withdrawal', "
        "'en', 'open', 'urgent', ?, 100.0, 200.0, 'deposit not credited', ?, 1, 'customer secret', 1, 'pass', 50.0) "
        "RETURNING id",
        (json.dumps(["tx_id", "amount"]), STORED_FACTS),
    ).fetchone()["id"]
    mail = db.execute(
        "INSERT INTO messages (account, folder, uidvalidity, uid, message_id, content_hash, size, state, action, "
        "sender, subject, language, category, confidence, facts, missing, ticket_id, role, created_at, updated_at) "
        "VALUES (?, 'INBOX', 1, 7, '<m7@x>', 'h7', 700, 'decided', 'ack', 'c@example.com', "
        "'Deposit not credited', 'en', 'deposit_withdrawal', 0.93, '{}', ?, ?, 'new', 110.0, 110.0) RETURNING id",
        (account, json.dumps(["tx_id"]), ticket),
    ).fetchone()["id"]
    quarantined = db.execute(
        "INSERT INTO messages (account, folder, uidvalidity, uid, message_id, content_hash, size, state, action, "
        "reason, created_at, updated_at) VALUES (?, 'INBOX', 1, 8, NULL, 'h8', 9000000, 'decided', "
        "'quarantine', 'too large', 120.0, 120.0) RETURNING id",
        (account,),
    ).fetchone()["id"]
    ack = db.execute(
        "INSERT INTO acks (message_row, ticket_id, kind, to_addr, to_domain, subject, body, message_id, refs, state, "
        "attempts, created_at, updated_at) VALUES (?, ?, 'ack', 'c@example.com', 'example.com', "
        "'Re: Deposit not credited [#INB-000001]', 'body', '<inboxd.a@x>', '[]', 'pending', 0, 111.0, 111.0) "
        "RETURNING id",
        (mail, ticket),
    ).fetchone()["id"]
    for at, kind, detail, row in ((110.0, "opened", "deposit_withdrawal", mail), (130.0, "note", "checked", None)):
        db.execute(
            "INSERT INTO ticket_events (ticket_id, at, kind, detail, message_row) VALUES (?, ?, ?, ?, ?)",
            (ticket, at, kind, detail, row),
        )
    store.record_poll("default", account, "INBOX", backlog=4, seconds=0.25)
    return {"ticket": ticket, "mail": mail, "quarantined": quarantined, "ack": ack}


def test_tickets_are_typed_rows_with_facts_and_tuples(make_store: Callable[[], Store]) -> None:
    store = make_store()
    ids = seed(store)
    (t,) = store.tickets()
    assert type(t) is TicketRow and t.id == ids["ticket"] and t.ref == "INB-000001"
    assert t.missing == ("tx_id", "amount")
    # The facts as the write side stored them, secrets as their kind only.
    assert t.facts == FACTS
    assert t.escalated is True and t.security_incident is True and t.sender_verdict == "pass"
    assert t.first_response_due == 50.0 and t.resolution_due is None and t.sla_breach is None
    assert store.tickets(state="resolved") == [] and store.tickets(escalated=False) == []
    assert store.security_incidents() == [t]


def test_a_ticket_comes_with_its_mails_acks_and_history(make_store: Callable[[], Store]) -> None:
    store = make_store()
    ids = seed(store)
    t = store.ticket("INB-000001")
    assert isinstance(t, TicketDetail) and t.facts == FACTS and t.missing == ("tx_id", "amount")
    assert t.messages == (
        TicketMessage(ids["mail"], "INBOX", 7, "<m7@x>", "c@example.com", None, None, None,
                      "Deposit not credited", "ack", "new", "deposit_withdrawal", None, 110.0),
    )  # fmt: skip
    assert t.acks == (
        TicketAck(ids["ack"], "ack", "c@example.com", "Re: Deposit not credited [#INB-000001]", "pending", 0, None,
                  111.0, None),
    )  # fmt: skip
    assert t.events == (
        TicketEvent(110.0, "opened", "deposit_withdrawal", ids["mail"]),
        TicketEvent(130.0, "note", "checked", None),
    )
    assert store.ticket("INB-999999") is None


def test_decided_and_quarantined_mail_are_typed_rows(make_store: Callable[[], Store]) -> None:
    store = make_store()
    ids = seed(store)
    assert store.message_rows([ids["quarantined"], ids["mail"]]) == [
        MessageRow(ids["mail"], 7, "<m7@x>", "c@example.com", "Deposit not credited", "en", "ack", None, None,
                   "deposit_withdrawal", 0.93, "INB-000001", "pending", "Re: Deposit not credited [#INB-000001]",
                   ("tx_id",)),
        MessageRow(ids["quarantined"], 8, None, None, None, None, "quarantine", None, "too large", None, None, None,
                   None, None, ()),
    ]  # fmt: skip
    assert store.message_rows([]) == []
    quarantined = QuarantineRow(ids["quarantined"], "acct", "INBOX", 1, 8, None, "h8", 9000000, None, None,
                                "too large", 120.0)  # fmt: skip
    assert store.quarantined() == [quarantined] and store.quarantined(ids["quarantined"]) == [quarantined]
    assert store.quarantined(ids["mail"]) == []


def test_mailbox_status_and_counts_are_typed(make_store: Callable[[], Store]) -> None:
    store = make_store()
    seed(store)
    status = store.mailbox_status()["default"]
    assert (status.account, status.folder, status.backlog, status.last_seconds) == ("acct", "INBOX", 4, 0.25)
    assert status.last_success_at is not None and status.last_error is None
    assert store.mailbox_counts("acct") == MailboxCounts(acks=(("pending", 1),), quarantined=1)
    assert store.mailbox_counts("other") == MailboxCounts(acks=(), quarantined=0)
