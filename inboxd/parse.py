"""Raw RFC 5322 bytes -> ParsedEmail: the only module importing mail-parser.

parse_message runs the steps in order, each in the module that owns it:
- inboxd.mime_guard: the limits on the raw bytes and the MIME tree (`[limits]`, as
  ParseLimits: message size, MIME depth and part count, header count and size, HTML size
  and a wall-clock budget) and the repairs made before mail-parser reads the tree. A
  message over a limit raises MessageError and is quarantined; so does one that
  mail-parser itself fails on.
- inboxd.bodies: inline text bodies decoded (inboxd.charset) and handed to mail-parser as
  UTF-8; HTML as text and its links; small text attachments for the secret scan.
- inboxd.headers: header values decoded (encoded words, raw 8-bit bytes, display names).
- inboxd.forwarded: mails forwarded as message/rfc822 parts (for phishing reports).
- inboxd.bounce: what a delivery report says, read from the same tree for the mails that
  screen as a bounce (`ParsedEmail.bounce`).
The stdlib builds the MIME tree once and mail-parser reads that tree (the bodies and
attachments, the defects); its parser reads the address fields here (`mailparser_addresses`).
A Message-ID is always present: synthesised from the hash of the raw bytes when the mail has
none, so every message has a stable identity.
"""

from __future__ import annotations

import dataclasses
import email
import email.message
import email.policy
import hashlib
import logging
from email.errors import HeaderParseError
from email.feedparser import FeedParser

import mailparser
from mailparser.const import ADDRESSES_HEADERS
from mailparser.utils import get_addresses

from inboxd import bodies
from inboxd.bounce import read_bounce
from inboxd.errors import MessageError
from inboxd.forwarded import forwarded_mails
from inboxd.headers import addresses, auth_results, decoded_headers, header_date, message_ids
from inboxd.mime_guard import Budget, check_structure, prescan_boundaries, recover_boundary, relabel, repair_field_names
from inboxd.quotes import new_text
from inboxd.screen import looks_like_bounce
from inboxd.values import Attachment, ParsedEmail, ParseLimits

# mail-parser logs raw header text (customer data) and a warning for every part
# that is not text; what matters reaches ParsedEmail.defects instead.
logging.getLogger("mailparser").setLevel(logging.CRITICAL)

# An Outlook .msg file (OLE2 compound document) saved where a .eml belongs.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# The top-level header fields that what inboxd takes from mail-parser depends on: the dates and
# Received (their defects), and the MIME fields of the top-level part. mail-parser also decodes
# every other field, twice (its full and its partial dict of the mail), which inboxd never reads:
# `headers.decoded_headers` decodes them. It is handed the message without them, and without the
# address fields, which `mailparser_addresses` reads as it would (tests/unit/test_parse_mailparser_view.py).
MAILPARSER_FIELDS = frozenset(
    {"date", "resent-date", "received",
     "content-type", "content-transfer-encoding", "content-disposition", "content-id"}
)  # fmt: skip
# mail-parser's address fields, in the order it reads them.
ADDRESS_FIELDS = tuple(sorted(ADDRESSES_HEADERS))
# Address fields already read (by their name as written and raw value): what MailParser would
# give of each (`mailparser_addresses`). The support address is in every To: (and an MTA's
# Delivered-To:), a customer's From: in each of their mails. Bounded: the values are the sender's.
_ADDRESSES_KEPT = 1024
_read_addresses: dict[tuple[str, str], tuple[tuple[tuple[str, str], ...], bool]] = {}


def _read_field(message: email.message.Message, name: str, raw: str) -> tuple[tuple[tuple[str, str], ...], bool]:
    """One address field as MailParser reads it: its addresses as its `mail` has them, and whether
    mail-parser's parser found a defect in it."""
    key = (name, raw)  # the name as written: a raw 8-bit value's Header folds by its length
    read = _read_addresses.get(key) if isinstance(raw, str) else None
    if read is None:
        diagnostics: list[dict[str, object]] = []
        value = message.policy.header_fetch_parse(name, raw)  # as MailParser gets it (Message.items)
        found = get_addresses(value, defects=diagnostics, decode_names=True)
        read = (
            tuple(("" if shown == address else shown, address) for shown, address in found if address),
            bool(diagnostics),
        )
        if isinstance(raw, str):
            if len(_read_addresses) >= _ADDRESSES_KEPT:
                _read_addresses.clear()
            _read_addresses[key] = read
    return read


def mailparser_addresses(message: email.message.Message) -> tuple[dict[str, tuple[tuple[str, str], ...]], bool]:
    """What MailParser makes of the address fields (ADDRESS_FIELDS): the addresses of each one's
    first occurrence, as `MailParser.mail` has them, and whether any occurrence has a defect (its
    `AddressHeaderDefect` category). Read in mail-parser's order, so that a field its parser fails
    on raises what MailParser would raise."""
    fields: dict[str, list[tuple[str, str]]] = {}
    for name, raw in message.raw_items():
        key = name.lower()
        if key in ADDRESSES_HEADERS:
            fields.setdefault(key, []).append((name, raw))
    first: dict[str, tuple[tuple[str, str], ...]] = {}
    flawed = False
    for key in ADDRESS_FIELDS:
        for name, raw in fields.get(key, ()):
            found, defect = _read_field(message, name, raw)
            first.setdefault(key, found)
            flawed = flawed or defect
    return first, flawed


def for_mailparser(message: email.message.Message) -> email.message.Message:
    """The message with only the top-level fields in MAILPARSER_FIELDS: a shallow copy, sharing
    its parts, payload and defects (mail-parser reads them and changes none)."""
    # What `copy.copy` makes of a Message (no __copy__, its state a plain __dict__), without the
    # generic reduce protocol, which cost 4 µs a mail here.
    view = object.__new__(type(message))
    view.__dict__.update(message.__dict__)
    view._headers = [field for field in message._headers if field[0].lower() in MAILPARSER_FIELDS]  # type: ignore[attr-defined]
    return view


