"""The sections about inboxd's own running: the store, the schedule, the worker processes, the
classifier and template folders, logging, metrics, webhooks ([[notify]]) and the console."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from inboxd.config.fields import Section


class StoreConfig(Section):
    # SQLite (the default, no server): a file. PostgreSQL (two hosts sharing a mailbox):
    # a postgresql:// URL without the password, which comes from password_env/password_file.
    path: Path | None = None
    url: str | None = Field(None, pattern=r"^postgres(ql)?://")
    password_env: str | None = None
    password_file: Path | None = None

    @model_validator(mode="after")
    def _one_database(self) -> StoreConfig:
        if (self.path is None) == (self.url is None):
            raise ValueError("set path (SQLite) or url (PostgreSQL), exactly one of them")
        if self.url and re.match(r"^postgres(ql)?://[^/@]*:[^/@]*@", self.url):
            raise ValueError("the url holds a password: use password_env or password_file instead")
        if self.path and (self.password_env or self.password_file):
            raise ValueError("password_env/password_file are for a PostgreSQL url")
        if self.password_env and self.password_file:
            raise ValueError("set password_env or password_file, not both")
        return self

    @property
    def target(self) -> Path | str:
        """What the store opens: the SQLite file or the PostgreSQL URL."""
        return self.url if self.url else self.path  # type: ignore[return-value]


class ScheduleConfig(Section):
    interval_seconds: float = Field(60.0, ge=1)
    # How long a mailbox lease lasts without renewal: a second inboxd takes over after it.
    lease_seconds: float = Field(300.0, ge=10)


def default_workers() -> int:
    """A core for the main process (it decides, records and sends every mail, and waits on the
    SMTP server in between), the others for workers, at most 4. On two cores that is one
    worker: a second one was measured no faster (267 vs 271 mails/s, benchmarks/throughput.py)
    and costs 60 MiB and its start-up."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


class ProcessingConfig(Section):
    # Worker processes that parse, redact and read a burst of mail (inboxd.workers); 0: all in
    # the main process. The pool is started only for a tick with 50 or more new mails.
    workers: int = Field(default_factory=default_workers, ge=0, le=64)
    # The main process prepares a chunk of the burst itself when it would otherwise wait for a
    # worker that has not started it. False: every mail of a burst is prepared in a worker, so a
    # mail that crashes its parser (a C extension) costs a worker, never the daemon.
    take_back: bool = True


class ClassifierConfig(Section):
    dir: Path = Path("classifiers")
    model_path: Path = Path("var/model.npz")
    # Train in memory at start-up when the stored model is missing or stale,
    # instead of refusing to start.
    train_if_stale: bool = False


class TemplatesConfig(Section):
    dir: Path = Path("templates")


class LoggingConfig(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class MetricsConfig(Section):
    # host:port of the Prometheus endpoint; "" turns it off.
    listen: str = Field("", pattern=r"^$|^[^:\s]*:\d{1,5}$")


NotifyEvent = Literal[
    "security_incident", "escalation", "sla_breach", "quarantine", "ack_unknown_fate", "volume_budget",
    "phishing_report",
]  # fmt: skip


def _loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NotifyConfig(Section):
    """One webhook ([[notify]]): where inboxd reports the events that need a person (inboxd.webhooks)."""

    url: str = Field(min_length=1)
    events: tuple[NotifyEvent, ...] = Field(min_length=1)
    format: Literal["json", "slack"] = "json"
    # The HMAC key of the signature header, from the environment or a file (never this file).
    secret_env: str | None = None
    secret_file: Path | None = None
    # Short: a receiver that hangs must not hold up the poll tick for long.
    timeout_seconds: float = Field(5.0, gt=0, le=60)
    # An event not delivered after this long is given up (recorded as failed, a metric).
    max_age_hours: float = Field(24.0, gt=0, le=24 * 14)
    # After a failed attempt, wait this long, doubling with each further one (at most an hour).
    retry_base_seconds: float = Field(10.0, ge=0.1, le=3600)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {value!r}")
        if parts.username or parts.password:
            raise ValueError("the url holds a user or password: use secret_env or secret_file instead")
        # The events name tickets and incidents: in clear text only to this host itself.
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise ValueError(f"http:// is allowed only to a loopback host, not {parts.hostname!r}: use https://")
        return value

    @field_validator("events")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("an event is listed twice")
        return value

    @model_validator(mode="after")
    def _secret(self) -> NotifyConfig:
        if self.secret_env and self.secret_file:
            raise ValueError("set secret_env or secret_file, not both")
        # Slack's incoming webhooks check no signature (the URL is the secret); any other
        # receiver must be able to tell our events from a stranger's.
        if self.format == "json" and not (self.secret_env or self.secret_file):
            raise ValueError('format = "json" needs secret_env or secret_file (the key of the signature header)')
        return self


class ConsoleConfig(Section):
    """`inboxd console`, the operators' web application (inboxd.console)."""

    # host:port; loopback by default: put a TLS proxy in front to reach it from elsewhere.
    listen: str = Field("127.0.0.1:8025", pattern=r"^[^:\s]*:\d{1,5}$")
    # The operators' secret (login form, `Authorization: Bearer`): exactly one, never in this file.
    token_env: str | None = None
    token_file: Path | None = None
    # How long the redacted text the model read is kept with each decision (0: not kept).
    keep_text_days: float = Field(30.0, ge=0)

    @model_validator(mode="after")
    def _one_token_source(self) -> ConsoleConfig:
        if self.token_env and self.token_file:
            raise ValueError("set token_env or token_file, not both")
        return self
