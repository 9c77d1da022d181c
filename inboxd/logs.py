"""Logging set-up: human text or one JSON object per line.

Log records carry structured fields in `extra` (event, row, message_id, action,
category …). Callers never put mail bodies or customer secrets in a log record:
only identifiers, decisions and server errors. Those still come from the mail (a
Message-ID, a subject in an error) and the log is often a terminal: a record is written
with its control characters shown, never obeyed (inboxd.terminal). No level, DEBUG
included, lets a library write message bytes: see `_CAPPED`.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from inboxd.terminal import json_text, shown

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json_text(out, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {k: v for k, v in _fields(record).items() if v not in (None, [], "")}
        if fields:
            text += " " + " ".join(f"{k}={v}" for k, v in fields.items() if k != "event")
        return shown(text)


# Libraries' loggers held at WARNING whatever the configured level. What the others write
# at DEBUG was read and holds no mail: psycopg (host and port of connection attempts),
# charset_normalizer (code page names and scores), asyncio; mail-parser, which logs raw
# header text, is silenced where it is imported (inboxd.parse, also in worker processes);
# smtplib prints the SMTP conversation only after set_debuglevel, never called.
_CAPPED = {
    # The whole IMAP conversation at DEBUG, through its children imapclient.imaplib and
    # imapclient.util: every FETCH literal, i.e. every mail with the seed phrases, keys and
    # passwords customers send, before inboxd.redact has removed them.
    "imapclient": logging.WARNING,
    # Every job run at INFO.
    "apscheduler": logging.WARNING,
}


def setup_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, floor in _CAPPED.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
