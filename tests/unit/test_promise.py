"""The promise in an acknowledgement, with fixed clocks: business hours, holidays, the queue, the
customer's zone and language, the surge wording, and `classify --json --at`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inboxd.acknowledge import build_ack
from inboxd.compose import App, load_app
from inboxd.config import load_configs
from inboxd.hours import Span, make_calendar
from inboxd.offline import OfflineDecider
from inboxd.parse import parse_message
from inboxd.promise import PromiseSettings, QueueState, customer_zone, format_moment, promise
from inboxd.screen import screen
from inboxd.store import Store
from inboxd.values import Classification
from tests.conftest import FIXTURES, authenticated_fixture, run_inboxd, write_config
from tests.triage_helpers import decide_mail, redacted

SH = ZoneInfo("Asia/Shanghai")
CN = make_calendar("Asia/Shanghai", ["mon-fri 09:00-18:00"], ["CN"])
EIGHT_BUSINESS = Span(8 * 3600, True)
HOURS = {"timezone": "Asia/Shanghai", "weekly": ["mon-fri 09:00-18:00"], "holidays": ["CN"], "closed": ["2026-12-31"]}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def settings(**kw: object) -> PromiseSettings:
    return PromiseSettings(CN, EIGHT_BUSINESS, **kw)  # type: ignore[arg-type]


def test_calendar_time_is_todays_behaviour() -> None:
    got = promise(PromiseSettings(CN, Span(24 * 3600, False)), at("2026-10-01 10:00")).reply_by
    assert got == at("2026-10-02 10:00")  # a holiday makes no difference to calendar time


def test_a_backlog_makes_the_promise_later_and_is_bounded() -> None:
    received = at("2026-12-07 10:00")  # Monday
    s = settings(estimate_window_days=7)
    assert promise(s, received).reply_by == at("2026-12-07 18:00")
    # The 7 days before Monday 10:00 hold 45 business hours (8 + 4 x 9 + 1): 45 resolved is one an hour.
    assert s.calendar.business_time_between(received - timedelta(days=7), received) == timedelta(hours=45)
    small = promise(s, received, QueueState(backlog=4, resolved_recently=45))
    assert small.reply_by == at("2026-12-07 18:00") and small.estimate_seconds == 4 * 3600  # the promise is later
    big = promise(s, received, QueueState(backlog=20, resolved_recently=45))
    assert big.estimate_seconds == 20 * 3600
    assert big.reply_by == at("2026-12-09 12:00")  # 8 h Monday, 9 h Tuesday, 3 h Wednesday
    huge = promise(s, received, QueueState(backlog=100_000, resolved_recently=1))
    assert huge.estimate_seconds == 40 * 3600  # estimate_max
    # Nothing resolved in the window: no rate to go by, the promise stands.
    assert promise(s, received, QueueState(backlog=500, resolved_recently=0)).reply_by == at("2026-12-07 18:00")
    assert promise(settings(estimate_window_days=0), received, QueueState(20, 45)).estimate_seconds is None


def test_the_surge_flag_is_above_the_threshold_only() -> None:
    s = settings(surge_backlog=50)
    received = at("2026-12-07 10:00")
    assert promise(s, received, QueueState(51, 0)).high_volume
    assert not promise(s, received, QueueState(50, 0)).high_volume
    assert not promise(s, received).high_volume
    assert not promise(settings(surge_backlog=0), received, QueueState(10_000, 0)).high_volume


def test_the_moment_in_the_customers_zone_and_language() -> None:
    moment = at("2026-11-27 18:00")
    assert format_moment(moment, SH, "en") == "Friday 27 Nov, 18:00 (Beijing time)"
    assert format_moment(moment, SH, "zh") == "11月27日（周五）18:00（北京时间）"
    berlin = customer_zone(datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=1))), SH)
    assert format_moment(moment, berlin, "en") == "Friday 27 Nov, 11:00 (UTC+1)"
    india = timezone(timedelta(hours=5, minutes=30))
    assert format_moment(moment, india, "zh") == "11月27日（周五）15:30（UTC+5:30）"
    assert customer_zone(None, SH) is SH
    assert customer_zone(datetime(2026, 1, 1), SH) is SH  # no zone in the Date header


def test_friday_night_before_spring_festival_in_the_customers_zone() -> None:
    # Friday 13 Feb 2026, 22:00 in Shanghai; the customer writes from Berlin (UTC+1 in winter).
    s = settings()
    customer = customer_zone(datetime(2026, 2, 13, 15, 0, tzinfo=timezone(timedelta(hours=1))), SH)
    # Saturday 14 February is a working day in China (调休) before the holiday week.
    by = promise(s, at("2026-02-13 22:00")).reply_by
    assert by == at("2026-02-14 17:00")
    assert format_moment(by, customer, "en") == "Saturday 14 Feb, 10:00 (UTC+1)"
    # Received at the make-up Saturday's closing: the next business day is Tuesday 24 February.
    by = promise(s, at("2026-02-14 18:30")).reply_by
    assert format_moment(by, customer, "en") == "Tuesday 24 Feb, 10:00 (UTC+1)"
    assert format_moment(by, SH, "zh") == "2月24日（周二）17:00（北京时间）"
    # Thursday night before the Mid-Autumn Festival (Friday 25 September) and its weekend: Monday.
    assert promise(s, at("2026-09-24 21:00")).reply_by == at("2026-09-28 17:00")


@pytest.fixture(scope="module")
def hours_app(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> App:
    """Mon-Fri 09:00-18:00 Asia/Shanghai, CN holidays, 31 Dec closed, 8 business hours (loaded once)."""
    sections = {"hours": HOURS, "ack": {"reply_within": "8 business hours"}}
    return load_app(write_config(tmp_path_factory.mktemp("hours"), model_path=model_path, sections=sections))


def test_the_acknowledgement_states_the_promise_and_the_surge(hours_app: App) -> None:
    app = hours_app
    assert app.policy.promise.reply_within == EIGHT_BUSINESS
    surge = replace(app.policy.promise, surge_backlog=10)
    mail = parse_message(authenticated_fixture("zh_qp_account.eml"))
    assert mail.date is not None and mail.date.utcoffset() == timedelta(hours=8)
    decision = decide_mail(mail, screen(mail, app.policy.own_addresses, app.policy.is_own_message_id),
                      Classification("account", 0.9, "account"), app.policy)  # fmt: skip
    calm = promise(surge, at("2026-12-05 10:00"), QueueState(10, 0))  # a Saturday
    body = build_ack(redacted(mail), decision, "INB-000001", app.renderer, app.policy, calm).body
    assert "将于12月7日（周一）17:00（北京时间）前回复您" in body
    assert "咨询量较大" not in body
    busy = promise(surge, at("2026-12-05 10:00"), QueueState(11, 0))
    body = build_ack(redacted(mail), decision, "INB-000001", app.renderer, app.policy, busy).body
    assert "咨询量较大" in body and "请不要重复发送" in body

    en = parse_message(authenticated_fixture("en_withdrawal_complete.eml"))
    decision = decide_mail(en, screen(en, app.policy.own_addresses, app.policy.is_own_message_id),
                      Classification("deposit_withdrawal", 0.9, "deposit_withdrawal"), app.policy)  # fmt: skip
    body = build_ack(redacted(en), decision, "INB-000002", app.renderer, app.policy, busy).body
    # The fixture's Date is +0000: the customer reads UTC.
    assert "get back to you by Monday 7 Dec, 09:00 (UTC)." in body
    assert "unusually high number of messages" in body and "do not send the same request again" in body
    body = build_ack(redacted(en), decision, "INB-000002", app.renderer, app.policy, calm).body
    assert "unusually high" not in body


@pytest.mark.parametrize(
    ("received", "reply_by"),
    [
        ("2026-12-07T10:00:00+08:00", "2026-12-07T18:00:00+08:00"),  # inside hours
        ("2026-12-07T20:00:00+08:00", "2026-12-08T17:00:00+08:00"),  # outside
        ("2026-12-08T08:30:00+08:00", "2026-12-08T17:00:00+08:00"),  # just before opening
        ("2026-12-05T11:00:00+08:00", "2026-12-07T17:00:00+08:00"),  # Saturday
        ("2026-10-01T10:00:00+08:00", "2026-10-08T17:00:00+08:00"),  # National Day
        ("2026-12-30T15:00:00+08:00", "2027-01-04T14:00:00+08:00"),  # closed 31 Dec, New Year's Day
        ("2026-12-07T02:00:00Z", "2026-12-07T18:00:00+08:00"),  # given in UTC: 10:00 in Shanghai
    ],
)
def test_offline_decisions_as_if_received_at(hours_app: App, received: str, reply_by: str) -> None:
    app = hours_app
    assert app.classifier is not None
    decider = OfflineDecider(app.classifier, app.renderer, app.policy, app.config.limits, "INB",
                             at=datetime.fromisoformat(received))  # fmt: skip
    record = decider.record("x", authenticated_fixture("en_withdrawal_complete.eml"))
    assert record["ack"]["reply_by"] == reply_by


def test_classify_json_at(tmp_path: Path, model_path: Path) -> None:
    config = write_config(tmp_path / "cfg", model_path=model_path,
                          sections={"hours": HOURS, "ack": {"reply_within": "8 business hours"}})  # fmt: skip
    eml = str(FIXTURES / "en_withdrawal_complete.eml")
    result = run_inboxd(config, "classify", "--json", "--at", "2026-12-04T17:59:00+08:00", eml)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ack"]["reply_by"] == "2026-12-07T16:59:00+08:00"  # Friday 17:59 -> Monday
    result = run_inboxd(config, "classify", "--json", "--at", "next tuesday", eml)
    assert result.returncode == 2 and "--at" in result.stderr


def test_old_configs_keep_their_promise_and_bad_values_are_config_errors(tmp_path: Path) -> None:
    model_path = tmp_path / "model.npz"  # named, never read
    old_config = write_config(tmp_path / "old", model_path=model_path, sections={"ack": {"reply_within_hours": 48}})
    old = load_app(old_config, with_model=False)
    assert old.policy.promise.reply_within == Span(48 * 3600, False)
    assert old.policy.reply_within_hours == 48
    assert old.policy.promise.calendar.always_open
    bad = write_config(
        tmp_path / "bad",
        model_path=model_path,
        sections={
            "hours": {
                "timezone": "Mars/Olympus",
                "weekly": ["mon-fri 18:00-09:00"],
                "holidays": ["CN", "ZZ"],
                "closed": ["2026-02-30"],
            },
            "ack": {"reply_within": "soon", "reply_within_hours": 8},
            "sla": {"first_response": "8 business days"},
        },
    )
    result = run_inboxd(bad, "check", "--no-model")
    assert result.returncode == 2
    for key in ("hours.timezone", "hours.weekly", "hours.holidays", "hours.closed", "ack.reply_within",
                "sla.first_response"):  # fmt: skip
        assert f"{bad}: {key}:" in result.stderr or f"{bad}: {key}:" in result.stdout, key
    assert "'ZZ'" in result.stderr + result.stdout


def test_the_queue_is_counted_per_category(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    rows = [("deposit_withdrawal", "open", None), ("deposit_withdrawal", "waiting", None),
            ("deposit_withdrawal", "resolved", 1000.0), ("account", "resolved", 10.0), ("account", "open", None)]  # fmt: skip
    with store._tx() as db:
        for category, state, resolved_at in rows:
            db.execute(
                "INSERT INTO tickets (customer, subject, category, language, state, created_at, updated_at, "
                "resolved_at) VALUES ('a@b.cc', 's', ?, 'en', ?, 0, 0, ?)",
                (category, state, resolved_at),
            )
    assert store.queue_counts(resolved_since=500.0) == {"deposit_withdrawal": (2, 1), "account": (1, 0)}
    store.close()


def test_a_mailbox_may_have_its_own_calendar(tmp_path: Path) -> None:
    model_path = tmp_path / "model.npz"  # named, never read
    extra = """
[[mailbox]]
name = "us"
[mailbox.imap]
host = "127.0.0.1"
port = 10143
username = "us@exchange.test"
password_file = "imap-password"
[mailbox.hours]
timezone = "America/New_York"
weekly = ["mon-fri 08:00-20:00"]
holidays = ["US"]
"""
    config = write_config(tmp_path / "cfg", model_path=model_path, sections={"hours": HOURS}, extra=extra)
    default, us = load_configs(config)
    assert default.hours.timezone == "Asia/Shanghai" and us.hours.timezone == "America/New_York"
    ny = ZoneInfo("America/New_York")
    # Thanksgiving (Thursday 26 Nov 2026) is closed in New York, not in Shanghai.
    received = datetime(2026, 11, 25, 19, 0, tzinfo=ny)
    assert us.hours.calendar().add_business_time(received, timedelta(hours=2)) == datetime(
        2026, 11, 27, 9, 0, tzinfo=ny
    )
