"""Load and validate `config.toml` into frozen objects.

Every problem in the file is reported at once, each with the file, the dotted key
and the reason, so an operator fixes the file in one pass. Relative paths are
resolved against the folder that holds the config file. Secrets are never read
from this file: only the name of an environment variable or of a file that holds
them (see `read_secret`).

Loading reads no file but the config itself (the demo loads it to learn where to create
the files it names). `path_problems` then checks every file and folder it names, as
`inboxd check` and start-up do (inboxd.daemon.load_apps): a CA file that is missing or
not PEM is a config problem at start, not a traceback at the first connection.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import re
import shlex
import ssl
import stat
import tomllib
import zoneinfo
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from inboxd.domains import cut, normalise
from inboxd.errors import ConfigError, Problem

if TYPE_CHECKING:
    from inboxd.hours import Calendar

Security = Literal["tls", "starttls", "none"]
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*\.?$")


def _host_names(value: tuple[str, ...], what: str) -> tuple[str, ...]:
    """Host names as DNS compares them (lower case, no trailing dot), or a ValueError naming the bad ones."""
    bad = [name for name in value if not _HOST.match(name)]
    if bad:
        raise ValueError(f"not {what}: {', '.join(map(repr, bad))}")
    return tuple(name.lower().rstrip(".") for name in value)


def _registrable_names(value: tuple[str, ...]) -> tuple[str, ...]:
    """Domains someone can own (a registrable domain or a subdomain of one, IDN allowed), normalised
    (lower case, punycode, no trailing dot), or a ValueError naming the bad ones."""
    names = [normalise(name) for name in value]
    bad = [
        given
        for given, name in zip(value, names, strict=True)
        if not _HOST.match(name) or "." not in name or not cut(name)[1] or not name.isascii()
    ]
    if bad:
        raise ValueError(f"not registrable domain names (like exchange.example): {', '.join(map(repr, bad))}")
    return tuple(dict.fromkeys(names))


class _Section(BaseModel):
    # extra="forbid" turns a misspelt key into an error instead of a silent default.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


Auth = Literal["password", "xoauth2"]
_OAUTH2_KEYS = ("oauth2_token_file", "oauth2_token_command", "oauth2_token_ttl_seconds")


class _WithLogin(_Section):
    """How inboxd logs in: a password (from the environment or a file), or SASL XOAUTH2 with an
    OAuth2 access token from a file or a command (see inboxd.oauth)."""

    auth: Auth = "password"
    password_env: str | None = None
    password_file: Path | None = None
    oauth2_token_file: Path | None = None
    # A command line (split like a shell would, run without one) that prints the access token.
    oauth2_token_command: str | None = None
    # A command's token is used for this long, then the command is run again.
    oauth2_token_ttl_seconds: float = Field(50 * 60.0, ge=60)

    @field_validator("oauth2_token_command")
    @classmethod
    def _command_line(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            words = shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"cannot split the command line: {exc}") from exc
        if not words:
            raise ValueError("the command line is empty")
        return value

    @model_validator(mode="after")
    def _one_credential_source(self) -> _WithLogin:
        if self.password_env and self.password_file:
            raise ValueError("set password_env or password_file, not both")
        if self.auth == "password":
            given = [key for key in _OAUTH2_KEYS if key in self.model_fields_set]
            if given:
                raise ValueError(f'{", ".join(given)} need(s) auth = "xoauth2" (auth is "password")')
            return self
        if self.password_env or self.password_file:
            raise ValueError('auth = "xoauth2" logs in with an access token: remove password_env/password_file')
        if self.oauth2_token_file is not None and self.oauth2_token_command is not None:
            raise ValueError("set oauth2_token_file or oauth2_token_command, not both")
        if self.oauth2_token_file is None and self.oauth2_token_command is None:
            raise ValueError('auth = "xoauth2" needs oauth2_token_file or oauth2_token_command')
        return self


class ImapConfig(_WithLogin):
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    security: Security = "tls"
    username: str = Field(min_length=1)
    folder: str = Field("INBOX", min_length=1)
    # Where mail that cannot be handled is moved; "" keeps it in place with a keyword.
    quarantine_folder: str = "Quarantine"
    # Where a mail holding a customer secret (seed phrase, private key, password) is moved,
    # so that it leaves the shared inbox; "" keeps it in place with $Inboxd-Secret.
    restricted_folder: str = "Restricted"
    # Move handled mail into the per-category folder named in classifiers/categories.toml.
    move_to_category_folders: bool = False
    batch_size: int = Field(200, ge=1, le=2000)
    timeout_seconds: float = Field(30.0, gt=0)
    tls_verify: bool = True
    ca_file: Path | None = None
    # Use IMAP IDLE (when the server has it) to poll as soon as mail arrives.
    idle: bool = True

    @model_validator(mode="after")
    def _needs_password(self) -> ImapConfig:
        if self.auth == "password" and not (self.password_env or self.password_file):
            raise ValueError("set password_env or password_file (the password never goes in this file)")
        return self


class SmtpConfig(_WithLogin):
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    security: Security = "starttls"
    username: str | None = None
    from_address: str
    from_name: str = "Support"
    timeout_seconds: float = Field(30.0, gt=0)
    tls_verify: bool = True
    ca_file: Path | None = None

    @field_validator("from_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"not an e-mail address: {value!r}")
        return value.lower()

    @model_validator(mode="after")
    def _auth_complete(self) -> SmtpConfig:
        if self.auth == "xoauth2":
            if not self.username:
                raise ValueError('auth = "xoauth2": also set username (the account the token belongs to)')
            return self
        if self.username and not (self.password_env or self.password_file):
            raise ValueError("username is set: also set password_env or password_file")
        if (self.password_env or self.password_file) and not self.username:
            raise ValueError("a password source is set: also set username")
        return self


class StoreConfig(_Section):
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


class ScheduleConfig(_Section):
    interval_seconds: float = Field(60.0, ge=1)
    # How long a mailbox lease lasts without renewal: a second inboxd takes over after it.
    lease_seconds: float = Field(300.0, ge=10)


class ProcessingConfig(_Section):
    # Worker processes that parse and redact a burst of mail (inboxd.workers); 0 or 1: all in
    # the main process. The pool is started only for a tick with 50 or more new mails.
    workers: int = Field(2, ge=0, le=64)


class ClassifierConfig(_Section):
    dir: Path = Path("classifiers")
    model_path: Path = Path("var/model.skops")
    # Train in memory at start-up when the stored model is missing or stale,
    # instead of refusing to start.
    train_if_stale: bool = False


class TemplatesConfig(_Section):
    dir: Path = Path("templates")


def _span(value: str | None) -> str | None:
    """A duration as inboxd.hours reads it ("8 business hours", "24 hours"), checked now."""
    if value is not None:
        from inboxd.hours import parse_span  # noqa: PLC0415 (holidays is imported only when hours are used)

        parse_span(value)
    return value


class AckConfig(_Section):
    ticket_prefix: str = Field("INB", pattern=r"^[A-Z][A-Z0-9]{1,9}$")
    # The promise: "8 business hours" (counted on the [hours] calendar) or "24 hours" (calendar
    # time). reply_within_hours (a number of calendar hours) is the older spelling of the latter.
    reply_within: str | None = None
    reply_within_hours: int = Field(24, ge=1, le=24 * 14)
    # The queue's estimate (see inboxd.promise): the rate of resolution over this many days
    # (0: no estimate), bounded by estimate_max; above surge_backlog unresolved tickets in the
    # mail's category (0: never) the ack says volume is high.
    estimate_window_days: float = Field(7.0, ge=0, le=90)
    estimate_max: str = "40 business hours"
    surge_backlog: int = Field(200, ge=0)
    default_language: Literal["en", "zh"] = "en"
    # Addresses that are ours besides smtp.from_address and imap.username: never answered.
    own_addresses: tuple[str, ...] = ()
    # Domain of the Message-IDs we generate; defaults to the from_address domain.
    message_id_domain: str | None = None
    max_send_attempts: int = Field(8, ge=1, le=100)
    retry_base_seconds: float = Field(60.0, ge=1)
    # A sender gets at most this many acknowledgements per window; more mail is recorded, not answered.
    max_per_sender: int = Field(5, ge=1)
    sender_window_minutes: float = Field(60.0, gt=0)
    # And so does a sender's domain (someone rotating addresses of one domain), except the
    # large mail providers that many customers share, listed here.
    max_per_sender_domain: int = Field(30, ge=1)
    domain_limit_exempt: tuple[str, ...] = (
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
        "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "mail.ru",
        "yandex.ru", "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn",
        "sohu.com", "aliyun.com", "139.com", "189.cn", "naver.com", "hanmail.net", "yahoo.co.jp",
    )  # fmt: skip
    # At most this many automatic mails (acknowledgements and confirmations) an hour in all;
    # above it inboxd keeps deciding and recording, stops answering, and says so (metric, log).
    max_per_hour: int = Field(1000, ge=1)

    _reply_within = field_validator("reply_within", "estimate_max")(_span)

    @model_validator(mode="after")
    def _one_promise(self) -> AckConfig:
        if self.reply_within is not None and "reply_within_hours" in self.model_fields_set:
            raise ValueError("set reply_within or reply_within_hours (its older spelling), not both")
        return self

    @property
    def reply_span(self) -> str:
        return self.reply_within or f"{self.reply_within_hours} hours"

    @field_validator("own_addresses")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [a for a in value if not _EMAIL.match(a)]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(map(repr, bad))}")
        return tuple(a.lower() for a in value)

    @field_validator("domain_limit_exempt")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _host_names(value, "domain names")


class HoursConfig(_Section):
    """The business calendar promises are counted on (see inboxd.hours and docs/hours.md)."""

    timezone: str = "UTC"
    # Opening hours, wall-clock in `timezone`: "mon-fri 09:00-18:00", "sat 10:00-14:00", ...
    weekly: tuple[str, ...] = ("mon-sun 00:00-24:00",)
    # Markets whose public holidays close the day: "CN", "HK", "SG", "US", "US-NY", "XHKG", ...
    holidays: tuple[str, ...] = ()
    # Extra closed dates, "YYYY-MM-DD".
    closed: tuple[str, ...] = ()
    # A market's weekend working day (China's 调休) is open, with a regular weekday's hours.
    makeup_workdays: bool = True

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _time_zone(value)

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from inboxd.hours import parse_weekly  # noqa: PLC0415

        if not any(parse_weekly(value)):
            raise ValueError("no opening hours: support would never be open")
        return value

    @field_validator("holidays")
    @classmethod
    def _markets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from inboxd.hours import holiday_source  # noqa: PLC0415

        holiday_source(value)
        return value

    @field_validator("closed")
    @classmethod
    def _dates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = []
        for text in value:
            try:
                date.fromisoformat(text)
            except ValueError:
                bad.append(text)
        if bad or any(len(t) != 10 for t in value):
            raise ValueError(f"not dates (YYYY-MM-DD): {', '.join(map(repr, bad or value))}")
        return value

    def calendar(self) -> Calendar:
        from inboxd.hours import make_calendar  # noqa: PLC0415

        closed = [date.fromisoformat(d) for d in self.closed]
        return make_calendar(self.timezone, self.weekly, self.holidays, closed, self.makeup_workdays)


class SlaConfig(_Section):
    """Due times per ticket, counted on the [hours] calendar like reply_within; unset: not tracked."""

    first_response: str | None = None
    resolution: str | None = None

    _spans = field_validator("first_response", "resolution")(_span)


class TrustConfig(_Section):
    """Whose word about a sender counts (see inboxd.trust)."""

    # authserv-ids of the exchange's own receiving servers: only their Authentication-Results
    # headers are read (the topmost one with such an id), every other one is ignored.
    authserv_ids: tuple[str, ...] = ()
    # Check DKIM signatures ourselves (DNS lookups) when no trusted header is there.
    verify_dkim: bool = False
    # The exchange's own domains: a link to one of them or a subdomain is `official`, a name made
    # to pass for one is a `lookalike` (inboxd.links). Empty: every domain in a mail is `other`.
    official_domains: tuple[str, ...] = ()

    @field_validator("authserv_ids")
    @classmethod
    def _ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _host_names(value, "authserv-ids (host names as the server writes them)")

    @field_validator("official_domains")
    @classmethod
    def _official(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _registrable_names(value)


class SpamHeaderRule(_Section):
    """Mail whose `header` (its first, topmost value) matches `pattern` is spam."""

    header: str = Field(pattern=r"^[!-9;-~]{1,76}$")  # a header field name
    pattern: str = Field(min_length=1)

    @field_validator("header")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            compiled = re.compile(value, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        if compiled.search(""):
            raise ValueError("matches the empty value, so it would match every mail that has the header")
        return value


class SpamConfig(_Section):
    """Spam is not a ticket (see inboxd.spam)."""

    # Believe the receiving server's X-Spam-Flag / X-Spam-Status / SCL and header_rules. Only
    # when that server sets them on every mail and removes any the sender wrote.
    trust_headers: bool = False
    header_rules: tuple[SpamHeaderRule, ...] = ()
    # Skip mail whose best intent is `unsolicited` with at least this confidence and no
    # support cue in it; 0 turns it off.
    unsolicited_confidence: float = Field(0.9, ge=0, le=1)
    # Where skipped spam is moved (after its decision is committed); "" keeps it in place
    # with $Inboxd-Spam. Never deleted.
    folder: str = ""


class TicketsConfig(_Section):
    # A reply that completes the missing information gets a short confirmation.
    confirm_when_complete: bool = True
    # Same customer, same subject, ticket not resolved, within this: the same request.
    subject_window_hours: float = Field(72.0, gt=0)
    # This many follow-ups within the window without an answer escalate the ticket.
    escalate_after_followups: int = Field(3, ge=2)
    followup_window_hours: float = Field(48.0, gt=0)
    # Agents set this keyword on a ticket's mail in their mail client to resolve the ticket.
    resolved_keyword: str = Field("$Inboxd-Resolved", pattern=r"^\$?[A-Za-z0-9_.-]{1,64}$")
    # A resolved ticket's customer gets one resolution notice; a reply within this many days
    # reopens and escalates the ticket, and without one the ticket is closed after it.
    reopen_within_days: float = Field(7.0, gt=0, le=365)


class LimitsConfig(_Section):
    max_message_bytes: int = Field(25 * 1024 * 1024, ge=1024)
    max_mime_parts: int = Field(250, ge=1)
    max_mime_depth: int = Field(20, ge=1, le=200)
    max_text_chars: int = Field(200_000, ge=1000)
    # Hostile-mail bounds on the parser's own cost (see docs/security.md, "Parsing and screening").
    max_headers: int = Field(1000, ge=10)  # header fields in one header block
    max_header_bytes: int = Field(256 * 1024, ge=1024)  # bytes of one header block
    max_html_chars: int = Field(1_000_000, ge=1000)  # HTML handed to the HTML-to-text converter
    max_parse_seconds: float = Field(5.0, gt=0, le=300)  # wall-clock budget for one message


def _time_zone(value: str) -> str:
    """An IANA time zone name, or the error that names it."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


