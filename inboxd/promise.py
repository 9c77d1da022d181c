"""When the customer will hear from a person: the promise in an acknowledgement. Pure.

The promise is the later of `[ack] reply_within` after the mail was received (business
time on the `[hours]` calendar, or calendar time) and an estimate from the live queue:
the open tickets of the mail's category divided by the rate at which agents resolved
tickets of that category recently (resolved in the last `estimate_window_days`, per
business hour open in that window), never more than `estimate_max`. Without a
resolution in the window there is no rate to go by, and the promise stands alone.
Above `surge_backlog` open tickets in the category the acknowledgement says that volume
is high and asks the customer not to send the same request again.

"Received" is when inboxd reads the mail (the Date header is the sender's to write).
The moment is written in the customer's time zone, read from the offset of the mail's
Date header (falling back to the calendar's zone), and in the customer's language:
"Monday 27 Nov, 18:00 (Beijing time)" / "11月27日（周一）18:00（北京时间）".
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from inboxd.hours import Calendar, NoOpenHours, Span, zone_label

_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ZH_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# Offsets with a name customers use; every other offset is written "UTC+5:30".
_NAMED = {8 * 60: ("Beijing time", "北京时间")}
# A Date header's offset is the sender's to write: beyond this it is not a place on Earth.
_MAX_OFFSET = timedelta(hours=14)
DEFAULT_ESTIMATE_MAX = Span(40 * 3600, True)


@dataclass(frozen=True, slots=True)
class PromiseSettings:
    """`[ack]` and `[hours]` as plain values."""

    calendar: Calendar
    reply_within: Span
    surge_backlog: int = 0  # open tickets in the category above which the ack says volume is high; 0: never
    estimate_window_days: float = 7.0  # 0: no estimate from the queue
    estimate_max: Span = DEFAULT_ESTIMATE_MAX


@dataclass(frozen=True, slots=True)
class QueueState:
    """One category's queue, read from the store: unresolved tickets, and tickets resolved in the window."""

    backlog: int
    resolved_recently: int


@dataclass(frozen=True, slots=True)
class Promise:
    reply_by: datetime  # in the calendar's zone
    estimate_seconds: float | None  # the queue's estimate in business seconds, when there was one
    high_volume: bool


def estimate(settings: PromiseSettings, queue: QueueState, now: datetime) -> timedelta | None:
    """Business time to work through the queue at the recent rate, bounded; None without a rate."""
    if settings.estimate_window_days <= 0 or queue.resolved_recently <= 0 or queue.backlog <= 0:
        return None
    calendar = settings.calendar
    open_time = calendar.business_time_between(now - timedelta(days=settings.estimate_window_days), now)
    if open_time <= timedelta(0):
        return None
    seconds = open_time.total_seconds() * queue.backlog / queue.resolved_recently
    return timedelta(seconds=min(seconds, settings.estimate_max.seconds))


def promise(settings: PromiseSettings, received: datetime, queue: QueueState | None = None) -> Promise:
    """The reply-by moment for a mail received at `received`, given its category's queue (if known)."""
    calendar = settings.calendar
    try:
        by = calendar.after(received, settings.reply_within)
    except NoOpenHours:  # a calendar closed for years: promise elapsed time rather than nothing
        by = (received + timedelta(seconds=settings.reply_within.seconds)).astimezone(calendar.zone)
    estimated = estimate(settings, queue, received) if queue is not None else None
    if estimated is not None:
        with contextlib.suppress(NoOpenHours):
            by = max(by, calendar.add_business_time(received, estimated))
    surge = queue is not None and settings.surge_backlog > 0 and queue.backlog > settings.surge_backlog
    return Promise(by, estimated.total_seconds() if estimated is not None else None, surge)


def customer_zone(date: datetime | None, fallback: tzinfo) -> tzinfo:
    """The zone of the customer's clock: the Date header's offset when it has a sensible one."""
    if date is None or date.tzinfo is None:
        return fallback
    offset = date.utcoffset()
    if offset is None or abs(offset) > _MAX_OFFSET:
        return fallback
    # "-0000" means "no idea where I am" (RFC 5322 3.3); Python reads it as UTC like "+0000".
    return timezone(offset)


def _zone_name(moment: datetime, language: str) -> str:
    return _offset_name(moment.utcoffset() or timedelta(0), language)


@lru_cache(maxsize=256)
def _offset_name(offset: timedelta, language: str) -> str:
    """The name of a UTC offset: a handful of offsets make nearly every acknowledgement."""
    named = _NAMED.get(int(offset.total_seconds() // 60))
    if named:
        return named[1] if language == "zh" else named[0]
    return zone_label(timezone(offset), datetime(2000, 1, 1, tzinfo=UTC))


def format_moment(moment: datetime, zone: tzinfo, language: str) -> str:
    """ "Monday 27 Nov, 18:00 (Beijing time)" or "11月27日（周一）18:00（北京时间）"."""
    local = moment.astimezone(zone)
    name = _zone_name(local, language)
    if language == "zh":
        return f"{local.month}月{local.day}日（{_ZH_DAYS[local.weekday()]}）{local:%H:%M}（{name}）"
    return f"{_EN_DAYS[local.weekday()]} {local.day} {_EN_MONTHS[local.month - 1]}, {local:%H:%M} ({name})"
