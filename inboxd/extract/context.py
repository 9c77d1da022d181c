"""What the extractors must not read, and the words around a value.

`mask` blanks the parts of a text that look like facts but are not: URLs (except the
hash or address in a block-explorer link), Message-IDs, e-mail addresses, PGP armour
and base64 blobs. Blanking keeps every other character at its place, so positions in
the masked text are positions in the original. `nearest_cue` decides between
competing readings of a value by the closest cue word before it.
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
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?")
        keep = _explorer_values(url, m.start())
        _blank(chars, m.start(), m.start() + len(url))
        for value in keep:
            chars[value.start : value.end] = text[value.start : value.end]
        explorer.extend(keep)
    masked = "".join(chars)
    for m in _EMAIL.finditer(masked):
        _blank(chars, m.start(), m.end())
    return Masked("".join(chars), tuple(explorer))


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

    # These patterns scan every mail's whole text, so they are shaped for `re`: the
    # word-start check stands once before all the ASCII words (one look-behind per
    # position, not one per word), and words are grouped by their first letter (one
    # comparison per group, not per word). Within a group the longest comes first, as
    # in a plain list of words: the same matches, five to eight times faster.
    def grouped(groups: dict[str, list[str]]) -> str:
        return "|".join(f"{re.escape(head)}(?:{'|'.join(bodies)})" for head, bodies in groups.items())

    parts = [rf"(?<![A-Za-z0-9])(?:{grouped(bounded)})"] if bounded else []
    if free:
        parts.append(grouped(free))
    return re.compile("|".join(parts), re.I)


def nearest_cue(
    text: str,
    start: int,
    cues: dict[str, re.Pattern[str]],
    *,
    before: int = 80,
    after: int = 0,
    end: int | None = None,
) -> str | None:
    """The name of the cue closest to the value at [start, end), looking `before`/`after` chars."""
    # Closest first; at equal distance the longer cue wins ("api key" over "key").
    best: tuple[int, int, str] | None = None
    window_start = max(0, start - before)
    for name, pattern in cues.items():
        for hit in pattern.finditer(text, window_start, start):
            rank = (start - hit.end(), -len(hit.group(0)))
            if best is None or rank < best[:2]:
                best = (*rank, name)
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
