"""Raw RFC 5322 bytes -> ParsedEmail: the only module importing mail-parser.

What it adds to mail-parser, and why:
- Charsets: every text/plain and text/html body is decoded here (inboxd.charset)
  and handed to mail-parser as UTF-8, so a wrong, missing or unknown charset label,
  GBK under a gb2312 label, UTF-8 under a gb2312 label, Big5 under us-ascii, or
  double-encoded Big5 give readable text instead of mojibake or a crash. Headers
  are decoded here too (encoded words merged across adjacent words before
  decoding, lenient base64/quoted-printable, raw 8-bit bytes read as UTF-8 or in
  the body's charset). Labels gb2312/gbk/cp936/euc-cn are also relabelled
  GB18030 and big5 big5hkscs in the raw bytes, for the headers mail-parser
  decodes itself (addresses, attachment names).
- Obsolete header syntax (RFC 5322 4.5: white space before the colon) is
  repaired so such messages still have headers, and a top-level multipart whose
  body uses other delimiters than its declared boundary is re-read with them.
- Limits (`[limits]`: LimitsConfig, or ParseLimits in a worker): message size, MIME depth and part count, header count
  and size, HTML size and a wall-clock budget. Boundary nesting and delimiter
  count are checked on the raw bytes before the stdlib parser runs, because its
  cost grows with lines x nesting depth; the rest is checked on the tree before
  any body is decoded. A message over a limit raises MessageError and is
  quarantined; so does one that mail-parser itself fails on.
- A Message-ID is always present: synthesised from the hash of the raw bytes when
  the mail has none, so every message has a stable identity.
- Small text attachments (text/plain, text/csv: a "wallet.txt") are decoded into
  `attachment_text`, at most 64 KiB of each and 256 KiB (and `max_text_chars`) in
  all, for the secret scan alone: never read as the customer's words.
- A forwarded mail attached as a `message/rfc822` part keeps its sender, subject and
  text in `forwarded` (the first few, 20,000 characters of text each), for recognising
  phishing reports (inboxd.phishing): mail-parser folds its text into the body but
  forgets whose mail it was.
"""

from __future__ import annotations

import binascii
import dataclasses
import email
import email.message
import email.policy
import email.utils
import hashlib
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from email.errors import HeaderParseError
from typing import Any

import mailparser

from inboxd.bounce import read_bounce
from inboxd.charset import RAW_RELABELS, decode_text
from inboxd.errors import MessageError
from inboxd.html_text import hrefs as html_hrefs
from inboxd.html_text import html_to_text
from inboxd.models import Attachment, Forwarded, ParsedEmail, ParseLimits
from inboxd.quotes import new_text
from inboxd.screen import looks_like_bounce

# mail-parser logs raw header text (customer data) and a warning for every part
# that is not text; what matters reaches ParsedEmail.defects instead.
logging.getLogger("mailparser").setLevel(logging.CRITICAL)

_CHARSET_ALIASES = {k.encode(): v.encode() for k, v in RAW_RELABELS.items()}
_LABELS = b"|".join(re.escape(k) for k in sorted(_CHARSET_ALIASES, key=len, reverse=True))
# These three are matched in a lower-cased copy of the bytes (see _sub_lowered), as re.I would.
_CHARSET_PARAM = re.compile(rb'(charset\s*=\s*"?)(' + _LABELS + rb')(?=["\s;]|$)', re.M)
_ENCODED_WORD = re.compile(rb"(=\?)(" + _LABELS + rb")(\*[a-z-]*)?(\?[bq]\?)")
_BOUNDARY_PARAM = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]+)"|([^\s;"]+))')
_MSGID = re.compile(r"<[^<>\s]+>")
_ADDR = re.compile(r"^[^@\s]+@[^@\s]+$")
# RFC 2047 encoded word; the charset may carry an RFC 2231 language (*en).
_HEADER_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([BbQq])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
# RFC 5322 4.5.3 obsolete syntax: "Subject   : hello".
_OBS_FIELD_NAME = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.M)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_DASH_LINE = re.compile(rb"^--([^\r\n]*)", re.M)
_DELIMITER = re.compile(r"^--([^\r\n]{1,70}?)[ \t]*\r?$", re.M)
_TOP_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"[^"]*"|[^\s;"]+)', re.I)
# An Outlook .msg file (OLE2 compound document) saved where a .eml belongs.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BODY_TYPES = ("text/plain", "text/html")
# Text attachments read for the secret scan (a seed phrase saved as "wallet.txt"); phones
# send such files as octet-stream too, so the name also counts.
_TEXT_ATTACHMENT_TYPES = frozenset({"text/plain", "text/csv"})
_TEXT_ATTACHMENT_NAMES = (".txt", ".csv")
_ATTACHMENT_TEXT_BYTES = 64 * 1024  # read of each one
_ATTACHMENT_TEXT_TOTAL = 256 * 1024  # of all of a mail's (and never more than limits.max_text_chars)
_FORWARDED_AT_MOST = 3  # message/rfc822 parts read into ParsedEmail.forwarded
_FORWARDED_CHARS = 20_000  # of each one's text
_MAX_HREFS = 200  # link targets kept of one mail (inboxd.links reads them)
_FORWARDED_SENDERS = ("from", "reply-to", "sender")
# The stdlib parser's cost is lines x enclosing multiparts; 10 million such tests take
# about 2 s here, and a real 25 MiB mail with an attachment three levels deep needs ~1 million.
_MAX_BOUNDARY_CHECKS = 10_000_000


