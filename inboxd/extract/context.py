"""What the extractors must not read, and the words around a value.

`mask` blanks the parts of a text that look like facts but are not: URLs (except the
hash or address in a block-explorer link), Message-IDs, e-mail addresses, PGP armour
and base64 blobs. Blanking keeps every other character at its place, so positions in
the masked text are positions in the original. `nearest_cue` decides between
competing readings of a value by the closest cue word before it (passing over one that only
names a tool: "the tx I signed with my key").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Block explorers: a hash or address in their links is one the customer is telling us.
EXPLORER_CHAINS: tuple[tuple[str, str], ...] = (
    ("tronscan", "tron"),
    ("etherscan", "evm"),
    ("bscscan", "evm"),
    ("arbiscan", "evm"),
    ("polygonscan", "evm"),
    ("basescan", "evm"),
    ("snowtrace", "evm"),
    ("ftmscan", "evm"),
    ("mempool.space", "bitcoin"),
    ("blockstream.info", "bitcoin"),
    ("btc.com", "bitcoin"),
    ("solscan", "solana"),
    ("explorer.solana.com", "solana"),
    ("solana.fm", "solana"),
    ("blockchair.com/bitcoin", "bitcoin"),
    ("blockchair.com/ethereum", "evm"),
    ("oklink.com", ""),
    ("blockchair.com", ""),
    ("tokenview", ""),
)
# Path segments that introduce a transaction or an address in an explorer link.
_VALUE_SEGMENT = re.compile(r"^(tx|txs|txid|transaction|transactions|hash|address|addr|account)$", re.I)
# On other hosts only a transaction segment counts (an /account/ page of a web shop does not).
_TX_SEGMENT = re.compile(r"^(tx|txid|transaction)$", re.I)

_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s<>\"'，。；、）)\]]+", re.I)
_MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s]+>")
_EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PGP = re.compile(
    r"-----BEGIN PGP (?:SIGNATURE|MESSAGE|PUBLIC KEY BLOCK|PRIVATE KEY BLOCK)-----.*?"
    r"(?:-----END PGP [A-Z ]+-----|\Z)",
    re.S,
)
_PGP_SIGNED_HEADER = re.compile(r"-----BEGIN PGP SIGNED MESSAGE-----\n(?:Hash: [\w-]+\n)?")
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")
_B64_LINE = re.compile(r"^[ \t]*[A-Za-z0-9+/=_-]{40,}[ \t]*$", re.M)
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{100,}")


# Characters that `re.IGNORECASE` matches with an ASCII letter but `str.lower` does not turn into it
# (İ, ı, ſ; the Kelvin sign lowers to `k`): in a text with one, a lower-cased look proves nothing.
_FOLDS_APART = ("\u0130", "\u0131", "\u017f")


def may_hold(text: str, words: tuple[str, ...]) -> bool:
    """Whether `text` may hold one of `words` (lower case, each a part that every match of a
    case-insensitive pattern has): a look in C before a pattern that would be tried at every
    position of the text. False only when no match is possible."""
    if any(fold in text for fold in _FOLDS_APART):
        return True
    lowered = text.lower()
    return any(word in lowered for word in words)


@dataclass(frozen=True, slots=True)
class ExplorerValue:
    """A hash or address shown in a block-explorer link, and the chain the explorer serves."""

    start: int
    end: int
    chain: str  # "" when the explorer serves many chains


@dataclass(frozen=True, slots=True)
class Masked:
    text: str  # same length as the original; masked spans are spaces
    explorer: tuple[ExplorerValue, ...]

    def explorer_chain(self, start: int, end: int) -> str | None:
        """The explorer's chain when [start, end) sits in an explorer link, else None."""
        for value in self.explorer:
            if value.start <= start and end <= value.end:
                return value.chain
        return None


def _explorer_chain(url: str) -> str | None:
    lowered = url.lower()
    for marker, chain in EXPLORER_CHAINS:
        if marker in lowered:
            return chain
    return None


