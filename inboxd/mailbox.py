"""The IMAP edge: the only module importing imapclient.

Reads with BODY.PEEK[] (nothing is marked \\Seen before it is handled), in bounded
batches (memory does not grow with the mailbox; Dovecot refuses command lines over
64 KiB), and only ever adds keywords or moves messages: it never stores \\Deleted,
never expunges. Every failure of the connection or the protocol is raised as
MailboxError, which the daemon treats as "try again next tick". Logs in with a password
(LOGIN) or an OAuth2 access token (AUTHENTICATE XOAUTH2, see inboxd.oauth).
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import ssl
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from inboxd.config import ImapConfig
from inboxd.credentials import Login
from inboxd.errors import FolderMissing, MailboxError, TokenError

_UID_CHUNK = 1000  # UIDs per command: stays far below Dovecot's 64 KiB line limit
_FETCH_ERRORS = (IMAPClientError, OSError, socket.timeout, ssl.SSLError, EOFError)


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@contextmanager
def _failing_as(what: str) -> Iterator[None]:
    """A connection, protocol or TLS failure inside the block is raised as MailboxError
    ("<what>: <the cause>"), which the daemon treats as "try again next tick"."""
    try:
        yield
    except _FETCH_ERRORS as exc:
        raise MailboxError(f"{what}: {exc}") from exc


def tls_context(verify: bool, ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    if not verify:
        # An operator's explicit choice for a server with a self-signed certificate.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@dataclass(frozen=True, slots=True)
class Fetched:
    uid: int
    raw: bytes


class ImapMailbox:
    """One logged-in IMAP session on one folder. Use as a context manager."""

    def __init__(self, config: ImapConfig, login: Login):
        self._config = config
        self._login = login
        self._client: imapclient.IMAPClient | None = None
        self._delimiter = "/"
        self.uidvalidity = 0
        self.folder = config.folder
        self.readonly = False

    # -- session -----------------------------------------------------------------------

    def __enter__(self) -> ImapMailbox:
        self.connect()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def connect(self) -> None:
        cfg = self._config
        context = tls_context(cfg.tls_verify, str(cfg.ca_file) if cfg.ca_file else None)
        with _failing_as(f"cannot connect to IMAP {cfg.host}:{cfg.port}"):
            client = imapclient.IMAPClient(
                cfg.host,
                port=cfg.port,
                ssl=cfg.security == "tls",
                ssl_context=context if cfg.security == "tls" else None,
                timeout=cfg.timeout_seconds,
            )
        try:
            if cfg.security == "starttls":
                client.starttls(context)
            self._authenticate(client)
            folders = client.list_folders("", "")
            if folders and folders[0][1]:
                delimiter = folders[0][1]
                self._delimiter = delimiter.decode() if isinstance(delimiter, bytes) else str(delimiter)
        except _FETCH_ERRORS as exc:
            with contextlib.suppress(Exception):  # the socket may be gone already
                client.shutdown()
            # The server's text is safe to show (it never contains our password or token).
            raise MailboxError(
                f"IMAP login to {cfg.host}:{cfg.port} as {cfg.username} ({self._login.mechanism}) failed: {exc}"
            ) from exc
        except TokenError as exc:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise MailboxError(
                f"IMAP login to {cfg.host}:{cfg.port} as {cfg.username}: no access token: {exc}"
            ) from exc
        self._client = client

    def _authenticate(self, client: imapclient.IMAPClient) -> None:
        login = self._login
        if login.tokens is None:
            client.login(login.username, login.password)
            return
        if not client.has_capability("AUTH=XOAUTH2"):
            raise LoginError("the server does not offer AUTHENTICATE XOAUTH2")
        # imapclient sends the SASL XOAUTH2 response (user=...^Aauth=Bearer ...^A^A); a rejected
        # token is a LoginError, and the token source fetches a new one for a second try.
        login.tokens.authenticate(lambda token: client.oauth2_login(login.username, token), (LoginError,))

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:
            with contextlib.suppress(Exception):  # best effort: the connection is being thrown away
                client.shutdown()

    @property
    def client(self) -> imapclient.IMAPClient:
        if self._client is None:
            raise MailboxError("not connected")
        return self._client

    def server_name(self, folder: str) -> str:
        """Config folder names use '/' for hierarchy; the server may use another delimiter."""
        return folder.replace("/", self._delimiter) if self._delimiter != "/" else folder

    def select(self, folder: str | None = None, readonly: bool = False) -> int:
        """Select the folder and return its UIDVALIDITY."""
        name = self.server_name(folder or self._config.folder)
        try:
            info = self.client.select_folder(name, readonly=readonly)
        except _FETCH_ERRORS as exc:
            if self._missing(name):
                cfg = self._config
                raise FolderMissing(f"folder {name!r} does not exist on IMAP {cfg.host}:{cfg.port}") from exc
            raise MailboxError(f"cannot select folder {name!r}: {exc}") from exc
        self.folder = folder or self._config.folder
        self.readonly = readonly
        self.uidvalidity = int(info[b"UIDVALIDITY"])
        return self.uidvalidity

    def _missing(self, name: str) -> bool:
        """True only when the server says, in answer to LIST, that the folder is not there."""
        try:
            return not self.client.folder_exists(name)
        except _FETCH_ERRORS:
            return False  # the connection is gone: that says nothing about the folder

    # -- reading -----------------------------------------------------------------------

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than `last_uid`, ascending."""
        with _failing_as("UID SEARCH failed"):
            found = self.client.search(["UID", f"{last_uid + 1}:*"])
        # "n:*" always matches the highest UID, even when it is below n.
        return sorted(int(u) for u in found if int(u) > last_uid)

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        with _failing_as("FETCH RFC822.SIZE failed"):
            for chunk in _chunks(uids, _UID_CHUNK):
                for uid, data in self.client.fetch(list(chunk), ["RFC822.SIZE"]).items():
                    out[int(uid)] = int(data.get(b"RFC822.SIZE", 0))
        return out

    def fetch(
        self, uids: Sequence[int], sizes: dict[int, int], max_batch_bytes: int = 32 * 1024 * 1024
    ) -> Iterator[Fetched]:
        """Yield raw messages with BODY.PEEK[], in batches bounded by count and bytes."""
        batch: list[int] = []
        total = 0
        for uid in uids:
            size = sizes.get(uid, 0)
            if batch and (len(batch) >= self._config.batch_size or total + size > max_batch_bytes):
                yield from self._fetch_batch(batch)
                batch, total = [], 0
            batch.append(uid)
            total += size
        if batch:
            yield from self._fetch_batch(batch)

    def _fetch_batch(self, uids: list[int]) -> Iterator[Fetched]:
        with _failing_as("FETCH BODY.PEEK[] failed"):
            data = self.client.fetch(uids, ["BODY.PEEK[]"])
        for uid in uids:
            item = data.pop(uid, None)
            raw = item.get(b"BODY[]") if item else None
            if raw is not None:
                yield Fetched(uid, bytes(raw))
            # A UID missing from the answer was removed by someone else meanwhile.

    # -- writing (keywords and moves only: never delete, never expunge) ---------------------

    def add_keywords(self, uids: Sequence[int], keywords: Iterable[str]) -> None:
        flags = [k.encode() for k in keywords]
        if not uids or not flags:
            return
        with _failing_as("STORE +FLAGS failed"):
            for chunk in _chunks(uids, _UID_CHUNK):
                self.client.add_flags(list(chunk), flags, silent=True)

    def ensure_folder(self, folder: str) -> None:
        name = self.server_name(folder)
        with _failing_as(f"cannot create folder {name!r}"):
            if not self.client.folder_exists(name):
                self.client.create_folder(name)
                self.client.subscribe_folder(name)

    def move(self, uids: Sequence[int], folder: str) -> None:
        """Move to `folder` (MOVE, RFC 6851). Without MOVE the mail is copied and stays:
        emulating MOVE would need EXPUNGE, and inboxd never expunges."""
        if not uids:
            return
        self.ensure_folder(folder)
        name = self.server_name(folder)
        with _failing_as(f"MOVE to {name!r} failed"):
            for chunk in _chunks(uids, _UID_CHUNK):
                if self.client.has_capability("MOVE"):
                    self.client.move(list(chunk), name)
                else:
                    self.client.copy(list(chunk), name)

    def uids_with_keyword(self, keyword: str) -> list[int]:
        with _failing_as(f"SEARCH KEYWORD {keyword} failed"):
            return sorted(int(u) for u in self.client.search(["KEYWORD", keyword]))

    def answered(self, uids: Sequence[int]) -> list[int]:
        """Those of `uids` that carry \\Answered: a mail client sets it when an agent replies."""
        found: list[int] = []
        with _failing_as("SEARCH ANSWERED failed"):
            for chunk in _chunks(uids, _UID_CHUNK):
                found.extend(int(u) for u in self.client.search(["ANSWERED", "UID", ",".join(map(str, chunk))]))
        return sorted(found)

    def remove_keywords(self, uids: Sequence[int], keywords: Iterable[str]) -> None:
        """Take back our own keywords (a quarantine retry): the mail itself is untouched."""
        flags = [k.encode() for k in keywords]
        if not uids or not flags:
            return
        with _failing_as("STORE -FLAGS failed"):
            for chunk in _chunks(uids, _UID_CHUNK):
                self.client.remove_flags(list(chunk), flags, silent=True)

    def find(self, size: int, content_hash: str) -> list[int]:
        """UIDs in the selected folder whose bytes hash to `content_hash` (narrowed by size first)."""
        with _failing_as("SEARCH by size failed"):
            candidates = self.client.search(["LARGER", max(0, size - 1), "SMALLER", size + 1])
        sizes = {int(u): size for u in candidates}
        return [m.uid for m in self.fetch(sorted(sizes), sizes) if hashlib.sha256(m.raw).hexdigest() == content_hash]

    # -- IDLE (RFC 2177): the server tells us about new mail ---------------------------------

    def supports_idle(self) -> bool:
        with _failing_as("CAPABILITY failed"):
            return bool(self.client.has_capability("IDLE"))

    def idle_start(self) -> None:
        with _failing_as("IDLE failed"):
            self.client.idle()

    def idle_wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds in IDLE; True when the server announced new mail."""
        with _failing_as("IDLE broke off"):
            responses = self.client.idle_check(timeout=timeout)
        return any(len(r) >= 2 and r[1] in (b"EXISTS", b"RECENT") for r in responses if isinstance(r, tuple))

    def idle_stop(self) -> None:
        with _failing_as("DONE (leaving IDLE) failed"):
            self.client.idle_done()

    def flags(self, uids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        out: dict[int, tuple[str, ...]] = {}
        with _failing_as("FETCH FLAGS failed"):
            for chunk in _chunks(uids, _UID_CHUNK):
                for uid, flags in self.client.get_flags(list(chunk)).items():
                    out[int(uid)] = tuple(f.decode() if isinstance(f, bytes) else str(f) for f in flags)
        return out