class _Budget:
    """The wall-clock budget of one parse, checked between its stages."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()

    def check(self, stage: str) -> None:
        spent = time.monotonic() - self.started
        if spent > self.seconds:
            raise MessageError(
                f"parsing took {spent:.1f} s ({stage}), over limits.max_parse_seconds ({self.seconds:g})"
            )


def _span(raw: bytes, m: re.Match[bytes], group: int) -> bytes:
    """Group `group` of a match found in `raw.lower()`, as written in `raw`."""
    return raw[m.start(group) : m.end(group)]


def _sub_lowered(raw: bytes, pattern: re.Pattern[bytes], replace: Callable[[bytes, re.Match[bytes]], bytes]) -> bytes:
    """`pattern.sub` over `raw` as if `pattern` were re.I, matched in `raw.lower()`.

    bytes.lower() changes ASCII letters only, so offsets agree; a case-sensitive pattern
    finds its literal prefix fast where re.I tries every byte. `replace(raw, match)` reads
    the groups it keeps from `raw` (`_span`).
    """
    pieces: list[bytes] = []
    pos = 0
    for m in pattern.finditer(raw.lower()):
        pieces.append(raw[pos : m.start()])
        pieces.append(replace(raw, m))
        pos = m.end()
    if not pieces:
        return raw
    pieces.append(raw[pos:])
    return b"".join(pieces)


def _relabel(raw: bytes) -> bytes:
    def param(source: bytes, m: re.Match[bytes]) -> bytes:
        return _span(source, m, 1) + _CHARSET_ALIASES[m.group(2)]

    def word(source: bytes, m: re.Match[bytes]) -> bytes:
        return _span(source, m, 1) + _CHARSET_ALIASES[m.group(2)] + _span(source, m, 4)

    return _sub_lowered(_sub_lowered(raw, _CHARSET_PARAM, param), _ENCODED_WORD, word)


def _repair_field_names(raw: bytes) -> bytes:
    """Remove white space before the colon of header fields in the top-level header block."""
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw
    fixed = _OBS_FIELD_NAME.sub(rb"\1:", head)
    return raw if fixed == head else fixed + raw[len(head) :]


def _prescan_boundaries(raw: bytes, limits: ParseLimits) -> None:
    """Bound multipart nesting, delimiter count and the stdlib parser's cost on the raw bytes.

    The stdlib parser tests every line against every enclosing boundary, so a
    message of many lines inside thousands of nested multiparts costs minutes
    before the tree exists to be checked. Boundaries are matched as the parser
    matches them; a multipart whose closing delimiter is missing stays open,
    as it does for the parser.
    """
    # Group 1 (quoted) or 2 (bare): the last that matched, read from `raw` (its case counts).
    declared = {_span(raw, m, m.lastindex or 0).rstrip() for m in _BOUNDARY_PARAM.finditer(raw.lower())}
    if not declared:
        return
    if len(declared) > limits.max_mime_parts:
        raise MessageError(f"more than {limits.max_mime_parts} MIME parts (limits.max_mime_parts)")
    open_stack: list[bytes] = []
    delimiters = checks = previous = 0
    for m in _DASH_LINE.finditer(raw):
        token = m.group(1).rstrip(b" \t")
        closing = token.endswith(b"--") and token[:-2] in declared
        name = token[:-2] if closing else token
        if name not in declared:
            continue
        checks += raw.count(b"\n", previous, m.start()) * len(open_stack)
        previous = m.start()
        delimiters += 1
        if delimiters > limits.max_mime_parts * 2:
            raise MessageError(f"more than {limits.max_mime_parts} MIME parts (limits.max_mime_parts)")
        if name in open_stack:
            del open_stack[open_stack.index(name) + (0 if closing else 1) :]
        elif not closing:
            open_stack.append(name)
            if len(open_stack) + 1 > limits.max_mime_depth:
                raise MessageError(f"MIME nesting deeper than {limits.max_mime_depth} (limits.max_mime_depth)")
    checks += raw.count(b"\n", previous) * len(open_stack)
    if checks > _MAX_BOUNDARY_CHECKS:
        raise MessageError(
            f"too costly to parse: {checks} line-against-boundary tests (more than {_MAX_BOUNDARY_CHECKS}); "
            "many lines inside deeply nested multiparts"
        )


def _recover_boundary(message: email.message.Message, raw: bytes) -> bytes | None:
    """Re-declare the boundary a top-level multipart's body really uses, when it is not the declared one.

    Some senders (spam kits, broken gateways) write delimiter lines that differ
    from the boundary parameter; the whole body then reads as one unparsed blob
    of MIME headers. The first delimiter-looking line that recurs, or that is
    followed by a Content- header, is the boundary.
    """
    if message.get_content_maintype() != "multipart" or message.is_multipart():
        return None
    payload = message.get_payload()
    if not isinstance(payload, str):
        return None
    first = _DELIMITER.search(payload)
    if not first:
        return None
    token = first.group(1)
    token = token[:-2] if token.endswith("--") else token
    follows = payload[first.end() : first.end() + 200].lstrip("\r\n")
    recurs = payload.count("--" + token) >= 2 or follows.lower().startswith("content-")
    if not recurs or '"' in token or "\\" in token:
        return None
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw
    new_head, replaced = _TOP_BOUNDARY.subn(
        b'boundary="' + token.encode("ascii", "surrogateescape") + b'"', head, count=1
    )
    return new_head + raw[len(head) :] if replaced else None


def _check_structure(message: email.message.Message, limits: ParseLimits) -> None:
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
        fields = list(part.raw_items())
        if len(fields) > limits.max_headers:
            raise MessageError(
                f"{len(fields)} header fields in one part, over limits.max_headers ({limits.max_headers})"
            )
        size = sum(len(name) + len(str(value)) + 4 for name, value in fields)
        if size > limits.max_header_bytes:
            raise MessageError(
                f"a header block of {size} bytes, over limits.max_header_bytes ({limits.max_header_bytes})"
            )
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload if isinstance(child, email.message.Message))


def _charset_of(part: email.message.Message) -> str | None:
    try:
        return part.get_content_charset()
    except (LookupError, UnicodeError, ValueError, TypeError):
        return None


def _inline_body(part: email.message.Message, named_is_attachment: bool) -> bytes | None:
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


def _normalise_bodies(message: email.message.Message, limits: ParseLimits, budget: _Budget) -> None:
    """Decode the inline text bodies here and hand them to mail-parser as 8-bit UTF-8.

    Only until limits.max_text_chars of text is decoded: the text is cut there
    anyway, and charset detection is the costly step. Bodies past that point
    are left to mail-parser's own (fast, label-trusting) decoding.
    """
    decoded = 0
    for part in message.walk():
        if decoded > limits.max_text_chars:
            return
        data = _inline_body(part, named_is_attachment=True)
        if data is None:
            continue
        text = decode_text(data, _charset_of(part)).text
        decoded += len(text)
        del part["Content-Transfer-Encoding"]
        part["Content-Transfer-Encoding"] = "8bit"
        part.set_param("charset", "utf-8")
        # As the stdlib holds 8-bit bodies parsed from bytes: ASCII with surrogate escapes.
        part.set_payload(text.encode("utf-8").decode("ascii", "surrogateescape"))
        budget.check("decoding bodies")


def _html_text(html: list[str], limits: ParseLimits) -> str:
    """Convert HTML bodies to text, at most limits.max_html_chars of HTML in all."""
    left = limits.max_html_chars
    texts: list[str] = []
    for page in html:
        if left <= 0:
            break
        texts.append(html_to_text(page[:left]))
        left -= len(page)
    return "\n\n".join(texts)


def _hrefs(message: email.message.Message, html: list[str], limits: ParseLimits) -> tuple[str, ...]:
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
    if any("\udc80" <= c <= "\udcff" for c in value):
        value = decode_text(value.encode("ascii", "surrogateescape"), hint).text
    value = _FOLD.sub("", value)
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


def _decoded_headers(message: email.message.Message, hint: str | None) -> dict[str, str]:
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
    if any("\udc80" <= c <= "\udcff" for c in name):
        name = decode_text(name.encode("utf-8", "surrogateescape"), hint).text
    if "=?" in name:
        name = decode_header_value(name, hint)
    return name


def _addresses(value: Any, hint: str | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in value or []:
        if isinstance(item, (list, tuple)) and len(item) == 2:
            name, addr = str(item[0] or ""), str(item[1] or "").strip().lower()
            if _ADDR.match(addr) and addr.isprintable():
                out.append((_display_name(name.strip(), hint), addr))
    return out


def _auth_results(message: email.message.Message) -> tuple[str, ...]:
    """Every Authentication-Results header, top to bottom, unfolded (inboxd.trust decides which
    one to believe). Bounded: the header block's size is already limited by `_check_structure`."""
    values = message.get_all("authentication-results") or []
    return tuple(" ".join(str(v).split()) for v in values[:50])


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


