"""Phishing reports: a customer asks whether a mail, site or caller is really ours. Pure.

The wording lives in `classifiers/phishing.toml` (loaded and checked by `inboxd.assets`):
the lines that start a forwarded message in each common client (Gmail, Outlook, Apple
Mail, QQ Mail, Foxmail, in English and Chinese), the questions a customer asks ("is this
email from you?", "这个网站是你们的吗", "有人自称客服…"), and the content that makes a
forwarded mail suspicious (verify, suspended, urgent, seed phrase, 验证, 冻结, 助记词…).

A mail is a phishing report when
- the customer's own words (the subject, and the text before the first forwarded block)
  ask such a question; or
- it forwards a mail (a marker line, a `message/rfc822` part, or a "Fwd:" subject) and the
  forwarded part holds a lookalike of an official domain, or suspicious content together
  with something that is not ours (a domain that is not official, a sender outside them).

A forward alone is not enough: customers forward their own earlier mail to support, a
bank statement, a wallet's receipt. Domains and their verdicts come from `inboxd.links`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from inboxd.assets import PhishingRules
from inboxd.domains import domain_of
from inboxd.language import to_simplified
from inboxd.links import LOOKALIKE, OFFICIAL, Link, links_in
from inboxd.patterns import AnyOf
from inboxd.values import ParsedEmail

# The customer's own words read for a question, and the forwarded part read for
# suspicious content: a phishing mail says what it wants in its first lines, and hostile
# mail must cost little (~20 ms at these bounds, 0.1 ms for a usual mail).
_CUSTOMER_CHARS = 4000
_FORWARDED_CHARS = 10_000
_HAN = re.compile(r"[\u3400-\u9fff]")
# A defanged dot, "[.]", "(.)", "{.}", "[dot]": no mail client makes a link across one.
_WRITTEN_SAFE = re.compile(r"(?i)[\[({]\s?(?:\.|dot)\s?[\])}]")
# The recipient lines of a forwarded mail's header block, as the clients write them.
_RECIPIENTS = re.compile(r"(?im)^[ \t]*(to|cc|收件人|抄送|收件者|副本)[ \t]*[:：].*$")
RFC822 = "rfc822"  # the `client` of a forward attached as a message/rfc822 part
SUBJECT = "subject"  # of a forward seen only in the subject ("Fwd: …")


@dataclass(frozen=True, slots=True)
class Forward:
    """A mail cut into the customer's own words and what it forwards."""

    customer: str  # the subject and the text before the first forwarded block
    forwarded: str  # the forwarded blocks and the message/rfc822 parts' subjects and texts
    client: str | None  # which marker showed the forward (a client, RFC822, SUBJECT); None: no forward
    senders: tuple[str, ...]  # the From addresses of the message/rfc822 parts


@dataclass(frozen=True, slots=True)
class Assessment:
    report: bool
    reason: str  # what decided it, for agents and the evaluation ("" when not a report)
    client: str | None  # the forward's format, if there was one
    links: tuple[Link, ...]  # every domain in the mail and its forwarded part, with its verdict


@dataclass(frozen=True, slots=True)
class _Searches:
    """Each list of `PhishingRules` as one search (inboxd.patterns): every mail's whole text is
    read for the markers, and the customer's words for the questions, once each."""

    forward: AnyOf
    questions: AnyOf
    suspicious: AnyOf


_Key = tuple[tuple[tuple[str, int], ...], ...]
_built: dict[_Key, _Searches] = {}  # by the patterns' text: a few sets at most (a reload makes one)
_last: list[tuple[PhishingRules, _Searches]] = []  # the rules of the last mail, by identity


def _searches(rules: PhishingRules) -> _Searches:
    """The searches of `rules`, built once for each set of patterns (~0.1 s). The rules of the last
    mail are recognised by identity: hashing them would hash each compiled pattern's code."""
    if _last and _last[0][0] is rules:
        return _last[0][1]
    lists = ([p for _, p in rules.forward], rules.questions, rules.suspicious)
    key = tuple(tuple((p.pattern, p.flags) for p in patterns) for patterns in lists)
    searches = _built.get(key)
    if searches is None:
        if len(_built) >= 8:
            _built.clear()
        searches = _built[key] = _Searches(*(AnyOf(patterns) for patterns in lists))
    _last[:] = [(rules, searches)]
    return searches


