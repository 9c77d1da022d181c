"""Header values -> text: the decoding parse_message applies to every header it reads.

Encoded words are merged across adjacent words before decoding (Chinese clients split a
multi-byte character across two), base64 and quoted-printable are read leniently, raw
8-bit bytes are read as UTF-8 or in the body's charset, and display names that
mail-parser left encoded (inside quotes, as Foxmail and QQ Mail write them) are finished.
"""

from __future__ import annotations

import binascii
import email.message
import email.utils
import re
from datetime import datetime
from typing import Any

from inboxd.charset import decode_text

_MSGID = re.compile(r"<[^<>\s]+>")
_ADDR = re.compile(r"^[^@\s]+@[^@\s]+$")
# RFC 2047 encoded word; the charset may carry an RFC 2231 language (*en).
_HEADER_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([BbQq])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def _word_bytes(encoding: str, encoded: str) -> bytes:
    """Lenient RFC 2047 decoding: broken padding and stray characters are common."""
    if encoding in "Bb":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", encoded)
        if len(cleaned) % 4 == 1:
            cleaned = cleaned[:-1]
        return binascii.a2b_base64(cleaned + "=" * (-len(cleaned) % 4))
    return binascii.a2b_qp(encoded.encode("ascii", "replace"), header=True)


def decode_header_value(value: str, hint: str | None = None) -> str:
    """Decode a raw header value: encoded words, raw 8-bit bytes, folding.

    Adjacent encoded words in one charset are joined before decoding, because
    Chinese clients split a multi-byte character across two words. Raw 8-bit
    bytes (RFC 6532 UTF-8, or a legacy client writing its charset) are decoded
    like a body labelled `hint`, the charset of the message's body.
    """
    value = str(value)
    # Surrogate escapes (raw 8-bit bytes) are not ASCII: most values are, and skip the scan.
    if not value.isascii() and any("\udc80" <= c <= "\udcff" for c in value):
        value = decode_text(value.encode("ascii", "surrogateescape"), hint).text
    if "\n" in value:  # the pattern (led by an optional "\r") is tried at every character
        value = _FOLD.sub("", value)
    if "=?" not in value:  # no encoded word: nothing more to decode
        return value.replace("\x00", "")
    out: list[str] = []
    pending = bytearray()
    pending_charset = ""
    pos = 0
    after_word = False

    def flush() -> None:
        if pending:
            out.append(decode_text(bytes(pending), pending_charset).text)
            pending.clear()

    for m in _HEADER_WORD.finditer(value):
        between = value[pos : m.start()]
        if not (after_word and not between.strip()):
            flush()
            out.append(between)
        charset = m.group(1).lower()
        if charset != pending_charset:
            flush()
            pending_charset = charset
        try:
            pending.extend(_word_bytes(m.group(2), m.group(3)))
        except (binascii.Error, ValueError):
            flush()
            out.append(m.group(0))
        pos = m.end()
        after_word = True
    flush()
    out.append(value[pos:])
    return "".join(out).replace("\x00", "")


def decoded_headers(message: email.message.Message, hint: str | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in message.raw_items():
        key = str(name).strip().lower()
        if key and key not in headers:
            headers[key] = decode_header_value(value, hint).strip()
    return headers


def _display_name(name: str, hint: str | None) -> str:
    """Finish decoding a display name that mail-parser left raw.

    RFC 2047 forbids encoded words inside quotes, but Foxmail and QQ Mail write
    `"=?gb2312?B?...?=" <x@qq.com>`; every mail client shows it decoded, so do we.
    Raw 8-bit names come back from mail-parser as UTF-8 with surrogate escapes.
    """
    if not name.isascii() and any("\udc80" <= c <= "\udcff" for c in name):
        name = decode_text(name.encode("utf-8", "surrogateescape"), hint).text
    if "=?" in name:
        name = decode_header_value(name, hint)
    return name


def is_address(value: str) -> bool:
    """One address, printable (as parse_message keeps it: lower-cased by the caller)."""
    return bool(_ADDR.match(value)) and value.isprintable()


def addresses(value: Any, hint: str | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in value or []:
        if isinstance(item, (list, tuple)) and len(item) == 2:
            name, addr = str(item[0] or ""), str(item[1] or "").strip().lower()
            if is_address(addr):
                out.append((_display_name(name.strip(), hint), addr))
    return out


def auth_results(message: email.message.Message) -> tuple[str, ...]:
    """Every Authentication-Results header, top to bottom, unfolded (inboxd.trust decides which
    one to believe). Bounded: the header block's size is already limited by `mime_guard.check_structure`."""
    values = message.get_all("authentication-results") or []
    return tuple(" ".join(str(v).split()) for v in values[:50])


def message_ids(value: str) -> list[str]:
    return _MSGID.findall(value or "")


def header_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
