"""Raw RFC 5322 bytes -> ParsedEmail: the only module importing mail-parser.

What it adds to mail-parser, and why:
- Chinese charsets: mail labelled gb2312/gbk/cp936 is very often GBK or GB18030,
  which a strict gb2312 codec turns into mojibake; those labels are decoded as
  GB18030 (a superset), and big5 as big5hkscs, in bodies and encoded-word headers.
- Limits: MIME depth and part count are checked before the body is decoded, so a
  hostile message costs bounded time and is quarantined (MessageError).
- A Message-ID is always present: synthesised from the hash of the raw bytes when
  the mail has none, so every message has a stable identity.
"""

from __future__ import annotations

import email
import email.header
import email.message
import email.policy
import email.utils
import hashlib
import re
from datetime import datetime
from email.errors import HeaderParseError
from typing import Any

import mailparser
from mailparser.exceptions import MailParserError

from inboxd.config import LimitsConfig
from inboxd.errors import MessageError
from inboxd.html_text import html_to_text
from inboxd.models import Attachment, ParsedEmail
from inboxd.quotes import new_text

_CHARSET_ALIASES = {
    b"gb2312": b"gb18030",
    b"gbk": b"gb18030",
    b"x-gbk": b"gb18030",
    b"cp936": b"gb18030",
    b"euc-cn": b"gb18030",
    b"gb_2312-80": b"gb18030",
    b"big5": b"big5hkscs",
    b"x-big5": b"big5hkscs",
}
_LABELS = b"|".join(re.escape(k) for k in sorted(_CHARSET_ALIASES, key=len, reverse=True))
_CHARSET_PARAM = re.compile(rb'(charset\s*=\s*"?)(' + _LABELS + rb')(?=["\s;]|$)', re.I | re.M)
_ENCODED_WORD = re.compile(rb"(=\?)(" + _LABELS + rb")(\*[A-Za-z-]*)?(\?[BbQq]\?)", re.I)
_MSGID = re.compile(r"<[^<>\s]+>")
_ADDR = re.compile(r"^[^@\s]+@[^@\s]+$")
_ENCODED_NAME = re.compile(r"=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=")


def _relabel(raw: bytes) -> bytes:
    def param(m: re.Match[bytes]) -> bytes:
        return m.group(1) + _CHARSET_ALIASES[m.group(2).lower()]

    def word(m: re.Match[bytes]) -> bytes:
        return m.group(1) + _CHARSET_ALIASES[m.group(2).lower()] + m.group(4)

    return _ENCODED_WORD.sub(word, _CHARSET_PARAM.sub(param, raw))


def _check_structure(message: email.message.Message, limits: LimitsConfig) -> None:
    """Walk the MIME tree iteratively (no recursion) and enforce the limits."""
    stack: list[tuple[email.message.Message, int]] = [(message, 1)]
    parts = 0
    while stack:
        part, depth = stack.pop()
        parts += 1
        if parts > limits.max_mime_parts:
            raise MessageError(f"more than {limits.max_mime_parts} MIME parts (limits.max_mime_parts)")
        if depth > limits.max_mime_depth:
            raise MessageError(f"MIME nesting deeper than {limits.max_mime_depth} (limits.max_mime_depth)")
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload if isinstance(child, email.message.Message))


def _first(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value or "")


def _display_name(name: str) -> str:
    """Decode an encoded word left in a quoted display name.

    RFC 2047 forbids encoded words inside quotes, but Foxmail and QQ Mail write
    `"=?gb2312?B?...?=" <x@qq.com>`; every mail client shows it decoded, so do we.
    """
    if not _ENCODED_NAME.search(name):
        return name
    try:
        return str(email.header.make_header(email.header.decode_header(name)))
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        return name


def _addresses(value: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in value or []:
        if isinstance(item, (list, tuple)) and len(item) == 2:
            name, addr = str(item[0] or ""), str(item[1] or "").strip().lower()
            if _ADDR.match(addr):
                out.append((_display_name(name.strip()), addr))
    return out


def _message_ids(value: str) -> list[str]:
    return _MSGID.findall(value or "")


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _attachment_size(item: dict[str, Any]) -> int:
    payload = item.get("payload") or ""
    if item.get("binary"):
        # base64 text: 4 characters carry 3 bytes (ignoring line breaks and padding).
        stripped = len(payload) - payload.count("\n") - payload.count("\r")
        return max(0, stripped * 3 // 4 - payload[-2:].count("="))
    return len(str(payload).encode("utf-8", "surrogateescape"))


def parse_message(raw: bytes, limits: LimitsConfig | None = None) -> ParsedEmail:
    """Parse one message; raise MessageError when it cannot be handled."""
    limits = limits or LimitsConfig()
    if len(raw) > limits.max_message_bytes:
        raise MessageError(f"{len(raw)} bytes is over limits.max_message_bytes ({limits.max_message_bytes})")
    content_hash = hashlib.sha256(raw).hexdigest()
    fixed = _relabel(raw)
    try:
        message = email.message_from_bytes(fixed, policy=email.policy.compat32)
        if not message.keys():
            raise MessageError("no headers: not an e-mail message")
        _check_structure(message, limits)
        parser = mailparser.MailParser(message)
    except RecursionError as exc:
        raise MessageError("MIME structure nested too deeply to parse") from exc
    except (MailParserError, HeaderParseError, LookupError, UnicodeError, ValueError, TypeError) as exc:
        raise MessageError(f"cannot parse: {type(exc).__name__}: {exc}") from exc

    mail = parser.mail
    headers = {str(k).lower(): _first(v) for k, v in parser.headers.items()}

    ids = _message_ids(headers.get("message-id", ""))
    synthetic = not ids
    message_id = ids[0] if ids else f"<{content_hash[:32]}@inboxd.invalid>"

    senders = _addresses(mail.get("from"))
    sender_name, sender = senders[0] if senders else ("", "")
    reply_to = _addresses(mail.get("reply-to"))
    reply_address = reply_to[0][1] if reply_to else sender

    plain = [t for t in parser.text_plain if t and t.strip()]
    html = [t for t in parser.text_html if t and t.strip()]
    html_only = not plain and bool(html)
    if plain:
        text = "\n\n".join(plain)
    elif html:
        text = "\n\n".join(html_to_text(h) for h in html)
    else:
        text = "\n\n".join(t for t in parser.text_not_managed if isinstance(t, str))
    text = text.replace("\r\n", "\n").replace("\r", "\n")[: limits.max_text_chars]

    attachments = tuple(
        Attachment(
            filename=str(a.get("filename") or ""),
            content_type=str(a.get("mail_content_type") or "application/octet-stream"),
            size=_attachment_size(a),
        )
        for a in parser.attachments
    )
    in_reply_to = _message_ids(headers.get("in-reply-to", ""))
    return ParsedEmail(
        message_id=message_id,
        message_id_synthetic=synthetic,
        sender=sender,
        sender_name=sender_name,
        reply_to=reply_address,
        to=tuple(a for _, a in _addresses(mail.get("to"))),
        cc=tuple(a for _, a in _addresses(mail.get("cc"))),
        subject=" ".join(headers.get("subject", "").split()),
        date=_date(message.get("date", "")),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=tuple(_message_ids(headers.get("references", ""))),
        text=text,
        new_text=new_text(text),
        html_only=html_only,
        attachments=attachments,
        headers=headers,
        content_type=message.get_content_type(),
        content_hash=content_hash,
        size=len(raw),
        defects=tuple(sorted(parser.defects_categories)),
    )
