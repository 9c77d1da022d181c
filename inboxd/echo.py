"""What of a sender's own words an automatic mail may repeat. Pure.

An acknowledgement goes out from the exchange's official address, so whatever it
quotes reads as the exchange speaking. A display name can be a whole paragraph ("URGENT
SECURITY NOTICE … cancel at https://…"), a subject can carry a link or a phone number,
and both can hide line breaks, bidi overrides and zero-width characters. So:

- a greeting name is kept only when it looks like a name: letters, marks, spaces and a
  few name punctuation marks, at most 40 characters, no digits, URL, domain or address;
- a subject is quoted only when it has no URL, domain, e-mail address, phone number or
  control character, and it is capped;
- anything else becomes the templates' neutral wording.

Both are given to templates only when the sender is authenticated (acknowledge.py); this
module only says whether a text is fit to be repeated at all.
"""

from __future__ import annotations

import re
import unicodedata

NAME_MAX = 40
SUBJECT_MAX = 80

# Categories removed from anything quoted: controls (Cc), format characters (Cf: zero-width,
# bidi overrides, soft hyphens), line and paragraph separators, private use, unassigned.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"})
_NAME_PUNCTUATION = frozenset(" .'-’·・")
_URL = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]{1,15}:/{0,2}\S|www\.|\bxn--)")
# A dotted name ending in a label of letters (ASCII or not: 交易所.中国), or a full-width dot
# before an ASCII top-level label (exchange。com). A Chinese sentence's 。 before Chinese
# text is not a domain.
_DOMAIN = re.compile(r"(?i)[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,63}(?![\w-])|[\w-]+[。．｡][a-z]{2,63}(?![\w-])")
_PHONE = re.compile(r"(?:\+|\b)\d(?:[\s().-]*\d){6,}")


def _clean(text: str) -> tuple[str, bool]:
    """The text without invisible characters, whitespace collapsed; and whether any was removed."""
    kept = [c for c in text if unicodedata.category(c) not in _INVISIBLE or c in "\t\n\r"]
    removed = len(kept) != len(text) or any(c in "\t\n\r" for c in kept)
    return " ".join("".join(kept).split()), removed


def has_link_material(text: str) -> bool:
    """A URL, a domain, an e-mail address or a phone number: what turns text into a lure."""
    return "@" in text or "＠" in text or bool(_URL.search(text) or _DOMAIN.search(text) or _PHONE.search(text))


def greeting_name(name: str) -> str:
    """The display name fit for "Hello <name>,", or "" for the neutral greeting."""
    cleaned, _ = _clean(name)
    cleaned = cleaned.strip(" \"'")
    if not cleaned or len(cleaned) > NAME_MAX or has_link_material(cleaned):
        return ""
    for c in cleaned:
        if c in _NAME_PUNCTUATION:
            continue
        kind = unicodedata.category(c)
        if kind[0] not in "LM" or (kind == "Lm" and not c.isalpha()):
            return ""
    # A name is words, not a stack of dots and dashes.
    return cleaned if any(c.isalpha() for c in cleaned) else ""


def quotable_subject(subject: str) -> str:
    """The customer's subject fit to be quoted in ours, capped, or "" to use our own wording."""
    cleaned, removed = _clean(subject)
    if removed or not cleaned or has_link_material(cleaned):
        return ""
    if len(cleaned) > SUBJECT_MAX:
        cut = cleaned[: SUBJECT_MAX - 1]
        cleaned = (cut.rsplit(" ", 1)[0] if " " in cut[SUBJECT_MAX // 2 :] else cut) + "…"
    return cleaned


def masked_email(address: str) -> str:
    """An e-mail address the customer can recognise without the mail making it a link."""
    local, _, domain = address.partition("@")
    name, _, tld = domain.rpartition(".")
    return f"{local[:1]}***@{name[:1]}***.{tld}" if name else f"{local[:1]}***"
