"""Read a bounce: which message could not be delivered, and to whom (pure).

The pipeline uses this to attach a bounce of our own acknowledgement to its
ticket and to stop acknowledging an address that does not exist. Sources, in the
order they are trusted:

- RFC 3464 message/delivery-status parts: per-recipient Final-Recipient (or
  Original-Recipient) with Action failed (given up; permanent) or delayed (a
  warning: still trying), falling back on the Status class (5.x.x / 4.x.x).
- The returned original: a message/rfc822 or text/rfc822-headers part (and the
  non-standard message/rfc822-headers), whose Message-ID is the one that bounced.
- X-Failed-Recipients (Exim, Gmail).
- Plain-text bounces, which older Exim, qmail, Exchange and Chinese webmail
  still send: "<addr>:" lines (qmail, Postfix's text), the address block under
  Exim's "The following address(es) failed:", and the phrases Gmail and Exchange
  use; a "Message-ID:" line in the text is the returned original's.
- The bounce's own In-Reply-To/References, which some servers set to the original.

It reads the MIME tree `inboxd.parse` built (never the raw bytes again), and only for
the mails that screen as a bounce; the result is `ParsedEmail.bounce`.

Only the first 512 kB of each text part is read: a bounce quotes at most the
original's headers and some of its body.
"""

from __future__ import annotations

import email
import email.message
import re

from inboxd.charset import decode_text
from inboxd.values import Bounce

_TEXT_LIMIT = 512 * 1024
_ADDR = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
_ADDRESS = re.compile(_ADDR)
_MSGID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
_MSGID_LINE = re.compile(r"^\s*Message-ID\s*:\s*(<[^<>\s]+@[^<>\s]+>)", re.I | re.M)
_ORIGINAL_HEADERS = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
# Plain-text bounces: each pattern's first group is a failed recipient.
_TEXT_RECIPIENTS = [
    re.compile(r"^<(" + _ADDR + r")>:", re.M),  # qmail, Postfix
    re.compile(r"^ {2}(" + _ADDR + r")\s*$", re.M),  # Exim's indented block
    re.compile(r"(?:wasn't|was not|couldn't be|could not be) delivered to (" + _ADDR + r")", re.I),
    re.compile(r"Your message to (" + _ADDR + r") couldn't be delivered", re.I),
    re.compile(
        r"(?:following (?:recipient|address)(?:\(es\)|s)?(?: failed(?: permanently)?)?|"
        r"failed to these recipients or groups)\s*:\s*\n\s*\n?\s*<?(" + _ADDR + r")",
        re.I,
    ),
    re.compile(r"(?:收件人|收信人|收件地址)\s*[:：]?\s*<?(" + _ADDR + r")"),
    re.compile(r"(?:无法发送到|無法傳送到|投递到)\s*<?(" + _ADDR + r")"),
]
# Where a text bounce starts quoting the original: addresses below it are not failures.
_COPY_MARKER = re.compile(r"^\s*-{2,}.{0,40}(copy of the message|original message|原始邮件|原邮件)", re.I | re.M)
_EXIM_BLOCK = re.compile(r"following address\(es\) failed:\s*\n((?:[ \t]*\n|[ \t]+\S.*\n?)+)", re.I)


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _text(part: email.message.Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    return decode_text(payload[:_TEXT_LIMIT], part.get_content_charset()).text


def _status_blocks(part: email.message.Message) -> list[dict[str, str]]:
    """The per-message and per-recipient field groups of a delivery-status part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        # The stdlib parses message/delivery-status into one Message per block.
        return [
            {k.lower(): str(v) for k, v in block.items()}
            for block in payload
            if isinstance(block, email.message.Message)
        ]
    blocks: list[dict[str, str]] = []
    for chunk in re.split(r"\r?\n[ \t]*\r?\n", _text(part)):
        fields = email.message_from_string(chunk.strip() + "\n")
        blocks.append({k.lower(): str(v) for k, v in fields.items()})
    return blocks


def _recipient(block: dict[str, str]) -> str | None:
    for name in ("final-recipient", "original-recipient"):
        value = block.get(name, "")
        found = _ADDRESS.search(value.split(";", 1)[-1])
        if found:
            return found.group(0).lower()
    return None


def _original_ids(part: email.message.Message) -> list[str]:
    inner = part.get_payload()
    if isinstance(inner, list):
        # The stdlib parses any message/* part (rfc822, rfc822-headers) into a Message.
        return [
            i
            for m in inner
            if isinstance(m, email.message.Message)
            for i in _MSGID.findall(str(m.get("Message-ID", "")))
        ]
    return _MSGID_LINE.findall(_text(part))


def read_bounce(message: email.message.Message) -> Bounce:
    """What a bounce (its parsed MIME tree) says about the message it returns; empty tuples
    where it says nothing."""
    ids: list[str] = []
    failed: list[str] = []
    delayed: list[str] = []
    texts: list[str] = []
    standard = False
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            standard = True
            for block in _status_blocks(part):
                address = _recipient(block)
                if not address:
                    continue
                action = block.get("action", "").strip().lower()
                status = block.get("status", "").strip()
                if action == "failed" or (not action and status.startswith("5")):
                    failed.append(address)
                elif action == "delayed" or (not action and status.startswith("4")):
                    delayed.append(address)
        elif kind in _ORIGINAL_HEADERS:
            ids.extend(_original_ids(part))
        elif kind == "text/plain" and not part.get_filename():
            texts.append(_text(part))
    if not texts and not message.is_multipart() and message.get_content_maintype() == "text":
        texts.append(_text(message))

    failed.extend(a.lower() for a in _ADDRESS.findall(str(message.get("X-Failed-Recipients", ""))))
    if not standard:
        for whole in texts:
            marker = _COPY_MARKER.search(whole)
            text = whole[: marker.start()] if marker else whole
            failed.extend(m.group(1).lower() for p in _TEXT_RECIPIENTS for m in p.finditer(text))
            for block in _EXIM_BLOCK.findall(text):
                failed.extend(a.lower() for a in re.findall(r"^ {2}(" + _ADDR + r")", block, re.M))
    for text in texts:
        ids.extend(_MSGID_LINE.findall(text))
    ids.extend(_MSGID.findall(str(message.get("In-Reply-To", ""))))
    ids.extend(_MSGID.findall(str(message.get("References", ""))))
    own_id = set(_MSGID.findall(str(message.get("Message-ID", ""))))
    failed_unique = _unique(failed)
    return Bounce(
        original_message_ids=_unique([i for i in ids if i not in own_id]),
        failed_recipients=failed_unique,
        delayed_recipients=tuple(a for a in _unique(delayed) if a not in failed_unique),
        standard=standard,
    )
