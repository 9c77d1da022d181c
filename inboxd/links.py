"""Links and domains in a mail, each with a verdict against the exchange's own domains. Pure.

The only module importing confusable-homoglyphs (the Unicode confusables table, read once,
when a non-ASCII name first needs it). Registrable names come from inboxd.domains (the
bundled Public Suffix List, never downloaded).

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

Verdicts (`verdict`), against `[trust] official_domains`:
- official: an official domain or a subdomain of it. Nothing else: a sibling of an official
  subdomain (`shop.exchange.example` when only `www.exchange.example` is listed) is `other`;
- lookalike: made to pass for an official one. Compared with each official registrable name
  (`exchange.example`: the name `exchange` under the suffix `example`):
  the same name under another suffix (`exchange.com`: the operator lists every suffix it
  owns, so one it does not list is somebody else's); a homoglyph (the confusables table,
  accents dropped, `rn`->`m`, `vv`->`w`, `0`->`o`, `1`/`l`->`i`, punycode that renders like
  the name, mixed scripts); a Damerau-Levenshtein distance of at most 1 (names of 4-7
  letters) or 2 (8 and more; names of 3 letters or fewer must match exactly or with a letter
  doubled), at most one letter longer or shorter: swapped, doubled, missing or changed
  letters, a hyphen put in; the official name, or the name itself, inside another
  registrable domain (`exchange.example.verify-login.example`, `exchange-example.com`,
  `exchange.example-support.net`, `login-exchange.com`, `exchangesupport.com`: a name glued
  to a word other than a phishing word such as `support`, `login`, `wallet` is not flagged,
  so `stackexchange.com` stays `other`);
- other: the rest; every domain is `other` when no official domain is configured.
A small built-in set of widely used domains (mail providers, block explorers, the big
platforms) is never called a lookalike: nobody but their owners can register them.

Bounds, whatever the input: at most MAX_SCAN_CHARS of text and MAX_HREFS hrefs are read, at
most MAX_CANDIDATES names are examined in each and MAX_DOMAINS returned; every pattern is linear.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from urllib.parse import unquote

from inboxd.domains import cut, normalise

OFFICIAL, LOOKALIKE, OTHER = "official", "lookalike", "other"

MAX_DOMAINS = 50  # distinct domains returned for one mail
# Names examined in the text, and again in the hrefs, of one mail (a hostile text may hold millions;
# each new one costs up to ~0.2 ms to judge, a real mail has a few dozen).
MAX_CANDIDATES = 500
MAX_SCAN_CHARS = 200_000  # of the text (the parser already cuts it at limits.max_text_chars)
MAX_HREFS = 200
MAX_HREF_CHARS = 2048


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
# A URL up to the next white space or quote; group 1 is the authority.
_DOT = re.compile(r"\.")
_NOT_IN_NAME = re.compile(r"[^\w.-]|_")
_URL = re.compile(r"(?i)(?<![a-z0-9])(?:https?|ftp)://([^\s/?#\\<>\"'`]{1,512})([^\s<>\"'`]{0,4096})")
_HOST_START = re.compile(rf"{_LABEL}(?:\.{_LABEL}){{0,126}}+")
_CJK_HOST_START = re.compile(r"(?:[^\W_]|-){1,63}+(?:\.(?:[^\W_]|-){1,63}+){0,126}+")
# Zero-width characters, soft hyphen, bidi controls, variation selectors, Hangul fillers:
# invisible in a name as shown, so a name with them in it reads as the name without them.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")  # fmt: skip
# Each pattern here starts with a literal character, which the regex engine looks for at C speed:
# one that starts with a look-behind or an optional part is tried at every position (10x slower).
_DEFANGED = re.compile(
    r"(?i)[\[({]\s?(?:\.|dot)\s?[\])}]\s?|\[:\]|\[://\]|h(?:xx|\*\*|tt(?=p\[))p(s?)(?:\[s\])?(?=\[?:)"
)
_DEFANGED_DOT = "\ue000"  # a private-use character: where a defanged dot was, before the spaces around it go
_SPACED_DOT = re.compile(rf"\s?{_DEFANGED_DOT}")
_IDEOGRAPHIC_DOT = re.compile(r"\u3002(?=[^\W_])")
# What NFKC changes that matters in a name: full-width forms, letter-like and enclosed letters,
# ligatures, mathematical letters (each run normalised on its own: NFKC of a whole Chinese mail
# costs 20 ms per 100 KB, its full-width punctuation alone being enough to need it).
_COMPATIBLE = re.compile("[\u2100-\u214f\u2460-\u24ff\ufb00-\ufb4f\uff00-\uffef\U0001d400-\U0001d7ff]+")
_COMBINING = re.compile("[\u0300-\u036f]")
# Words that bare names often end in although nobody means a web site: file names. Such a name
# is kept only when it is official or a lookalike (`exchange.zip` is one).
# Top-level names reserved for examples and tests (RFC 2606), which documentation, test mail and
# demos use: a bare `exchnage.test` is a name there although no public suffix list has it.
_RESERVED_SUFFIXES = frozenset({"example", "test"})
_FILE_SUFFIXES = frozenset({"zip", "mov", "md", "py", "rs", "pl", "ps", "sh", "so", "cs", "jar", "gz"})


def _undefang(match: re.Match[str]) -> str:
    text = match.group()
    if match.group(1) is not None:
        start = match.start()
        if start and match.string[start - 1].isalpha():
            return text  # inside a word ("xhttp:"): not a scheme
        return "http" + match.group(1)
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


def _bare_names(text: str) -> Iterator[re.Match[str]]:
    """_BARE's matches, looked for only around the dots: most of a mail has none, and the pattern,
    which starts with a look-behind, costs at every position it is tried at."""
    covered = 0
    for dot in _DOT.finditer(text):
        if dot.start() < covered:
            continue
        # A name is at most 253 characters: a region from 253 before the dot to the first character
        # after 253 past it that no name holds; no name crosses its end, so none is cut in two.
        start = max(covered, dot.start() - 253)
        after = _NOT_IN_NAME.search(text, dot.start() + 253)
        covered = after.start() if after else len(text)
        yield from _BARE.finditer(text, start, covered)


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

    rest = _URL.sub(url, text)
    found.extend((m.start(), m.group(), False) for m in itertools.islice(_bare_names(rest), MAX_CANDIDATES))
    found.sort(key=lambda item: item[0])  # stable: a URL's nested hosts stay after its own
    for _, name, from_url in found[:MAX_CANDIDATES]:
        yield name, from_url


# -- names ----------------------------------------------------------------------------------------


def _to_unicode(ascii_name: str) -> str:
    labels = []
    for label in ascii_name.split("."):
        if label.startswith("xn--"):
            try:
                labels.append(label.encode("ascii").decode("idna").lower())
                continue
            except UnicodeError:
                pass  # not valid punycode: kept as written, so that it equals only itself
        labels.append(label)
    return ".".join(labels)


@lru_cache(maxsize=8192)
def _name(written: str) -> str:
    """The normalised Unicode name, or "" when it cannot be a host name."""
    ascii_name = normalise(written)
    if len(ascii_name) > 253 or "." not in ascii_name:
        return ""
    labels = ascii_name.split(".")
    if any(not label or len(label) > 63 for label in labels):
        return ""
    return _to_unicode(ascii_name)


@dataclass(frozen=True, slots=True)
class _Cut:
    sub: str  # labels below the registrable name ("" when none)
    label: str  # the registrable name's own label: `exchange` of `login.exchange.example`
    suffix: str  # the public suffix, or the last label when the list does not know it
    known: bool  # the suffix is in the Public Suffix List

    @property
    def registrable(self) -> str:
        return f"{self.label}.{self.suffix}" if self.label else self.suffix


def _cut(name: str, extra_suffixes: Sequence[str] = ()) -> _Cut:
    sub, label, suffix = cut(normalise(name))
    if suffix:
        return _Cut(_to_unicode(sub), _to_unicode(label), _to_unicode(suffix), True)
    # Unknown to the list (`.example`, `.test`, a private TLD): an official domain's suffix
    # counts as a suffix, else the last label does, as for DMARC.
    for extra in extra_suffixes:
        if name.endswith("." + extra) and name != extra:
            head = name[: -len(extra) - 1].split(".")
            return _Cut(".".join(head[:-1]), head[-1], extra, True)
    head = name.split(".")
    return _Cut(".".join(head[:-2]), head[-2] if len(head) > 1 else "", head[-1], False)


# -- look-alike letters ----------------------------------------------------------------------------


@cache
def _confusables() -> dict[str, str]:
    """Each non-ASCII character that the Unicode confusables table says looks like an ASCII letter
    or digit, and that letter (lower case)."""
    # Imported when first needed: the table is a 1.5 MB JSON file, read at import, which mail with
    # only ASCII names (and the worker processes) never needs.
    from confusable_homoglyphs.confusables import confusables_data  # noqa: PLC0415 - see above

    table: dict[str, str] = {}
    for char, entries in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        ascii_forms = [e["c"].lower() for e in entries if len(e["c"]) == 1 and e["c"].isascii() and e["c"].isalnum()]
        if ascii_forms:
            letters = [c for c in ascii_forms if c.isalpha()]
            table[char] = (letters or ascii_forms)[0]
    return table


def _scripts(label: str) -> set[str]:
    from confusable_homoglyphs.categories import alias  # noqa: PLC0415 - see _confusables

    return {alias(char) for char in label if not char.isascii() or char.isalpha()} - {"COMMON", "INHERITED"}


_ASCII_FOLD = str.maketrans({"0": "o", "1": "i", "l": "i", "|": "i"})


@lru_cache(maxsize=8192)
def skeleton(label: str) -> str:
    """What a label looks like: homoglyphs and look-alike letter pairs folded to one ASCII form."""
    if not label.isascii():
        table = _confusables()
        decomposed = unicodedata.normalize("NFKD", label)
        label = "".join(table.get(c, c) for c in decomposed if not unicodedata.combining(c))
    return label.lower().replace("rn", "m").replace("vv", "w").translate(_ASCII_FOLD)


def distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), or limit + 1 when it is over limit."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], previous2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        previous2, previous = previous, row
    return min(previous[len(b)], limit + 1)


def allowed_distance(label: str) -> int:
    """How many edits still make a look-alike of a name this long: short names must match exactly."""
    n = len(label)
    return 0 if n <= 3 else 1 if n <= 7 else 2


def _close(theirs: str, ours: str, limit: int) -> bool:
    """Within `limit` edits, and at most one letter longer or shorter: two letters cut off an
    official name leave a word of its own (`change` of `exchange`) more often than a typo."""
    return abs(len(theirs) - len(ours)) <= 1 and distance(theirs, ours, limit) <= limit


def _edit_kind(candidate: str, official: str) -> str:
    if len(candidate) == len(official) + 1:
        cuts = [i for i in range(len(candidate)) if candidate[:i] + candidate[i + 1 :] == official]
        if any(i and candidate[i] == candidate[i - 1] for i in cuts):
            return "letter doubled in"
        return "letter added to"
    if len(candidate) + 1 == len(official):
        return "letter missing from"
    if len(candidate) == len(official):
        diffs = [i for i in range(len(official)) if candidate[i] != official[i]]
        if len(diffs) == 2 and diffs[1] == diffs[0] + 1 and candidate[diffs[0]] == official[diffs[1]]:
            return "letters swapped in"
        if len(diffs) == 1:
            return "letter changed in"
    return "letters changed in"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words a phishing domain glues to the brand ("exchange-support", "myexchange"): the brand
# glued to one of these (or to digits) is a look-alike, glued to anything else it is a
# different word ("stackexchange").
_LURE_WORDS = _words("""
    access account accounts active activate airdrop alert app apps auth bonus care cash center centre
    check claim client cn com confirm connect customer dapp defi desk en event events exchange get gift
    global go help helpdesk hk i id info join kyc live login logon m mail mobile my net new nft official
    online pay portal pro promo protect real recover recovery refund restore reward rewards safe secure
    security service services sign signin support sync team the token true try unlock update us use
    user verify verification vip wallet web web3 www
