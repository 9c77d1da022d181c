"""A TCP proxy on loopback that breaks connections on purpose: the network failing under inboxd.

It sits between a client (inboxd) and a server (Dovecot), forwards bytes both
ways, and on request breaks a connection the way networks and servers do:

- `cut_all()`: every open connection is reset now (the server vanished; works in
  the middle of IDLE as well as of a FETCH);
- `arm(b"UID FETCH", after_bytes=300)`: on the next connection whose client sends
  that command, the connection is reset after 300 more bytes of the server's answer
  (in the middle of the response); `after_seconds` waits instead (e.g. `b"IDLE"`);
  `garbage=True` sends random bytes instead of the rest of the answer, then resets;
- `refuse = True`: connections are accepted and reset at once.

Commands are matched in the clear, so use it without TLS. Standard library only,
one thread per direction per connection; nothing here is used by the daemon.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
from dataclasses import dataclass


@dataclass
class Cut:
    """What to break: the first `times` connections whose client sends `token` (at most 32 bytes)."""

    token: bytes
    after_bytes: int = 0
    after_seconds: float = 0.0
    times: int = 1
    garbage: bool = False


def _reset(sock: socket.socket) -> None:
    # SO_LINGER 0: the last close sends RST, as a crashed server or a dropped route looks to
    # the client. shutdown() first: close() alone would not wake a thread blocked in recv().
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class _Link:
    """One client connection and its server connection."""

    def __init__(self, proxy: TcpProxy, client: socket.socket, server: socket.socket):
        self.proxy = proxy
        self.client = client
        self.server = server
        self.lock = threading.Lock()
        self.countdown: int | None = None  # server bytes still forwarded before the cut
        self.garbage = False
        self.closed = False

    def start(self) -> None:
        threading.Thread(target=self._upstream, daemon=True, name="proxy-up").start()
        threading.Thread(target=self._downstream, daemon=True, name="proxy-down").start()

    def cut(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
        self.proxy.count_cut()
        _reset(self.client)
        _reset(self.server)

    def _close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for sock in (self.client, self.server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the other direction's recv()
            with contextlib.suppress(OSError):
                sock.close()

    def _arm(self, cut: Cut) -> None:
        if cut.after_seconds > 0:
            timer = threading.Timer(cut.after_seconds, self._fire, args=(cut.garbage,))
            timer.daemon = True
            timer.start()
            return
        with self.lock:
            self.countdown = cut.after_bytes
            self.garbage = cut.garbage

    def _fire(self, garbage: bool) -> None:
        if garbage:
            with contextlib.suppress(OSError):
                self.client.sendall(os.urandom(512) + b"\r\n")
        self.cut()

    def _upstream(self) -> None:
        tail = b""
        try:
            while True:
                data = self.client.recv(65536)
                if not data:
                    break
                window = tail + data  # a command split between two reads is still seen once
                cut = self.proxy.match(window, len(tail))
                tail = window[-31:]
                if cut is not None:
                    self._arm(cut)  # before the command goes on: its answer must not slip through
                self.server.sendall(data)
        except OSError:
            pass
        self._close()

    def _downstream(self) -> None:
        try:
            while True:
                data = self.server.recv(65536)
                if not data:
                    break
                with self.lock:
                    countdown, garbage = self.countdown, self.garbage
                if countdown is not None and len(data) >= countdown:
                    self.client.sendall(data[:countdown])
                    self._fire(garbage)
                    return
                if countdown is not None:
                    with self.lock:
                        self.countdown = countdown - len(data)
                self.client.sendall(data)
        except OSError:
            pass
        self._close()


class TcpProxy:
    """Listen on 127.0.0.1:`port` (0: any free port), forward to `target`. `start()`, then `stop()`."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1", port: int = 0):
        self.target = (target_host, target_port)
        self.refuse = False
        self.connections = 0
        self.cuts = 0
        self._lock = threading.Lock()
        self._armed: list[Cut] = []
        self._links: list[_Link] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self.port = int(self._listener.getsockname()[1])
        self._running = False

    def start(self) -> None:
        self._listener.listen(64)
        self._running = True
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()

    def stop(self) -> None:
        self._running = False
        with contextlib.suppress(OSError):
            self._listener.close()
        self.cut_all(count=False)

    def arm(
        self, token: bytes, *, after_bytes: int = 0, after_seconds: float = 0.0, times: int = 1, garbage: bool = False
    ) -> None:
        with self._lock:
            self._armed.append(Cut(token.upper(), after_bytes, after_seconds, times, garbage))

    def disarm(self) -> None:
        with self._lock:
            self._armed.clear()

    def armed(self) -> int:
        """Cuts still waiting for their command."""
        with self._lock:
            return sum(c.times for c in self._armed)

    def cut_all(self, count: bool = True) -> int:
        with self._lock:
            links, self._links = self._links, []
        open_links = [link for link in links if not link.closed]
        for link in open_links:
            if count:
                link.cut()
            else:
                link._close()
        return len(open_links)

    def match(self, data: bytes, seen: int = 0) -> Cut | None:
        """The armed cut whose token ends in `data` after its first `seen` bytes (already matched)."""
        upper = data.upper()
        with self._lock:
            for cut in self._armed:
                end = upper.rfind(cut.token)
                if cut.times > 0 and end != -1 and end + len(cut.token) > seen:
                    cut.times -= 1
                    if cut.times == 0:
                        self._armed.remove(cut)
                    return cut
        return None

    def count_cut(self) -> None:
        with self._lock:
            self.cuts += 1

    def _accept(self) -> None:
        while self._running:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            if self.refuse:
                self.count_cut()
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=10)
                server.settimeout(None)
            except OSError:
                _reset(client)  # the server is down: so is the proxy, for this client
                continue
            link = _Link(self, client, server)
            with self._lock:
                self._links = [x for x in self._links if not x.closed]
                self._links.append(link)
            link.start()
