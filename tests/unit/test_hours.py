"""Business calendars with fixed clocks: opening hours, China's 2026 holidays and make-up days, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inboxd.hours import (
    MAX_SEARCH_DAYS,
    Calendar,
    NoOpenHours,
    Span,
    holiday_source,
    make_calendar,
    parse_span,
    parse_weekly,
)

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
EIGHT = timedelta(hours=8)


@pytest.fixture(scope="module")
def cn() -> Calendar:
    return make_calendar("Asia/Shanghai", ["mon-fri 09:00-18:00"], ["CN"])


def at(text: str, zone: ZoneInfo = SH) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2026-12-07 10:00", "2026-12-07 18:00"),  # Monday, inside hours: the same day at closing
        ("2026-12-07 11:30", "2026-12-08 10:30"),  # 6.5 h today, 1.5 h tomorrow
        ("2026-12-07 20:00", "2026-12-08 17:00"),  # after closing: counted from the next opening
        ("2026-12-08 03:00", "2026-12-08 17:00"),  # at night
        ("2026-12-07 08:59", "2026-12-07 17:00"),  # just before opening
        ("2026-12-07 17:59", "2026-12-08 16:59"),  # one minute before closing
        ("2026-12-07 18:00", "2026-12-08 17:00"),  # at closing: nothing left today
        ("2026-12-05 10:00", "2026-12-07 17:00"),  # Saturday
        ("2026-12-06 23:59", "2026-12-07 17:00"),  # Sunday night
        ("2026-10-01 10:00", "2026-10-08 17:00"),  # National Day: closed 1-7 October
        ("2026-12-11 22:00", "2026-12-14 17:00"),  # Friday night before an ordinary weekend
        ("2026-09-30 22:00", "2026-10-08 17:00"),  # the night before the National Day week
    ],
)
def test_eight_business_hours_in_shanghai(cn: Calendar, received: str, expected: str) -> None:
    assert cn.add_business_time(at(received), EIGHT) == at(expected)


def test_a_promise_from_another_zone_is_counted_in_the_calendar_zone(cn: Calendar) -> None:
    # 19:00 in London on Sunday 6 Dec is 03:00 Monday in Shanghai: Monday 09:00 + 8 h.
    got = cn.add_business_time(datetime(2026, 12, 6, 19, 0, tzinfo=UTC), EIGHT)
    assert got == at("2026-12-07 17:00") and got.utcoffset() == timedelta(hours=8)


def test_china_2026_holidays_and_weekend_working_days(cn: Calendar) -> None:
    # Spring Festival 2026: 15-23 February off; Saturday 14 and Saturday 28 February are worked.
    assert cn.hours_on(date(2026, 2, 17)) == ()
    assert cn.hours_on(date(2026, 2, 23)) == ()  # "Day off (substituted from 02/28/2026)"
    assert cn.hours_on(date(2026, 2, 14)) != ()
    assert cn.hours_on(date(2026, 2, 28)) != ()
    assert cn.hours_on(date(2026, 2, 21)) == ()  # an ordinary Saturday
    # Friday 13 Feb, 22:00: the next business hours are the make-up Saturday's.
    assert cn.add_business_time(at("2026-02-13 22:00"), EIGHT) == at("2026-02-14 17:00")
    # From the make-up Saturday's closing: the holiday week, then Tuesday 24 February.
    assert cn.add_business_time(at("2026-02-14 18:00"), EIGHT) == at("2026-02-24 17:00")
    # Sunday 4 January is worked (New Year's bridge); Sunday 11 January is not.
    assert cn.add_business_time(at("2026-01-03 10:00"), EIGHT) == at("2026-01-04 17:00")
    assert cn.hours_on(date(2026, 1, 11)) == ()


def test_make_up_days_can_be_turned_off() -> None:
    strict = make_calendar("Asia/Shanghai", ["mon-fri 09:00-18:00"], ["CN"], makeup_workdays=False)
    assert strict.hours_on(date(2026, 2, 14)) == ()
    assert strict.add_business_time(at("2026-02-13 22:00"), EIGHT) == at("2026-02-24 17:00")


def test_closed_dates_and_several_entries() -> None:
    cal = make_calendar("Asia/Shanghai", ["mon-fri 09:00-12:00", "mon-fri 13:00-18:00", "sat 10:00-14:00"],
                        [], [date(2026, 12, 31)])  # fmt: skip
    assert cal.add_business_time(at("2026-12-07 11:00"), timedelta(hours=2)) == at("2026-12-07 14:00")
    assert cal.add_business_time(at("2026-12-05 13:00"), timedelta(hours=2)) == at("2026-12-07 10:00")
    assert cal.add_business_time(at("2026-12-30 17:00"), timedelta(hours=2)) == at("2027-01-01 10:00")
    assert cal.business_time_between(at("2026-12-07 00:00"), at("2026-12-08 00:00")) == timedelta(hours=8)
    assert cal.business_time_between(at("2026-12-08 00:00"), at("2026-12-07 00:00")) == timedelta(0)


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK])
def test_daylight_saving_switch_days_keep_wall_clock_hours(zone: ZoneInfo) -> None:
    cal = make_calendar(zone.key, ["mon-sun 09:00-18:00"])
    spring = date(2026, 3, 29) if zone is BERLIN else date(2026, 3, 8)
    autumn = date(2026, 10, 25) if zone is BERLIN else date(2026, 11, 1)
    for day in (spring, autumn):
        opens, closes = cal.hours_on(day)[0]
        assert opens.astimezone(zone).hour == 9 and closes.astimezone(zone).hour == 18
        assert closes - opens == timedelta(hours=9)
        # From the day before's 17:00: 1 h that day, 2 h on the switch day -> 11:00 local.
        before = datetime.combine(day - timedelta(days=1), datetime.min.time(), zone).replace(hour=17)
        got = cal.add_business_time(before, timedelta(hours=3))
        assert got.astimezone(zone).replace(tzinfo=None) == datetime.combine(day, datetime.min.time()).replace(hour=11)


def test_a_whole_day_on_a_switch_day_lasts_23_or_25_hours() -> None:
    cal = make_calendar("Europe/Berlin", ["mon-sun 00:00-24:00"])
    assert cal.business_time_between(at("2026-03-29 00:00", BERLIN), at("2026-03-30 00:00", BERLIN)) == timedelta(
        hours=23
    )
    assert cal.business_time_between(at("2026-10-25 00:00", BERLIN), at("2026-10-26 00:00", BERLIN)) == timedelta(
        hours=25
    )
    # 24 business hours from Saturday noon before the spring switch: Sunday noon is 23 h later.
    assert cal.add_business_time(at("2026-03-28 12:00", BERLIN), timedelta(hours=24)) == at("2026-03-29 13:00", BERLIN)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/Santiago", "Asia/Shanghai"])
def test_an_always_open_calendar_counts_every_day_as_its_hours_say(zone: str) -> None:
    """Open time of a calendar open all day every day, day by day as `hours_on` gives it: across
    DST switches (Santiago's at midnight), over a week, and at the end of the search."""
    cal = make_calendar(zone, ["mon-sun 00:00-24:00"])
    assert cal.always_open
    start = datetime(2026, 3, 27, 7, 30, tzinfo=UTC)
    for a, b in [
        (start, start + timedelta(days=7)),
        (start, start + timedelta(minutes=1)),
        (datetime(2026, 4, 3, 22, tzinfo=UTC), datetime(2026, 4, 6, 2, tzinfo=UTC)),
        (datetime(2026, 9, 5, 1, tzinfo=UTC), datetime(2026, 9, 7, 5, tzinfo=UTC)),
        (start, start + timedelta(days=MAX_SEARCH_DAYS - 2)),
        (start, start + timedelta(days=MAX_SEARCH_DAYS + 30)),  # counted as far as the search goes
    ]:
        first = a.astimezone(cal.zone).date()
        days = [first + timedelta(days=n) for n in range(MAX_SEARCH_DAYS)]
        days = [d for d in days if d <= b.astimezone(cal.zone).date()]
        expected = sum(
            (max(timedelta(0), min(close, b) - max(opening, a)) for d in days for opening, close in cal.hours_on(d)),
            timedelta(0),
        )
        assert cal.business_time_between(a, b) == expected, (a, b)


def test_an_opening_in_the_skipped_hour_starts_when_the_clock_resumes() -> None:
    cal = make_calendar("Europe/Berlin", ["sun 02:30-04:00"])
    opens, closes = cal.hours_on(date(2026, 3, 29))[0]
    assert opens.astimezone(BERLIN).strftime("%H:%M") == "03:30"
    assert closes - opens == timedelta(minutes=30)


def test_a_calendar_that_never_opens_stops_searching() -> None:
    cal = make_calendar("UTC", ["mon-fri 09:00-18:00"])
    closed_everything = Calendar(
        cal.zone,
        cal.weekly,
        closed=frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(MAX_SEARCH_DAYS + 10)),
    )
    with pytest.raises(NoOpenHours):
        closed_everything.add_business_time(datetime(2026, 1, 1, tzinfo=UTC), EIGHT)
    with pytest.raises(ValueError, match="never be open"):
        make_calendar("UTC", [])


def test_parsing_and_its_errors() -> None:
    assert parse_span("8 business hours") == Span(8 * 3600, True)
    assert parse_span("24 hours") == Span(24 * 3600, False)
    assert parse_span("90 minutes") == Span(5400, False)
    assert parse_span("2 days") == Span(2 * 86400, False)
    for bad in ("8 business days", "soon", "0 hours", "-1 hours", "8 businesshours"):
        with pytest.raises(ValueError):
            parse_span(bad)
    assert parse_weekly(["mon-fri 09:00-18:00", "sat 10:00-14:00"])[5] == ((600, 840),)
    assert parse_weekly(["mon 09:00-12:00", "mon 11:00-18:00"])[0] == ((540, 1080),)
    for bad in ("mon-fri 18:00-09:00", "fri-mon 09:00-18:00", "xyz 09:00-10:00", "mon 09:60-10:00", "mon 9-10"):
        with pytest.raises(ValueError):
            parse_weekly([bad])
    with pytest.raises(ValueError, match="unknown holiday market"):
        holiday_source(["CN", "XX"])
    assert len(holiday_source(["CN", "HK", "SG", "US", "US-NY", "XHKG"])) == 6