def _attachment_text(items: list[dict[str, Any]], limits: ParseLimits, budget: _Budget) -> tuple[str, ...]:
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


def _forwarded_text(inner: email.message.Message, limits: ParseLimits) -> str:
    """The first text body of a forwarded mail (plain preferred, else its HTML as text), bounded."""
    html = ""
    for part in inner.walk():
        data = _inline_body(part, named_is_attachment=False)
        if data is None:
            continue
        text = decode_text(data[: _FORWARDED_CHARS * 4], _charset_of(part)).text
        if part.get_content_type() == "text/plain" and text.strip():
            return text.replace("\r\n", "\n").replace("\x00", "")[:_FORWARDED_CHARS]
        if not html:
            html = _html_text([text[: limits.max_html_chars]], limits)
    return html.replace("\x00", "")[:_FORWARDED_CHARS]


def _forwarded(message: email.message.Message, limits: ParseLimits) -> tuple[Forwarded, ...]:
    """The mails forwarded as message/rfc822 parts: their From, Subject and text (bounded).

    The tree's size and depth were checked by `_check_structure`; only the first
    _FORWARDED_AT_MOST are read."""
    found: list[Forwarded] = []
    for part in message.walk():
        if len(found) >= _FORWARDED_AT_MOST:
            break
        if part.get_content_type() != "message/rfc822":
            continue
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, email.message.Message):
            continue
        hint = _charset_of(inner)
        try:
            name, address = email.utils.parseaddr(decode_header_value(str(inner.get("from", "")), hint))
        except (TypeError, ValueError, IndexError):
            name, address = "", ""
        address = address.strip().lower()
        subject = " ".join(decode_header_value(str(inner.get("subject", "")), hint).split())
        found.append(
            Forwarded(
                sender=address if _ADDR.match(address) and address.isprintable() else "",
                sender_name=name.strip()[:200],
                subject=subject[:500],
                text=_forwarded_text(inner, limits),
            )
        )
    return tuple(found)