def _explorer_values(url: str, offset: int) -> list[ExplorerValue]:
    """The value segments of a link: after /tx/, /address/ … on any host; chain from known hosts."""
    chain = _explorer_chain(url)
    values: list[ExplorerValue] = []
    parts = list(re.finditer(r"[^/#?&=]+", url))
    segment = _VALUE_SEGMENT if chain is not None else _TX_SEGMENT
    for index, part in enumerate(parts[:-1]):
        if segment.match(part.group(0)):
            nxt = parts[index + 1]
            values.append(ExplorerValue(offset + nxt.start(), offset + nxt.end(), chain or ""))
    if not values and chain is not None:
        # Explorers that put the value straight after the host (e.g. mempool.space/tx is usual,
        # but some link /<hash>): the last path segment is the value.
        last = parts[-1]
        if len(last.group(0)) >= 26:
            values.append(ExplorerValue(offset + last.start(), offset + last.end(), chain))
    return values


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def _base64_blocks(text: str) -> list[tuple[int, int]]:
    """Runs of two or more long base64-looking lines (attachments, armour pasted as text)."""
    spans: list[tuple[int, int]] = []
    lines = list(_B64_LINE.finditer(text))
    run: list[re.Match[str]] = []

    def close() -> None:
        if len(run) >= 2 and any(ch in m.group(0) for m in run for ch in "+/"):
            spans.append((run[0].start(), run[-1].end()))

    for m in lines:
        if run and text[run[-1].end() : m.start()] != "\n":
            close()
            run = []
        run.append(m)
    close()
    return spans


def mask(text: str) -> Masked:
    chars = list(text)
    explorer: list[ExplorerValue] = []
    for pattern in (_PGP, _PGP_SIGNED_HEADER, _DATA_URI, _LONG_TOKEN):
        for m in pattern.finditer(text):
            _blank(chars, m.start(), m.end())
    for start, end in _base64_blocks(text):
        _blank(chars, start, end)
    for m in _MESSAGE_ID.finditer(text):
        _blank(chars, m.start(), m.end())
    # A URL has its `://` or starts with `www.`: most texts have neither.
    urls = _URL.finditer(text) if "://" in text or may_hold(text, ("www.",)) else ()
    for m in urls:
        url = m.group(0).rstrip(".,;:!?")
        keep = _explorer_values(url, m.start())
        _blank(chars, m.start(), m.start() + len(url))
        for value in keep:
            chars[value.start : value.end] = text[value.start : value.end]
        explorer.extend(keep)
    masked = "".join(chars)
    if "@" in masked:  # the pattern would be tried at every word
        for m in _EMAIL.finditer(masked):
            _blank(chars, m.start(), m.end())
    return Masked("".join(chars), tuple(explorer))


# Characters outside ASCII that `re.IGNORECASE` equates with an ASCII letter (found by
# trying every code point; a test checks the table against `re` itself).
_ASCII_FOLDS = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}


def _case_variants(head: str) -> list[str] | None:
    """Every character that `head` matches under `re.IGNORECASE`, or None when that is not known here."""
    if head.isascii():
        return sorted({head.lower(), head.upper(), *_ASCII_FOLDS.get(head.lower(), "")})
    if head.lower() == head == head.upper():
        return [head]  # Chinese, punctuation: no case
    return None


def cue_pattern(words: tuple[str, ...] | list[str]) -> re.Pattern[str]:
    """One case-insensitive pattern for literal cue words; a space matches any spacing.

    ASCII words match at word boundaries only, so `tx` does not match inside `trx`; an
    English plural `s` is allowed. Where several words match at one place, the longest
    does.
    """
    bounded: dict[str, list[str]] = {}
    free: dict[str, list[str]] = {}
    for word in sorted(words, key=len, reverse=True):
        head, rest = word[0], word[1:]
        pieces = rest.split(" ")
        body = r"\s*".join(re.escape(piece) for piece in pieces)
        if word[-1:].isascii() and word[-1:].isalpha():
            body += r"s?(?![A-Za-z0-9])"  # "order IDs", "backup codes"
        elif word[-1:].isascii() and word[-1:].isalnum():
            body += r"(?![A-Za-z0-9])"
        group = bounded if head.isascii() and head.isalnum() else free
        group.setdefault(head.lower(), []).append(body)

    # These patterns scan every mail's whole text, so they are shaped for `re`: words are
    # grouped by their first character (one comparison per group, not per word; within a
    # group the longest comes first, as in a plain list of words), and every alternative
    # starts with one literal character, spelled out in each case it may take. Then `re`
    # knows the characters a match can start with and skips the rest of the text in C,
    # instead of trying the whole pattern at every position: two to five times faster than
    # one case-insensitive pattern, with the same matches. The word-start check runs only
    # where such a character is found. A first character whose case variants are not known
    # here (a cased letter outside ASCII) is matched case-insensitively, which is right but
    # turns the skipping off.
    alternatives: list[str] = []
    for groups, boundary in ((bounded, True), (free, False)):
        for head, bodies in groups.items():
            rest = "|".join(bodies)
            variants = _case_variants(head)
            for first in [re.escape(c) for c in variants] if variants else [f"(?i:{re.escape(head)})"]:
                check = f"(?<![A-Za-z0-9]{first})" if boundary else ""
                alternatives.append(f"{first}(?i:{check}(?:{rest}))")
    return re.compile("|".join(alternatives))


