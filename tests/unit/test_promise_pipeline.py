"""The promise through a tick (servers faked, the clock fixed): the store's queue makes it later,
and above the surge threshold the acknowledgement asks the customer not to write again."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inboxd.compose import App, load_app
from inboxd.store import Store
from tests.conftest import write_config
from tests.unit.test_pipeline_faults import FakeMailbox, FakeOutbox, processor

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=SH).timestamp()  # Monday 10:00 in Shanghai
HOURS = {"timezone": "Asia/Shanghai", "weekly": ["mon-fri 09:00-18:00"], "holidays": ["CN"]}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> App:
    ack = {"reply_within": "8 business hours", "surge_backlog": 10, "estimate_window_days": 7}
    config = write_config(tmp_path_factory.mktemp("cfg"), model_path=model_path, sections={"hours": HOURS, "ack": ack})
    return load_app(config)


def queue(store: Store, app: App, open_tickets: int, resolved: int) -> None:
    """Every category's queue: tickets still open, and tickets resolved an hour before NOW."""
    with store._tx() as db:
        for category in app.policy.categories:
            for state, count, resolved_at in (("open", open_tickets, None), ("resolved", resolved, NOW - 3600)):
                for _ in range(count):
                    db.execute(
                        "INSERT INTO tickets (customer, subject, category, language, state, created_at, updated_at, "
                        "resolved_at) VALUES ('a@b.cc', 's', ?, 'en', ?, 0, 0, ?)",
                        (category, state, resolved_at),
                    )


def body_of_tick(app: App, store: Store) -> str:
    box, outbox = FakeMailbox(["en_withdrawal_complete.eml"]), FakeOutbox()
    report = processor(app, store, box, outbox, clock=lambda: NOW).tick()
    assert report.sent == 1
    return outbox.sent[0].body


def test_a_quiet_queue_keeps_the_promise(app: App, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    queue(store, app, open_tickets=2, resolved=45)
    body = body_of_tick(app, store)
    # The fixture's Date is +0000: Monday 18:00 in Shanghai is 10:00 UTC.
    assert "get back to you by Monday 7 Dec, 10:00 (UTC)." in body
    assert "unusually high" not in body


def test_a_backlog_makes_the_promise_later_and_asks_not_to_write_again(app: App, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    # 45 resolved in the 45 business hours before Monday 10:00: one an hour; 20 open: 20 business hours.
    queue(store, app, open_tickets=20, resolved=45)
    body = body_of_tick(app, store)
    # Monday 10:00 + 20 business hours = Wednesday 12:00 in Shanghai, 04:00 UTC.
    assert "get back to you by Wednesday 9 Dec, 04:00 (UTC)." in body
    assert "unusually high number of messages" in body
