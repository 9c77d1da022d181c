"""The two servers inboxd logs in to: [imap] (where mail is read) and [smtp] (where it is sent),
with the login both share (a password from the environment or a file, or OAuth2)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from inboxd.config.fields import EMAIL, Section, Security

Auth = Literal["password", "xoauth2"]
_OAUTH2_KEYS = ("oauth2_token_file", "oauth2_token_command", "oauth2_token_ttl_seconds")


class _WithLogin(Section):
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
    # Connections a tick sends over side by side: each waits for the server's answers, so two
    # keep the server busy while one of them waits (a relay's queue fsync, a round trip).
    connections: int = Field(2, ge=1, le=8)

    @field_validator("from_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not EMAIL.match(value):
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