# A cue word after "with", "using", "via", "by" (用, 使用, 通过) names the tool of an action, not
# the value: in "the tx I signed with my private key: 0x…" the value is the transaction, and
# the key only signed it. The tool is passed over when the same clause names something before
# it ("the tx"); alone ("I signed with my private key: 0x…") it still names the value.
_TOOL = re.compile(
    r"(?:(?<![A-Za-z])(?:with|using|via|by)\s+(?:(?:my|the|a|an|our|your|his|her|their|this|that)\s+)?(?:own\s+)?"
    r"|(?:用|使用|通过|通過)(?:我的|我|的)?)\Z",
    re.I,
)
_TOOL_WORDS = ("with", "using", "via", "by", "用", "通过", "通過")  # a cheap look before the pattern
_CLAUSE_END = re.compile(r"[.!?](?:\s|$)|[。！？；;\n]")


def _after_a_tool_word(text: str, at: int) -> bool:
    head = text[max(0, at - 24) : at].lower()
    return any(word in head for word in _TOOL_WORDS) and _TOOL.search(text, max(0, at - 24), at) is not None


def _past_the_tool(
    text: str, start: int, cues: dict[str, re.Pattern[str]], window_start: int, best: tuple[int, int, str]
) -> tuple[int, int, str]:
    """The closest cue before `start` that is not a tool of an earlier cue in its clause (rare: read slowly)."""
    hits = sorted(
        ((start - hit.end(), -len(hit.group(0)), name, hit.start(), hit.end())
         for name, pattern in cues.items() for hit in pattern.finditer(text, window_start, start)),
        key=lambda h: h[:2],
    )  # fmt: skip
    for distance, negative_length, name, at, _ in hits:
        if _after_a_tool_word(text, at) and any(
            end <= at and _CLAUSE_END.search(text, end, at) is None for *_, end in hits
        ):
            continue
        return distance, negative_length, name
    return best


def nearest_cue(
    text: str,
    start: int,
    cues: dict[str, re.Pattern[str]],
    *,
    before: int = 80,
    after: int = 0,
    end: int | None = None,
) -> str | None:
    """The name of the cue closest to the value at [start, end), looking `before`/`after` chars.

    A cue before the value that only names the tool of an action told about an earlier cue
    of the same clause (`_TOOL`) is passed over: the earlier one says what the value is.
    """
    # Closest first; at equal distance the longer cue wins ("api key" over "key").
    window_start = max(0, start - before)
    best: tuple[int, int, str] | None = None
    at = 0
    for name, pattern in cues.items():
        for hit in pattern.finditer(text, window_start, start):
            rank = (start - hit.end(), -len(hit.group(0)))
            if best is None or rank < best[:2]:
                best, at = (*rank, name), hit.start()
    if best is not None and _after_a_tool_word(text, at):
        best = _past_the_tool(text, start, cues, window_start, best)
    if after and end is not None:
        for name, pattern in cues.items():
            m = pattern.search(text, end, min(len(text), end + after))
            if m:
                rank = (m.start() - end, -len(m.group(0)))
                if best is None or rank < best[:2]:
                    best = (*rank, name)
    return best[2] if best else None


def as_masked(text: Masked | str) -> Masked:
    """Extractors take a masked text; a plain string is masked here (tests, one-off calls)."""
    return text if isinstance(text, Masked) else mask(text)
