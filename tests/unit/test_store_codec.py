"""The JSON of the store's columns (inboxd.store.codec): the format earlier versions wrote, both ways."""

from __future__ import annotations

from datetime import UTC, datetime

from inboxd import webhooks
from inboxd.store.codec import facts_json, facts_of, mail_flags, missing_json, missing_of, payload_of
from inboxd.values import Amount, EventTime, Facts, Secret, TxId
from tests.unit.test_store_rows import FACTS, STORED_FACTS


def test_facts_are_written_as_they_always_were_and_read_back() -> None:
    assert facts_json(FACTS) == STORED_FACTS
    assert facts_of(STORED_FACTS) == FACTS
    assert facts_of(None) == Facts() and facts_of("") == Facts() and facts_of("{}") == Facts()


def test_a_secret_is_stored_by_its_kind_only() -> None:
    found = Facts(secrets=(Secret("seed_phrase", 12, 140, "subject"), Secret("password", 3, 9)))
    text = facts_json(found)
    assert '"secrets": [{"kind": "seed_phrase"}, {"kind": "password"}]' in text and "140" not in text
    assert facts_of(text).secrets == (Secret("seed_phrase", 0, 0), Secret("password", 0, 0))


def test_a_mails_facts_carry_its_lookalikes_for_the_sync() -> None:
    text = facts_json(Facts(secrets=(Secret("password", 0, 1),)), ["binance-support.help"])
    assert text.endswith('"secrets": [{"kind": "password"}], "lookalikes": ["binance-support.help"]}')
    assert mail_flags(text) == (True, True)
    assert mail_flags(facts_json(Facts())) == (False, False) and mail_flags(None) == (False, False)
    assert facts_of(text) == Facts(secrets=(Secret("password", 0, 0),))  # not a fact: the ticket has no lookalikes


def test_rows_of_older_versions_read() -> None:
    # Before networks, precisions and secrets were kept; non-ASCII as written by ensure_ascii=False.
    old = (
        '{"tx_ids": [{"value": "' + "cd" * 32 + '", "chain": "tron"}], "order_ids": ["提现-1"], '
        '"amounts": [{"value": "5", "asset": "USDT"}], "times": [{"text": "昨天", "value": null}, '
        '{"text": "10:00", "value": "2026-12-06T10:00:00+00:00"}]}'
    )
    assert facts_of(old) == Facts(
        tx_ids=(TxId("cd" * 32, "tron"),),
        order_ids=("提现-1",),
        amounts=(Amount("5", "USDT", None),),
        times=(EventTime("昨天", None), EventTime("10:00", datetime(2026, 12, 6, 10, 0, tzinfo=UTC))),
    )
    assert "提现-1" in facts_json(facts_of(old))


def test_missing_and_payload_round_trip() -> None:
    assert missing_json(("tx_id", "amount")) == '["tx_id", "amount"]' and missing_of('["tx_id", "amount"]') == (
        "tx_id",
        "amount",
    )
    assert missing_of(None) == ()
    stored = webhooks.encode(webhooks.payload("escalation", "k", 0, reason="客户投诉", counts={"n": 2}))
    assert payload_of(stored) == {"event": "escalation", "id": "k", "time": "1970-01-01T00:00:00+00:00",
                                  "reason": "客户投诉", "counts": {"n": 2}}  # fmt: skip
