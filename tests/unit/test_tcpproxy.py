"""The test bed's TCP proxy: forwards faithfully, and breaks connections exactly when told."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from testbed.tcpproxy import TcpProxy


@pytest.fixture
def echo_port() -> Iterator[int]:
    """A server that answers each line `CMD n` with n bytes of 'x'."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve(conn: socket.socket) -> None:
        try:
            with conn, conn.makefile("rb") as lines:
                for line in lines:
                    conn.sendall(b"x" * int(line.split()[-1]))
        except OSError:
            pass  # the proxy cut the connection: that is the point

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield int(listener.getsockname()[1])
    listener.close()


def read_all(sock: socket.socket, want: int) -> bytes:
    data = b""
    try:
        while len(data) < want:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionError:  # reset or broken pipe: how a cut looks from this side
        pass
    return data


@pytest.fixture
def proxy(echo_port: int) -> Iterator[TcpProxy]:
    p = TcpProxy(echo_port)
    p.start()
    yield p
    p.stop()


def test_forwards_both_ways(proxy: TcpProxy) -> None:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as s:
        s.sendall(b"a1 GET 100000\n")
        assert read_all(s, 100_000) == b"x" * 100_000
    assert proxy.cuts == 0


def test_cut_after_bytes_of_the_armed_command(proxy: TcpProxy) -> None:
    proxy.arm(b"uid fetch", after_bytes=1234)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as s:
        s.sendall(b"a1 NOOP 10\n")
        assert read_all(s, 10) == b"x" * 10  # other commands are untouched
        s.sendall(b"a2 UID FETCH 50000\n")
        cut = read_all(s, 50_000)
        assert cut == b"x" * len(cut) and 0 < len(cut) <= 1234  # a reset may drop the last bytes in flight
    assert proxy.cuts == 1 and proxy.armed() == 0


def test_garbage_then_cut(proxy: TcpProxy) -> None:
    proxy.arm(b"FETCH", after_bytes=5, garbage=True)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as s:
        s.sendall(b"a1 FETCH 1000\n")
        data = read_all(s, 1000)
    assert data[:5] == b"xxxxx" and data[5:] != b"x" * (len(data) - 5) and len(data) > 5


def test_cut_all_and_refuse(proxy: TcpProxy) -> None:
    s = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    s.sendall(b"a1 IDLE 1\n")
    assert read_all(s, 1) == b"x"
    assert proxy.cut_all() == 1
    assert read_all(s, 1) == b""
    s.close()
    proxy.refuse = True
    try:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as s2:
            assert read_all(s2, 1) == b""
    except ConnectionError:
        pass  # the reset can arrive while connect() still waits
    assert wait_until(lambda: proxy.cuts == 2)


def wait_until(predicate, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
