"""The tick and the daemon loop when the store or the lease fails under them (servers faked).

The end-to-end proof against real servers is benchmarks/faults.py (and its quick run in
tests/faults/); these pin down each decision the daemon makes about such a failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inboxd.daemon import App, Daemon
from inboxd.errors import MailboxError, StoreError, StoreUnavailable
from inboxd.store import Store


class FailingProcessor:
    def __init__(self, error: Exception):
        self.error = error

    def tick(self) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "fatal"),
    [
        (StoreUnavailable("s.db: database is locked"), False),
        (StoreUnavailable("s.db: database or disk is full"), False),
        (MailboxError("cannot connect to IMAP"), False),
        (StoreError("s.db: database disk image is malformed"), True),
    ],
)
def test_the_daemon_waits_out_what_may_pass_and_stops_on_what_will_not(
    offline_app: App, tmp_path: Path, error: Exception, fatal: bool
) -> None:
    store = Store(tmp_path / "s.db")
    daemon = Daemon(offline_app, store)
    daemon.processor = FailingProcessor(error)  # type: ignore[assignment]
    daemon._tick()
    assert daemon.stop.is_set() is fatal
    assert (daemon.fatal is error) is fatal
    if not fatal:
        assert daemon._not_before > 0  # backing off before the next try
