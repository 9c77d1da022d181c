"""Mails forwarded as `message/rfc822` parts: their sender, subject and text (bounded).

Read for recognising phishing reports (inboxd.phishing): mail-parser folds a forwarded
mail's text into the body but forgets whose mail it was.
"""

from __future__ import annotations

import email.message
import email.utils

from inboxd.bodies import charset_of, html_text, inline_body
from inboxd.charset import decode_text
from inboxd.headers import decode_header_value, is_address
from inboxd.values import Forwarded, ParseLimits

_FORWARDED_AT_MOST = 3  # message/rfc822 parts read into ParsedEmail.forwarded
_FORWARDED_CHARS = 20_000  # of each one's text


def _forwarded_text(inner: email.message.Message, limits: ParseLimits) -> str:
    """The first text body of a forwarded mail (plain preferred, else its HTML as text), bounded."""
    html = ""
    for part in inner.walk():
        data = inline_body(part, named_is_attachment=False)
        if data is None:
            continue
        text = decode_text(data[: _FORWARDED_CHARS * 4], charset_of(part)).text
        if part.get_content_type() == "text/plain" and text.strip():
            return text.replace("\r\n", "\n").replace("\x00", "")[:_FORWARDED_CHARS]
        if not html:
            html = html_text([text[: limits.max_html_chars]], limits)
    return html.replace("\x00", "")[:_FORWARDED_CHARS]


def forwarded_mails(message: email.message.Message, limits: ParseLimits) -> tuple[Forwarded, ...]:
    """The mails forwarded as message/rfc822 parts: their From, Subject and text (bounded).

    The tree's size and depth were checked by `mime_guard.check_structure`; only the first
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
        hint = charset_of(inner)
        try:
            name, address = email.utils.parseaddr(decode_header_value(str(inner.get("from", "")), hint))
        except (TypeError, ValueError, IndexError):
            name, address = "", ""
        address = address.strip().lower()
        subject = " ".join(decode_header_value(str(inner.get("subject", "")), hint).split())
        found.append(
            Forwarded(
                sender=address if is_address(address) else "",
                sender_name=name.strip()[:200],
                subject=subject[:500],
                text=_forwarded_text(inner, limits),
            )
        )
    return tuple(found)
