"""The time of the event, in Chinese and English forms, resolved to an aware datetime.

`2026-11-20 14:32 UTC`, `2026-11-20 at 14:32`, `2026-11-20T14:32:00Z`, `2026年11月20日 下午3点`,
`11月20日下午3点`, `Nov 20 at 3pm`, `昨天晚上8点`, `yesterday around 3pm`, `this morning`.
Relative and zone-less times are the customer's own: they are resolved against the mail's
Date header (its offset is the best evidence of the customer's zone) or, without one, the
configured default zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from inboxd.extract.context import Masked, as_masked, may_hold
from inboxd.values import EventTime

_MARKERS = r"上午|下午|晚上|凌晨|早上|中午|傍晚|夜里|夜裡"
_MARKER = rf"(?P<mk>{_MARKERS})"
_ZONE = (
    r"(?:\s*[（(]?\s*(?:(?P<utc>UTC|GMT)\s*(?P<off>[+-]\s*\d{1,2}(?::?\d{2})?)?"
    r"|(?P<bj>北京时间|北京時間|Beijing\s+time|CST|HKT|SGT))\s*[)）]?)?"
)
# What joins a date to its time: a word ("at", "at around", "around", "about", "@", "~", 大约),
# a comma ("," "，"), or only spaces or ISO 8601's "T". After a word or a comma the time must
# look like one (9:30, 9am, 9点, 上午9…), so that "2026-11-22 at 3 people" or "2026-11-22，3个BTC"
# stay a date; after spaces a bare hour still counts, as it always did ("2026-11-20 14").
_JOINER = r"(?:\s*(?P<jw>(?:[,，]\s*)?(?:(?:at\s+)?(?:around|about)|at|@|~|大约|约)|[,，])\s*|[ T]*)"
_CLOCK_AHEAD = rf"(?(jw)(?=(?:(?:{_MARKERS})\s*)?\d{{1,2}}\s*(?:[:：点點时時]|[ap]m\b)))"
_DATE_TIME = re.compile(
    r"(?<!\d)(?P<y>20\d\d)\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)\s*[日号號]?"
    rf"(?:{_JOINER}{_CLOCK_AHEAD}(?:{_MARKER}\s*)?(?P<h>\d{{1,2}})(?:\s*[:：点點时時]\s*(?P<mi>\d{{1,2}})?)?"
    rf"(?::(?P<s>\d{{2}})(?:\.\d{{1,9}})?)?\s*(?P<ap>am|pm)?(?![\d])分?(?P<zulu>Z(?![a-z]))?)?{_ZONE}",
    re.I,
)
_CN_MONTH_DAY = re.compile(
    rf"(?<!\d)(?P<mo>\d{{1,2}})\s*月\s*(?P<d>\d{{1,2}})\s*[日号號]"
    rf"(?:[\s,，]*{_MARKER}?\s*(?P<h>\d{{1,2}})\s*[点點:：时時](?P<mi>\d{{1,2}})?分?)?{_ZONE}"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_CLOCK = r"(?:,?\s*(?:(?:at\s+)?(?:around|about)|at|@|~)?\s*(?P<h>\d{1,2})(?::(?P<mi>\d{2}))?\s*(?P<ap>am|pm)?)?"
_EN_DATE = re.compile(
    rf"\b(?:{_MONTH}\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?"
    rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH.replace('mon>', 'mon2>')})"
    rf"(?:,?\s+(?P<y>20\d\d))?(?![\d:]){_CLOCK}{_ZONE}",
    re.I,
)
_RELATIVE_ZH = re.compile(
    rf"(今天|昨天|前天|今早|昨晚|今晚|昨日|今日)(?:\s*{_MARKER})?(?:\s*(\d{{1,2}})\s*[点點:：时時](\d{{1,2}})?)?"
)
_RELATIVE_EN = re.compile(
    r"\b(today|yesterday|this morning|last night|tonight|this afternoon|this evening)"
    r"(?:\s+(?:morning|afternoon|evening|night))?(?:\s+(?:at|around|about)\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?)?",
    re.I,
)
_CLOCK_EN = re.compile(r"\b(?:at|around|about)\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b", re.I)
# A part of every match of _RELATIVE_EN (and a month, `_MONTHS`, of _EN_DATE): both start with `\b`
# and are tried at every word, and most mails have neither.
_RELATIVE_WORDS = ("today", "yesterday", "this ", "last night", "tonight")


def _hour(hour: int, marker: str | None) -> int:
    marker = (marker or "").lower()
    if marker in ("下午", "晚上", "傍晚", "夜里", "夜裡", "pm") and hour < 12:
        return hour + 12
    if marker in ("am", "凌晨") and hour == 12:
        return 0
    return hour


def _at(year: int, month: int, day: int, hour: int, minute: int, zone: tzinfo) -> datetime | None:
    """The datetime, or None for an impossible one (31 November, 25 o'clock)."""
    try:
        return datetime(year, month, day, hour, minute, tzinfo=zone)
    except ValueError:
        return None


def _clock(base: datetime, hour: int, minute: int) -> datetime | None:
    try:
        return base.replace(hour=hour, minute=minute, second=0, microsecond=0)
    except ValueError:
        return None


def _zone(m: re.Match[str], default: tzinfo) -> tzinfo:
    if m.group("bj"):
        return timezone(timedelta(hours=8))
    if m.group("utc"):
        offset = (m.group("off") or "").replace(" ", "")
        if not offset:
            return UTC
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    return default


def times(masked: Masked | str, received: datetime | None, zone: tzinfo) -> tuple[EventTime, ...]:
    """Times the customer states, resolved against the mail's Date and the default zone."""
    text = as_masked(masked).text
    # The customer's "yesterday" and "3pm" are in their own zone: the Date header's
    # offset is the best evidence of it; the configured zone when there is no Date.
    if received is not None and received.tzinfo is not None:
        reference = received
        zone = received.tzinfo
    else:
        reference = received.replace(tzinfo=zone) if received else datetime.now(zone)
    found: list[tuple[int, EventTime]] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], value: datetime | None, precision: str = "minute") -> None:
        if value is None or any(s < m.end() and m.start() < e for s, e in taken):
            return
        taken.append((m.start(), m.end()))
        found.append((m.start(), EventTime(m.group(0).strip(), value, precision)))

    def past(value: datetime | None) -> datetime | None:
        # A date without a year is the last such date: "12月30日" written in January.
        if value is not None and value > reference + timedelta(days=1):
            return _at(value.year - 1, value.month, value.day, value.hour, value.minute, value.tzinfo or zone)
        return value

    for m in _DATE_TIME.finditer(text) if "20" in text else ():
        hour = _hour(int(m.group("h")), m.group("mk") or m.group("ap")) if m.group("h") else 0
        stated = UTC if m.group("zulu") else _zone(m, zone)  # ISO 8601's "Z": 2026-11-22T09:30:00Z
        value = _at(int(m.group("y")), int(m.group("mo")), int(m.group("d")), hour, int(m.group("mi") or 0), stated)
        add(m, value, "minute" if m.group("h") else "day")
    for m in _CN_MONTH_DAY.finditer(text) if "月" in text else ():
        hour = _hour(int(m.group("h")), m.group("mk")) if m.group("h") else 0
        value = _at(
            reference.year, int(m.group("mo")), int(m.group("d")), hour, int(m.group("mi") or 0), _zone(m, zone)
        )
        add(m, past(value), "minute" if m.group("h") else "day")
    for m in _EN_DATE.finditer(text) if may_hold(text, _MONTHS) else ():
        # casefold: `re.I` reads "ſep" as "sep", and lower() keeps its long s (an unknown month).
        month = _MONTHS.index((m.group("mon") or m.group("mon2"))[:3].casefold()) + 1
        day = int(m.group("d1") or m.group("d2"))
        hour = _hour(int(m.group("h")), m.group("ap")) if m.group("h") else 0
        year = int(m.group("y")) if m.group("y") else None
        value = _at(year or reference.year, month, day, hour, int(m.group("mi") or 0), _zone(m, zone))
        add(m, value if year else past(value), "minute" if m.group("h") else "day")
    for m in _RELATIVE_ZH.finditer(text):
        days = {"今天": 0, "今日": 0, "今早": 0, "今晚": 0, "昨天": 1, "昨日": 1, "昨晚": 1, "前天": 2}[m.group(1)]
        marker = m.group(2) or {"昨晚": "晚上", "今晚": "晚上"}.get(m.group(1))
        base = reference - timedelta(days=days)
        if m.group(3):
            add(m, _clock(base, _hour(int(m.group(3)), marker), int(m.group(4) or 0)))
        else:
            add(m, _clock(base, 0, 0), "day")
    for m in _RELATIVE_EN.finditer(text) if may_hold(text, _RELATIVE_WORDS) else ():
        word = m.group(1).lower()
        base = reference - timedelta(days=1 if word in ("yesterday", "last night") else 0)
        if m.group(2):
            add(m, _clock(base, _hour(int(m.group(2)), m.group(4)), int(m.group(3) or 0)))
        else:
            add(m, _clock(base, 0, 0), "day")
    for m in _CLOCK_EN.finditer(text) if may_hold(text, ("am", "pm")) else ():
        add(m, _clock(reference, _hour(int(m.group(1)), m.group(3)), int(m.group(2) or 0)))
    return tuple(t for _, t in sorted(found, key=lambda item: item[0]))
