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