""")


def _lure(rest: str, extra: frozenset[str]) -> bool:
    """`rest` is digits, or one or more lure words run together (`verifylogin`)."""
    if not rest or rest.isdigit():
        return bool(rest)
    words = _LURE_WORDS | extra
    ends = {0}
    for end in range(1, len(rest) + 1):
        if any(start in ends and rest[start:end] in words for start in range(max(0, end - 12), end)):
            ends.add(end)
    return len(rest) in ends


# -- verdicts ----------------------------------------------------------------------------------------

# Widely used domains that only their owners can register: never somebody's look-alike.
_WELL_KNOWN = _words("""
    gmail.com googlemail.com google.com youtube.com apple.com icloud.com me.com microsoft.com outlook.com
    hotmail.com live.com office.com msn.com yahoo.com aol.com proton.me protonmail.com gmx.com gmx.de
    mail.ru yandex.ru qq.com foxmail.com 163.com 126.com yeah.net sina.com sina.cn sohu.com aliyun.com
    alipay.com taobao.com tmall.com baidu.com weibo.com tencent.com wechat.com 139.com 189.cn naver.com
    github.com gitlab.com stackexchange.com stackoverflow.com wikipedia.org twitter.com x.com t.me
    telegram.org facebook.com instagram.com whatsapp.com linkedin.com reddit.com discord.com discord.gg
    amazon.com cloudflare.com zoom.us etherscan.io bscscan.com tronscan.org polygonscan.com arbiscan.io
    solscan.io blockchain.com blockchair.com mempool.space btc.com coingecko.com coinmarketcap.com
    metamask.io trustwallet.com ledger.com trezor.io binance.com coinbase.com kraken.com okx.com
    bybit.com kucoin.com htx.com huobi.com gate.io bitget.com mexc.com crypto.com bitfinex.com bitstamp.net
    gemini.com upbit.com bithumb.com
