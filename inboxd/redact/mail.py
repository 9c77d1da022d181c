"""A mail's secrets: every detector over a text, merged, and the mail redacted field by field."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from inboxd.redact.codes import code_spans
from inboxd.redact.common import KINDS, PLACEHOLDER
from inboxd.redact.keys import key_spans
from inboxd.redact.passwords import password_spans
from inboxd.redact.seeds import seed_spans
from inboxd.values import ParsedEmail, Secret

# When two findings overlap, the merged secret takes the kind that comes first here.
_PRIORITY = {"private_key": 0, "seed_phrase": 1, "backup_code": 2, "password": 3}


def _merge(found: Iterable[tuple[str, int, int]]) -> tuple[Secret, ...]:
    merged: list[Secret] = []
    for kind, start, end in sorted(found, key=lambda f: (f[1], -f[2])):
        if merged and start < merged[-1].end:
            last = merged[-1]
            better = kind if _PRIORITY[kind] < _PRIORITY[last.kind] else last.kind
            merged[-1] = Secret(better, last.start, max(last.end, end), last.field)
        else:
            merged.append(Secret(kind, start, end))
    return tuple(merged)


def _repeats(text: str, secrets: tuple[Secret, ...]) -> list[tuple[str, int, int]]:
    """Other places where the same secret is written (e.g. repeated, or quoted back)."""
    extra: list[tuple[str, int, int]] = []
    known = {(s.start, s.end) for s in secrets}
    values: dict[str, str] = {}
    for secret in secrets:
        values.setdefault(text[secret.start : secret.end], secret.kind)
    for value, kind in values.items():
        if len(value) < 6:
            continue
        for m in re.finditer(re.escape(value), text):
            if m.span() not in known:
                extra.append((kind, m.start(), m.end()))
    return extra


def find_secrets(text: str) -> tuple[Secret, ...]:
    """Every secret in `text`, merged where they overlap, in order; positions in `text`."""
    found: list[tuple[str, int, int]] = []
    for kind, spans in (
        ("private_key", key_spans(text)),
        ("seed_phrase", seed_spans(text)),
        ("backup_code", code_spans(text)),
        ("password", password_spans(text)),
    ):
        found.extend((kind, start, end) for start, end in spans)
    if not found:
        return ()  # most texts: nothing to merge, and no secret to look for again
    secrets = _merge(found)
    return _merge([*((s.kind, s.start, s.end) for s in secrets), *_repeats(text, secrets)])


# Short texts that held no secret, remembered with that answer: the support address in every To:,
# a customer's name and address in each of their mails, "Re: …" subjects. Bounded (the values
# are the sender's to vary), and never a text with a secret in it: the cache holds no secret.
_SHORT_TEXT = 256
_CLEAN_KEPT = 4096
_clean: set[str] = set()


def _secrets_of(text: str) -> tuple[Secret, ...]:
    """`find_secrets(text)`, answered from `_clean` for the short texts it holds."""
    if len(text) > _SHORT_TEXT:
        return find_secrets(text)
    if text in _clean:
        return ()
    found = find_secrets(text)
    if not found:
        if len(_clean) >= _CLEAN_KEPT:
            _clean.clear()
        _clean.add(text)
    return found


def redact(
    text: str, field: str = "text", found: dict[str, tuple[Secret, ...]] | None = None
) -> tuple[str, tuple[Secret, ...]]:
    """`text` with every secret replaced by a marker, and the secrets (kind and position only).

    `found`: the secrets of texts already scanned for this mail, by text (a mail without
    quoted history has the same text and new text; the subject is also a header).
    """
    if found is None:
        in_text = _secrets_of(text)
    elif text in found:
        in_text = found[text]
    else:
        in_text = found[text] = _secrets_of(text)
    secrets = tuple(replace(s, field=field) for s in in_text)
    if not secrets:
        return text, ()
    parts: list[str] = []
    pos = 0
    for secret in secrets:
        parts.append(text[pos : secret.start])
        parts.append(PLACEHOLDER[secret.kind])
        pos = secret.end
    parts.append(text[pos:])
    return "".join(parts), secrets


_STRUCTURAL_HEADERS = frozenset(
    {"message-id", "in-reply-to", "references", "received", "date", "dkim-signature", "authentication-results",
     "return-path", "mime-version", "auto-submitted", "precedence", "x-auto-response-suppress"}
)  # fmt: skip


def redact_mail(mail: ParsedEmail) -> tuple[ParsedEmail, tuple[Secret, ...]]:
    """The mail with secrets removed from subject, body, new text, headers, display name and text attachments.

    Returns the redacted mail (its `secrets` hold what was found) and the secrets found
    now. A mail already redacted is returned as it is, at no cost: the scan is the most
    expensive step of deciding about a mail, and the pipeline redacts right after
    parsing. Positions refer to the field named in `Secret.field` of the mail as given.
    """
    if mail.redacted:
        return mail, ()
    seen: dict[str, tuple[Secret, ...]] = {}
    subject, in_subject = redact(mail.subject, "subject", seen)
    text, in_text = redact(mail.text, "text", seen)
    new_text, in_new = redact(mail.new_text, "new_text", seen)
    # The new text is part of the text: a secret found in the whole text is removed from
    # the new text too, even where the new text alone would not show it as one.
    for secret in in_text:
        value = mail.text[secret.start : secret.end]
        for piece in (value, *value.splitlines()):
            if len(piece.strip()) >= 6 and piece in new_text:
                new_text = new_text.replace(piece, PLACEHOLDER[secret.kind])
    sender_name, in_name = redact(mail.sender_name, "sender_name", seen)
    headers: dict[str, str] = {}
    in_headers: list[Secret] = []
    for name, value in mail.headers.items():
        if name in _STRUCTURAL_HEADERS or name.startswith(("arc-", "list-", "content-")):
            headers[name] = value  # identifiers and routing, never typed by the customer
            continue
        headers[name], found_here = redact(value, f"header:{name}", seen)
        if name not in ("subject", "thread-topic"):  # the subject is reported once, above
            in_headers.extend(found_here)
    # A seed phrase saved as "wallet.txt" is as much an incident as one in the body.
    attachment_text: list[str] = []
    in_attachments: list[Secret] = []
    for index, value in enumerate(mail.attachment_text):
        redacted_value, found_here = redact(value, f"attachment:{index}", seen) if value else (value, ())
        attachment_text.append(redacted_value)
        in_attachments.extend(found_here)
    # The new text is a part of the text: its findings are new only when the text had none.
    found = in_subject + in_text + (() if in_text else in_new) + in_name + tuple(in_headers) + tuple(in_attachments)
    if not found:
        return replace(mail, redacted=True), ()
    redacted = replace(
        mail,
        subject=subject,
        text=text,
        new_text=new_text,
        sender_name=sender_name,
        headers=headers,
        attachment_text=tuple(attachment_text),
        secrets=mail.secrets + found,
        redacted=True,
    )
    return redacted, found


def secret_kinds(secrets: Iterable[Secret]) -> tuple[str, ...]:
    """The distinct kinds, in a stable order (for templates, logs and JSON)."""
    present = {s.kind for s in secrets}
    return tuple(kind for kind in KINDS if kind in present)
