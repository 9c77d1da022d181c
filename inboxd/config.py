"""Load and validate `config.toml` into frozen objects.

Every problem in the file is reported at once, each with the file, the dotted key
and the reason, so an operator fixes the file in one pass. Relative paths are
resolved against the folder that holds the config file. Secrets are never read
from this file: only the name of an environment variable or of a file that holds
them (see `read_secret`).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
import zoneinfo
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from inboxd.errors import ConfigError, Problem

Security = Literal["tls", "starttls", "none"]
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class _Section(BaseModel):
    # extra="forbid" turns a misspelt key into an error instead of a silent default.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _WithPassword(_Section):
    password_env: str | None = None
    password_file: Path | None = None

    @model_validator(mode="after")
    def _one_password_source(self) -> _WithPassword:
        if self.password_env and self.password_file:
            raise ValueError("set password_env or password_file, not both")
        return self


class ImapConfig(_WithPassword):
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    security: Security = "tls"
    username: str = Field(min_length=1)
    folder: str = Field("INBOX", min_length=1)
    # Where mail that cannot be handled is moved; "" keeps it in place with a keyword.
    quarantine_folder: str = "Quarantine"
    # Move handled mail into the per-category folder named in classifiers/categories.toml.
    move_to_category_folders: bool = False
    batch_size: int = Field(200, ge=1, le=2000)
    timeout_seconds: float = Field(30.0, gt=0)
    tls_verify: bool = True
    ca_file: Path | None = None

    @model_validator(mode="after")
    def _needs_password(self) -> ImapConfig:
        if not (self.password_env or self.password_file):
            raise ValueError("set password_env or password_file (the password never goes in this file)")
        return self


class SmtpConfig(_WithPassword):
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
        if self.username and not (self.password_env or self.password_file):
            raise ValueError("username is set: also set password_env or password_file")
        if (self.password_env or self.password_file) and not self.username:
            raise ValueError("a password source is set: also set username")
        return self


class StoreConfig(_Section):
    path: Path


class ScheduleConfig(_Section):
    interval_seconds: float = Field(60.0, ge=1)
    # How long a mailbox lease lasts without renewal: a second inboxd takes over after it.
    lease_seconds: float = Field(300.0, ge=10)


class ClassifierConfig(_Section):
    dir: Path = Path("classifiers")
    model_path: Path = Path("var/model.skops")
    # Train in memory at start-up when the stored model is missing or stale,
    # instead of refusing to start.
    train_if_stale: bool = False


class TemplatesConfig(_Section):
    dir: Path = Path("templates")


class AckConfig(_Section):
    ticket_prefix: str = Field("INB", pattern=r"^[A-Z][A-Z0-9]{1,9}$")
    reply_within_hours: int = Field(24, ge=1, le=24 * 14)
    default_language: Literal["en", "zh"] = "en"
    # Addresses that are ours besides smtp.from_address and imap.username: never answered.
    own_addresses: tuple[str, ...] = ()
    # Domain of the Message-IDs we generate; defaults to the from_address domain.
    message_id_domain: str | None = None
    max_send_attempts: int = Field(8, ge=1, le=100)
    retry_base_seconds: float = Field(60.0, ge=1)

    @field_validator("own_addresses")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [a for a in value if not _EMAIL.match(a)]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(map(repr, bad))}")
        return tuple(a.lower() for a in value)


class LimitsConfig(_Section):
    max_message_bytes: int = Field(25 * 1024 * 1024, ge=1024)
    max_mime_parts: int = Field(250, ge=1)
    max_mime_depth: int = Field(20, ge=1, le=200)
    max_text_chars: int = Field(200_000, ge=1000)
    # Hostile-mail bounds on the parser's own cost (see README "Parsing and screening").
    max_headers: int = Field(1000, ge=10)  # header fields in one header block
    max_header_bytes: int = Field(256 * 1024, ge=1024)  # bytes of one header block
    max_html_chars: int = Field(1_000_000, ge=1000)  # HTML handed to the HTML-to-text converter
    max_parse_seconds: float = Field(5.0, gt=0, le=300)  # wall-clock budget for one message


class ExtractConfig(_Section):
    default_timezone: str = "UTC"

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class Config(_Section):
    imap: ImapConfig
    smtp: SmtpConfig
    store: StoreConfig
    schedule: ScheduleConfig = ScheduleConfig()
    classifier: ClassifierConfig = ClassifierConfig()
    templates: TemplatesConfig = TemplatesConfig()
    ack: AckConfig = AckConfig()
    limits: LimitsConfig = LimitsConfig()
    extract: ExtractConfig = ExtractConfig()
    logging: LoggingConfig = LoggingConfig()
    source: Path = Path("config.toml")  # set by load_config, not read from the file

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


def load_config(path: Path) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem."""
    name = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([Problem(name, "", f"cannot read: {exc.strerror or exc}")]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(name, "", f"not valid TOML: {exc}")]) from exc
    if "source" in data:
        raise ConfigError([Problem(name, "source", "unknown key")])
    try:
        # Validated in pydantic's JSON mode: strict (a "143" is not a port, "yes" is
        # not a bool) while still taking strings for paths and arrays for tuples.
        cfg = Config.model_validate_json(json.dumps(data, default=str))
    except ValidationError as exc:
        problems = [Problem(name, _location(e["loc"]), _reason(e)) for e in exc.errors()]
        raise ConfigError(problems) from exc
    base = path.resolve().parent
    return cfg.model_copy(
        update={
            "source": path,
            "imap": cfg.imap.model_copy(
                update={
                    "password_file": _resolve_optional(base, cfg.imap.password_file),
                    "ca_file": _resolve_optional(base, cfg.imap.ca_file),
                }
            ),
            "smtp": cfg.smtp.model_copy(
                update={
                    "password_file": _resolve_optional(base, cfg.smtp.password_file),
                    "ca_file": _resolve_optional(base, cfg.smtp.ca_file),
                }
            ),
            "store": StoreConfig.model_construct(path=_resolve(base, cfg.store.path)),
            "classifier": cfg.classifier.model_copy(
                update={
                    "dir": _resolve(base, cfg.classifier.dir),
                    "model_path": _resolve(base, cfg.classifier.model_path),
                }
            ),
            "templates": TemplatesConfig.model_construct(dir=_resolve(base, cfg.templates.dir)),
        }
    )


def read_secret(section: str, env: str | None, file: Path | None, config_file: Path) -> str:
    """Return a password from the environment or a file; ConfigError when unavailable.

    The value is never logged and never part of an error message.
    """
    if env:
        value = os.environ.get(env)
        if not value:
            raise ConfigError(
                [Problem(str(config_file), f"{section}.password_env", f"environment variable {env} is not set")]
            )
        return value
    if file:
        try:
            value = file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                [Problem(str(config_file), f"{section}.password_file", f"cannot read {file}: {exc.strerror}")]
            ) from exc
        if not value:
            raise ConfigError([Problem(str(config_file), f"{section}.password_file", f"{file} is empty")])
        return value
    return ""