class ExtractConfig(_Section):
    default_timezone: str = "UTC"

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _time_zone(value)


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class MetricsConfig(_Section):
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


class NotifyConfig(_Section):
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


class MailboxSection(_Section):
    """One of several mailboxes ([[mailbox]]): its own IMAP, and optionally its own SMTP,
    templates, acknowledgement settings (sender name, ticket prefix, limits) and mail limits."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    imap: ImapConfig
    smtp: SmtpConfig | None = None
    templates: TemplatesConfig | None = None
    ack: AckConfig | None = None
    limits: LimitsConfig | None = None
    hours: HoursConfig | None = None


class ConsoleConfig(_Section):
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


class _Sections(_Section):
    """The sections every mailbox has; a [[mailbox]] may override templates, ack and limits."""

    store: StoreConfig
    schedule: ScheduleConfig = ScheduleConfig()
    processing: ProcessingConfig = ProcessingConfig()
    classifier: ClassifierConfig = ClassifierConfig()
    templates: TemplatesConfig = TemplatesConfig()
    ack: AckConfig = AckConfig()
    hours: HoursConfig = HoursConfig()
    sla: SlaConfig = SlaConfig()
    tickets: TicketsConfig = TicketsConfig()
    trust: TrustConfig = TrustConfig()
    spam: SpamConfig = SpamConfig()
    limits: LimitsConfig = LimitsConfig()
    extract: ExtractConfig = ExtractConfig()
    logging: LoggingConfig = LoggingConfig()
    metrics: MetricsConfig = MetricsConfig()
    console: ConsoleConfig = ConsoleConfig()


class _File(_Sections):
    """config.toml as written: a single [imap] mailbox, [[mailbox]] entries, or both."""

    imap: ImapConfig | None = None
    mailbox: tuple[MailboxSection, ...] = ()
    smtp: SmtpConfig | None = None
    notify: tuple[NotifyConfig, ...] = ()


# What a path of the config must be (see `path_problems`).
PathUse = Literal["file", "ca_file", "token_file", "folder", "created"]


class Config(_Sections):
    """Everything one mailbox runs with (the shared sections plus its own)."""

    name: str = "default"  # the mailbox's name: "default" for [imap], else [[mailbox]] name
    imap: ImapConfig
    smtp: SmtpConfig
    source: Path = Path("config.toml")  # set by load_config, not read from the file
    # Every file and folder this mailbox uses: (key as written in the file, what it must be,
    # resolved path). Set by load_configs, which knows which sections are shared.
    paths: tuple[tuple[str, PathUse, Path], ...] = ()
    notify: tuple[NotifyConfig, ...] = ()  # shared by every mailbox

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset({self.smtp.from_address, self.imap.username.lower(), *self.ack.own_addresses})

    @property
    def message_id_domain(self) -> str:
        return self.ack.message_id_domain or self.smtp.from_address.rpartition("@")[2]

    @property
    def account(self) -> str:
        """The mailbox identity used in message keys and checkpoints."""
        return f"{self.imap.username}@{self.imap.host}:{self.imap.port}"


def _location(loc: tuple[int | str, ...]) -> str:
    # pydantic reports model-level validators under the section name only.
    return ".".join(str(part) for part in loc if part not in ("function-after",))


def _reason(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def _resolve(base: Path, path: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else (base / path)


def _resolve_optional(base: Path, path: Path | None) -> Path | None:
    return None if path is None else _resolve(base, path)


_Login = TypeVar("_Login", ImapConfig, SmtpConfig)


def _resolved_files(base: Path, section: _Login) -> _Login:
    """The section with its file paths relative to the config file's folder."""
    return section.model_copy(
        update={
            "password_file": _resolve_optional(base, section.password_file),
            "oauth2_token_file": _resolve_optional(base, section.oauth2_token_file),
            "ca_file": _resolve_optional(base, section.ca_file),
        }
    )


