"""What the secret detectors share: the kinds and their markers, and two span helpers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

KINDS = ("seed_phrase", "private_key", "password", "backup_code")
PLACEHOLDER = {
    "seed_phrase": "[REDACTED SEED PHRASE]",
    "private_key": "[REDACTED PRIVATE KEY]",
    "password": "[REDACTED PASSWORD]",
    "backup_code": "[REDACTED 2FA CODE]",
}
PLACEHOLDER_START = "[REDACTED "
PLACEHOLDERS = tuple(PLACEHOLDER.values())

# The last text lower-cased, and it: `find_secrets` runs every detector over one text in turn,
# and three of them read it lower-cased (a long thread's copy cost as much as a detector's scan).
_last_lowered: list[tuple[str, str]] = [("", "")]


def lowered(text: str) -> str:
    """`text.lower()`, made once for the text the detectors are reading (the same object)."""
    last = _last_lowered[0]
    if last[0] is text:
        return last[1]
    low = text.lower()
    _last_lowered[0] = (text, low)  # one tuple, swapped whole
    return low


def cue_heads(cues: tuple[str, ...]) -> tuple[str, ...]:
    """What every match of `extract.context.cue_pattern(cues)` starts with, lower-cased: a cue's
    first word, or (Chinese) its first character; none of them the start of another."""
    heads = {cue.split(" ")[0].lower() if cue[0].isascii() else cue[0] for cue in cues}
    return tuple(sorted(h for h in heads if not any(o != h and h.startswith(o) for o in heads)))


# `re.I` reads "ſ" as "s" and "ı", "İ" as "i", which `lower()` does not (and "İ" lowers to two
# characters): a text holding one is scanned whole. The Kelvin sign, also "k" to `re.I`, lowers to "k".
_FOLDED_APART = ("\u017f", "\u0131", "\u0130")


def cues_found(pattern: re.Pattern[str], heads: tuple[str, ...], text: str) -> list[re.Match[str]]:
    """What `pattern.finditer(text)` gives, for a cue pattern whose matches start with one of
    `heads` (`cue_heads`): tried only where a head is in the lower-cased text (found with
    `str.find`), where the pattern tried its alternatives at every "a", "b", "s" … of the text."""
    if any(c in text for c in _FOLDED_APART):
        return list(pattern.finditer(text))
    lower = lowered(text)
    starts: list[int] = []
    for head in heads:
        at = lower.find(head)
        while at >= 0:
            starts.append(at)
            at = lower.find(head, at + 1)
    return list(matches_at(pattern, text, starts)) if starts else []


def overlaps_merged(windows: list[tuple[int, int]]) -> list[list[int]]:
    """Windows sorted, each overlapping run of them as one [start, end]."""
    merged: list[list[int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def matches_at(pattern: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """What `pattern.finditer(text)` gives, when every match starts at one of `starts`.

    Tried in order and never inside a match already found, as finditer does.
    """
    last_end = 0
    for start in sorted(set(starts)):
        if start < last_end:
            continue
        m = pattern.match(text, start)
        if m:
            last_end = m.end()
            yield m
