"""What every section of `config.toml` is made of: the strict base model and the value checks
that several sections share (host and domain names, e-mail addresses, durations, time zones)."""

from __future__ import annotations

import re
import zoneinfo
from typing import Literal

from pydantic import BaseModel, ConfigDict

from inboxd.domains import cut, normalise

Security = Literal["tls", "starttls", "none"]
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*\.?$")


class Section(BaseModel):
    # extra="forbid" turns a misspelt key into an error instead of a silent default.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def host_names(value: tuple[str, ...], what: str) -> tuple[str, ...]:
    """Host names as DNS compares them (lower case, no trailing dot), or a ValueError naming the bad ones."""
    bad = [name for name in value if not HOST.match(name)]
    if bad:
        raise ValueError(f"not {what}: {', '.join(map(repr, bad))}")
    return tuple(name.lower().rstrip(".") for name in value)


def registrable_names(value: tuple[str, ...]) -> tuple[str, ...]:
    """Domains someone can own (a registrable domain or a subdomain of one, IDN allowed), normalised
    (lower case, punycode, no trailing dot), or a ValueError naming the bad ones."""
    names = [normalise(name) for name in value]
    bad = [
        given
        for given, name in zip(value, names, strict=True)
        if not HOST.match(name) or "." not in name or not cut(name)[1] or not name.isascii()
    ]
    if bad:
        raise ValueError(f"not registrable domain names (like exchange.example): {', '.join(map(repr, bad))}")
    return tuple(dict.fromkeys(names))


def span(value: str | None) -> str | None:
    """A duration as inboxd.hours reads it ("8 business hours", "24 hours"), checked now."""
    if value is not None:
        from inboxd.hours import parse_span  # noqa: PLC0415 (holidays is imported only when hours are used)

        parse_span(value)
    return value


def time_zone(value: str) -> str:
    """An IANA time zone name, or the error that names it."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value
