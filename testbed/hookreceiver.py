"""A webhook receiver on loopback for the tests and the fault suite: records every POST.

Runs http.server in a thread (or `python -m testbed.hookreceiver PORT FILE` as its own
process). Each request is appended as one JSON line (time, path, headers, body) to `log`
when given, flushed and synced before the answer, so that what the receiver got survives
a kill of the sender. It answers `status` (200 unless told otherwise); `stop()` closes the
port, so that a receiver that is down is a refused connection, as in life.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class HookReceiver:
    def __init__(self, port: int, log: Path | None = None):
        self.port = port
        self.log = log
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> HookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                record = {
                    "time": time.time(),
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode("utf-8", "replace"),
                }
                receiver._record(record)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def _record(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(record)
            if self.log is not None:
                with self.log.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(record) + "\n")
                    f.flush()
                    os.fsync(f.fileno())

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @staticmethod
    def read(log: Path) -> list[dict[str, Any]]:
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


if __name__ == "__main__":  # a receiver in a process of its own
    server = HookReceiver(int(sys.argv[1]), Path(sys.argv[2])).start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()