# The text the stdlib parser is fed at a time: a usual mail at once, where `message_from_bytes`
# reads it through a file object 8 KiB at a time; a large one still in pieces, so that its lines
# are not all held at once.
_FEED_CHARS = 1 << 16


def _mime_tree(data: bytes) -> email.message.Message:
    """`email.message_from_bytes(data, policy=compat32)`, the bytes fed to its parser directly."""
    text = data.decode("ascii", "surrogateescape")  # as BytesParser reads them
    parser = FeedParser(policy=email.policy.compat32)
    for start in range(0, len(text), _FEED_CHARS):
        parser.feed(text[start : start + _FEED_CHARS])
    return parser.close()


def parse_message(raw: bytes, limits: ParseLimits | None = None, content_hash: str | None = None) -> ParsedEmail:
    """Parse one message; raise MessageError when it cannot be handled.

    `content_hash` is the hex sha256 of `raw` when the caller has it already (the pipeline
    hashes every mail to claim it before parsing); it is computed here otherwise.
    """
    if limits is None:  # the defaults; imported here because workers must not load the config schema
        from inboxd.config import LimitsConfig  # noqa: PLC0415 - see above

        limits = ParseLimits.of(LimitsConfig())
    budget = Budget(limits.max_parse_seconds)
    if len(raw) > limits.max_message_bytes:
        raise MessageError(f"{len(raw)} bytes is over limits.max_message_bytes ({limits.max_message_bytes})")
    if raw.startswith(_OLE_MAGIC):
        raise MessageError("an Outlook .msg file (OLE compound document), not an RFC 5322 message")
    if content_hash is None:
        content_hash = hashlib.sha256(raw).hexdigest()
    lowered = raw.lower()  # one copy for the case-blind scans of the raw bytes
    prescan_boundaries(raw, limits, lowered)
    repaired = repair_field_names(raw)
    fixed = relabel(repaired, lowered if repaired is raw else None)
    try:
        message = _mime_tree(fixed)
        if not message.keys():
            raise MessageError("no headers: not an e-mail message")
        check_structure(message, limits)
        recovered = recover_boundary(message, fixed)
        if recovered is not None:
            prescan_boundaries(recovered, limits)
            message = _mime_tree(recovered)
            check_structure(message, limits)
        budget.check("reading the MIME tree")
        hint = bodies.charset_of(message)
        bodies.normalise_bodies(message, limits, budget)
    except RecursionError as exc:
        raise MessageError("MIME structure nested too deeply to parse") from exc
    except (HeaderParseError, LookupError, UnicodeError, ValueError, TypeError) as exc:
        raise MessageError(f"cannot parse: {type(exc).__name__}: {exc}") from exc
    if message.epilogue is None:
        # mail-parser reads the epilogue of a multipart whose start boundary is missing.
        message.epilogue = ""
    try:
        known, flawed = mailparser_addresses(message)
        parser = mailparser.MailParser(for_mailparser(message))
    except RecursionError as exc:
        raise MessageError("MIME structure nested too deeply to parse") from exc
    except Exception as exc:
        # mail-parser has crashed on malformed mail with AttributeError and TypeError
        # as well as its own errors: whatever it raises, this one mail is unparseable.
        raise MessageError(f"cannot parse: mail-parser failed: {type(exc).__name__}: {exc}") from exc
    budget.check("mail-parser")

    headers = decoded_headers(message, hint)

    ids = message_ids(headers.get("message-id", ""))
    synthetic = not ids
    message_id = ids[0] if ids else f"<{content_hash[:32]}@inboxd.invalid>"

    senders = addresses(known.get("from"), hint)
    sender_name, sender = senders[0] if senders else ("", "")
    reply_to = addresses(known.get("reply-to"), hint)

    plain = [t for t in parser.text_plain if t and t.strip()]
    html = [t for t in parser.text_html if t and t.strip()]
    html_only = not plain and bool(html)
    if plain:
        text = "\n\n".join(plain)
    elif html:
        text = bodies.html_text(html, limits)
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
            size=bodies.attachment_size(a),
        )
        for a in parser.attachments
    )
    attachment_text = bodies.attachment_text(parser.attachments, limits, budget)
    forwarded = forwarded_mails(message, limits)
    budget.check("reading forwarded mails")
    in_reply_to = message_ids(headers.get("in-reply-to", ""))
    mail = ParsedEmail(
        message_id=message_id,
        message_id_synthetic=synthetic,
        sender=sender,
        sender_name=sender_name,
        reply_to=reply_to[0][1] if reply_to else "",
        to=tuple(a for _, a in addresses(known.get("to"), hint)),
        cc=tuple(a for _, a in addresses(known.get("cc"), hint)),
        subject=" ".join(headers.get("subject", "").split()),
        date=header_date(headers.get("date", "")),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=tuple(message_ids(headers.get("references", ""))),
        text=text,
        new_text=quoted_off,
        html_only=html_only,
        attachments=attachments,
        headers=headers,
        content_type=message.get_content_type(),
        content_hash=content_hash,
        size=len(raw),
        defects=tuple(sorted(parser.defects_categories | ({"AddressHeaderDefect"} if flawed else set()))),
        auth_results=auth_results(message),
        attachment_text=attachment_text,
        forwarded=forwarded,
        hrefs=bodies.hrefs(message, html, limits),
    )
    if looks_like_bounce(mail):
        # From the tree built above: a bounce's raw bytes are not parsed a second time.
        mail = dataclasses.replace(mail, bounce=read_bounce(message))
    return mail