def split_forward(mail: ParsedEmail, rules: PhishingRules) -> Forward:
    """The customer's words and the forwarded part (inline blocks and message/rfc822 parts)."""
    text = mail.text
    found = _searches(rules).forward.first(text)  # the first marker; of two at one place, the first listed
    first = (found[0], rules.forward[found[1]][0]) if found else None
    cut = first[0] if first else len(text)
    customer = f"{mail.subject}\n{text[:cut]}"
    forwarded = [text[cut:]] if first else []
    client = first[1] if first else None
    for part in mail.forwarded:
        forwarded.append(f"{part.sender_name} <{part.sender}>\n{part.subject}\n{part.text}")
        client = client or RFC822
        # mail-parser folds an attached mail's text into the body too: it is not the customer's.
        if part.text.strip() and part.text.strip()[:200] in customer:
            customer = customer[: customer.index(part.text.strip()[:200])]
    if client is None and rules.subject is not None and rules.subject.search(mail.subject):
        client = SUBJECT
        forwarded.append(text)  # no marker line: all of it may be the forwarded mail
    return Forward(
        customer=customer[:_CUSTOMER_CHARS],
        forwarded="\n".join(forwarded)[:_FORWARDED_CHARS],
        client=client,
        senders=tuple(p.sender for p in mail.forwarded if p.sender),
    )


def _readable(text: str) -> str:
    """Traditional Chinese read as Simplified (the cue lists are written in Simplified)."""
    return to_simplified(text) if _HAN.search(text) else text


def assess(
    mail: ParsedEmail, rules: PhishingRules, official: Sequence[str], links: tuple[Link, ...] | None = None
) -> Assessment:
    """Is `mail` a phishing report? `links`: the mail's domains with their verdicts against
    `official` (`links_in` over its text and hrefs, as `triage.examine` has them), found here if None."""
    forward = split_forward(mail, rules)
    if links is None:
        links = links_in(mail.text, mail.hrefs, official)
    searches = _searches(rules)
    if searches.questions.found(_readable(forward.customer)):
        return Assessment(True, "asks whether it is ours", forward.client, links)
    if forward.client is None:
        return Assessment(False, "", None, links)
    # The forward's recipients are the customer (perhaps under another address), not the sender.
    in_forward = links_in(_RECIPIENTS.sub("", forward.forwarded), [_as_url(s) for s in forward.senders], official)
    if any(link.verdict == LOOKALIKE for link in in_forward):
        return Assessment(True, "forwards a mail with a lookalike domain", forward.client, links)
    # The customer's own addresses appear in the forwarded headers (To:): not a sign of anything.
    own = {domain_of(address) for address in (mail.sender, *mail.to, *mail.cc)}
    foreign = any(link.verdict != OFFICIAL and link.domain not in own for link in in_forward)
    if foreign and searches.suspicious.found(_readable(forward.forwarded)):
        return Assessment(True, "forwards a suspicious mail", forward.client, links)
    return Assessment(False, "", forward.client, links)


def _as_url(address: str) -> str:
    """A sender's domain as a link target, so that `links_in` gives it a verdict."""
    return "https://" + address.rpartition("@")[2] + "/"


def defang(domain: str) -> str:
    """A domain no mail client makes a link of: its dots bracketed (`exchange-support[.]net`)."""
    return domain.replace(".", "[.]")


def foreign_domains(text: str, official: Sequence[str]) -> tuple[str, ...]:
    """The domains in `text` a mail client would make a link of that are not `official`.

    Run over every acknowledgement: ours must never hold one (a lookalike we list is written
    defanged, `exchange-support[.]net`, which no client links). `links_in` reads defanged names
    as the names they stand for (a customer's pasted `x[.]com` is a domain they ask about), so
    the bracketed dots are taken out first: what is left is what a client could link."""
    clickable = _WRITTEN_SAFE.sub(" ", text)
    return tuple(sorted({link.domain for link in links_in(clickable, (), official) if link.verdict != OFFICIAL}))
