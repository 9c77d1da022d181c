"""Hand-built MIME: encoded words, folded headers, body encodings, multipart trees and attachments.

Built by hand rather than with the email package so that the output is byte-stable and looks
like what each client writes (boundaries, quoting of parameters, RFC 2047 vs RFC 2231 names).
"""

from __future__ import annotations

import base64
import quopri
import struct
import zlib

from .values import R, g_digits, g_hex


def enc_words(text: str, charset: str, mode: str = "B", maxlen: int = 75) -> str:
    if all(ord(c) < 128 for c in text) and mode != "force":
        return text
    if mode == "force":
        mode = "B"
    pycs = {"gbk": "gbk", "gb18030": "gb18030", "gb2312": "gb2312"}.get(charset.lower(), "utf-8")

    def make(chunk: str) -> str:
        raw = chunk.encode(pycs)
        if mode == "B":
            return f"=?{charset}?B?{base64.b64encode(raw).decode()}?="
        q = "".join(
            chr(b) if (chr(b).isalnum() and b < 128) or chr(b) in "!*+-/" else "_" if b == 32 else f"={b:02X}"
            for b in raw
        )
        return f"=?{charset}?Q?{q}?="

    words, cur = [], ""
    for ch in text:
        if cur and len(make(cur + ch)) > maxlen:
            words.append(make(cur))
            cur = ch
        else:
            cur += ch
    words.append(make(cur))
    return "\n ".join(words)


def fold(name: str, value: str) -> str:
    """Fold long header values at spaces (value may already contain folds)."""
    line = f"{name}: {value}"
    if len(line) <= 78 or "\n" in value:
        return line
    parts = value.split(" ")
    out, cur = [], f"{name}:"
    for p in parts:
        if len(cur) + 1 + len(p) > 76 and cur != f"{name}:":
            out.append(cur)
            cur = " " + p
        else:
            cur += " " + p
    out.append(cur)
    return "\n".join(out)


def encode_body(text: str, charset: str, cte: str) -> bytes:
    pycs = {"gbk": "gbk", "gb18030": "gb18030", "gb2312": "gb2312", "us-ascii": "ascii"}.get(charset.lower(), "utf-8")
    raw = text.encode(pycs)
    if cte == "base64":
        return base64.encodebytes(raw)
    if cte == "quoted-printable":
        return quopri.encodestring(raw)
    return raw


class Leaf:
    def __init__(self, headers: list[str], body: bytes):
        self.headers, self.body = headers, body


class Multi:
    def __init__(
        self,
        subtype: str,
        boundary: str,
        parts: list[Leaf | Multi],
        preamble: str | None = None,
        extra: list[str] | None = None,
    ):
        self.subtype, self.boundary, self.parts = subtype, boundary, parts
        self.preamble, self.extra = preamble, extra or []


def text_leaf(text: str, subtype: str, charset: str, cte: str | None, ctype_style: int = 0) -> Leaf:
    if ctype_style == 1:
        ct = f'Content-Type: text/{subtype};\n\tcharset="{charset}"'
    elif ctype_style == 2:
        ct = f"Content-Type: text/{subtype}; charset={charset}"
    elif ctype_style == 3:
        ct = f"Content-Type: text/{subtype}; charset={charset}; format=flowed"
    else:
        ct = f'Content-Type: text/{subtype}; charset="{charset}"'
    hdrs = [ct]
    if cte:
        hdrs.append(f"Content-Transfer-Encoding: {cte}")
    if not text.endswith("\n"):
        text += "\n"
    return Leaf(hdrs, encode_body(text, charset, cte or "7bit"))


def render_part(p: Leaf | Multi) -> bytes:
    if isinstance(p, Leaf):
        return ("\n".join(p.headers) + "\n\n").encode("ascii") + p.body
    out = [f'Content-Type: multipart/{p.subtype};\n\tboundary="{p.boundary}"'.encode()]
    out += [h.encode() for h in p.extra]
    buf = b"\n".join(out) + b"\n\n"
    if p.preamble:
        buf += p.preamble.encode() + b"\n\n"
    for sub in p.parts:
        body = render_part(sub)
        if not body.endswith(b"\n"):
            body += b"\n"
        buf += f"--{p.boundary}\n".encode() + body + b"\n"
    buf += f"--{p.boundary}--\n".encode()
    return buf


def make_png(w: int = 96, h: int = 64) -> bytes:
    bg = (R.choice([245, 250, 255]),) * 3
    accent = (R.randint(0, 80), R.randint(100, 200), R.randint(120, 255))
    bars = sorted(R.sample(range(8, h - 8, 6), 5))
    rows = []
    for y in range(h):
        row = bytearray(b"\x00")
        for x in range(w):
            if y < 6:
                px = accent
            elif y in bars and 6 < x < w - 10:
                px = (120, 120, 120)
            else:
                px = bg
            row += bytes(px)
        rows.append(bytes(row))

    def chunk(t: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def make_pdf(title: str) -> bytes:
    stream = (
        f"BT /F1 14 Tf 72 740 Td ({title}) Tj ET\nBT /F1 9 Tf 72 720 Td (Generated {g_digits(10)}) Tj ET\n"
    ).encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offs)
    fid = g_hex(16).upper().encode()
    out += (
        b"trailer\n<< /Size %d /Root 1 0 R /ID [<" % (len(objs) + 1)
        + fid
        + b"><"
        + fid
        + b">] >>\nstartxref\n%d\n%%%%EOF\n" % xref
    )
    return out


def attach_leaf(kind: str, filename: str, style: int, cs: str = "UTF-8", cid: str | None = None) -> Leaf:
    data = make_png(R.choice([96, 120]), R.choice([64, 80])) if kind == "png" else make_pdf("Transaction record")
    ctype = "image/png" if kind == "png" else "application/pdf"
    ascii_name = all(ord(c) < 128 for c in filename)
    if ascii_name:
        hdrs = [
            f'Content-Type: {ctype}; name="{filename}"',
            f'Content-Disposition: {"inline" if cid else "attachment"}; filename="{filename}"',
        ]
    elif style == 0:  # RFC 2047 in quotes, as QQ/Foxmail/Outlook do
        ew = enc_words(filename, cs, "force")
        hdrs = [f'Content-Type: {ctype};\n\tname="{ew}"', f'Content-Disposition: attachment;\n\tfilename="{ew}"']
    else:  # RFC 2231 as Thunderbird/Apple do
        pct = "".join(
            c if c.isascii() and (c.isalnum() or c in "._-") else "".join(f"%{b:02X}" for b in c.encode())
            for c in filename
        )
        hdrs = [
            f"Content-Type: {ctype}; name*=UTF-8''{pct}",
            f"Content-Disposition: attachment; filename*=UTF-8''{pct}",
        ]
    hdrs.append("Content-Transfer-Encoding: base64")
    if cid:
        hdrs.append(f"Content-ID: <{cid}>")
    return Leaf(hdrs, base64.encodebytes(data))
