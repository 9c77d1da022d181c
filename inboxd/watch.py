"""Push delivery: an IMAP IDLE watcher per mailbox that wakes its worker on new mail.

IDLE (RFC 2177) keeps a second connection open on the folder (EXAMINE, read-only)
and the server announces new mail within a fraction of a second; the watcher then
wakes the mailbox's worker, which polls at once. The scheduled poll keeps running as
the fallback and periodic re-check. IDLE is renewed well inside the 29 minutes
servers allow; a broken connection is re-opened with backoff. A server without IDLE
leaves the mailbox on polling alone.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

from inboxd.config import ImapConfig
from inboxd.credentials import Login
from inboxd.errors import MailboxError
from inboxd.mailbox import ImapMailbox

log = logging.getLogger("inboxd.watch")

RENEW_SECONDS = 20 * 60  # re-issue IDLE before the server's 29-minute limit (RFC 2177)
CHECK_SECONDS = 1.0  # how often the watcher looks at its stop flag while idling


class IdleWatcher(threading.Thread):
    def __init__(self, name: str, config: ImapConfig, login: Login, wake: Callable[[], None]):
        super().__init__(name=f"idle-{name}", daemon=True)
        self.mailbox_name = name
        self._config = config
        self._login = login
        self._wake = wake
        self.stop_event = threading.Event()
        self.supported: bool | None = None  # known after the first connection

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        backoff = 1.0
        while not self.stop_event.is_set():
            try:
                self._watch()
                return
            except MailboxError as exc:
                log.warning("IDLE on %s failed, reconnecting in %.0f s: %s", self.mailbox_name, backoff, exc)
                if self.stop_event.wait(backoff):
                    return
                backoff = min(backoff * 2, 300.0)

    def _watch(self) -> None:
        with ImapMailbox(self._config, self._login) as box:
            box.select(readonly=True)
            self.supported = box.supports_idle()
            if not self.supported:
                log.info("%s: the server has no IDLE; polling only", self.mailbox_name)
                return
            # New mail may have arrived while we were connecting.
            self._wake()
            box.idle_start()
            log.info("%s: IDLE, waiting for new mail", self.mailbox_name)
            started = time.monotonic()
            while not self.stop_event.is_set():
                if box.idle_wait(CHECK_SECONDS):
                    self._wake()
                if time.monotonic() - started > RENEW_SECONDS:
                    box.idle_stop()
                    box.idle_start()
                    started = time.monotonic()
            with contextlib.suppress(MailboxError):  # shutting down: the connection closes next anyway
                box.idle_stop()
