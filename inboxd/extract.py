"""Facts in the customer's new text: transaction IDs, order IDs, amounts, times, account IDs.

Pure functions over text. Extraction runs on `ParsedEmail.new_text` only, so values
in quoted history or signatures are not taken for what the customer says now.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation

from inboxd.models import AccountId, Amount, EventTime, Facts, TxId

_HEX = "0-9a-fA-F"
_EVM_TX = re.compile(rf"(?<![{_HEX}xX])0[xX][{_HEX}]{{64}}(?![{_HEX}])")
_HEX64 = re.compile(rf"(?<![{_HEX}xX/.=_-])[{_HEX}]{{64}}(?![{_HEX}])")
_PRIVATE_KEY_CUE = re.compile(r"(private\s*key|priv\s*key|私钥|私鑰|密钥|secret\s*key)", re.I)
_TRON_CUE = re.compile(r"(trc-?20|tron|trx|波场|波場)", re.I)
_BTC_CUE = re.compile(r"(\bbtc\b|bitcoin|比特币|比特幣)", re.I)
_EVM_CUE = re.compile(r"(erc-?20|bep-?20|\beth\b|ethereum|etherscan|bscscan|arbitrum|polygon|以太坊)", re.I)

_ORDER_CUE = (
    r"(?:订单号|訂單號|订单编号|提现单号|提币单号|提幣單號|提现订单号|交易编号|交易單號|委托单号|委託單號|"
    r"流水号|单号|order\s*(?:id|no\.?|number|#)|withdraw(?:al)?\s*(?:id|no\.?|number)|trade\s*(?:id|no\.?)|"
    r"transaction\s*(?:id|no\.?|number)|ref(?:erence)?\s*(?:no\.?|#|number)?)"
)
_ORDER_ID = re.compile(
    _ORDER_CUE + r"\s*(?:is|是|为|為|:|：|#|=)?\s*[:：#]?\s*([A-Za-z0-9][A-Za-z0-9-]{5,47})(?![A-Za-z0-9])", re.I
)

ASSETS = (
    "BTC|ETH|USDT|USDC|BNB|TRX|SOL|XRP|ADA|DOGE|DOT|LTC|MATIC|POL|AVAX|LINK|TON|SHIB|BCH|ETC|"
    "FIL|ARB|OP|DAI|BUSD|FDUSD|TUSD|ATOM|NEAR|APT|SUI|PEPE|UNI|XLM|EOS|CNY|USD|EUR|HKD"
)
_NUMBER = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_AMOUNT = re.compile(rf"(?<![0-9A-Za-z.,]){_NUMBER}\s*(?:个|個|枚)?\s*({ASSETS})(?![A-Za-z])", re.I)
_AMOUNT_U = re.compile(rf"(?<![0-9A-Za-z.,]){_NUMBER}\s*(u|U)(?![A-Za-z])")
_AMOUNT_DOLLAR = re.compile(rf"\$\s?{_NUMBER}(?![\d])")
_NETWORK = re.compile(r"\b(TRC-?20|ERC-?20|BEP-?20|BEP-?2|SPL|Arbitrum(?: One)?|Polygon|Optimism|Solana|Base)\b", re.I)

_DATE_TIME = re.compile(
    r"(?<!\d)(20\d\d)[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]*(?:(上午|下午|晚上|凌晨|早上|中午)\s*)?(\d{1,2})(?:[:：点點时時](\d{1,2})?)?(?::(\d{2}))?\s*(am|pm)?)?"
    r"(?:\s*(UTC|GMT)\s*([+-]\d{1,2})?)?",
    re.I,
)
_CN_MONTH_DAY = re.compile(
    r"(?<!\d)(\d{1,2})月(\d{1,2})[日号號](?:\s*(上午|下午|晚上|凌晨|早上|中午)?\s*(\d{1,2})[点點:：时時](\d{1,2})?分?)?"
)
_RELATIVE_ZH = re.compile(
    r"(今天|昨天|前天|今早|昨晚|今晚)(?:\s*(上午|下午|晚上|凌晨|早上|中午))?(?:\s*(\d{1,2})[点點:：](\d{1,2})?)?"
)
_RELATIVE_EN = re.compile(
    r"\b(today|yesterday|this morning|last night|tonight|this afternoon)"
    r"(?:\s+(?:morning|afternoon|evening|night))?(?:\s+(?:at|around|about)\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?)?",
    re.I,
)
_CLOCK_EN = re.compile(r"\b(?:at|around|about)\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b", re.I)

_UID = re.compile(
    r"(?:\bUID|用户ID|用戶ID|用户编号|账户ID|帳戶ID|account\s*id)\s*(?:is|是|为|:|：|#)?\s*[:：]?\s*(\d{5,12})\b",
    re.I,
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(
    r"(?:手机号?|手機號?|电话|電話|phone|mobile|tel)\s*(?:number|号码|號碼|is|是|为|:|：)?\s*[:：]?\s*"
    r"(\+?\d[\d\s-]{6,18}\d)",
    re.I,
)


def _window(text: str, start: int, end: int, before: int = 60, after: int = 20) -> str:
    return text[max(0, start - before) : min(len(text), end + after)]


def _chain_for_hex64(context: str) -> str:
    if _TRON_CUE.search(context):
        return "tron"
    if _BTC_CUE.search(context):
        return "bitcoin"
    if _EVM_CUE.search(context):
        return "evm"
    return "unknown"


def transaction_ids(text: str) -> tuple[TxId, ...]:
    found: dict[str, TxId] = {}
    for m in _EVM_TX.finditer(text):
        if _PRIVATE_KEY_CUE.search(_window(text, m.start(), m.end(), 40, 0)):
            continue
        value = "0x" + m.group(0)[2:].lower()
        found.setdefault(value, TxId(value, "evm"))
    for m in _HEX64.finditer(text):
        if _PRIVATE_KEY_CUE.search(_window(text, m.start(), m.end(), 40, 0)):
            continue
        value = m.group(0).lower()
        found.setdefault(value, TxId(value, _chain_for_hex64(_window(text, m.start(), m.end(), 80, 40))))
    return tuple(found.values())


def order_ids(text: str, exclude: set[str]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for m in _ORDER_ID.finditer(text):
        value = m.group(1).rstrip("-")
        if not any(c.isdigit() for c in value) or value.lower() in exclude:
            continue
        found.setdefault(value, None)
    return tuple(found)


def _decimal(text: str) -> str | None:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    if value <= 0:
        return None
    normal = value.normalize()
    return f"{normal:f}"


def amounts(text: str) -> tuple[Amount, ...]:
    networks = [m.group(1).upper().replace("-", "") for m in _NETWORK.finditer(text)]
    network = networks[0] if len(set(networks)) == 1 else None
    found: dict[tuple[str, str], Amount] = {}
    for pattern, asset_of in (
        (_AMOUNT, lambda m: m.group(2).upper()),
        (_AMOUNT_U, lambda m: "USDT"),
        (_AMOUNT_DOLLAR, lambda m: "USD"),
    ):
        for m in pattern.finditer(text):
            value = _decimal(m.group(1))
            if value is None:
                continue
            asset = asset_of(m)
            found.setdefault(
                (value, asset),
                Amount(value, asset, network if asset not in ("USD", "CNY", "EUR", "HKD") else None),
            )
    return tuple(found.values())


def _hour(hour: int, marker: str | None) -> int:
    marker = (marker or "").lower()
    if marker in ("下午", "晚上", "pm") and hour < 12:
        return hour + 12
    if marker in ("am", "凌晨") and hour == 12:
        return 0
    return hour


def times(text: str, received: datetime | None, zone: tzinfo) -> tuple[EventTime, ...]:
    """Times the customer states, resolved against the mail's Date and the default zone."""
    # The customer's "yesterday" and "3pm" are in their own zone: the Date header's
    # offset is the best evidence of it; the configured zone when there is no Date.
    if received is not None and received.tzinfo is not None:
        reference = received
        zone = received.tzinfo
    else:
        reference = received.replace(tzinfo=zone) if received else datetime.now(zone)
    found: list[EventTime] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], value: datetime | None, precision: str = "minute") -> None:
        if any(s <= m.start() < e for s, e in taken):
            return
        taken.append((m.start(), m.end()))
        found.append(EventTime(m.group(0).strip(), value, precision))

    for m in _DATE_TIME.finditer(text):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        hour = _hour(int(m.group(5)), m.group(4) or m.group(8)) if m.group(5) else 0
        minute = int(m.group(6) or 0)
        tz: tzinfo = zone
        if m.group(9):
            tz = timezone(timedelta(hours=int(m.group(10) or 0)))
        try:
            add(m, datetime(year, month, day, hour, minute, tzinfo=tz), "minute" if m.group(5) else "day")
        except ValueError:
            continue
    for m in _CN_MONTH_DAY.finditer(text):
        month, day = int(m.group(1)), int(m.group(2))
        hour = _hour(int(m.group(4)), m.group(3)) if m.group(4) else 0
        try:
            value = datetime(reference.year, month, day, hour, int(m.group(5) or 0), tzinfo=zone)
        except ValueError:
            continue
        if value > reference + timedelta(days=1):
            value = value.replace(year=value.year - 1)  # "12月30日" written in January
        add(m, value, "minute" if m.group(4) else "day")
    for m in _RELATIVE_ZH.finditer(text):
        days = {"今天": 0, "今早": 0, "今晚": 0, "昨天": 1, "昨晚": 1, "前天": 2}[m.group(1)]
        marker = m.group(2) or {"昨晚": "晚上", "今晚": "晚上"}.get(m.group(1))
        base = reference - timedelta(days=days)
        clock = _hour(int(m.group(3)), marker) if m.group(3) else None
        if clock is not None and clock < 24:
            add(m, base.replace(hour=clock, minute=int(m.group(4) or 0), second=0, microsecond=0))
        else:
            add(m, base.replace(hour=0, minute=0, second=0, microsecond=0), "day")
    for m in _RELATIVE_EN.finditer(text):
        word = m.group(1).lower()
        days = 1 if word in ("yesterday", "last night") else 0
        base = reference - timedelta(days=days)
        clock = _hour(int(m.group(2)), m.group(4)) if m.group(2) else None
        if clock is not None and clock < 24:
            add(m, base.replace(hour=clock, minute=int(m.group(3) or 0), second=0, microsecond=0))
        else:
            add(m, base.replace(hour=0, minute=0, second=0, microsecond=0), "day")
    for m in _CLOCK_EN.finditer(text):
        hour = _hour(int(m.group(1)), m.group(3))
        if hour < 24:
            add(m, reference.replace(hour=hour, minute=int(m.group(2) or 0), second=0, microsecond=0))
    return tuple(found)


def account_ids(text: str, own_addresses: frozenset[str]) -> tuple[AccountId, ...]:
    found: dict[tuple[str, str], AccountId] = {}
    for m in _UID.finditer(text):
        found.setdefault(("uid", m.group(1)), AccountId("uid", m.group(1)))
    for m in _EMAIL.finditer(text):
        value = m.group(0).lower().rstrip(".")
        if value not in own_addresses:
            found.setdefault(("email", value), AccountId("email", value))
    for m in _PHONE.finditer(text):
        value = re.sub(r"[\s-]", "", m.group(1))
        found.setdefault(("phone", value), AccountId("phone", value))
    return tuple(found.values())


def extract_facts(
    text: str, received: datetime | None, zone: tzinfo, own_addresses: frozenset[str] = frozenset()
) -> Facts:
    tx = transaction_ids(text)
    exclude = {t.value.lower() for t in tx} | {t.value[2:].lower() for t in tx if t.value.startswith("0x")}
    return Facts(
        tx_ids=tx,
        order_ids=order_ids(text, exclude),
        amounts=amounts(text),
        times=times(text, received, zone),
        account_ids=account_ids(text, own_addresses),
    )