def load_configs(path: Path) -> list[Config]:
    """Read and validate a config file: one Config per mailbox, or ConfigError listing every problem."""
    name = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([Problem(name, "", f"cannot read: {exc.strerror or exc}")]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(name, "", f"not valid TOML: {exc}")]) from exc
    for reserved in ("source", "name"):
        if reserved in data:
            raise ConfigError([Problem(name, reserved, "unknown key")])
    try:
        # Validated in pydantic's JSON mode: strict (a "143" is not a port, "yes" is
        # not a bool) while still taking strings for paths and arrays for tuples.
        file = _File.model_validate_json(json.dumps(data, default=str))
    except ValidationError as exc:
        problems = [Problem(name, _location(e["loc"]), _reason(e)) for e in exc.errors()]
        raise ConfigError(problems) from exc

    problems = []
    entries: list[tuple[str, str, MailboxSection | None, ImapConfig]] = []
    if file.imap is not None:
        entries.append(("default", "imap", None, file.imap))
    for index, entry in enumerate(file.mailbox):
        entries.append((entry.name, f"mailbox[{index}]", entry, entry.imap))
    if not entries:
        problems.append(Problem(name, "imap", "required key is missing (or define [[mailbox]] entries)"))
    seen_names: set[str] = set()
    seen_boxes: set[tuple[str, int, str, str]] = set()
    for box_name, key, own, imap in entries:
        if box_name in seen_names:
            problems.append(Problem(name, f"{key}.name", f"two mailboxes are called {box_name!r}"))
        seen_names.add(box_name)
        identity = (imap.host, imap.port, imap.username.lower(), imap.folder)
        if identity in seen_boxes:
            problems.append(Problem(name, f"{key}.imap", "the same server, user and folder as another mailbox"))
        seen_boxes.add(identity)
        if (own is None or own.smtp is None) and file.smtp is None:
            problems.append(Problem(name, "smtp" if own is None else f"{key}.smtp", "required key is missing"))
    if problems:
        raise ConfigError(problems)

    base = path.resolve().parent
    store = file.store.model_copy(
        update={
            "path": _resolve_optional(base, file.store.path),
            "password_file": _resolve_optional(base, file.store.password_file),
        }
    )
    classifier = file.classifier.model_copy(
        update={"dir": _resolve(base, file.classifier.dir), "model_path": _resolve(base, file.classifier.model_path)}
    )
    notify = tuple(n.model_copy(update={"secret_file": _resolve_optional(base, n.secret_file)}) for n in file.notify)
    console = file.console.model_copy(update={"token_file": _resolve_optional(base, file.console.token_file)})
    shared_paths: list[tuple[str, PathUse, Path | None]] = [
        ("store.path", "created", store.path),
        ("store.password_file", "file", store.password_file),
        ("classifier.dir", "folder", classifier.dir),
        ("classifier.model_path", "created", classifier.model_path),
        *((f"notify[{i}].secret_file", "file", n.secret_file) for i, n in enumerate(notify)),
        # Not console.token_file: only `inboxd console` needs it, and checks it when it starts
        # (inboxd.console.auth); the daemon and the other commands must not stop for it.
    ]
    configs = []
    for box_name, key, section, imap in entries:
        smtp = section.smtp if section and section.smtp else file.smtp
        templates = section.templates if section and section.templates else file.templates
        assert smtp is not None
        resolved_imap, resolved_smtp = _resolved_files(base, imap), _resolved_files(base, smtp)
        templates_dir = _resolve(base, templates.dir)
        # Keys as the operator finds them in the file: a [[mailbox]]'s own sections, or the shared ones.
        paths = [
            *shared_paths,
            *_login_paths("imap" if section is None else f"{key}.imap", resolved_imap),
            *_login_paths(f"{key}.smtp" if section and section.smtp else "smtp", resolved_smtp),
            (f"{key}.templates.dir" if section and section.templates else "templates.dir", "folder", templates_dir),
        ]
        configs.append(
            Config.model_construct(
                name=box_name,
                imap=resolved_imap,
                smtp=resolved_smtp,
                store=store,
                schedule=file.schedule,
                processing=file.processing,
                classifier=classifier,
                templates=TemplatesConfig.model_construct(dir=templates_dir),
                ack=section.ack if section and section.ack else file.ack,
                hours=section.hours if section and section.hours else file.hours,
                sla=file.sla,
                tickets=file.tickets,
                trust=file.trust,
                spam=file.spam,
                limits=section.limits if section and section.limits else file.limits,
                extract=file.extract,
                logging=file.logging,
                metrics=file.metrics,
                console=console,
                source=path,
                paths=tuple((k, use, p) for k, use, p in paths if p is not None),
                notify=notify,
            )
        )
    return configs


