"""Exchange order, trade and withdrawal IDs: a value counts only after a cue word.

What a cue word is and what an ID may look like is operator configuration
(`classifiers/extraction.toml`, loaded and validated by `assets`); `BUILTIN_RULES`
applies when that file is absent. After a cue (订单号, withdrawal ID …) come optional
connecting words (`is`, `是`, `：`, `#`, `No.`) and one or more values separated by
commas or `and`/`和`. A value must match one of the ID patterns in full and none of the
exclusions (ticket references) and hold a digit; a value that is also a transaction hash
or an address is not an order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from inboxd.extract.context import Masked, as_masked, cue_pattern

BUILTIN_CUES: tuple[str, ...] = (
    "订单号", "訂單號", "订单编号", "訂單編號", "订单 id", "订单id", "提现单号", "提現單號", "提币单号", "提幣單號",
    "提现订单号", "提币订单号", "提现编号", "提币编号", "充值单号", "交易编号", "交易編號", "交易单号", "交易單號",
    "委托单号", "委託單號", "成交单号", "流水号", "流水號", "c2c订单号", "c2c 订单号", "p2p订单号", "申请单号", "单号",
    "order id", "order no", "order number", "order #", "order ref", "withdrawal id", "withdrawal no",
    "withdrawal number", "withdrawal request id", "withdraw id", "deposit id", "trade id", "trade no", "trade number",
    "transfer id", "reference number", "reference no", "ref no", "ref #", "ref number", "p2p order", "c2c order",
    # A bare noun right before an ID: "my withdrawal 340857255168291035", "order was 1234567890".
    "withdrawal", "order", "trade",
)  # fmt: skip
BUILTIN_PATTERNS: tuple[str, ...] = (
    r"\d{10,24}",  # numeric order numbers
    r"[A-Z]{1,4}\d{8,24}",  # W20261120143255781, TX…
    r"[A-Z0-9]{16,32}",  # alphanumeric references
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",  # UUID
    r"[A-Za-z]{1,6}(?:-[A-Za-z0-9]{2,20}){1,4}",  # OTC-20261120-0042, WD-77123-9981
    r"TX[A-Z0-9]{6,20}",
    r"[A-Z]\d{6,24}",
)
BUILTIN_EXCLUDE: tuple[str, ...] = (r"INB-\d+",)

# Between a cue and its value: "is", "是", ":", "#", "No.", "(C2C)" …
_CONNECTOR = re.compile(
    r"(?:\s|[:：#=＃\-–—]|\((?:[^()\n]{1,12})\)|（[^（）\n]{1,12}）|\b(?:is|was|are|were|number|id)\b|\bno\b\.?|是|为|為|：)*",
    re.I,
)
_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{5,63}(?![A-Za-z0-9])")
_SEPARATOR = re.compile(r"\s*(?:,|，|、|/|;|；|\band\b|和|及|以及|&)\s*(?:#\s*)?", re.I)


@dataclass(frozen=True, slots=True)
class OrderRules:
    """Compiled cue words, ID patterns and exclusions."""

    cues: re.Pattern[str]
    patterns: tuple[re.Pattern[str], ...]
    exclude: tuple[re.Pattern[str], ...]

    def accepts(self, value: str) -> bool:
        return any(p.fullmatch(value) for p in self.patterns) and not any(p.fullmatch(value) for p in self.exclude)


def compile_rules(cues: Iterable[str], patterns: Iterable[str], exclude: Iterable[str]) -> OrderRules:
    """Compile rules; raises re.error for a bad pattern (assets reports it with file and key)."""
    return OrderRules(
        cues=cue_pattern(tuple(cues)),
        patterns=tuple(re.compile(p) for p in patterns),
        exclude=tuple(re.compile(p, re.I) for p in exclude),
    )


BUILTIN_RULES = compile_rules(BUILTIN_CUES, BUILTIN_PATTERNS, BUILTIN_EXCLUDE)


def order_ids(masked: Masked | str, exclude: set[str], rules: OrderRules = BUILTIN_RULES) -> tuple[str, ...]:
    """Order/trade/withdrawal IDs after a cue word; `exclude` holds lower-cased values (tx hashes)."""
    masked = as_masked(masked)
    text = masked.text
    found: dict[str, None] = {}
    for cue in rules.cues.finditer(text):
        if text[cue.start() - 1 : cue.start()] == "工":
            continue  # 工单号 is our ticket number, not the customer's order
        pos = _CONNECTOR.match(text, cue.end()).end()  # type: ignore[union-attr]
        while True:
            m = _VALUE.match(text, pos)
            if m is None:
                break
            value = m.group(0).rstrip("-")
            # An ID has digits: "order number please" names no order.
            if not any(c.isdigit() for c in value) or not rules.accepts(value) or value.lower() in exclude:
                break
            found.setdefault(value, None)
            sep = _SEPARATOR.match(text, m.end())
            if sep is None:
                break
            pos = sep.end()
    return tuple(found)
