"""Whether a domain name is made to pass for one of the exchange's own. Pure.

The judging half of `inboxd.links` (which finds the names in a mail and gives each its `Link`),
and the only module importing confusable-homoglyphs (the Unicode confusables table, read once,
when a non-ASCII name first needs it). Registrable names come from inboxd.domains (the bundled
Public Suffix List, never downloaded).

The verdicts (given by `inboxd.links.verdict`), against `[trust] official_domains`:
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
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from inboxd.domains import cut, normalise

# -- names ----------------------------------------------------------------------------------------


def to_unicode(ascii_name: str) -> str:
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
def host_name(written: str) -> str:
    """The normalised Unicode name, or "" when it cannot be a host name."""
    ascii_name = normalise(written)
    if len(ascii_name) > 253 or "." not in ascii_name:
        return ""
    labels = ascii_name.split(".")
    if any(not label or len(label) > 63 for label in labels):
        return ""
    return to_unicode(ascii_name)


@dataclass(frozen=True, slots=True)
class Cut:
    sub: str  # labels below the registrable name ("" when none)
    label: str  # the registrable name's own label: `exchange` of `login.exchange.example`
    suffix: str  # the public suffix, or the last label when the list does not know it
    known: bool  # the suffix is in the Public Suffix List

    @property
    def registrable(self) -> str:
        return f"{self.label}.{self.suffix}" if self.label else self.suffix


def cut_name(name: str, extra_suffixes: Sequence[str] = ()) -> Cut:
    sub, label, suffix = cut(normalise(name))
    if suffix:
        return Cut(to_unicode(sub), to_unicode(label), to_unicode(suffix), True)
    # Unknown to the list (`.example`, `.test`, a private TLD): an official domain's suffix
    # counts as a suffix, else the last label does, as for DMARC.
    for extra in extra_suffixes:
        if name.endswith("." + extra) and name != extra:
            head = name[: -len(extra) - 1].split(".")
            return Cut(".".join(head[:-1]), head[-1], extra, True)
    head = name.split(".")
    return Cut(".".join(head[:-2]), head[-2] if len(head) > 1 else "", head[-1], False)


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
WELL_KNOWN = _words("""
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
class Official:
    name: str  # as configured, normalised
    cut: Cut
    skeleton: str


@lru_cache(maxsize=64)
def officials(official: tuple[str, ...]) -> tuple[Official, ...]:
    names = [n for n in (host_name(o) if "." in o else "" for o in official) if n]
    # An official domain the list does not know the suffix of (`exchange.example`): its last
    # label is a suffix, for the official names and for the names compared with them.
    extra = tuple(sorted({cut_name(n).suffix for n in names if not cut_name(n).known}, key=len, reverse=True))
    result = []
    for name in dict.fromkeys(names):
        c = cut_name(name, extra)
        result.append(Official(name, c, skeleton(c.label)))
    return tuple(result)


def extra_suffixes(officials: tuple[Official, ...]) -> tuple[str, ...]:
    return tuple(sorted({o.cut.suffix for o in officials}, key=len, reverse=True))


def lookalike_reason(name: str, c: Cut, o: Official) -> str:
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


def _glued(token: str, o: Official, limit: int, lure_extra: frozenset[str]) -> bool:
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


def _tokens(c: Cut) -> Iterator[str]:
    for part in (*c.sub.split("."), c.label):
        yield from (t for t in part.split("-") if t)
