"""Synthetic hostile messages for the tests and benchmarks: each stresses one cost of parsing.

`hostile_messages(scale)` yields (name, raw bytes, refusal): `refusal` is the text
the MessageError must contain under the default limits (it names the LimitsConfig
key), or None when the message is within the limits and must be parsed. `scale` (0 < scale <= 1)
shrinks the large ones so that a unit test stays quick; the benchmark uses 1.0,
which puts every "within the limits" message close to the default limits.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

_HEAD = (
    b"From: Mallory <mallory@example.com>\r\nTo: support@exchange.test\r\nSubject: x\r\n"
    b"Message-ID: <hostile@example.com>\r\nMIME-Version: 1.0\r\n"
)


def _multipart(parts: list[bytes], boundary: bytes = b"b") -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts)
    return (
        _HEAD
        + b"Content-Type: multipart/mixed; boundary="
        + boundary
        + b"\r\n\r\n"
        + body
        + b"--"
        + boundary
        + b"--\r\n"
    )


def _nested(depth: int) -> bytes:
    return b"".join(b"Content-Type: multipart/mixed; boundary=n%d\r\n\r\n--n%d\r\n" % (i, i) for i in range(depth))


def hostile_messages(scale: float = 1.0) -> Iterator[tuple[str, bytes, str | None]]:
    def n(count: int) -> int:
        return max(1, int(count * scale))

    # -- refused by a limit, whatever the scale ------------------------------------------------
    yield (
        "100k header fields",
        _HEAD + b"".join(b"X-H%d: v\r\n" % i for i in range(100_000)) + b"\r\nhi\r\n",
        "limits.max_headers",
    )
    yield "2 MB subject", _HEAD + b"Subject: " + b"x" * 2_000_000 + b"\r\n\r\nhi\r\n", "limits.max_header_bytes"
    yield (
        "50k encoded words",
        b"From: a@example.com\r\nSubject: " + b" ".join([b"=?utf-8?B?5Lit5paH?="] * 50_000) + b"\r\n\r\nhi\r\n",
        "limits.max_header_bytes",
    )
    yield "5000 nested multiparts", _HEAD + _nested(5000) + b"\r\nx\r\n", "limits.max_mime_parts"
    yield "40 nested multiparts", _HEAD + _nested(40) + b"\r\nx\r\n", "limits.max_mime_depth"
    yield (
        "20k parts",
        _multipart([b"Content-Type: text/plain\r\n\r\npart %d" % i for i in range(20_000)]),
        "limits.max_mime_parts",
    )
    yield (
        "2M lines 19 multiparts deep",
        _HEAD + _nested(18) + b"Content-Type: text/plain\r\n\r\n" + b"\r\n" * 2_000_000,
        "too costly to parse",
    )
    yield "message over the size limit", _HEAD + b"\r\n" + b"a" * (25 * 1024 * 1024 + 1), "limits.max_message_bytes"

    # -- within the limits: parsed, in bounded time -------------------------------------------
    yield (
        "1000 Received headers",
        _HEAD
        + b"".join(
            b"Received: from host%d.example.com (host%d.example.com [192.0.2.%d]) by mx.example.net "
            b"(Postfix) with ESMTPS id A%d for <s@x>; Mon, 1 Jan 2024 00:00:00 +0000\r\n" % (i, i, i % 250, i)
            for i in range(990)
        )
        + b"\r\nhi\r\n",
        None,
    )
    yield (
        "10k encoded words",
        b"From: a@example.com\r\nSubject: " + b"\r\n ".join([b"=?gb2312?B?1tDOxA==?="] * 10_000) + b"\r\n\r\nhi\r\n",
        None,
    )
    yield (
        "6500 addresses in To",
        b"From: a@example.com\r\nTo: "
        + b",\r\n ".join(b'"User %d" <u%d@example.com>' % (i, i) for i in range(6500))
        + b"\r\nSubject: x\r\n\r\nhi\r\n",
        None,
    )
    yield (
        "1M lines 10 multiparts deep",
        _HEAD + _nested(9) + b"Content-Type: text/plain\r\n\r\n" + b"a\r\n" * n(990_000),
        None,
    )
    gbk = ("你好，我的提币还没有到账，请帮忙查一下。\r\n" * 2500).encode("gbk")[:100_000]
    yield (
        "240 undeclared 8-bit GBK parts",
        _multipart([b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + gbk] * n(240)),
        None,
    )
    page = b"<div><p>hello <b>world</b> <a href='https://x.example/1'>link</a></p></div>\r\n" * 1300
    yield (
        "240 HTML parts of 100 kB",
        _multipart([b"Content-Type: text/html; charset=utf-8\r\n\r\n" + page] * n(240)),
        None,
    )
    yield (
        "24 MB HTML part",
        _HEAD
        + b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        + b"<table><tr><td>a</td><td>b</td></tr>\r\n" * n(600_000),
        None,
    )
    yield (
        "24 MB base64 attachment of zeros",
        _multipart(
            [
                b"Content-Type: text/plain\r\n\r\nsee attached",
                b"Content-Type: application/zip; name=z.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + base64.encodebytes(b"\0" * n(17_500_000)),
            ]
        ),
        None,
    )
    yield "24 MB single line", _HEAD + b"Content-Type: text/plain\r\n\r\n" + b"x" * n(24_000_000) + b"\r\n", None
    yield (
        "100 parts of 990 headers",
        _multipart(
            [b"".join(b"X-H%d: v\r\n" % i for i in range(990)) + b"Content-Type: text/plain\r\n\r\nhi"] * n(100)
        ),
        None,
    )
    yield (
        "24 MB of quoted lines",
        _HEAD
        + b"Content-Type: text/plain\r\n\r\n"
        + b"> On Mon, someone wrote: something quoted here\r\n" * n(480_000),
        None,
    )
    yield (
        "24 MB undeclared 8-bit Big5",
        _HEAD
        + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + ("請問我的提幣什麼時候到帳，謝謝。\r\n" * n(700_000)).encode("big5"),
        None,
    )
