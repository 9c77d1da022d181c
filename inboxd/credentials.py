"""Who inboxd logs in as, and with what: the one credential provider of every IMAP and SMTP login.

`load_credentials(config)` turns a mailbox's [imap] and [smtp] sections into Logins: a
password read now (from the environment or a file, see `config.read_secret`; a missing one
is a ConfigError at start-up, as always), or an OAuth2 TokenSource that fetches its token at
login time (a failing token command is transient: the tick fails and is retried). The poller,
the IDLE watcher, `inboxd quarantine retry` and `inboxd poll --dry-run` all log in through
the Credentials of their mailbox, so a mailbox's token is fetched once and shared.
`problems(config)` is what `inboxd check` reports: every secret and token actually fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from inboxd.config import Config, ImapConfig, SmtpConfig, read_secret
from inboxd.errors import ConfigError, Problem, TokenError
from inboxd.oauth import TokenSource


@dataclass(frozen=True)
class Login:
    """A username with a password, or with a source of OAuth2 access tokens (SASL XOAUTH2)."""

    username: str
    password: str = field(default="", repr=False)
    tokens: TokenSource | None = None

    @property
    def mechanism(self) -> str:
        return "XOAUTH2" if self.tokens is not None else "password"


@dataclass(frozen=True)
class Credentials:
    imap: Login
    smtp: Login | None  # None: the SMTP server takes our mail without a login


def _section(config: Config, name: str) -> str:
    # The key prefix that names this section in messages, as the operator wrote it.
    return name if config.name == "default" else f"mailbox[{config.name}].{name}"


def _login(config: Config, name: str, cfg: ImapConfig | SmtpConfig, username: str) -> Login:
    section = _section(config, name)
    if cfg.auth == "xoauth2":
        key = "oauth2_token_file" if cfg.oauth2_token_file is not None else "oauth2_token_command"
        tokens = TokenSource(
            f"{section}.{key}",
            file=cfg.oauth2_token_file,
            command=cfg.oauth2_token_command,
            # A relative command or argument means the same as the config file's relative paths.
            cwd=Path(config.source).resolve().parent,
            ttl_seconds=cfg.oauth2_token_ttl_seconds,
        )
        return Login(username, tokens=tokens)
    return Login(username, password=read_secret(section, cfg.password_env, cfg.password_file, config.source))


def _same_source(a: ImapConfig | SmtpConfig, b: ImapConfig | SmtpConfig) -> bool:
    keys = ("auth", "oauth2_token_file", "oauth2_token_command", "oauth2_token_ttl_seconds")
    return a.auth == "xoauth2" and all(getattr(a, k) == getattr(b, k) for k in keys)


def load_credentials(config: Config) -> Credentials:
    """The logins of one mailbox; ConfigError when a password cannot be read (no token is fetched)."""
    imap = _login(config, "imap", config.imap, config.imap.username)
    smtp = None
    if config.smtp.username:
        if _same_source(config.imap, config.smtp):
            # One token for both (Gmail's mail.google.com scope, or Microsoft's IMAP and SMTP
            # scopes asked together): the command runs once, not once per protocol.
            smtp = Login(config.smtp.username, tokens=imap.tokens)
        else:
            smtp = _login(config, "smtp", config.smtp, config.smtp.username)
    return Credentials(imap, smtp)


def problems(config: Config) -> list[Problem]:
    """Every credential of the mailbox fetched once: an unreadable secret, a missing token file,
    a failing token command. Neither the secret nor the command's output is ever in a problem."""
    found: list[Problem] = []
    store = config.store
    if store.url:
        try:
            read_secret("store", store.password_env, store.password_file, config.source)
        except ConfigError as exc:
            found.extend(exc.problems)
    for index, notify in enumerate(config.notify):  # the webhooks' signing keys ([[notify]])
        try:
            read_secret(f"notify[{index}]", notify.secret_env, notify.secret_file, config.source, "secret")
        except ConfigError as exc:
            found.extend(exc.problems)
    try:
        credentials = load_credentials(config)
    except ConfigError as exc:
        return found + list(exc.problems)
    for login in (credentials.imap, credentials.smtp):
        if login is None or login.tokens is None:
            continue
        try:
            login.tokens.token()
        except TokenError as exc:
            found.append(Problem(str(config.source), exc.where, exc.reason))
    return found