def _login_paths(key: str, section: ImapConfig | SmtpConfig) -> list[tuple[str, PathUse, Path | None]]:
    return [
        (f"{key}.password_file", "file", section.password_file),
        (f"{key}.oauth2_token_file", "token_file", section.oauth2_token_file),
        (f"{key}.ca_file", "ca_file", section.ca_file),
    ]


def _file_problem(path: Path) -> str | None:
    """Why `path` is not a readable file (worded as `read_secret` words it), or None."""
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            return f"cannot read {path}: {os.strerror(errno.EISDIR)}"
        if not stat.S_ISREG(mode):  # a FIFO would block the reader
            return f"cannot read {path}: not a regular file"
        with path.open("rb"):
            return None
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"


def _ca_file_problem(path: Path) -> str | None:
    """Why `path` cannot verify a server: unreadable, or no PEM certificate in it (DER, a key, junk)."""
    problem = _file_problem(path)
    if problem is not None:
        return problem
    try:
        ssl.create_default_context(cafile=str(path))  # as inboxd.mailbox.tls_context loads it
    except (ssl.SSLError, ValueError) as exc:
        detail = re.sub(r"\s*\(_ssl\.c:\d+\)$", "", str(exc))  # where in CPython's source: no help
        return f"{path} is not a PEM certificate file ({detail})"
    return None


