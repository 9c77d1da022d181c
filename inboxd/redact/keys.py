"""Private keys: 64 hex the text calls a key, WIF and BIP-32 extended private keys, Solana keys.

64 hex (with or without `0x`) that the text calls a key, WIF keys and BIP-32 extended
private keys (base58check verified), Solana 64-byte keys after a cue; 64 hex or a WIF key
also in pieces (groups of four, two lines, two halves). A key word that only names the
tool ("the tx I signed with my private key: 0x…") does not make the value a key:
`extract.context.nearest_cue`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from inboxd.extract.checksums import BASE58_ALPHABET, base58_length, extended_private_key_valid, wif_valid
from inboxd.extract.context import cue_pattern, nearest_cue
from inboxd.extract.hashes import KEY_CUES, OTHER_CUES, TX_CUES
from inboxd.redact.common import matches_at, overlaps_merged

_HEX_KEY = re.compile(r"(?<![0-9A-Za-z/=])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
_WIF = re.compile(rf"(?<![0-9A-Za-z])[5KL9c][{BASE58_ALPHABET}]{{50,51}}(?![0-9A-Za-z])")
_XPRV = re.compile(rf"(?<![0-9A-Za-z])[xyzt]prv[{BASE58_ALPHABET}]{{100,112}}(?![0-9A-Za-z])")
_BASE58_KEY = re.compile(rf"(?<![0-9A-Za-z/=])[{BASE58_ALPHABET}]{{80,90}}(?![0-9A-Za-z])")
_BYTE_ARRAY_KEY = re.compile(r"\[\s*(?:\d{1,3}\s*,\s*){31,63}\d{1,3}\s*\]")  # Solana keypair files
_KEY_VS_OTHER = {
    "key": cue_pattern(KEY_CUES),
    "tx": cue_pattern(TX_CUES),
    "other": cue_pattern(OTHER_CUES),
}


# Every key cue holds one of these (lower-cased; the Kelvin sign that `re.I` reads as "k"
# lowers to "k" too): where none is near, no cue can call the value a key, and the cue
# patterns need not run. A quoted acknowledgement's transaction hash is checked at every mail.
_KEY_CUE_CORES = ("key", "钥", "鑰")  # a test checks that each of KEY_CUES holds one


def _called_a_key(text: str, start: int, end: int) -> bool:
    near = text[max(0, start - 100) : end + 40].lower()
    if not any(core in near for core in _KEY_CUE_CORES):
        return False
    return nearest_cue(text, start, _KEY_VS_OTHER, before=100, after=40, end=end) == "key"


# Every key above but the byte array is a whole run of letters and digits, at least 51 long:
# the patterns are tried only where such a run starts (scanning a text with each cost more).
# Runs from 16 on are read too: they may be a piece of a key written in pieces (below).
_RUN = re.compile(r"[0-9A-Za-z]{16,}")
# The same runs after the character before them: led by a class, which `re` skips to in C, and
# a word shorter than 16 is read once, not once from each of its letters (0.042 -> 0.033 ms a mail).
_RUN_AFTER = re.compile(r"[^0-9A-Za-z](?P<run>[0-9A-Za-z]{16,})")
_LONG_RUN = 51


def _runs(text: str) -> list[tuple[int, int]]:
    """The spans of `_RUN.finditer(text)`: every run of 16 letters and digits or more, whole."""
    first = _RUN.match(text)
    spans = [first.span()] if first else []
    spans.extend(m.span("run") for m in _RUN_AFTER.finditer(text))
    return spans


# A key written in pieces: 64 hex in groups of four or eight, or over two lines (a client
# wrapped it, a phone copied half at a time); a WIF key in two parts. A piece is a run of at
# least 4 letters and digits; pieces are joined by one space, tab or dash, or by a line break
# (with the indentation and quote markers of the next line). The same rules as for a key in
# one piece decide: 64 hex must be called a key, a WIF key must pass its checksum. Pieces are
# looked for only around a piece of 16 or more (a key in at most four pieces has one) and
# around groups of four hex: searching every text for pieces cost 0.12 ms a mail.
_PIECE = re.compile(r"[0-9A-Za-z]+")
_PIECE_GAP = r"(?:[ \t-]|[ \t]*\r?\n[ \t>]*)"
_GAP_CHARS = frozenset(" \t-\r\n>")
_HEX_PIECES = re.compile(
    rf"(?<![0-9A-Za-z])(?:0[xX])?[0-9a-fA-F]{{4,}}(?:{_PIECE_GAP}[0-9a-fA-F]{{4,}}(?![0-9A-Za-z]))+"
)
_BASE58_PIECES = re.compile(
    rf"(?<![0-9A-Za-z])[{BASE58_ALPHABET}]{{4,}}(?:{_PIECE_GAP}[{BASE58_ALPHABET}]{{4,}}(?![0-9A-Za-z]))+"
)
_HEX_DIGITS = re.compile(r"(?:0[xX])?(?P<digits>[0-9a-fA-F]+)")
_BASE58_DIGITS = re.compile(rf"[{BASE58_ALPHABET}]+")
_HEX_GROUPS = (  # a literal first character: `re` skips to it in C
    re.compile(r" (?:[0-9a-fA-F]{4}){1,2} [0-9a-fA-F]{4}"),
    re.compile(r"-(?:[0-9a-fA-F]{4}){1,2}-[0-9a-fA-F]{4}"),
)
# How far from where it was seen a key in pieces may reach: 64 hex in 16 groups with their
# gaps are 79 characters, a WIF key in parts at most 52 and a few gaps.
_HEX_REACH = 90
_WIF_REACH = 60


def _merged(windows: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Overlapping windows as one, each widened to whole words (a piece is never cut in two)."""
    if not windows:
        return []
    merged = overlaps_merged(windows)
    for window in merged:
        window[0] = max(0, window[0])
        while window[1] < len(text) and text[window[1]].isascii() and text[window[1]].isalnum():
            window[1] += 1
    return [(start, end) for start, end in merged]


