"""An SMTP server on loopback that records what it accepts: aiosmtpd, the only module importing it.

Every accepted message is written as NNNNNN.eml and a line of received.jsonl in
the sink's directory: tests count acknowledgements from the server's own record,
not from inboxd's. `mode` makes it fail the way real servers do: refuse to
connect, answer 4xx, reject some recipients with 5xx, answer slowly, or drop the
connection right after the message data arrived (the message is kept: the client
cannot know). With `SinkMode.smtputf8` it offers SMTPUTF8 (RFC 6531), as Gmail and
Postfix do; without it, like aiosmtpd's default, it refuses non-ASCII commands. With
`SinkMode.xoauth2` it requires AUTH XOAUTH2 (as Gmail and Microsoft 365 do), checks each
token the way the mode says, and records who logged in (`auth_user`).

Run standalone: python -m testbed.smtpsink --port 10025 --dir var/demo/sink
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import email
import email.policy
import json
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, Session


@dataclass
class SinkMode:
    tempfail: bool = False  # 451 on every RCPT
    reject: set[str] = field(default_factory=set)  # addresses answered 550 at RCPT
    drop_after_data: int = 0  # close the connection, without an answer, after this many DATA
    # AUTH XOAUTH2 required (and the only mechanism offered): maps an access token to the user it
    # belongs to, or None for a token that is not (or no longer) valid.
    xoauth2: Callable[[str], str | None] | None = None
    delay_seconds: float = 0.0  # a slow server: wait this long before answering each DATA
    smtputf8: bool = False  # offer SMTPUTF8 (RFC 6531): internationalised addresses, UTF-8 headers


# What Gmail answers to a rejected XOAUTH2 token, as a 334 challenge, before its 535.
_XOAUTH2_ERROR = json.dumps({"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"})


def _xoauth2_fields(blob: bytes) -> dict[str, str] | None:
    """user and auth of a SASL XOAUTH2 client response (user=U^Aauth=Bearer T^A^A), or None."""
    text = blob.decode("utf-8", "replace")
    if not text.endswith("\x01\x01"):
        return None
    fields = dict(part.split("=", 1) for part in text[:-2].split("\x01") if "=" in part)
    if not fields.get("user") or not fields.get("auth", "").startswith("Bearer "):
        return None
    return fields


class _Handler:
    def __init__(self, directory: Path, mode: SinkMode):
        self.directory = directory
        self.mode = mode
        self.lock = threading.Lock()
        self.count = len(list(directory.glob("*.eml")))
        self.logins: list[tuple[str, bool]] = []  # (user, accepted) of every AUTH XOAUTH2

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        check = self.mode.xoauth2
        if check is None:
            await server.push("504 5.5.4 Unrecognized authentication type")
            return AuthResult(success=False, handled=True)
        if len(args) == 1:  # no initial response: ask for it
            blob = await server.challenge_auth("")
            if blob is MISSING:
                return AuthResult(success=False, handled=True)  # challenge_auth has answered 501
        else:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        assert isinstance(blob, bytes)
        fields = _xoauth2_fields(blob)
        if fields is None:
            await server.push("501 5.5.2 Malformed XOAUTH2 response")
            return AuthResult(success=False, handled=True)
        user, token = fields["user"], fields["auth"].removeprefix("Bearer ")
        accepted = check(token) == user
        self.logins.append((user, accepted))
        if accepted:
            return AuthResult(success=True, auth_data=user)
        # The error comes as a challenge that the client answers with an empty line, then 535.
        if await server.challenge_auth(_XOAUTH2_ERROR) is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.mode.xoauth2 is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.mode.tempfail:
            return "451 4.3.0 Temporary failure, try again later"
        if address.lower() in self.mode.reject:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.mode.delay_seconds:
            await asyncio.sleep(self.mode.delay_seconds)
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        with self.lock:
            self.count += 1
            path = self.directory / f"{self.count:06d}.eml"
            path.write_bytes(raw)
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            record = {
                "n": self.count,
                "time": time.time(),
                "mail_from": envelope.mail_from,
                "mail_options": list(envelope.mail_options),
                "rcpt_tos": list(envelope.rcpt_tos),
                "message_id": str(parsed.get("Message-ID", "")),
                "in_reply_to": str(parsed.get("In-Reply-To", "")),
                "subject": str(parsed.get("Subject", "")),
                "file": path.name,
                "auth_user": session.auth_data if session.authenticated else None,
            }
            with (self.directory / "received.jsonl").open("a", encoding="utf-8") as log:
                log.write(json.dumps(record, ensure_ascii=False) + "\n")
            if self.mode.drop_after_data > 0:
                self.mode.drop_after_data -= 1
                transport = server.transport
                if isinstance(transport, asyncio.Transport):
                    transport.abort()
                return "250 OK"  # never reaches the client: the connection is gone
        return "250 Message accepted for delivery"


class SmtpSink:
    """Start with `start()`; `received()` lists what the server accepted."""

    def __init__(self, directory: Path, port: int, mode: SinkMode | None = None):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.mode = mode or SinkMode()
        self._handler = _Handler(directory, self.mode)
        self._controller: Controller | None = None

    def start(self) -> None:
        options: dict[str, Any] = {"enable_SMTPUTF8": self.mode.smtputf8}
        if self.mode.xoauth2 is not None:
            # Loopback without TLS in tests: a real server would insist on TLS before AUTH.
            # (AUTH itself is demanded at MAIL FROM: aiosmtpd's auth_required warns without TLS.)
            options |= {"auth_require_tls": False, "auth_exclude_mechanism": ["PLAIN", "LOGIN"]}
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port, ready_timeout=10, **options)
        self._controller.start()

    @property
    def logins(self) -> list[tuple[str, bool]]:
        """(user, accepted) of every AUTH XOAUTH2 so far."""
        return list(self._handler.logins)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self) -> list[dict[str, Any]]:
        log = self.directory / "received.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]

    def message(self, record: dict[str, Any]) -> email.message.EmailMessage:
        raw = (self.directory / record["file"]).read_bytes()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, email.message.EmailMessage)
        return msg


def main() -> None:
    parser = argparse.ArgumentParser(description="Record every message received on 127.0.0.1:PORT into DIR.")
    parser.add_argument("--port", type=int, default=10025)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument(
        "--delay-ms", type=float, default=0.0, help="wait before answering each DATA (an MTA syncing its queue)"
    )
    args = parser.parse_args()
    sink = SmtpSink(args.dir, args.port, SinkMode(delay_seconds=args.delay_ms / 1000))
    sink.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    (args.dir / "sink.pid").write_text(str(__import__("os").getpid()))
    stop.wait()
    sink.stop()


if __name__ == "__main__":
    main()
