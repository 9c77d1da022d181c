"""A parsed mail's bodies: inline text decoded, HTML as text and its links, text attachments.

- Charsets: every inline text/plain and text/html body is decoded here (inboxd.charset)
  and handed to mail-parser as UTF-8, so a wrong, missing or unknown charset label, GBK
  under a gb2312 label, UTF-8 under a gb2312 label, Big5 under us-ascii, or
  double-encoded Big5 give readable text instead of mojibake or a crash.
- Small text attachments (text/plain, text/csv: a "wallet.txt") are decoded into
  `attachment_text`, at most 64 KiB of each and 256 KiB (and `max_text_chars`) in all,
  for the secret scan alone: never read as the customer's words.
"""

from __future__ import annotations

import binascii
import email.message
import email.utils
from typing import Any

from inboxd.charset import decode_text
from inboxd.html_text import hrefs as html_hrefs
from inboxd.html_text import html_to_text
from inboxd.mime_guard import Budget
from inboxd.values import ParseLimits

_BODY_TYPES = ("text/plain", "text/html")
# Text attachments read for the secret scan (a seed phrase saved as "wallet.txt"); phones
# send such files as octet-stream too, so the name also counts.
_TEXT_ATTACHMENT_TYPES = frozenset({"text/plain", "text/csv"})
_TEXT_ATTACHMENT_NAMES = (".txt", ".csv")
_ATTACHMENT_TEXT_BYTES = 64 * 1024  # read of each one
_ATTACHMENT_TEXT_TOTAL = 256 * 1024  # of all of a mail's (and never more than limits.max_text_chars)
_MAX_HREFS = 200  # link targets kept of one mail (inboxd.links reads them)
_FORWARDED_SENDERS = ("from", "reply-to", "sender")
# Content-Type value (None: no header) -> the value set_param("charset", "utf-8") makes of it,
# and -> its charset parameter (get_content_charset reads nothing but the first such value).
_UTF8_LABELLED: dict[str | None, str] = {}
_CHARSETS: dict[str | None, str | None] = {}
_MEMO_AT_MOST = 1024


def charset_of(part: email.message.Message) -> str | None:
    """The charset parameter, remembered by Content-Type value: it is read of every body part
    (and of the message for its headers), and mails share a few dozen values."""
    value = part.get("Content-Type")
    memo = value is None or isinstance(value, str)  # not a Header (raw 8-bit bytes in it)
    if memo and value in _CHARSETS:
        return _CHARSETS[value]
    try:
        charset = part.get_content_charset()
    except (LookupError, UnicodeError, ValueError, TypeError):
        charset = None
    if memo:
        if len(_CHARSETS) >= _MEMO_AT_MOST:  # values are the sender's to vary
            _CHARSETS.clear()
        _CHARSETS[value] = charset
    return charset


def inline_body(part: email.message.Message, named_is_attachment: bool) -> bytes | None:
    """The decoded bytes of an inline text body part; None for containers, attachments (and, with
    `named_is_attachment`, parts with a file name) and payloads that do not decode."""
    if part.is_multipart() or part.get_content_type() not in _BODY_TYPES:
        return None
    if part.get_content_disposition() == "attachment" or (named_is_attachment and part.get_filename()):
        return None
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError, UnicodeError, binascii.Error):
        return None
    return data if isinstance(data, bytes) else None


def _label_utf8(part: email.message.Message) -> None:
    """`part.set_param("charset", "utf-8")`, its result remembered by the Content-Type value.

    set_param parses the parameters twice; it reads nothing but the (first) Content-Type
    value, so the same value always gives the same new one, and mails share a few dozen.
    """
    value = part.get("Content-Type")
    if value is not None and not isinstance(value, str):  # a Header: raw 8-bit bytes in it
        part.set_param("charset", "utf-8")
        return
    labelled = _UTF8_LABELLED.get(value)
    if labelled is None:
        part.set_param("charset", "utf-8")
        labelled = part.get("Content-Type")
        if isinstance(labelled, str):
            if len(_UTF8_LABELLED) >= _MEMO_AT_MOST:  # values are the sender's to vary
                _UTF8_LABELLED.clear()
            _UTF8_LABELLED[value] = labelled
    elif labelled != value:  # as set_param: the header is replaced only when it changes
        del part["Content-Type"]
        part["Content-Type"] = labelled