""")


@dataclass(frozen=True, slots=True)
class _Official:
    name: str  # as configured, normalised
    cut: _Cut
    skeleton: str


@lru_cache(maxsize=64)
def _officials(official: tuple[str, ...]) -> tuple[_Official, ...]:
    names = [n for n in (_name(o) if "." in o else "" for o in official) if n]
    # An official domain the list does not know the suffix of (`exchange.example`): its last
    # label is a suffix, for the official names and for the names compared with them.
    extra = tuple(sorted({_cut(n).suffix for n in names if not _cut(n).known}, key=len, reverse=True))
    result = []
    for name in dict.fromkeys(names):
        c = _cut(name, extra)
        result.append(_Official(name, c, skeleton(c.label)))
    return tuple(result)


def _extra_suffixes(officials: tuple[_Official, ...]) -> tuple[str, ...]:
    return tuple(sorted({o.cut.suffix for o in officials}, key=len, reverse=True))


def verdict(domain: str, official: Sequence[str]) -> Link:
    """The verdict on one domain, written in any form: punycode or Unicode, any case, a trailing dot,
    defanged, or as a URL or an address (its host counts: no user, password, port or path)."""
    text = _prepared(domain.strip())
    name = _name(_url_host(text.partition("://")[2] if "://" in text else text.partition("/")[0]))
    if not name:
        return Link(domain.strip().lower(), OTHER)
    return _verdict(name, tuple(official))


@lru_cache(maxsize=8192)
def _verdict(name: str, official: tuple[str, ...]) -> Link:
    officials = _officials(official)
    for o in officials:
        if name == o.name or name.endswith("." + o.name):
            return Link(name, OFFICIAL, o.name if name == o.name else f"subdomain of {o.name}")
    if not officials or name.replace(".", "").isdigit():
        return Link(name, OTHER)
    c = _cut(name, _extra_suffixes(officials))
    if c.registrable in _WELL_KNOWN:
        return Link(name, OTHER)
    for o in officials:
        reason = _lookalike(name, c, o)
        if reason:
            return Link(name, LOOKALIKE, reason)
    return Link(name, OTHER)


def _lookalike(name: str, c: _Cut, o: _Official) -> str:
    """Why `name` passes for the official `o`, or "" when it does not."""
    theirs, ours = c.label, o.cut.label
    reg = o.cut.registrable
    if c.registrable == reg:
        return ""  # the same registered name: the official party's, not a look-alike
    if theirs == ours and len(ours) >= 3:
        return f"same name as {reg} under .{c.suffix}"
    if theirs.replace("-", "") == ours and len(ours) >= 3:
        return f"{reg} with a hyphen"
    if len(ours) == 3 and _edit_kind(theirs, ours) == "letter doubled in":  # `okkx` for `okx`
        return f"letter doubled in {reg}"
    limit = allowed_distance(ours)
    if len(ours) >= 3 and skeleton(theirs) == o.skeleton:
        mixed = " (mixed scripts)" if not theirs.isascii() and len(_scripts(theirs)) > 1 else ""
        return f"homoglyph of {reg}{mixed}"
    if _close(theirs, ours, limit):
        return f"{_edit_kind(theirs, ours)} {reg}"
    if not theirs.isascii() and _close(skeleton(theirs), o.skeleton, limit):
        return f"homoglyph of {reg} with letters changed"
    # The official name inside another registrable domain.
    if f".{reg}." in f".{name}." or reg.replace(".", "-") in name:
        return f"{reg} inside {c.registrable}"
    if len(ours) < 3:
        return ""
    lure_extra = frozenset(o.cut.suffix.split("."))
    for token in _tokens(c):
        if token == ours or (len(ours) >= 4 and skeleton(token) == o.skeleton):
            return f"{ours} (of {reg}) inside {c.registrable}"
        if len(ours) >= 4 and len(token) > len(ours) and _glued(token, o, limit, lure_extra):
            return f"{ours} (of {reg}) and a word in {c.registrable}"
        if len(ours) >= 6 and _close(token, ours, limit):
            return f"{ours} (of {reg}), misspelt, inside {c.registrable}"
    return ""


def _glued(token: str, o: _Official, limit: int, lure_extra: frozenset[str]) -> bool:
    """`token` is the official name (as is, misspelt or in homoglyphs) run together with lure words
    or digits, before or after it: `exchangesupport`, `myexchange`, `exchnagelogin`."""
    ours = o.cut.label
    shape = skeleton(token)
    # The cut is tried where the name would end give or take a letter (a typo changes its length).
    for size in range(len(ours) - 1, len(ours) + 2):
        if not 0 < size < len(token):
            continue
        for name, rest in ((token[:size], token[size:]), (token[-size:], token[:-size])):
            if not _lure(rest, lure_extra):
                continue
            if name == ours or _close(name, ours, limit) or skeleton(name) == o.skeleton:
                return True
    # Homoglyphs may fold to fewer letters (`rn` -> `m`): cut the folded form too.
    return shape != token and any(
        _lure(rest, lure_extra)
        for rest in (shape.removeprefix(o.skeleton), shape.removesuffix(o.skeleton))
        if rest != shape
    )


def _tokens(c: _Cut) -> Iterator[str]:
    for part in (*c.sub.split("."), c.label):
        yield from (t for t in part.split("-") if t)


# -- a whole mail ----------------------------------------------------------------------------------


def links_in(text: str, hrefs: Sequence[str], official: Sequence[str]) -> tuple[Link, ...]:
    """Every distinct domain in `text` and in the HTML `hrefs`, in order of first appearance, with its
    verdict; at most MAX_DOMAINS, whatever the input.

    When there are more, official and look-alike domains are kept before `other` ones: a phish
    must not hide its link behind fifty decoy domains. The text and the hrefs each have their own
    MAX_CANDIDATES, so that neither can crowd the other out.
    """
    officials = tuple(official)
    extra = _extra_suffixes(_officials(officials))
    seen: dict[str, Link] = {}
    for candidates in (_candidates(_prepared(text)), _href_candidates(hrefs)):
        for written, from_url in itertools.islice(candidates, MAX_CANDIDATES):
            name = _name(written)
            if not name or name in seen:
                continue
            if not from_url:
                c = _cut(name, extra)
                if not (c.known or c.suffix in _RESERVED_SUFFIXES) or not c.label:
                    continue
            link = _verdict(name, officials)
            if link.verdict == OTHER and (len(seen) >= MAX_DOMAINS or (not from_url and _not_meant(written, name))):
                continue
            if len(seen) >= MAX_DOMAINS:
                others = [key for key, kept in seen.items() if kept.verdict == OTHER]
                if not others:
                    continue
                del seen[others[-1]]
            seen[name] = link
    return tuple(seen.values())


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
