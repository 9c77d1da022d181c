"""The sections about reading a mail: whose word about its sender counts ([trust]), when it is
spam ([spam]), how much of it the parser reads ([limits]) and how its facts are read ([extract])."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from inboxd.config.fields import Section, host_names, registrable_names, time_zone


class TrustConfig(Section):
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
        return host_names(value, "authserv-ids (host names as the server writes them)")

    @field_validator("official_domains")
    @classmethod
    def _official(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return registrable_names(value)


class SpamHeaderRule(Section):
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


class SpamConfig(Section):
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


class LimitsConfig(Section):
    max_message_bytes: int = Field(25 * 1024 * 1024, ge=1024)
    max_mime_parts: int = Field(250, ge=1)
    max_mime_depth: int = Field(20, ge=1, le=200)
    max_text_chars: int = Field(200_000, ge=1000)
    # Hostile-mail bounds on the parser's own cost (see docs/security.md, "Parsing and screening").
    max_headers: int = Field(1000, ge=10)  # header fields in one header block
    max_header_bytes: int = Field(256 * 1024, ge=1024)  # bytes of one header block
    max_html_chars: int = Field(1_000_000, ge=1000)  # HTML handed to the HTML-to-text converter
    max_parse_seconds: float = Field(5.0, gt=0, le=300)  # wall-clock budget for one message


class ExtractConfig(Section):
    default_timezone: str = "UTC"

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return time_zone(value)
