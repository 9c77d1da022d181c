"""`processing.workers` by default leaves one core to the main process, and starts 1 to 4 workers."""

from __future__ import annotations

import pytest

from inboxd.config import running
from inboxd.config.running import ProcessingConfig


@pytest.mark.parametrize(("cores", "workers"), [(None, 1), (1, 1), (2, 1), (3, 2), (5, 4), (64, 4)])
def test_default_workers_follow_the_cores(monkeypatch: pytest.MonkeyPatch, cores: int | None, workers: int) -> None:
    monkeypatch.setattr(running.os, "cpu_count", lambda: cores)
    assert ProcessingConfig().workers == workers
    assert ProcessingConfig(workers=0).workers == 0  # set: kept, whatever the machine
