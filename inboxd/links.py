"""Links and domains in a mail, each with a verdict against the exchange's own domains. Pure.

Names are found here; whether one passes for an official domain is judged in
inboxd.lookalike.

What is found (`links_in`): the host of every URL (http, https, ftp, and the defanged
`hxxp`), every bare domain whose suffix is a real public suffix, the suffix of an
official domain or `.example`/`.test` (`www.x.com`, `x.com/login`, `x[.]com`, `x。com`, the domain of an e-mail
address), in the text and in the HTML `href` values. Before scanning, the text is
NFKC-normalised where it matters (full-width letters and dots, mathematical letters), zero-width and bidi
characters are removed, and the common defanged forms (`[.]`, `(.)`, `[dot]`, `hxxp`) are
undone. A URL counts by its real host: `https://exchange.example@evil.example/` is a link
to evil.example, and domains in a URL's path are not links (only nested `https://` URLs
are, as in a redirector's query). Each name is normalised: IDNA/punycode decoded to
Unicode, lower case, no trailing dot, no user:password@ and no port.

Verdicts (`verdict`), against `[trust] official_domains`: official, lookalike or other, as
inboxd.lookalike judges them.

Bounds, whatever the input: at most MAX_SCAN_CHARS of text and MAX_HREFS hrefs are read, at
most MAX_CANDIDATES names are examined in each and MAX_DOMAINS returned; every pattern is linear.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from inboxd.lookalike import WELL_KNOWN, Cut, cut_name, extra_suffixes, host_name, lookalike_reason, officials
from inboxd.values import pickled_by_position

OFFICIAL, LOOKALIKE, OTHER = "official", "lookalike", "other"

MAX_DOMAINS = 50  # distinct domains returned for one mail
# Names examined in the text, and again in the hrefs, of one mail (a hostile text may hold millions;
# each new one costs up to ~0.2 ms to judge, a real mail has a few dozen).
MAX_CANDIDATES = 500
MAX_SCAN_CHARS = 200_000  # of the text (the parser already cuts it at limits.max_text_chars)
MAX_HREFS = 200
MAX_HREF_CHARS = 2048


@pickled_by_position  # a worker sends each mail's links back to the main process
@dataclass(frozen=True, slots=True)
class Link:
    """A domain found in a mail and its verdict; `reason` is short, printable, "" for `other`."""

    domain: str  # normalised: IDNA decoded to Unicode, lower case, no trailing dot
    verdict: str  # OFFICIAL | LOOKALIKE | OTHER
    reason: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"domain": self.domain, "verdict": self.verdict, "reason": self.reason}


# -- finding names in text ---------------------------------------------------------------------

# CJK ideographs, kana and Hangul are word characters to Python, but Chinese text runs into an
# ASCII domain without a space ("请访问exchange.example确认"): they end a label, never extend it.
_CJK = "\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
_LETTER = rf"[^\W_{_CJK}]"
_LABEL = rf"(?:{_LETTER}|-){{1,63}}+"  # possessive: a failed match never re-reads a long word
# A bare name: two labels or more, not in the middle of a word or right before '@' (the local
# part of an address); the left boundary makes each start inside a word fail at once.
_BARE = re.compile(rf"(?<!{_LETTER})(?<!-){_LABEL}(?:\.{_LABEL}){{1,126}}+(?!{_LETTER}|[-@])")
# A dot with a label character on each side: every bare name has one, and most of a mail none.
_JOINT = re.compile(rf"\.(?<=(?:{_LETTER}|-)\.)(?={_LETTER}|-)")
# The characters of a run of labels and dots (the span a bare name is found in); the reversed
# text is read for the part before a dot, `re` having no backward search.
_RUN = re.compile(rf"(?:{_LETTER}|[-.])*+")
_REGION = 64
_OWN_RUNS = 64  # runs read alone in a text, before the regions of _REGION
# A URL up to the next white space or quote; group 1 is the authority. The scheme is spelled out
# in each case its first letter may take, so that `re` skips to an h or f in C (see
# inboxd.patterns); the rest, and the letter before it, are case-insensitive as ever.
_URL = re.compile(
    r"(?:h(?i:(?<![a-z0-9]h)ttps?)|H(?i:(?<![a-z0-9]h)ttps?)|f(?i:(?<![a-z0-9]f)tp)|F(?i:(?<![a-z0-9]f)tp))"
    r"://([^\s/?#\\<>\"'`]{1,512})([^\s<>\"'`]{0,4096})"
)
_HOST_START = re.compile(rf"{_LABEL}(?:\.{_LABEL}){{0,126}}+")
_CJK_HOST_START = re.compile(r"(?:[^\W_]|-){1,63}+(?:\.(?:[^\W_]|-){1,63}+){0,126}+")
# Zero-width characters, soft hyphen, bidi controls, variation selectors, Hangul fillers:
# invisible in a name as shown, so a name with them in it reads as the name without them.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")  # fmt: skip
# Each pattern here starts with a literal character, which the regex engine looks for at C speed:
# one that starts with a look-behind or an optional part is tried at every position (10x slower).
# Group 1 or 2: the `s` of a defanged scheme (`hxxps`), "" for `hxxp`.
_DEFANGED = re.compile(
    r"\[(?i:\s?(?:\.|dot)\s?[\])}]\s?|:\]|://\])|\((?i:\s?(?:\.|dot)\s?[\])}]\s?)|\{(?i:\s?(?:\.|dot)\s?[\])}]\s?)"
    r"|h(?i:(?:xx|\*\*|tt(?=p\[))p(s?)(?:\[s\])?(?=\[?:))|H(?i:(?:xx|\*\*|tt(?=p\[))p(s?)(?:\[s\])?(?=\[?:))"
)
_DEFANGED_DOT = "\ue000"  # a private-use character: where a defanged dot was, before the spaces around it go
_SPACED_DOT = re.compile(rf"\s?{_DEFANGED_DOT}")
_IDEOGRAPHIC_DOT = re.compile(r"\u3002(?=[^\W_])")
# What NFKC changes that matters in a name: full-width forms, letter-like and enclosed letters,
# ligatures, mathematical letters (each run normalised on its own: NFKC of a whole Chinese mail
# costs 20 ms per 100 KB, its full-width punctuation alone being enough to need it).
_COMPATIBLE = re.compile("[\u2100-\u214f\u2460-\u24ff\ufb00-\ufb4f\uff00-\uffef\U0001d400-\U0001d7ff]+")
_COMBINING = re.compile("[\u0300-\u036f]")
# Either of the two: one look where most mail has neither.
_COMBINING_OR_INVISIBLE = re.compile(f"{_COMBINING.pattern}|{_INVISIBLE.pattern}")
# Words that bare names often end in although nobody means a web site: file names. Such a name
# is kept only when it is official or a lookalike (`exchange.zip` is one).
# Top-level names reserved for examples and tests (RFC 2606), which documentation, test mail and
# demos use: a bare `exchnage.test` is a name there although no public suffix list has it.
_RESERVED_SUFFIXES = frozenset({"example", "test"})
_FILE_SUFFIXES = frozenset({"zip", "mov", "md", "py", "rs", "pl", "ps", "sh", "so", "cs", "jar", "gz"})


def _undefang(match: re.Match[str]) -> str:
    text = match.group()
    scheme = match.group(1) if match.group(1) is not None else match.group(2)
    if scheme is not None:
        start = match.start()
        if start and match.string[start - 1].isalpha():
            return text  # inside a word ("xhttp:"): not a scheme
        return "http" + scheme
    if "[" in text and ":" in text:
        return "://" if "/" in text else ":"
    return _DEFANGED_DOT


def _ideographic_dot(match: re.Match[str]) -> str:
    start = match.start()
    return "." if start and match.string[start - 1].isalnum() else match.group()


def _prepared(text: str) -> str:
    text = text[:MAX_SCAN_CHARS]
    if not text.isascii():
        text = _COMPATIBLE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
        if _COMBINING_OR_INVISIBLE.search(text):
            if _COMBINING.search(text):
                text = unicodedata.normalize("NFC", text)  # `e` + combining accent: one letter
            text = _INVISIBLE.sub("", text)
        if "\u3002" in text:
            text = _IDEOGRAPHIC_DOT.sub(_ideographic_dot, text)
    text = _DEFANGED.sub(_undefang, text)
    return _SPACED_DOT.sub(".", text) if _DEFANGED_DOT in text else text


def _url_host(authority: str) -> str:
    host = authority.rpartition("@")[2]  # user:password@ is not where the link goes
    match = _HOST_START.match(host) or _CJK_HOST_START.match(host)
    return match.group() if match else ""


def _run_end(text: str, at: int) -> int:
    run = _RUN.match(text, at)  # matches wherever it starts (the empty run at least)
    return run.end() if run else at


def _bare_names(text: str) -> Iterator[re.Match[str]]:
    """_BARE's matches (as `_BARE.finditer(text)`), looked for only in the runs of labels and dots
    around a dot between two label characters: most of a mail has none, and the pattern, which
    starts with a look-behind, costs at every position it is tried at."""
    backwards = ""
    dot = _JOINT.search(text)
    runs = 0
    while dot is not None:
        at = dot.start()
        backwards = backwards or text[::-1]
        start = len(text) - _run_end(backwards, len(text) - at)  # where the dot's run starts
        # A match is a run of labels and dots holding such a dot: the dot's run is read alone (a few
        # words, where the region below is tens). After _OWN_RUNS runs, for a text of dots close
        # together, the region read ends with a run _REGION characters on at least: one look for
        # dots close together, so that such a text costs no Python step each.
        runs += 1
        covered = _run_end(text, at if runs <= _OWN_RUNS else min(at + _REGION, len(text)))
        # The character after the region is read by the pattern's look-ahead (`x.com@` is no name).
        yield from _BARE.finditer(text, start, covered + 1)
        dot = _JOINT.search(text, covered)


def _candidates(text: str) -> Iterator[tuple[str, bool]]:
    """(name as written, from a URL) in order of appearance: each URL's host, then bare names; the
    first MAX_CANDIDATES of them (the first that many URL hosts and bare names, merged)."""
    found: list[tuple[int, str, bool]] = []

    def url(match: re.Match[str]) -> str:
        if len(found) < MAX_CANDIDATES:
            found.append((match.start(), _url_host(match.group(1)), True))
            # A redirector carries the real target in its query, often percent-encoded.
            rest = match.group(2)
            if "://" in rest or "%3a" in rest.lower():
                for nested in itertools.islice(_URL.finditer(unquote(rest)), MAX_CANDIDATES):
                    found.append((match.start(), _url_host(nested.group(1)), True))
        return " " * len(match.group())

    rest = _URL.sub(url, text) if "://" in text else text  # its `h` and `f` are frequent, URLs are not
    found.extend((m.start(), m.group(), False) for m in itertools.islice(_bare_names(rest), MAX_CANDIDATES))
    found.sort(key=lambda item: item[0])  # stable: a URL's nested hosts stay after its own
    for _, name, from_url in found[:MAX_CANDIDATES]:
        yield name, from_url


def verdict(domain: str, official: Sequence[str]) -> Link:
    """The verdict on one domain, written in any form: punycode or Unicode, any case, a trailing dot,
    defanged, or as a URL or an address (its host counts: no user, password, port or path)."""
    text = _prepared(domain.strip())
    name = host_name(_url_host(text.partition("://")[2] if "://" in text else text.partition("/")[0]))
    if not name:
        return Link(domain.strip().lower(), OTHER)
    return _verdict(name, tuple(official))


@lru_cache(maxsize=8192)
def _verdict(name: str, official: tuple[str, ...]) -> Link:
    judged = officials(official)
    for o in judged:
        if name == o.name or name.endswith("." + o.name):
            return Link(name, OFFICIAL, o.name if name == o.name else f"subdomain of {o.name}")
    if not judged or name.replace(".", "").isdigit():
        return Link(name, OTHER)
    c = cut_name(name, extra_suffixes(judged))
    if c.registrable in WELL_KNOWN:
        return Link(name, OTHER)
    for o in judged:
        reason = lookalike_reason(name, c, o)
        if reason:
            return Link(name, LOOKALIKE, reason)
    return Link(name, OTHER)


# -- a whole mail ----------------------------------------------------------------------------------


def links_in(text: str, hrefs: Sequence[str], official: Sequence[str]) -> tuple[Link, ...]:
    """Every distinct domain in `text` and in the HTML `hrefs`, in order of first appearance, with its
    verdict; at most MAX_DOMAINS, whatever the input.

    When there are more, official and look-alike domains are kept before `other` ones: a phish
    must not hide its link behind fifty decoy domains. The text and the hrefs each have their own
    MAX_CANDIDATES, so that neither can crowd the other out.
    """
    configured = tuple(official)
    extra = _extra_suffixes(configured)
    seen: dict[str, Link] = {}
    for candidates in (_candidates(_prepared(text)), _href_candidates(hrefs)):
        for written, from_url in itertools.islice(candidates, MAX_CANDIDATES):
            name = host_name(written)
            if not name or name in seen:
                continue
            if not from_url:
                c = _cut(name, extra)
                if not (c.known or c.suffix in _RESERVED_SUFFIXES) or not c.label:
                    continue
            link = _verdict(name, configured)
            if link.verdict == OTHER and (len(seen) >= MAX_DOMAINS or (not from_url and _not_meant(written, name))):
                continue
            if len(seen) >= MAX_DOMAINS:
                others = [key for key, kept in seen.items() if kept.verdict == OTHER]
                if not others:
                    continue
                del seen[others[-1]]
            seen[name] = link
    return tuple(seen.values())


@lru_cache(maxsize=8192)
def _cut(name: str, extra: tuple[str, ...]) -> Cut:
    """`cut_name`, kept for the names met again (a Cut is immutable): the same few recur in every mail."""
    return cut_name(name, extra)


@lru_cache(maxsize=64)
def _extra_suffixes(official: tuple[str, ...]) -> tuple[str, ...]:
    return extra_suffixes(officials(official))


def _not_meant(written: str, name: str) -> bool:
    """A bare name that nobody meant as a site: a file name (`readme.md`), or two sentences run
    together without a space (`will be.Now`, `the results.You`)."""
    last = written.rpartition(".")[2]
    joint = written[:1].islower() and last[:1].isupper() and last[1:].islower()
    return joint or name.rpartition(".")[2] in _FILE_SUFFIXES


def _href_candidates(hrefs: Sequence[str]) -> Iterator[tuple[str, bool]]:
    for href in hrefs[:MAX_HREFS]:
        value = href.strip()[:MAX_HREF_CHARS]
        if value.startswith("//"):
            value = "http:" + value  # protocol-relative: a link to that host all the same
        yield from _candidates(_prepared(value))