def _token_file_problem(path: Path) -> str | None:
    """A token file is read at every login and may be written after start-up by a refresher
    (`inboxd check` fetches it): only an unreadable file or a missing folder is a problem now."""
    if path.exists() or path.is_symlink():
        return _file_problem(path)
    if _folder_problem(path.parent) is not None:  # worded as the login's own reading words it
        return f"cannot read {path}: {os.strerror(errno.ENOENT)}"
    return None


def _folder_problem(path: Path) -> str | None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot read the folder {path}: {exc.strerror or exc}"
    if not stat.S_ISDIR(mode):
        return f"{path} is not a folder"
    if not os.access(path, os.R_OK | os.X_OK):
        return f"cannot read the folder {path}: {os.strerror(errno.EACCES)}"
    return None


def _created_problem(path: Path) -> str | None:
    """A file inboxd creates (the store, the model) with its folders: it is a file, or can be made."""
    try:
        return None if stat.S_ISREG(path.stat().st_mode) else f"{path} is not a file"
    except (FileNotFoundError, NotADirectoryError):
        pass  # to be created: can its folder be?
    except OSError as exc:
        return f"cannot use {path}: {exc.strerror or exc}"
    folder = path.parent
    while True:  # the nearest folder that exists: the others are created
        try:
            mode = folder.stat().st_mode
            break
        except FileNotFoundError:
            folder = folder.parent  # "/" exists: this ends
        except OSError as exc:  # a file on the way (ENOTDIR), a folder that cannot be searched
            return f"cannot create {path}: {exc.strerror or exc}"
    if not stat.S_ISDIR(mode):
        return f"cannot create {path}: {folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot create {path}: {folder}: {os.strerror(errno.EACCES)}"
    return None


