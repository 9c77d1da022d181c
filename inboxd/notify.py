"""systemd's notification protocol (sd_notify): readiness, watchdog, status, stopping.

Written against the documented protocol (sd_notify(3): one datagram of
newline-separated KEY=VALUE lines to the AF_UNIX socket named by $NOTIFY_SOCKET,
'@' meaning the abstract namespace) rather than pulling in a library: the protocol
is a dozen lines, the maintained binding (python-systemd) needs libsystemd headers
to build, and the small pure-Python packages on PyPI are unmaintained. Without
$NOTIFY_SOCKET (not started by systemd) every call is a no-op.
"""

from __future__ import annotations

import os
import socket


class Notifier:
    def __init__(self, environ: dict[str, str] | None = None):
        env = os.environ if environ is None else environ
        self._address = env.get("NOTIFY_SOCKET", "")
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        # The watchdog applies to us only if systemd named no other pid.
        self.watchdog_seconds = (
            int(usec) / 1_000_000 if usec.isdigit() and (not pid or pid == str(os.getpid())) else 0.0
        )

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def _send(self, text: str) -> None:
        if not self._address:
            return
        address = "\0" + self._address[1:] if self._address.startswith("@") else self._address
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect(address)
                sock.sendall(text.encode())
            except OSError:
                pass  # systemd went away: nothing useful to do about it here

    def ready(self, status: str = "") -> None:
        self._send("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def watchdog(self) -> None:
        self._send("WATCHDOG=1")

    def status(self, text: str) -> None:
        self._send(f"STATUS={text}")

    def reloading(self) -> None:
        self._send("RELOADING=1")

    def stopping(self) -> None:
        self._send("STOPPING=1")
