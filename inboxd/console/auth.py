"""Who may use the console: the operators' token, the key that signs their sessions, CSRF tokens.

The token comes from `[console] token_env` or `token_file`, never from config.toml, and is
checked at start-up like every other secret (a missing or short one stops `inboxd console`
with `file: key: reason`). Comparisons take constant time. The session key is derived from
the token, so that changing the token ends every session; the token itself is never put in
a cookie, a page or a log.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets

from inboxd.config import Config
from inboxd.errors import ConfigError, Problem

MIN_TOKEN_CHARS = 16
# An operator's name as shown in the audit log and written to corrections.csv (`who`).
_NAME = re.compile(r"^[\w.@-]{1,64}$")


def load_token(config: Config) -> str:
    """The operators' token; ConfigError (with the key to fix) when it is not set, unreadable or short."""
    console, source = config.console, str(config.source)
    if console.token_env:
        key, value = "console.token_env", os.environ.get(console.token_env, "").strip()
        if not value:
            raise ConfigError([Problem(source, key, f"environment variable {console.token_env} is not set")])
    elif console.token_file:
        key = "console.token_file"
        try:
            value = console.token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise ConfigError([Problem(source, key, f"cannot read {console.token_file}: {reason}")]) from exc
    else:
        raise ConfigError([Problem(source, "console", "set token_env or token_file: the console needs a secret")])
    if len(value) < MIN_TOKEN_CHARS:
        raise ConfigError([Problem(source, key, f"the token is shorter than {MIN_TOKEN_CHARS} characters")])
    return value


def token_matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode())


def session_key(token: str) -> str:
    """The key that signs session cookies: derived from the token, never the token itself."""
    return hmac.new(token.encode(), b"inboxd console session v1", hashlib.sha256).hexdigest()


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: object, given: object) -> bool:
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and bool(expected)
        and hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogateescape"))
    )


def operator_name(value: str) -> str | None:
    """The name an operator logs in with, if it can go to the audit log and corrections.csv as it is."""
    value = value.strip()
    return value if _NAME.match(value) else None