_PATH_CHECKS: dict[str, Callable[[Path], str | None]] = {
    "file": _file_problem,
    "ca_file": _ca_file_problem,
    "token_file": _token_file_problem,
    "folder": _folder_problem,
    "created": _created_problem,
}


def path_problems(config: Config) -> list[Problem]:
    """Every file and folder the mailbox's config names that cannot be used as it must be."""
    found = []
    for key, use, path in config.paths:
        reason = _PATH_CHECKS[use](path)
        if reason is not None:
            found.append(Problem(str(config.source), key, reason))
    return found


def load_config(path: Path) -> Config:
    """The first mailbox's Config (the only one in a single-mailbox file)."""
    return load_configs(path)[0]


def read_secret(section: str, env: str | None, file: Path | None, config_file: Path, prefix: str = "password") -> str:
    """Return a password from the environment or a file; ConfigError when unavailable.

    `prefix` names the two keys in the file: `password` for password_env/password_file,
    `secret` for a webhook's. The value is never logged and never part of an error message.
    """
    if env:
        value = os.environ.get(env)
        if not value:
            raise ConfigError(
                [Problem(str(config_file), f"{section}.{prefix}_env", f"environment variable {env} is not set")]
            )
        return value
    if file:
        try:
            value = file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                [Problem(str(config_file), f"{section}.{prefix}_file", f"cannot read {file}: {exc.strerror}")]
            ) from exc
        if not value:
            raise ConfigError([Problem(str(config_file), f"{section}.{prefix}_file", f"{file} is empty")])
        return value
    return ""