def _piece_windows(text: str, runs: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Where 64 hex, and where a WIF key, may be written in pieces: around a run that touches a
    gap (hex shorter than 64, base58 shorter than a WIF key), and around groups of four hex."""
    hexes: list[tuple[int, int]] = []
    wifs: list[tuple[int, int]] = []
    for start, end in runs:
        if text[start - 1 : start] not in _GAP_CHARS and text[end : end + 1] not in _GAP_CHARS:
            continue
        value = text[start:end]
        if end - start < 64 and _HEX_DIGITS.fullmatch(value):
            hexes.append((start - _HEX_REACH, end + _HEX_REACH))
        if end - start <= 48 and _BASE58_DIGITS.fullmatch(value):
            wifs.append((start - _WIF_REACH, end + _WIF_REACH))
    for pattern in _HEX_GROUPS:
        hexes.extend((m.start() - _HEX_REACH, m.end() + _HEX_REACH) for m in pattern.finditer(text))
    return _merged(hexes, text), _merged(wifs, text)


def _joined_to(lengths: list[int], valid: list[bool], first: int, first_length: int, wanted: tuple[int, ...]) -> int:
    """The last piece of a run from piece `first` (counting `first_length` for it) whose length is
    one of `wanted`, all its other pieces `valid`; -1 if none.

    Pieces are at least 4 long, so a key spans at most 16: a pasted hex dump of thousands of
    groups costs a short walk from each, not a walk to its end.
    """
    for total in wanted:
        rest = total - first_length
        j = first
        sums = 0
        while rest > sums and j + 1 < len(lengths) and valid[j + 1] and j - first < 16:
            j += 1
            sums += lengths[j]
        if j > first and sums == rest:
            return j
    return -1


def _keys_in_pieces(text: str, group: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Spans of two or more pieces that join into a key: 64 hex the text calls a key, or a valid WIF."""
    values = [text[s:e] for s, e in group]
    lengths = [len(v) for v in values]
    hexes = [_HEX_DIGITS.fullmatch(v) for v in values]
    plain_hex = [h is not None and h.start("digits") == 0 for h in hexes]  # 0x only on the first piece
    base58 = [_BASE58_DIGITS.fullmatch(v) is not None for v in values]
    for i, h in enumerate(hexes):
        if h is not None:
            j = _joined_to(lengths, plain_hex, i, len(h.group("digits")), (64,))
            if j > i and _called_a_key(text, group[i][0], group[j][1]):
                yield group[i][0], group[j][1]
        if base58[i] and values[i][0] in "5KL9c":
            j = _joined_to(lengths, base58, i, lengths[i], (51, 52))
            if j > i and wif_valid("".join(values[i : j + 1])):
                yield group[i][0], group[j][1]


def key_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    if len(text) < _LONG_RUN:
        return spans  # every key, in one piece or more, is longer: a header or a name holds none
    all_runs = _runs(text)
    runs = [start for start, end in all_runs if end - start >= _LONG_RUN]
    for m in matches_at(_HEX_KEY, text, runs):
        if _called_a_key(text, m.start(), m.end()):
            spans.append(m.span())
    for m in matches_at(_WIF, text, runs):
        if wif_valid(m.group(0)) or _called_a_key(text, m.start(), m.end()):
            spans.append(m.span())
    for m in matches_at(_XPRV, text, runs):
        if extended_private_key_valid(m.group(0)) or _called_a_key(text, m.start(), m.end()):
            spans.append(m.span())
    for m in matches_at(_BASE58_KEY, text, runs):
        if base58_length(m.group(0)) in (32, 64) and _called_a_key(text, m.start(), m.end()):
            spans.append(m.span())
    for m in _BYTE_ARRAY_KEY.finditer(text):
        if all(int(n) < 256 for n in re.findall(r"\d+", m.group(0))) and _called_a_key(text, m.start(), m.end()):
            spans.append(m.span())
    hex_windows, wif_windows = _piece_windows(text, all_runs)
    for pattern, shortest, windows in ((_HEX_PIECES, 64, hex_windows), (_BASE58_PIECES, 51, wif_windows)):
        for start, end in windows:
            for m in pattern.finditer(text, start, end):
                if m.end() - m.start() >= shortest:  # pieces and gaps: a key's length at least
                    spans.extend(_keys_in_pieces(text, [p.span() for p in _PIECE.finditer(text, m.start(), m.end())]))
    return spans