def parse_message(raw: bytes, limits: ParseLimits | None = None, content_hash: str | None = None) -> ParsedEmail:
    """Parse one message; raise MessageError when it cannot be handled.

    `content_hash` is the hex sha256 of `raw` when the caller has it already (the pipeline
    hashes every mail to claim it before parsing); it is computed here otherwise.
    """
    if limits is None:  # the defaults; imported here because workers must not load the config schema
        from inboxd.config import LimitsConfig  # noqa: PLC0415 - see above

        limits = ParseLimits.of(LimitsConfig())
    budget = _Budget(limits.max_parse_seconds)
    if len(raw) > limits.max_message_bytes:
        raise MessageError(f"{len(raw)} bytes is over limits.max_message_bytes ({limits.max_message_bytes})")
    if raw.startswith(_OLE_MAGIC):
        raise MessageError("an Outlook .msg file (OLE compound document), not an RFC 5322 message")
    if content_hash is None:
        content_hash = hashlib.sha256(raw).hexdigest()
    _prescan_boundaries(raw, limits)
    fixed = _relabel(_repair_field_names(raw))
    try:
        message = email.message_from_bytes(fixed, policy=email.policy.compat32)
        if not message.keys():
            raise MessageError("no headers: not an e-mail message")
        _check_structure(message, limits)
        recovered = _recover_boundary(message, fixed)
        if recovered is not None:
            _prescan_boundaries(recovered, limits)
            message = email.message_from_bytes(recovered, policy=email.policy.compat32)
            _check_structure(message, limits)
        budget.check("reading the MIME tree")
        hint = _charset_of(message)
        _normalise_bodies(message, limits, budget)
    except RecursionError as exc:
        raise MessageError("MIME structure nested too deeply to parse") from exc
    except (HeaderParseError, LookupError, UnicodeError, ValueError, TypeError) as exc:
        raise MessageError(f"cannot parse: {type(exc).__name__}: {exc}") from exc
    if message.epilogue is None:
        # mail-parser reads the epilogue of a multipart whose start boundary is missing.
        message.epilogue = ""
    try:
        parser = mailparser.MailParser(message)
    except RecursionError as exc:
        raise MessageError("MIME structure nested too deeply to parse") from exc
    except Exception as exc:
        # mail-parser has crashed on malformed mail with AttributeError and TypeError
        # as well as its own errors: whatever it raises, this one mail is unparseable.
        raise MessageError(f"cannot parse: mail-parser failed: {type(exc).__name__}: {exc}") from exc
    budget.check("mail-parser")

    mail = parser.mail
    headers = _decoded_headers(message, hint)

    ids = _message_ids(headers.get("message-id", ""))
    synthetic = not ids
    message_id = ids[0] if ids else f"<{content_hash[:32]}@inboxd.invalid>"

    senders = _addresses(mail.get("from"), hint)
    sender_name, sender = senders[0] if senders else ("", "")
    reply_to = _addresses(mail.get("reply-to"), hint)

    plain = [t for t in parser.text_plain if t and t.strip()]
    html = [t for t in parser.text_html if t and t.strip()]
    html_only = not plain and bool(html)
    if plain:
        text = "\n\n".join(plain)
    elif html:
        text = _html_text(html, limits)
    else:
        text = "\n\n".join(t for t in parser.text_not_managed if isinstance(t, str))
    text = text.replace("\r\n", "\n").replace("\r", "\n")[: limits.max_text_chars]
    budget.check("converting the body to text")
    quoted_off = new_text(text)
    budget.check("removing quotes")

    attachments = tuple(
        Attachment(
            filename=str(a.get("filename") or ""),
            content_type=str(a.get("mail_content_type") or "application/octet-stream"),
            size=_attachment_size(a),
        )
        for a in parser.attachments
    )
    attachment_text = _attachment_text(parser.attachments, limits, budget)
    forwarded = _forwarded(message, limits)
    budget.check("reading forwarded mails")
    in_reply_to = _message_ids(headers.get("in-reply-to", ""))
    mail = ParsedEmail(
        message_id=message_id,
        message_id_synthetic=synthetic,
        sender=sender,
        sender_name=sender_name,
        reply_to=reply_to[0][1] if reply_to else "",
        to=tuple(a for _, a in _addresses(mail.get("to"), hint)),
        cc=tuple(a for _, a in _addresses(mail.get("cc"), hint)),
        subject=" ".join(headers.get("subject", "").split()),
        date=_date(headers.get("date", "")),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=tuple(_message_ids(headers.get("references", ""))),
        text=text,
        new_text=quoted_off,
        html_only=html_only,
        attachments=attachments,
        headers=headers,
        content_type=message.get_content_type(),
        content_hash=content_hash,
        size=len(raw),
        defects=tuple(sorted(parser.defects_categories)),
        auth_results=_auth_results(message),
        attachment_text=attachment_text,
        forwarded=forwarded,
        hrefs=_hrefs(message, html, limits),
    )
    if looks_like_bounce(mail):
        # From the tree built above: a bounce's raw bytes are not parsed a second time.
        mail = dataclasses.replace(mail, bounce=read_bounce(message))
    return mail
