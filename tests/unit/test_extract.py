"""Facts from the customer's new text, in Chinese and English (positive and negative cases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from inboxd.extract import account_ids, amounts, extract_facts, order_ids, times, transaction_ids

EVM = "0x" + "ab12" * 16
HEX = "9a3f5e7c1b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d2f4a"
CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"TXID: {EVM}", [(EVM, "evm")]),
        (f"交易哈希：{EVM.upper().replace('0X', '0x')}", [(EVM, "evm")]),
        (f"https://etherscan.io/tx/{EVM}", [(EVM, "evm")]),
        (f"TRC20 转账，哈希 {HEX}", [(HEX, "tron")]),
        (f"my BTC withdrawal txid {HEX}", [(HEX, "bitcoin")]),
        (f"hash {HEX}", [(HEX, "unknown")]),
        (f"{EVM} and again {EVM}", [(EVM, "evm")]),
        (f"my private key is {HEX} please help", []),
        (f"私钥：{EVM}", []),
        ("0x" + "ab" * 31, []),  # 62 hex: too short
        (HEX + "ff", []),  # 66 hex: not a hash
        ("see https://cdn.example.com/" + HEX + "/img.png", []),
    ],
)
def test_transaction_ids(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(t.value, t.chain) for t in transaction_ids(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("订单号：1849203384756102938", ["1849203384756102938"]),
        ("提现单号 W20261120143255781", ["W20261120143255781"]),
        ("Order ID: 1849203384756102938.", ["1849203384756102938"]),
        ("withdrawal id is WD-77123-9981", ["WD-77123-9981"]),
        ("交易编号是 T9921883", ["T9921883"]),
        ("my order was filled late", []),
        ("ref number please", []),
    ],
)
def test_order_ids(text: str, expected: list[str]) -> None:
    assert list(order_ids(text, set())) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I sent 0.5 BTC", [("0.5", "BTC")]),
        ("withdrew 1,250.50 USDT via TRC20", [("1250.5", "USDT")]),
        ("充了500u", [("500", "USDT")]),
        ("转了 0.3个ETH", [("0.3", "ETH")]),
        ("3000 USDT（TRC20）", [("3000", "USDT")]),
        ("paid $1,000 by card", [("1000", "USD")]),
        ("2FA code 123456", []),
        ("on 2026-11-20 at 14:32", []),
    ],
)
def test_amounts(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(a.value, a.asset) for a in amounts(text)] == expected


def test_amount_network_when_stated_once() -> None:
    assert [a.network for a in amounts("sent 100 USDT on TRC20")] == ["TRC20"]
    assert [a.network for a in amounts("sent 100 USDT")] == [None]


RECEIVED = datetime(2026, 11, 21, 10, 0, tzinfo=CST)


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("2026-11-20 14:32 UTC", datetime(2026, 11, 20, 14, 32, tzinfo=UTC), "minute"),
        ("on 2026/11/20", datetime(2026, 11, 20, 0, 0, tzinfo=CST), "day"),
        ("11月20日下午3点", datetime(2026, 11, 20, 15, 0, tzinfo=CST), "minute"),
        ("昨天晚上8点左右", datetime(2026, 11, 20, 20, 0, tzinfo=CST), "minute"),
        ("昨天", datetime(2026, 11, 20, 0, 0, tzinfo=CST), "day"),
        ("yesterday around 3pm", datetime(2026, 11, 20, 15, 0, tzinfo=CST), "minute"),
        ("this morning", datetime(2026, 11, 21, 0, 0, tzinfo=CST), "day"),
    ],
)
def test_times_resolve_against_the_mail_date(text: str, value: datetime, precision: str) -> None:
    found = times(text, RECEIVED, UTC)
    assert found, text
    assert found[0].value == value
    assert found[0].precision == precision


def test_times_use_the_default_zone_without_a_date_header() -> None:
    found = times("2026-11-20 14:32", None, CST)
    assert found[0].value == datetime(2026, 11, 20, 14, 32, tzinfo=CST)


def test_no_time_in_plain_text() -> None:
    assert times("please check my withdrawal", RECEIVED, UTC) == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My UID is 58213904", [("uid", "58213904")]),
        ("用户ID：71230045", [("uid", "71230045")]),
        ("registered email is sooah.kim@naver.example", [("email", "sooah.kim@naver.example")]),
        ("手机号 138 0013 8000", [("phone", "13800138000")]),
        ("write to support@exchange.test", []),
    ],
)
def test_account_ids(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(a.kind, a.value) for a in account_ids(text, frozenset({"support@exchange.test"}))] == expected


def test_order_id_is_not_a_repeat_of_the_hash() -> None:
    facts = extract_facts(f"transaction id: {HEX}", RECEIVED, UTC)
    assert [t.value for t in facts.tx_ids] == [HEX]
    assert facts.order_ids == ()