def normalise_bodies(message: email.message.Message, limits: ParseLimits, budget: Budget) -> None:
    """Decode the inline text bodies here and hand them to mail-parser as 8-bit UTF-8.

    Only until limits.max_text_chars of text is decoded: the text is cut there
    anyway, and charset detection is the costly step. Bodies past that point
    are left to mail-parser's own (fast, label-trusting) decoding.
    """
    decoded = 0
    for part in message.walk():
        if decoded > limits.max_text_chars:
            return
        data = inline_body(part, named_is_attachment=True)
        if data is None:
            continue
        text = decode_text(data, charset_of(part)).text
        decoded += len(text)
        del part["Content-Transfer-Encoding"]
        part["Content-Transfer-Encoding"] = "8bit"
        _label_utf8(part)
        # As the stdlib holds 8-bit bodies parsed from bytes: ASCII with surrogate escapes (an
        # ASCII text is that already).
        part.set_payload(text if text.isascii() else text.encode("utf-8").decode("ascii", "surrogateescape"))
        budget.check("decoding bodies")


def html_text(html: list[str], limits: ParseLimits) -> str:
    """Convert HTML bodies to text, at most limits.max_html_chars of HTML in all."""
    left = limits.max_html_chars
    texts: list[str] = []
    for page in html:
        if left <= 0:
            break
        texts.append(html_to_text(page[:left]))
        left -= len(page)
    return "\n\n".join(texts)


def hrefs(message: email.message.Message, html: list[str], limits: ParseLimits) -> tuple[str, ...]:
    """The href values of the HTML bodies (at most limits.max_html_chars of HTML read), then the
    senders of each forwarded message as mailto: targets; at most _MAX_HREFS in all."""
    found: list[str] = []
    for part in message.walk():
        if part.get_content_type() != "message/rfc822" or len(found) >= _MAX_HREFS:
            continue
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, email.message.Message):
            continue
        values = [str(v) for name in _FORWARDED_SENDERS for v in inner.get_all(name) or []]
        found.extend(f"mailto:{a}" for _, a in email.utils.getaddresses(values) if "@" in a and a.isprintable())
    left = limits.max_html_chars
    for page in html:
        if left <= 0 or len(found) >= _MAX_HREFS:
            break
        found.extend(html_hrefs(page[:left], _MAX_HREFS - len(found)))
        left -= len(page)
    return tuple(dict.fromkeys(found))[:_MAX_HREFS]


def attachment_size(item: dict[str, Any]) -> int:
    payload = item.get("payload") or ""
    if item.get("binary"):
        # base64 text: 4 characters carry 3 bytes (ignoring line breaks and padding).
        stripped = len(payload) - payload.count("\n") - payload.count("\r")
        return max(0, stripped * 3 // 4 - payload[-2:].count("="))
    return len(str(payload).encode("utf-8", "surrogateescape"))


def _attachment_bytes(item: dict[str, Any], limit: int) -> bytes | None:
    """The first `limit` bytes of an attachment: mail-parser holds it as base64 text."""
    payload = item.get("payload")
    if not isinstance(payload, str):
        return None
    if not item.get("binary"):
        return payload.encode("utf-8", "surrogateescape")[:limit]
    # Only the base64 that holds the first `limit` bytes is decoded (twice the length it
    # needs leaves room for its line breaks): the file may be megabytes long.
    compact = "".join(payload[: (limit // 3 + 1) * 8].split())
    try:
        return binascii.a2b_base64(compact[: len(compact) // 4 * 4])[:limit]
    except (binascii.Error, ValueError):
        return None


def attachment_text(items: list[dict[str, Any]], limits: ParseLimits, budget: Budget) -> tuple[str, ...]:
    """The decoded text of each small text attachment, "" for the others; () when none is text."""
    texts: list[str] = []
    left = min(_ATTACHMENT_TEXT_TOTAL, limits.max_text_chars)
    for item in items:
        content_type = str(item.get("mail_content_type") or "").lower()
        name = str(item.get("filename") or "").lower()
        readable = content_type in _TEXT_ATTACHMENT_TYPES or (
            content_type == "application/octet-stream" and name.endswith(_TEXT_ATTACHMENT_NAMES)
        )
        data = _attachment_bytes(item, min(_ATTACHMENT_TEXT_BYTES, left)) if readable and left > 0 else None
        if not data:
            texts.append("")
            continue
        text = decode_text(data, str(item.get("charset") or "") or None).text
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")[:left]
        left -= len(text)
        texts.append(text)
        budget.check("reading text attachments")
    return tuple(texts) if any(texts) else ()
