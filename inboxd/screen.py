"""Reasons not to acknowledge a mail: robots, lists, bounces and ourselves (RFC 3834).

An automatic acknowledgement must never answer another automatic message, or
two robots mail each other forever. `screen` looks only at the parsed mail and
returns the first reason found, with the header that showed it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from inboxd.models import ParsedEmail, Screening, SkipReason

_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
_NOREPLY = re.compile(r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|noreply-[^@]*|bounces?(\+[^@]*)?)@", re.I)
_AUTO_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|auto:|autoreply|vacation"
    r"|自动回复|自動回覆|自动答复|休假|不在办公室)",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliver(ed|able)|delivery status notification|mail delivery (failed|failure|system)"
    r"|returned mail|failure notice|退信|系统退信|邮件投递失败)",
    re.I,
)
_SUPPRESS = re.compile(r"\b(all|oof|autoreply)\b", re.I)


def screen(
    mail: ParsedEmail,
    own_addresses: Collection[str],
    is_own_message_id: Callable[[str], bool],
) -> Screening:
    """Return why `mail` must not be acknowledged, or a Screening with no reason."""
    h = mail.headers
    if not mail.sender and not mail.reply_to:
        return Screening(SkipReason.NO_SENDER, "no usable From or Reply-To address")
    if mail.sender in own_addresses or mail.reply_to in own_addresses:
        return Screening(SkipReason.OWN_ADDRESS, f"sent from our own address {mail.sender}")
    if is_own_message_id(mail.message_id):
        return Screening(SkipReason.OWN_ADDRESS, "carries one of our own Message-IDs")

    report = mail.content_type == "multipart/report" or "delivery-status" in h.get("content-type", "").lower()
    if report or _BOUNCE_SENDERS.match(mail.sender) or h.get("return-path", "").strip() == "<>":
        return Screening(SkipReason.BOUNCE, "delivery status report" if report else f"sender {mail.sender}")
    if _BOUNCE_SUBJECT.match(mail.subject) and any(
        a.content_type in ("message/delivery-status", "message/rfc822", "text/rfc822-headers") for a in mail.attachments
    ):
        return Screening(SkipReason.BOUNCE, f"bounce subject {mail.subject!r}")

    auto = h.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return Screening(SkipReason.AUTO_REPLY, f"Auto-Submitted: {auto}")
    for name in ("x-autoreply", "x-autorespond", "x-auto-reply"):
        if h.get(name, "").strip():
            return Screening(SkipReason.AUTO_REPLY, f"{name} header")
    if _SUPPRESS.search(h.get("x-auto-response-suppress", "")):
        return Screening(SkipReason.AUTO_REPLY, "X-Auto-Response-Suppress header")
    precedence = h.get("precedence", "").strip().lower()
    if precedence == "junk":
        return Screening(SkipReason.AUTO_REPLY, "Precedence: junk")
    if precedence in ("bulk", "list"):
        return Screening(SkipReason.LIST, f"Precedence: {precedence}")
    for name in ("list-id", "list-unsubscribe", "list-post"):
        if h.get(name, "").strip():
            return Screening(SkipReason.LIST, f"{name} header")
    if _AUTO_SUBJECT.match(mail.subject):
        return Screening(SkipReason.AUTO_REPLY, f"automatic-reply subject {mail.subject!r}")
    if _NOREPLY.match(mail.sender) or _NOREPLY.match(mail.reply_to):
        return Screening(SkipReason.NOREPLY, f"no-reply sender {mail.sender}")
    return Screening(None)
