"""A mailbox for the fault runs: the repo's sample mails, copied with fresh identities.

Each copy of the corpus gets fresh Message-IDs (threads inside a copy stay threads:
In-Reply-To and References are rewritten the same way) and, for people, fresh sender
addresses (`name+cN@domain`), so that several hundred mails are distinct requests from
distinct customers, not a flood that the per-sender limit would cut. Robots (bounces,
no-reply senders) keep their addresses so that they are still recognised as robots.
Every 40th mail loses its Message-ID, as some broken mailers send them; inboxd then
names it after the hash of its bytes, and so does `identity`. One mail is made larger
than the suite's `limits.max_message_bytes`, to be quarantined without download.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (ROOT / "tests" / "fixtures" / "eml", ROOT / "benchmarks" / "data" / "extraction" / "mails")
OVERSIZE_BYTES = 300_000  # the suite sets limits.max_message_bytes below this

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_ID = re.compile(rb"<[^<>\s]+>")
_ROBOT = re.compile(
    rb"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon|no[-_.]?reply|do[-_.]?not[-_.]?reply|noreply-.*|bounces?.*)$",
    re.I,
)


@dataclass(frozen=True)
class Mail:
    identity: str  # the Message-ID inboxd will use: the header's, or <sha256[:32]@inboxd.invalid>
    source: str
    raw: bytes


def identity(raw: bytes) -> str:
    head = _split(raw)[0]
    found = re.search(rb"^message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+>)", head, re.I | re.M)
    if found:
        return found.group(1).decode("ascii", "replace")
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@inboxd.invalid>"


def _split(raw: bytes) -> tuple[bytes, bytes]:
    match = _HEADER_END.search(raw)
    if match is None:
        return raw, b""
    return raw[: match.start()], raw[match.start() :]


def _header_spans(head: bytes, name: bytes) -> list[tuple[int, int]]:
    """Byte spans of the values of header `name`, folded continuation lines included."""
    spans = []
    for match in re.finditer(rb"^" + name + rb":(.*(?:\r?\n[ \t].*)*)", head, re.I | re.M):
        spans.append(match.span(1))
    return spans


def _rewrite(head: bytes, name: bytes, change: object) -> bytes:
    for start, end in reversed(_header_spans(head, name)):
        value = head[start:end]
        head = head[:start] + change(value) + head[end:]  # type: ignore[operator]
    return head


def _fresh_id(old: bytes, copy: int, tag: str) -> bytes:
    digest = hashlib.sha256(old + f"/{tag}/{copy}".encode()).hexdigest()[:20]
    domain = old.rstrip(b">").rpartition(b"@")[2] or b"mail.example"
    return b"<f" + str(copy).encode() + b"." + digest.encode() + b"@" + domain + b">"


def _address(copy: int) -> object:
    def change(value: bytes) -> bytes:
        def one(match: re.Match[bytes]) -> bytes:
            local, domain = match.group(1), match.group(2)
            if copy == 0 or _ROBOT.match(local):
                return match.group(0)
            return local + b"+c" + str(copy).encode() + b"@" + domain

        return re.sub(rb"([A-Za-z0-9._%+-]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})", one, value)

    return change


def _copy(raw: bytes, copy: int, tag: str, drop_id: bool) -> bytes:
    # Mail travels with CRLF line ends, and Dovecot hands it out so: the hash of the bytes
    # inboxd fetches (which names a mail without Message-ID) is the hash of these.
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    head, body = _split(raw)

    def ids(value: bytes) -> bytes:
        return _ID.sub(lambda m: _fresh_id(m.group(0), copy, tag), value)

    for name in (rb"Message-ID", rb"In-Reply-To", rb"References"):
        head = _rewrite(head, name, ids)
    for name in (rb"From", rb"Reply-To", rb"Return-Path", rb"Sender"):
        head = _rewrite(head, name, _address(copy))
    if drop_id:
        head = re.sub(rb"^message-id:.*(?:\r?\n[ \t].*)*\r?\n?", b"", head, flags=re.I | re.M)
    # A trace header, as every relay adds one, that differs per copy: a robot's mail without
    # Message-ID (a qmail bounce) would otherwise be the same bytes, and the same hash, twice.
    received = f"Received: from relay{copy}.mail.example by mx.exchange.test with ESMTP id {tag}{copy}\r\n"
    return received.encode() + head + body


def _oversize(copy: int, tag: str) -> bytes:
    filler = random.Random(f"{tag}/{copy}").randbytes(OVERSIZE_BYTES * 3 // 4)
    encoded = base64.encodebytes(filler)
    return (
        (
            f"From: Lena Vogel <lena.vogel+c{copy}@posteo.example>\r\n"
            "To: support@exchange.test\r\n"
            f"Subject: Screen recording of the failed withdrawal ({copy})\r\n"
            "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
            f"Message-ID: <big.{tag}.{copy}@posteo.example>\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
            "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "My withdrawal of 0.5 BTC failed, the recording is attached.\r\n"
            '--b1\r\nContent-Type: video/mp4; name="recording.mp4"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode()
        + encoded.replace(b"\n", b"\r\n")
        + b"--b1--\r\n"
    )


def _order() -> list[Path]:
    """Customer mail with the robots, the hostile and the tricky fixtures spread through it,
    the hardest first, so that even a short prefix (the quick run) meets every path."""
    fixtures, customers = (sorted(folder.glob("*.eml")) for folder in SOURCES)
    if not fixtures or not customers:
        raise RuntimeError(f"no sample mail under {SOURCES}")
    first = ("auto_reply", "hostile_nested", "bounce", "noreply", "en_reply_quoted", "newsletter")
    fixtures.sort(key=lambda p: (first.index(p.stem) if p.stem in first else len(first), p.name))
    step = max(1, len(customers) // len(fixtures))
    out: list[Path] = []
    for i, path in enumerate(customers):
        if i % step == 3 and fixtures:
            out.append(fixtures.pop(0))
        out.append(path)
    return out + fixtures


def corpus(count: int, tag: str) -> list[Mail]:
    """`count` distinct mails, in the order they arrive. `tag` makes this run's identities its own."""
    sources = _order()
    out: list[Mail] = []
    copy = 0
    while len(out) < count:
        for path in sources:
            if len(out) >= count:
                break
            if len(out) == 7:
                raw = _oversize(copy, tag)
                out.append(Mail(identity(raw), "oversize", raw))
                continue
            drop = len(out) % 40 == 39
            raw = _copy(path.read_bytes(), copy, tag, drop)
            out.append(Mail(identity(raw), f"{path.parent.name}/{path.name}#{copy}", raw))
        copy += 1
    seen: set[str] = set()
    for mail in out:
        if mail.identity in seen:
            raise RuntimeError(f"two generated mails share {mail.identity} ({mail.source})")
        seen.add(mail.identity)
    return out
