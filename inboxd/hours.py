"""Business calendars: when support is open, and promises counted in business time. Pure.

The only module importing `holidays`. A calendar is a time zone, weekly opening hours
(e.g. "mon-fri 09:00-18:00", "sat 10:00-14:00"), public holidays of one or more
markets known to the `holidays` package (countries such as "CN", subdivisions such as
"US-NY", exchanges such as "XHKG") and extra closed dates. Opening hours are wall-clock
times in the calendar's zone: on a daylight-saving switch day a 09:00 opening is still
09:00 local, and business time is counted in real elapsed time (a 00:00-24:00 day is 23
or 25 hours long on a switch day).

Holidays close the whole day. China's weekend working days (调休, a Saturday or Sunday
worked to make up for a bridged day off) are known to `holidays` only as the dates it
collects in `weekend_workdays` while building the year (the holiday names say "Day off
(substituted from 01/04/2026)"); such a day is open with the hours of a regular working
day (the first of Monday-Friday that has hours), unless it is itself a listed holiday or
closed date. A year appears in the package only once announced: for a later year the
package's own rules (the fixed statutory holidays) are all there is.

Every search is bounded (MAX_SEARCH_DAYS): a calendar that never opens is an error
(`NoOpenHours`), never an endless loop; `parse_calendar` refuses one with no weekly hours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# No search for open hours goes further than this (about two years).
MAX_SEARCH_DAYS = 2 * 366
# Days whose opening hours are remembered by one calendar (a burst asks for the same few days).
_CACHE_DAYS = 4096
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ENTRY = re.compile(r"^\s*([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$", re.I)
_DURATION = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(business\s+)?(minutes?|mins?|hours?|h|days?)\s*$",
    re.I,
)
_MARKET = re.compile(r"^[A-Z]{2,4}(-[A-Z0-9]{1,4})?$")


class NoOpenHours(ValueError):
    """The calendar has no open hours within MAX_SEARCH_DAYS of the moment asked about."""


@dataclass(frozen=True, slots=True)
class Span:
    """A promised duration: in business time (counted only while open) or calendar time."""

    seconds: float
    business: bool

    def describe(self) -> str:
        hours = self.seconds / 3600
        unit = "business hours" if self.business else "hours"
        return f"{hours:g} {unit}"


def parse_span(text: str) -> Span:
    """ "8 business hours", "24 hours", "90 minutes", "2 days" (calendar days); ValueError when not one.

    A business day has no fixed length (it depends on the weekday's hours), so business
    time is given in hours or minutes only."""
    m = _DURATION.match(text)
    if m is None:
        raise ValueError(f'not a duration: {text!r} (e.g. "8 business hours" or "24 hours")')
    amount, business, unit = float(m.group(1)), bool(m.group(2)), m.group(3).lower()
    if unit.startswith("day"):
        if business:
            raise ValueError(f"{text!r}: business time is counted in hours or minutes, not days")
        seconds = amount * 86400
    elif unit.startswith("h"):
        seconds = amount * 3600
    else:
        seconds = amount * 60
    if seconds <= 0 or seconds > MAX_SEARCH_DAYS * 86400 / 4:
        raise ValueError(f"{text!r}: must be more than 0 and at most {MAX_SEARCH_DAYS // 4} days")
    return Span(seconds, business)


def parse_weekly(entries: Sequence[str]) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Weekly entries -> for each weekday (Monday first) its opening intervals in minutes of the day.

    "mon-fri 09:00-18:00", "sat 10:00-14:00", "sun 00:00-24:00"; several entries for one day
    add up (overlaps merge). ValueError naming the entry that is wrong."""
    days: list[list[tuple[int, int]]] = [[] for _ in _DAYS]
    for entry in entries:
        m = _ENTRY.match(entry)
        if m is None:
            raise ValueError(f'not an opening-hours entry: {entry!r} (e.g. "mon-fri 09:00-18:00")')
        first, last = m.group(1).lower(), (m.group(2) or m.group(1)).lower()
        if first not in _DAYS or last not in _DAYS:
            raise ValueError(f"{entry!r}: days are {', '.join(_DAYS)}")
        start = int(m.group(3)) * 60 + int(m.group(4))
        end = int(m.group(5)) * 60 + int(m.group(6))
        if int(m.group(4)) > 59 or int(m.group(6)) > 59 or start > 24 * 60 or end > 24 * 60:
            raise ValueError(f"{entry!r}: not a time of day")
        if end <= start:
            raise ValueError(f"{entry!r}: closes before it opens (past midnight: use two entries)")
        a, b = _DAYS.index(first), _DAYS.index(last)
        if b < a:
            raise ValueError(f"{entry!r}: {first}-{last} runs backwards (the week starts on Monday)")
        for day in range(a, b + 1):
            days[day].append((start, end))
    return tuple(_merged(day) for day in days)


def _merged(intervals: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


def holiday_source(markets: Sequence[str]) -> list[Any]:
    """The `holidays` objects of `markets` (built lazily, year by year); ValueError naming an unknown one."""
    if not markets:
        return []
    # Imported only for a calendar with holiday markets: the package costs ~9 MiB.
    import holidays  # noqa: PLC0415 - see above

    countries = holidays.list_supported_countries()
    financial = holidays.list_supported_financial()
    sources: list[Any] = []
    unknown: list[str] = []
    for market in markets:
        code = market.strip().upper()
        country, _, subdiv = code.partition("-")
        if not _MARKET.match(code):
            unknown.append(market)
        elif country in countries and (not subdiv or subdiv in countries[country]):
            # English names, so that the weekend working days are read the same whatever the default.
            sources.append(holidays.country_holidays(country, subdiv=subdiv or None, language="en_US"))
        elif not subdiv and code in financial:
            sources.append(holidays.financial_holidays(code))
        else:
            unknown.append(market)
    if unknown:
        raise ValueError(
            f"unknown holiday market(s): {', '.join(map(repr, unknown))} "
            '(a country such as "CN", a subdivision such as "US-NY", or an exchange such as "XHKG")'
        )
    return sources


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


@dataclass(eq=False)
class Calendar:
    """When support is open. Build it with `make_calendar`; the methods take aware datetimes."""

    zone: ZoneInfo
    weekly: tuple[tuple[tuple[int, int], ...], ...]  # per weekday, Monday first: (open, close) minutes
    holidays: Sequence[Any] = ()  # `holidays` objects: a date in any of them is closed
    closed: frozenset[date] = frozenset()
    makeup_workdays: bool = True  # a weekend working day of a market is open (see the module doc)
    _days: dict[date, tuple[tuple[datetime, datetime], ...]] = field(default_factory=dict, repr=False)
    _workday: tuple[tuple[int, int], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not any(self.weekly):
            raise ValueError("the weekly hours are empty: support would never be open")
        self._workday = next((hours for hours in self.weekly[:5] if hours), next(h for h in self.weekly if h))

    @property
    def always_open(self) -> bool:
        return not self.holidays and not self.closed and all(h == ((0, 24 * 60),) for h in self.weekly)

    def is_holiday(self, day: date) -> bool:
        return day in self.closed or any(day in source for source in self.holidays)

    def _is_makeup_workday(self, day: date) -> bool:
        if not self.makeup_workdays or day.weekday() < 5:
            return False
        for source in self.holidays:
            source.get(day)  # builds the day's year, which fills weekend_workdays
            if day in getattr(source, "weekend_workdays", ()):
                return True
        return False

    def hours_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The day's opening intervals as UTC datetimes (empty when closed)."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        if self.is_holiday(day):
            minutes: tuple[tuple[int, int], ...] = ()
        elif self._is_makeup_workday(day):
            minutes = _merged([*self.weekly[day.weekday()], *self._workday])
        else:
            minutes = self.weekly[day.weekday()]
        intervals = tuple((self._at(day, start), self._at(day, end)) for start, end in minutes)
        if len(self._days) >= _CACHE_DAYS:
            self._days.clear()
        self._days[day] = intervals
        return intervals

    def _at(self, day: date, minute: int) -> datetime:
        """Wall-clock `minute` of `day` in the calendar's zone, in UTC. 24:00 is the next midnight;
        a time skipped by a DST switch is read with the offset before it (02:30 -> 03:30)."""
        if minute >= 24 * 60:
            day, minute = day + timedelta(days=1), 0
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
        return local.astimezone(UTC)

    def _local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def is_open(self, moment: datetime) -> bool:
        at = _utc(moment)
        return any(start <= at < end for start, end in self.hours_on(self._local_day(at)))

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of open time after `start` (in the calendar's zone).

        Starting while closed, the count starts at the next opening; a promise that ends
        exactly at closing time is closing time, not the next opening."""
        remaining = duration
        cursor = _utc(start)
        if remaining <= timedelta(0):
            return cursor.astimezone(self.zone)
        day = self._local_day(cursor)
        for _ in range(MAX_SEARCH_DAYS):
            for open_at, close_at in self.hours_on(day):
                if close_at <= cursor:
                    continue
                cursor = max(cursor, open_at)
                available = close_at - cursor
                if remaining <= available:
                    return (cursor + remaining).astimezone(self.zone)
                remaining -= available
                cursor = close_at
            day += timedelta(days=1)
        raise NoOpenHours(f"not enough open hours within {MAX_SEARCH_DAYS} days of {start.isoformat()}")

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Open time between `a` and `b` (zero when b is not after a); at most MAX_SEARCH_DAYS are counted."""
        lo, hi = _utc(a), _utc(b)
        total = timedelta(0)
        if hi <= lo:
            return total
        day, last = self._local_day(lo), self._local_day(hi)
        if self.always_open and (last - day).days < MAX_SEARCH_DAYS:
            # Each day open from its midnight to the next: the days tile the span (the queue's
            # estimate asks for a week of them with every acknowledgement).
            return hi - lo
        for _ in range(MAX_SEARCH_DAYS):
            for open_at, close_at in self.hours_on(day):
                start, end = max(open_at, lo), min(close_at, hi)
                if end > start:
                    total += end - start
            if day >= last:
                return total
            day += timedelta(days=1)
        return total

    def after(self, start: datetime, span: Span) -> datetime:
        """`start` plus a promised span: business time on this calendar, or plain elapsed time."""
        if span.business and not self.always_open:
            return self.add_business_time(start, timedelta(seconds=span.seconds))
        return (_utc(start) + timedelta(seconds=span.seconds)).astimezone(self.zone)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime: give the time zone")
    return moment.astimezone(UTC)


def make_calendar(
    timezone: str = "UTC",
    weekly: Sequence[str] = ("mon-sun 00:00-24:00",),
    markets: Sequence[str] = (),
    closed: Iterable[date] = (),
    makeup_workdays: bool = True,
) -> Calendar:
    """A calendar from the `[hours]` values; ValueError (naming the bad value) when one is wrong."""
    return Calendar(
        zone=zone_of(timezone),
        weekly=parse_weekly(weekly),
        holidays=holiday_source(markets),
        closed=frozenset(closed),
        makeup_workdays=makeup_workdays,
    )


ALWAYS_OPEN = make_calendar()


def zone_label(zone: tzinfo, moment: datetime) -> str:
    """A zone's offset at `moment` as "UTC+8", "UTC-3:30" or "UTC"."""
    delta = moment.astimezone(zone).utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return "UTC" if minutes == 0 else f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
