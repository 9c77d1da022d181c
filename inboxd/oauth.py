"""OAuth2 access tokens for SASL XOAUTH2 (Gmail, Microsoft 365): where they come from, when they
are fetched again, and the retry when a server rejects one. Standard library only.

inboxd never talks to a provider's token endpoint itself: the operator names a file that an
external refresher keeps current (`oauth2_token_file`, read at every login, so the newest token
is always used) or a command that prints a fresh access token (`oauth2_token_command`, run
without a shell, at most once per `oauth2_token_ttl_seconds` and bounded in time). When the
server rejects a token the login is tried once more with a token fetched anew: that is how an
expired or revoked token is refreshed. A token that cannot be had is a TokenError, which the
edges turn into their "try again next tick" error.

The token is a secret: it is never logged, never part of an error message, and the command's
output is never shown (it may hold the token, or a refresh token).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from inboxd.errors import TokenError

log = logging.getLogger("inboxd.oauth")

T = TypeVar("T")

COMMAND_TIMEOUT_SECONDS = 30.0
DEFAULT_TTL_SECONDS = 50 * 60.0  # access tokens of Google and Microsoft live 60 minutes
# RFC 6750 2.1 b64token: what a bearer token may consist of (one line, no blanks, no JSON).
_TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")


def xoauth2_response(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial client response (before base64), as Google and Microsoft define it."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


class TokenSource:
    """The current access token of one login, from a file or from a command.

    `token()` is cheap to call before every login; `refresh()` forgets the cached token and
    fetches a new one. Thread-safe: a mailbox's poller and its IDLE watcher share one source.
    """

    def __init__(
        self,
        where: str,
        *,
        file: Path | None = None,
        command: str | None = None,
        cwd: Path | None = None,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        timeout_seconds: float = COMMAND_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        if (file is None) == (command is None):
            raise ValueError("a token source needs exactly one of file and command")
        self.where = where  # e.g. "imap.oauth2_token_command": names the source in messages
        self._file = file
        self._argv = shlex.split(command) if command is not None else []
        self._cwd = cwd
        self._ttl = ttl_seconds
        self._timeout = timeout_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._fetched_at = 0.0
        self.fetches = 0  # how often the token was read or the command run

    def __repr__(self) -> str:  # never the token
        return f"TokenSource({self.where})"

    def token(self) -> str:
        """The cached token while younger than the TTL (a command's), else a freshly fetched one."""
        with self._lock:
            if self._token is not None and self._clock() - self._fetched_at < self._ttl:
                return self._token
            return self._fetch()

    def refresh(self) -> str:
        """Fetch a new token now (the server rejected the one we had)."""
        with self._lock:
            return self._fetch()

    def _fetch(self) -> str:
        self._token = None
        started = self._clock()
        token = self._read_file() if self._file is not None else self._run_command()
        self.fetches += 1
        if self._argv:
            # A file is read at every login: caching it would only delay the refresher's new token.
            self._token, self._fetched_at = token, self._clock()
        log.debug("%s: access token fetched in %.2f s", self.where, self._clock() - started)
        return token

    def _read_file(self) -> str:
        assert self._file is not None
        try:
            text = self._file.read_text(encoding="utf-8")
        except OSError as exc:
            raise TokenError(self.where, f"cannot read {self._file}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise TokenError(self.where, f"{self._file} is not UTF-8 text") from None
        return self._checked(text, f"{self._file}")

    def _run_command(self) -> str:
        program = self._argv[0]
        try:
            # Its own process group, so that a timeout ends the helpers it started too (curl, ...).
            process = subprocess.Popen(
                self._argv,
                cwd=self._cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            raise TokenError(self.where, f"cannot run {program}: {exc.strerror or exc}") from None
        with process:
            try:
                stdout, _ = process.communicate(timeout=self._timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise TokenError(self.where, f"{program} did not finish within {self._timeout:g} s") from None
        code = process.returncode
        if code != 0:
            status = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            raise TokenError(
                self.where,
                f"{program} {status} (its output is not shown, it may hold a secret; "
                "run the command by hand to see it)",
            )
        try:
            text = stdout.decode("utf-8")
        except UnicodeDecodeError:
            raise TokenError(self.where, f"{program} printed something that is not UTF-8 text") from None
        return self._checked(text, program)

    def _checked(self, text: str, origin: str) -> str:
        token = text.strip()
        if not token:
            raise TokenError(self.where, f"{origin} gave no access token (empty)")
        if not _TOKEN.match(token):
            # Not shown: a JSON answer or a multi-line output may hold the refresh token.
            raise TokenError(
                self.where,
                f"{origin} must give the access token alone, on one line; it gave "
                f"{len(token.splitlines())} line(s) that are not one (not shown: they may hold a secret)",
            )
        return token

    def authenticate(self, attempt: Callable[[str], T], rejected: tuple[type[BaseException], ...]) -> T:
        """Log in with `attempt(token)`; when the server rejects the token (`rejected`), fetch a
        new token and try once more. A second rejection is the caller's to report."""
        token = self.token()
        try:
            return attempt(token)
        except rejected:
            fresh = self.refresh()
            if fresh == token:
                raise  # the same token again (the refresher has not run yet): no point asking twice
            log.info("%s: the server rejected the access token; logging in with a new one", self.where)
            return attempt(fresh)
