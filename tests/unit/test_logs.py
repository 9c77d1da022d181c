"""Logging set-up: no level lets a library write message bytes (the real run: tests/integration/test_debug_logging.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from inboxd.logs import setup_logging

# imapclient.imaplib logs every IMAP line, FETCH literals (whole mails) included, at DEBUG.
PROTOCOL_LOGGERS = ("imapclient", "imapclient.imaplib", "imapclient.util", "apscheduler.scheduler")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in ("imapclient", "apscheduler")}
    yield
    root.handlers[:], root.level = handlers, level
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING", "ERROR"])
def test_library_protocol_loggers_stay_at_warning_or_above(level: str) -> None:
    setup_logging(level, "text")
    assert logging.getLogger("inboxd.pipeline").getEffectiveLevel() == logging.getLevelName(level)
    for name in PROTOCOL_LOGGERS:
        effective = logging.getLogger(name).getEffectiveLevel()
        assert effective >= max(logging.WARNING, logging.getLevelName(level)), name
