"""Facts from the customer's new text, in Chinese and English (positive and negative cases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from inboxd.extract import (
    account_ids,
    addresses,
    amounts,
    compile_rules,
    extract_facts,
    order_ids,
    times,
    transaction_ids,
)
from inboxd.extract.amounts import chinese_number

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


# -- chain families, explorers and look-alikes ------------------------------------------------------

SOL_SIG = "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW"
PGP_BLOCK = "-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEE" + HEX + "\n=q0Xx\n-----END PGP SIGNATURE-----"
BASE64_BLOCK = "\n".join(["QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo+/" + HEX[:40]] * 3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Solana 转账签名 {SOL_SIG}", [(SOL_SIG, "solana")]),
        (f"https://solscan.io/tx/{SOL_SIG}", [(SOL_SIG, "solana")]),
        (f"https://tronscan.org/#/transaction/{HEX}", [(HEX, "tron")]),
        (f"see https://mempool.space/tx/{HEX} please", [(HEX, "bitcoin")]),
        (f"比特币提现，交易哈希 {HEX.upper()}", [(HEX, "bitcoin")]),
        (f"USDT 波场链 转账 {HEX}", [(HEX, "tron")]),
        (f"I exported the private key:\n\n{HEX}\n\nis it valid?", []),
        (f"my key is 0x{HEX}", []),
        (f"The SHA-256 checksum of the apk is {HEX}", []),
        (f"安装包的SHA256校验值是 {HEX}", []),
        (f"git commit {HEX}", []),
        (f"GET /api/v3/order?timestamp=1763600000000&signature={HEX}", []),
        (f"Message-ID: <{HEX}@mail.example.com>", []),
        (f"https://cdn.example.com/static/js/main.{HEX}.js", []),
        (PGP_BLOCK, []),
        (BASE64_BLOCK, []),
        (f"wallet {SOL_SIG[:40]}", []),  # too short for a signature
    ],
)
def test_transaction_ids_by_chain_and_negatives(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(t.value, t.chain) for t in transaction_ids(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Bitcoin: P2PKH, P2SH, bech32 v0 (20 and 32 bytes), bech32m taproot, upper-case bech32
        ("send to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", [("bitcoin", True)]),
        ("充值地址 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", [("bitcoin", True)]),
        ("to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4.", [("bitcoin", True)]),
        ("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", [("bitcoin", True)]),
        ("taproot bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", [("bitcoin", True)]),
        ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", [("bitcoin", True)]),
        # EVM: EIP-55, all lower-case (no checksum to verify), mistyped case
        ("ERC20 地址 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", [("evm", True)]),
        ("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", [("evm", True)]),
        ("to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", [("evm", False)]),
        # Tron, and a mistyped Tron address
        ("TRC20 地址：TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", [("tron", True)]),
        ("to TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj7t", [("tron", False)]),
        # mistyped Bitcoin addresses: one character changed, two swapped
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", [("bitcoin", False)]),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DifvNa", [("bitcoin", False)]),
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", [("bitcoin", False)]),
        # taproot written with the old bech32 checksum (BIP-350 makes it invalid)
        (
            "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
            [("bitcoin", False)],
        ),
        # explorer address pages count; other URLs and IDs do not
        ("https://tronscan.org/#/address/TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", [("tron", True)]),
        ("https://cdn.example.com/a/1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa/x.png", []),
        ("<1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa@mail.example.com>", []),
        ("order 13800138000138001380013800 is late", []),  # digits only: not base58 noise
        ("a 0x + 64 hex transaction is not an address: 0x" + HEX, []),
    ],
)
def test_addresses(text: str, expected: list[tuple[str, bool]]) -> None:
    assert [(a.chain, a.valid) for a in addresses(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P2P order no. 9703586521705874229 – I paid", ["9703586521705874229"]),
        ("My withdrawal 340857255168291035 of 95 USDT failed", ["340857255168291035"]),
        (
            "order IDs 1849203384756102938, 1849203384756102939 and 1849203384756102940",
            ["1849203384756102938", "1849203384756102939", "1849203384756102940"],
        ),
        ("C2C订单号（买入）：2410006462040466123", ["2410006462040466123"]),
        ("委托单号 8f14e45f-ceea-467a-9b5d-1a2b3c4d5e6f", ["8f14e45f-ceea-467a-9b5d-1a2b3c4d5e6f"]),
        ("OTC order ref # OTC-20261120-0042", ["OTC-20261120-0042"]),
        ("ref #TXZL92SB7HGA", ["TXZL92SB7HGA"]),
        ("工单号 INB-000123 还没有人回复", []),  # our ticket number
        ("ref # INB-000123", []),
        ("order of 2 BTC", []),
        ("订单号是多少我不记得了", []),
        ("trade id please", []),
    ],
)
def test_order_ids_in_context(text: str, expected: list[str]) -> None:
    assert list(order_ids(text, set())) == expected


def test_order_rules_come_from_operator_config() -> None:
    rules = compile_rules(["工单", "case"], [r"CASE-\d{4}"], [])
    assert order_ids("see case CASE-1234 and 订单号 1849203384756102938", set(), rules) == ("CASE-1234",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("五百USDT", [("500", "USDT", None)]),
        ("转了两千U", [("2000", "USDT", None)]),
        ("一千二百五十个USDT", [("1250", "USDT", None)]),
        ("被转走了2万U", [("20000", "USDT", None)]),
        ("大概1.5万u", [("15000", "USDT", None)]),
        ("0.05个比特币", [("0.05", "BTC", None)]),
        ("付了7,200元", [("7200", "CNY", None)]),
        ("USDT 3,000 via ERC20", [("3000", "USDT", "ERC20")]),
        ("1,000.00 USDC on Arbitrum One", [("1000", "USDC", "Arbitrum")]),
        ("300 USDT (TRC20) and 0.5 BTC", [("300", "USDT", "TRC20"), ("0.5", "BTC", None)]),
        ("sent 50 USDT by BEP20 and 20 USDT by ERC20", [("50", "USDT", "BEP20"), ("20", "USDT", "ERC20")]),
        ("以下几笔都没到：\n1、300U\n2、88.8U\n都是TRC20转的", [("300", "USDT", "TRC20"), ("88.8", "USDT", "TRC20")]),
        ("bought at a price of 58,214.30 USDT", []),
        ("成交价 3412.56 USDT", []),
        ("BTC 2026-11-20 14:00", []),
        ("USDT 24 hours later", []),
        ("提币单号 5626555641520408845\n比特币交易哈希", []),
        ("fee 5% USDT", []),
    ],
)
def test_amounts_with_chinese_numerals_and_networks(text: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert [(a.value, a.asset, a.network) for a in amounts(text)] == expected


def test_chinese_numbers() -> None:
    assert chinese_number("五百") == 500
    assert chinese_number("十五") == 15
    assert chinese_number("三千五百") == 3500
    assert chinese_number("一万二千") == 12000
    assert chinese_number("五五") is None


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("Nov 20 at 3pm", datetime(2026, 11, 20, 15, 0, tzinfo=CST), "minute"),
        ("on 20 November 2026, 14:32 UTC", datetime(2026, 11, 20, 14, 32, tzinfo=UTC), "minute"),
        ("2026年11月20日 下午3点", datetime(2026, 11, 20, 15, 0, tzinfo=CST), "minute"),
        ("2026-11-20 09:15 UTC+8", datetime(2026, 11, 20, 9, 15, tzinfo=CST), "minute"),
        ("2026-11-20 14:32（北京时间）", datetime(2026, 11, 20, 14, 32, tzinfo=CST), "minute"),
        ("12月30日", datetime(2025, 12, 30, 0, 0, tzinfo=CST), "day"),  # last December, not next
        ("前天", datetime(2026, 11, 19, 0, 0, tzinfo=CST), "day"),
        # A date joined to its time by a word, a sign or a comma keeps the time of day.
        ("2026-11-20 at 09:30 UTC", datetime(2026, 11, 20, 9, 30, tzinfo=UTC), "minute"),
        ("20 Nov 2026 at 9:30am", datetime(2026, 11, 20, 9, 30, tzinfo=CST), "minute"),
        ("2026-11-20 at 09:30 UTC+8", datetime(2026, 11, 20, 9, 30, tzinfo=CST), "minute"),
        ("2026年11月20日 上午9点30分", datetime(2026, 11, 20, 9, 30, tzinfo=CST), "minute"),
        ("2026-11-20 at around 21:05", datetime(2026, 11, 20, 21, 5, tzinfo=CST), "minute"),
        ("2026/11/20 around 9:30pm", datetime(2026, 11, 20, 21, 30, tzinfo=CST), "minute"),
        ("2026-11-20 @ 09:30 GMT", datetime(2026, 11, 20, 9, 30, tzinfo=UTC), "minute"),
        ("2026-11-20，09:30", datetime(2026, 11, 20, 9, 30, tzinfo=CST), "minute"),
        ("2026年11月20日，下午3点", datetime(2026, 11, 20, 15, 0, tzinfo=CST), "minute"),
        ("11月20日，上午9点30分", datetime(2026, 11, 20, 9, 30, tzinfo=CST), "minute"),
        ("2026-11-20T09:30:00Z", datetime(2026, 11, 20, 9, 30, tzinfo=UTC), "minute"),
        ("2026-11-20T09:30", datetime(2026, 11, 20, 9, 30, tzinfo=CST), "minute"),
        ("Nov 20 @ 9:30pm", datetime(2026, 11, 20, 21, 30, tzinfo=CST), "minute"),
        # After a joiner, a number that is not a clock leaves the date alone.
        ("2026-11-20 at 3 people", datetime(2026, 11, 20, 0, 0, tzinfo=CST), "day"),
        ("2026-11-20，3个BTC", datetime(2026, 11, 20, 0, 0, tzinfo=CST), "day"),
    ],
)
def test_more_time_forms(text: str, value: datetime, precision: str) -> None:
    found = times(text, RECEIVED, UTC)
    assert found and found[0].value == value and found[0].precision == precision
    assert len(found) == 1, found  # not the date, and then its clock again against the mail's date


@pytest.mark.parametrize(
    "text",
    [
        "Message-ID: <20261120143200.GA12345@laptop>",
        "https://exchange.example/2026/11/20/notice",
        "version 11.20.3",
    ],
)
def test_no_time_in_identifiers(text: str) -> None:
    assert times(text, RECEIVED, UTC) == ()


def test_extract_facts_reads_everything_once() -> None:
    text = (
        "提币单号 W20261120143255781，0.5 BTC 提到 bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4，"
        f"交易哈希 {HEX}，UID 58213904"
    )
    facts = extract_facts(text, RECEIVED, UTC)
    assert facts.order_ids == ("W20261120143255781",)
    assert [(t.value, t.chain) for t in facts.tx_ids] == [(HEX, "bitcoin")]
    assert [(a.value, a.valid) for a in facts.addresses] == [("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", True)]
    assert [(a.value, a.asset) for a in facts.amounts] == [("0.5", "BTC")]
    assert facts.kinds_present() >= {"order_id", "tx_id", "address", "amount", "account_id"}
