"""The words a list of patterns starts with, as one pattern that finds where to try them. Pure.

Used by `AnyOf.found` (`inboxd.patterns`) for the patterns that start with `\\b` and a word
character: a search for their first words finds the few places worth trying the whole patterns at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from inboxd.pattern_shapes import Opaque, item_chars, rank, sre, sre_parse

# -- the words a pattern starts with: where to look before searching ------------------------------
#
# A pattern that starts with `\\b` is read in three steps: its first characters, up to the first part
# that is not a short list of characters (`.{0,60}`, `\\S{4,200}`), as sets of characters (`is this`:
# {i,I,İ,ı} {s,S,ſ} { } {t,T} …); one pattern of these prefixes for the whole list, shaped as a tree
# so that `re` gives up at the first character that no prefix has there; and the whole patterns, tried
# only where that one found a prefix. A prefix holds every character `re` matches there (the case
# variants of `_variants`), so the whole pattern cannot match where its prefix does not.

_Prefix = tuple[frozenset[str], ...]
_MAX_PREFIXES = 256  # of one pattern; past this many the prefix stops where it is
_PREFIX_CHARS = 8  # characters of a prefix: enough to give up on ordinary words


def _cross(heads: list[_Prefix], tails: list[_Prefix]) -> list[_Prefix] | None:
    if len(heads) * len(tails) > _MAX_PREFIXES:
        return None
    return [head + tail for head in heads for tail in tails]


def _item_prefixes(op: Any, av: Any, flags: int) -> list[_Prefix] | None:
    """Every text the item can match, as sets of characters; None: too many, or not known here."""
    if op is sre.AT or op in (sre.ASSERT, sre.ASSERT_NOT):
        return [()]  # zero-width
    if op in (sre.LITERAL, sre.IN):
        chars, _ = item_chars(op, av, flags)
        return [(frozenset(chars),)]
    if op is sre.BRANCH:
        found: list[_Prefix] = []
        for alternative in av[1]:
            some = _prefixes(alternative, flags, whole=True)
            if some is None:
                return None
            found.extend(some)
        return found if len(found) <= _MAX_PREFIXES else None
    if op is sre.SUBPATTERN:
        return _prefixes(av[3], (flags | av[1]) & ~av[2], whole=True)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[1] <= 2:
        low, high, inner = av
        once = _prefixes(inner, flags, whole=True)
        if once is None:
            return None
        found = [()] if low == 0 else []
        times: list[_Prefix] = [()]
        for count in range(1, high + 1):
            crossed = _cross(times, once)
            if crossed is None:
                return None
            times = crossed
            if count >= low:
                found.extend(times)
        return found if len(found) <= _MAX_PREFIXES else None
    return None


def _item_starts(op: Any, av: Any, flags: int) -> list[_Prefix] | None:
    """The texts every match of the item starts with (a group or a branch that is not a short list)."""
    if op is sre.BRANCH:
        found: list[_Prefix] = []
        for alternative in av[1]:
            found.extend(_prefixes(alternative, flags) or [()])
        return found if len(found) <= _MAX_PREFIXES else None
    if op is sre.SUBPATTERN:
        return _prefixes(av[3], (flags | av[1]) & ~av[2])
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _prefixes(av[2], flags)
    return None


def _prefixes(items: Any, flags: int, whole: bool = False) -> list[_Prefix] | None:
    """The texts a match of `items` starts with (with `whole`: the texts it is, or None)."""
    found: list[_Prefix] = [()]
    for op, av in items.data:
        try:
            some = _item_prefixes(op, av, flags)
        except Opaque:
            some = None
        crossed = None if some is None else _cross(found, some)
        if crossed is None:
            if whole:
                return None
            # The prefix ends in this item: with how a match of it starts, when that is known.
            try:
                starts = _item_starts(op, av, flags)
            except Opaque:
                starts = None
            crossed = None if starts is None else _cross(found, starts)
            return found if crossed is None else crossed
        found = crossed
        if not whole and min(len(prefix) for prefix in found) >= _PREFIX_CHARS:
            break
    return found


def _tree(prefixes: Sequence[_Prefix]) -> str:
    """The prefixes as one pattern, shaped as a tree: `is th(?:is|at)…`; a prefix that ends where
    another goes on ends the branch (matching the shorter one is enough)."""
    if any(not prefix for prefix in prefixes):
        return ""
    by_first: dict[frozenset[str], list[_Prefix]] = {}
    for prefix in prefixes:
        by_first.setdefault(prefix[0], []).append(prefix[1:])
    alternatives = []
    for chars, tails in by_first.items():
        head = re.escape(next(iter(chars))) if len(chars) == 1 else f"[{''.join(map(re.escape, sorted(chars)))}]"
        alternatives.append(head + _tree(tails))
    return alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"


# Word characters that `re` reads as such quickly (ranges, not the Unicode category each time): the
# search for first words starts after any other character, and the whole patterns are tried only
# after a real non-word character. The CJK ideographs are all assigned since Unicode 14 (Python 3.11;
# a test checks that each is a word character).
_SURELY_WORD = "0-9A-Za-z\u4e00-\u9fff"


def word_starts(patterns: Sequence[re.Pattern[str]]) -> re.Pattern[str] | None:
    """Where any of `patterns` (each starting with `\\b` and a word character) may match: a character
    that is not a word character, followed by the start of one of them; None when a pattern's
    start is not known here. Each first character is its own alternative (see `_combined`)."""
    by_char: dict[str, list[_Prefix]] = {}
    for pattern in patterns:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
        prefixes = _prefixes(tree, tree.state.flags)
        if not prefixes or any(not prefix for prefix in prefixes):
            return None
        for prefix in prefixes:
            for char in prefix[0]:
                by_char.setdefault(char, []).append(prefix[1:])
    alternatives = [re.escape(char) + _tree(by_char[char]) for char in sorted(by_char, key=rank)]
    # One class of every first character, before the alternatives: after most spaces the next letter
    # starts none of them, and `re` tries a branch's alternatives one by one (~40 for a cue list).
    firsts = "".join(map(re.escape, sorted(by_char)))
    return re.compile(rf"[^{_SURELY_WORD}](?=[{firsts}])(?=(?:{'|'.join(alternatives)}))")
