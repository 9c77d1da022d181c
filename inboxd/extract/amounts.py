"""Amounts with their asset, and the network when the text names it for that amount.

`0.5 BTC`, `1,200.50 USDT`, `500u`, `0.3个ETH`, `五百USDT`, `2万U`, `$1,000`, `7,200元`.
Values are plain decimals (no grouping, no trailing zeros). A price (`price 58,000 USDT`,
`@ 3,400 USDT`), a count or a percentage is not an amount. The network (TRC20, ERC20,
BEP20 …) is the one named closest to the amount in the same sentence; for a token that
travels on several networks (USDT, USDC, ETH …), else the one network the mail names.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from inboxd.extract.context import Masked, as_masked, may_hold
from inboxd.values import Amount

ASSETS = (
    "USDT|USDC|FDUSD|TUSD|BUSD|DAI|BTC|WBTC|ETH|WETH|BNB|TRX|SOL|XRP|ADA|DOGE|DOT|LTC|MATIC|POL|AVAX|LINK|TON|SHIB|"
    "BCH|ETC|FIL|ARB|OP|ATOM|NEAR|APT|SUI|PEPE|UNI|XLM|EOS|CNY|RMB|USD|EUR|GBP|HKD"
)
_FIAT = frozenset({"USD", "CNY", "EUR", "GBP", "HKD"})
# Tokens that travel on several networks: the one network a mail names is theirs. A coin
# on its own chain (BTC, TRX, XRP …) gets a network only when named next to it.
_MULTI_NETWORK = frozenset(
    {"USDT", "USDC", "FDUSD", "TUSD", "BUSD", "DAI", "ETH", "WETH", "WBTC", "BNB", "SHIB", "PEPE", "LINK", "UNI",
     "ARB", "OP", "POL", "MATIC", "SOL"}
)  # fmt: skip
# Chinese names of assets, longest first.
_ASSET_WORDS = {
    "比特币": "BTC", "比特幣": "BTC", "以太坊": "ETH", "以太币": "ETH", "以太幣": "ETH", "泰达币": "USDT",
    "泰達幣": "USDT", "狗狗币": "DOGE", "莱特币": "LTC", "波场币": "TRX", "人民币": "CNY", "人民幣": "CNY",
    "美元": "USD", "美金": "USD", "港币": "HKD", "港元": "HKD", "欧元": "EUR", "元": "CNY", "块钱": "CNY", "块": "CNY",
}  # fmt: skip
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}

_ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CHINESE = r"[零〇一二两兩三四五六七八九十拾百佰千仟万萬亿億]+"
_NUMBER = rf"(?P<num>(?:{_ARABIC})[ \t]*[万萬千亿億]?|{_CHINESE})"
_ASSET = rf"(?P<asset>{ASSETS}|{'|'.join(sorted(_ASSET_WORDS, key=len, reverse=True))}|[uU](?![A-Za-z]))"
_AMOUNT = re.compile(rf"(?<![0-9A-Za-z.,]){_NUMBER}[ \t]*(?:个|個|枚)?[ \t]*{_ASSET}(?![A-Za-z])", re.I)
# "USDT 3,000": the code first, written in capitals, then a number that is not a date,
# a time, a duration or a percentage.
_ASSET_FIRST = re.compile(
    rf"(?<![A-Za-z])(?P<asset>{ASSETS})[ \t]?[:：]?[ \t]?(?P<num>{_ARABIC})"
    r"(?![\d.,]*[-/:%\d])(?![ \t]*(?:hours?|hrs?|h\b|days?|mins?|minutes?|seconds?|confirmations?|小时|天|分钟|个确认))"
)
# What _ASSET_FIRST starts with, without its look-behind: a search that skips to a capital letter.
_ASSET_CODE = re.compile(ASSETS)
_CURRENCY_SIGN = re.compile(rf"(?P<sign>US\$|\$|€|£|¥|￥|HK\$)\s?(?P<num>{_ARABIC})(?![\d.])")
_SIGN_ASSET = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY", "￥": "CNY", "HK$": "HKD"}

_PRICE_BEFORE = re.compile(
    r"(?:price|priced|rate|@|价格|價格|单价|單價|均价|均價|成交价|成交價|限价|限價|市价|市價|挂单价|掛單價)\s*(?:of|at|is|was|:|：|为|是|在)?\s*$",
    re.I,
)
_PRICE_AFTER = re.compile(r"^\s*(?:/|per\b|每|一个|each\b)", re.I)

_NETWORKS = (
    ("TRC20", r"TRC-?20|波场|波場|Tron\s+network"),
    ("ERC20", r"ERC-?20"),
    ("BEP20", r"BEP-?20|BSC|BNB\s+Smart\s+Chain"),
    ("BEP2", r"BEP-?2(?!0)"),
    ("Arbitrum", r"Arbitrum(?:\s+One)?"),
    ("Polygon", r"Polygon"),
    ("Optimism", r"Optimism"),
    ("Solana", r"Solana|SPL"),
    ("Base", r"Base(?=\s*(?:network|chain|mainnet|链|網絡|网络))"),
)
_NETWORK = re.compile("|".join(rf"(?P<n{i}>(?<![A-Za-z]){p}(?![A-Za-z]))" for i, (_, p) in enumerate(_NETWORKS)), re.I)
# A part of every name in _NETWORKS: _NETWORK starts with a look-behind, which `re` tries at every
# position, and most mails name no network.
_NETWORK_WORDS = (
    "trc", "波场", "波場", "tron", "erc", "bep", "bsc", "bnb", "arbitrum", "polygon", "optimism", "solana", "spl",
    "base",
)  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?。！？\n](?!\d)")


def chinese_number(text: str) -> Decimal | None:
    """五百 → 500, 一千二百 → 1200, 两万 → 20000, 十五 → 15; None when it is not a number."""
    total = Decimal(0)
    section = Decimal(0)
    digit: int | None = None
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None:
                return None  # 五五 is not a number in this sense
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        elif ch in _CN_BIG:
            section += digit or 0
            total += (section or 1) * _CN_BIG[ch]
            section, digit = Decimal(0), None
        else:
            return None
    result = total + section + (digit or 0)
    return result if result > 0 else None


def _value(number: str) -> Decimal | None:
    number = number.replace(" ", "")
    multiplier = 1
    if number and number[-1] in "万萬千亿億" and number[0].isdigit():
        multiplier = {"万": 10_000, "萬": 10_000, "千": 1000, "亿": 100_000_000, "億": 100_000_000}[number[-1]]
        number = number[:-1]
    if number and not number[0].isdigit():
        return chinese_number(number)
    try:
        value = Decimal(number.replace(",", "")) * multiplier
    except InvalidOperation:
        return None
    return value if value > 0 else None


def _plain(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def _network_of_mail(text: str, named: bool = True) -> str | None:
    """The network the mail names, when it names exactly one ("都是TRC20转的"); `named`: False when
    the text cannot name one (`_NETWORK_WORDS`)."""
    names = {_network_name(m) for m in _NETWORK.finditer(text)} if named else set()
    return names.pop() if len(names) == 1 else None


def _network_name(m: re.Match[str]) -> str:
    return next(_NETWORKS[int(k[1:])][0] for k, v in m.groupdict().items() if v is not None)


def _network_near(text: str, start: int, end: int, before: int = 60, after: int = 60, named: bool = True) -> str | None:
    """The network named closest to the amount, within its sentence and these many characters."""
    if not named:
        return None
    left = max(0, start - before)
    for m in _SENTENCE_END.finditer(text, left, start):
        left = m.end()
    right = min(len(text), end + after)
    stop = _SENTENCE_END.search(text, end, right)
    if stop:
        right = stop.start()
    best: tuple[int, str] | None = None
    for m in _NETWORK.finditer(text, left, right):
        name = _network_name(m)
        distance = start - m.end() if m.end() <= start else m.start() - end
        if best is None or distance < best[0]:
            best = (distance, name)
    return best[1] if best else None


def _is_price(text: str, start: int, end: int) -> bool:
    return bool(_PRICE_BEFORE.search(text[max(0, start - 16) : start]) or _PRICE_AFTER.match(text[end : end + 8]))


def amounts(masked: Masked | str) -> tuple[Amount, ...]:
    masked = as_masked(masked)
    text = masked.text
    hits: list[tuple[int, int, Decimal, str]] = []
    for m in _AMOUNT.finditer(text):
        value = _value(m.group("num"))
        word = m.group("asset")
        asset = "USDT" if word in ("u", "U") else _ASSET_WORDS.get(word, word.upper())
        asset = "CNY" if asset == "RMB" else asset
        if value is not None:
            hits.append((m.start(), m.end(), value, asset))
    for m in _ASSET_FIRST.finditer(text) if _ASSET_CODE.search(text) else ():
        value = _value(m.group("num"))
        if value is not None:
            hits.append((m.start(), m.end(), value, "CNY" if m.group("asset") == "RMB" else m.group("asset")))
    for m in _CURRENCY_SIGN.finditer(text):
        value = _value(m.group("num"))
        if value is not None:
            hits.append((m.start(), m.end(), value, _SIGN_ASSET[m.group("sign")]))
    found: dict[tuple[str, str], Amount] = {}
    named = bool(hits) and may_hold(text, _NETWORK_WORDS)
    whole = _network_of_mail(text, named) if hits else None
    for start, end, value, asset in sorted(hits):
        if _is_price(text, start, end):
            continue
        network = None
        if asset not in _FIAT:
            if asset in _MULTI_NETWORK:
                network = _network_near(text, start, end, named=named) or whole
            else:  # "0.5 BTC (BEP20)": a coin off its own chain is named right next to it
                network = _network_near(text, start, end, before=0, after=12, named=named)
        found.setdefault((_plain(value), asset), Amount(_plain(value), asset, network))
    return tuple(found.values())
