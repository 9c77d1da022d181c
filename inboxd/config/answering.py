"""The sections about answering: the acknowledgement and its promise ([ack]), the business
calendar it is counted on ([hours]), the SLA due times ([sla]) and the life of tickets ([tickets])."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from inboxd.config.fields import EMAIL, Section, host_names, span, time_zone

if TYPE_CHECKING:
    from inboxd.hours import Calendar


class AckConfig(Section):
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

    _reply_within = field_validator("reply_within", "estimate_max")(span)

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
        bad = [a for a in value if not EMAIL.match(a)]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(map(repr, bad))}")
        return tuple(a.lower() for a in value)

    @field_validator("domain_limit_exempt")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return host_names(value, "domain names")


class HoursConfig(Section):
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
        return time_zone(value)

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


class SlaConfig(Section):
    """Due times per ticket, counted on the [hours] calendar like reply_within; unset: not tracked."""

    first_response: str | None = None
    resolution: str | None = None

    _spans = field_validator("first_response", "resolution")(span)


class TicketsConfig(Section):
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
