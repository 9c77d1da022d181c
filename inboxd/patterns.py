"""Several regular expressions searched in one pass over a text, with the answers of one search each. Pure.

An operator's cue list (`classifiers/phishing.toml`) is tens of case-insensitive patterns, most of
them starting with `\\b`, `^` or a group. `re` cannot tell which characters such a pattern starts
with, so `search` tries it at every position of the text, and a list of 27 is 27 such passes over
every mail. Here the characters each pattern can start with are read from its parse tree, and the
list becomes one pattern whose every alternative starts with one literal character, from where
the patterns that can start with it are tried in a look-ahead:

    i(?<!\\w.)(?<=(?=(?:<patterns starting with \\b and i>)).)|I(?<!\\w.)(?<=…)|是(?<=(?=(?:…)).)|…

`re` then skips in C to the next character that any pattern can start with (as the cue words of
`inboxd.extract` do), a mid-word position is passed over by one look-behind when the pattern
starts with `\\b`, and a pattern anchored at line starts (`^` under MULTILINE) is tried only after
a newline. A pattern that can start with too many characters (`.`, `\\s*`, `\\w`, a negated class, a
cased letter outside ASCII) or that refers back to a group by number is searched on its own, as
before: the same answers, only slower. Depends on the parse tree of `re` (`re._parser`), read
once per list; should that ever fail, every pattern is searched on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

sre: Any
sre_parse: Any
try:  # the parser of `re`: private, the same since Python 3.11, only read here
    from re import _constants as sre  # type: ignore[attr-defined,no-redef]
    from re import _parser as sre_parse  # type: ignore[attr-defined,no-redef]
except ImportError:  # pragma: no cover - another Python: every pattern is searched on its own
    sre = sre_parse = None

_LINE = "\n"  # the trigger of a pattern anchored at line starts: the newline before the line
_MAX_RANGE = 64  # a class range wider than this counts as "too many characters"
# Beyond their own upper and lower case, the ASCII letters that `re.IGNORECASE` matches with a
# non-ASCII letter (the `re` documentation names these four; a test checks every code point).
_ASCII_FOLDS = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}
_SCOPED_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s"}
_WORD = re.compile(r"\w")


class _Opaque(Exception):
    """A pattern whose first characters are not known here."""


def _variants(char: int, flags: int) -> set[str]:
    """Every character that the literal `char` matches under `flags`."""
    c = chr(char)
    if not flags & re.IGNORECASE:
        return {c}
    if c.isascii():
        return {c.lower(), c.upper(), *_ASCII_FOLDS.get(c.lower(), "")}
    if c.lower() == c == c.upper():
        return {c}  # no case (Chinese, punctuation): `re` compares it as it is
    raise _Opaque


def _item(op: Any, av: Any, flags: int) -> tuple[set[str], bool]:
    """(the characters the item can start with, whether it can match the empty text)."""
    if op is sre.LITERAL:
        return _variants(av, flags), False
    if op is sre.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is sre.LITERAL:
                chars |= _variants(value, flags)
            elif kind is sre.RANGE and value[1] - value[0] <= _MAX_RANGE:
                for code in range(value[0], value[1] + 1):
                    chars |= _variants(code, flags)
            else:  # a negated class, a category (\w, \s, \d), a wide range
                raise _Opaque
        return chars, False
    if op is sre.BRANCH:
        chars, empty = set(), False
        for alternative in av[1]:
            first, nullable = _first(alternative, flags)
            chars |= first
            empty = empty or nullable
        return chars, empty
    if op is sre.SUBPATTERN:
        _, add, remove, inner = av
        return _first(inner, (flags | add) & ~remove)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _, inner = av
        first, nullable = _first(inner, flags)
        return first, nullable or low == 0
    if op is sre.ATOMIC_GROUP:
        return _first(av, flags)
    raise _Opaque  # `.`, a negated literal, a back reference, a conditional group


def _first(items: Any, flags: int) -> tuple[set[str], bool]:
    chars: set[str] = set()
    for op, av in items.data:
        if op is sre.AT or op in (sre.ASSERT, sre.ASSERT_NOT):
            continue  # zero-width: the characters after it are where a match starts
        first, nullable = _item(op, av, flags)
        chars |= first
        if not nullable:
            return chars, False
    return chars, True


def _line_anchored(items: Any, flags: int) -> bool:
    """Every match starts with `^` under MULTILINE: only at the text's start or after a newline."""
    data = items.data
    if not data:
        return False
    op, av = data[0]
    if op is sre.AT:
        return bool(av is sre.AT_BEGINNING and flags & re.MULTILINE)
    if op is sre.BRANCH:
        return all(_line_anchored(alternative, flags) for alternative in av[1])
    if op is sre.SUBPATTERN:
        return _line_anchored(av[3], (flags | av[1]) & ~av[2])
    return False


def _has_reference(value: object) -> bool:
    """A back reference by number would refer to another group once the patterns are one."""
    if isinstance(value, sre_parse.SubPattern):
        return any(op in (sre.GROUPREF, sre.GROUPREF_EXISTS) or _has_reference(av) for op, av in value.data)
    if isinstance(value, (list, tuple)):
        return any(_has_reference(item) for item in value)
    return False


@dataclass(frozen=True, slots=True)
class _Shape:
    scoped: str  # the pattern with its flags in a group: `(?i:…)`
    chars: frozenset[str]  # what it can start with; empty when anchored at line starts
    bounded: bool  # starts with \b and only with word characters: the character before is not one


def _shape(pattern: re.Pattern[str]) -> _Shape:
    if sre_parse is None or pattern.flags & ~(re.IGNORECASE | re.MULTILINE | re.DOTALL | re.UNICODE):
        raise _Opaque
    tree = sre_parse.parse(pattern.pattern, pattern.flags)
    flags = tree.state.flags
    if _has_reference(tree):
        raise _Opaque
    letters = "".join(letter for flag, letter in _SCOPED_FLAGS.items() if flags & flag)
    scoped = f"(?{letters}:{pattern.pattern})" if letters else f"(?:{pattern.pattern})"
    re.compile(scoped)  # a global flag inside the text (`(?i)` not at its start) cannot be scoped
    if _line_anchored(tree, flags):
        return _Shape(scoped, frozenset(), False)
    chars, nullable = _first(tree, flags)
    if nullable or not chars:
        raise _Opaque
    first = tree.data[0] if tree.data else None
    bounded = bool(first and first == (sre.AT, sre.AT_BOUNDARY)) and all(_WORD.match(c) for c in chars)
    return _Shape(scoped, frozenset(chars), bounded)


# `re` tries the alternatives of a branch one after the other: the letters most often met first.
_FREQUENT = "etaoinshrdlcumwfgypbvkjxqz"


def _rank(char: str) -> tuple[int, int, str]:
    if char.isascii() and char.lower() in _FREQUENT:
        return (0 if char.islower() else 1, _FREQUENT.index(char.lower()), char)
    return (2, 0, char)


def _combined(shapes: Sequence[tuple[int, _Shape]]) -> re.Pattern[str]:
    """One pattern for all: an alternative per first character (see the module's docstring).
    Each pattern sits in a look-ahead; the group `_l` marks a match anchored at a line start."""
    line = [shape.scoped for _, shape in shapes if not shape.chars]
    by_char: dict[str, tuple[list[str], list[str]]] = {}
    for _, shape in shapes:
        for char in sorted(shape.chars):
            by_char.setdefault(char, ([], []))[0 if shape.bounded else 1].append(shape.scoped)
    if line:
        by_char.setdefault(_LINE, ([], []))
    alternatives = []
    for char in sorted(by_char, key=_rank):
        bounded, free = by_char[char]
        literal = re.escape(char)
        tries = []
        if bounded:
            tries.append(rf"(?<!\w.)(?<=(?=(?:{'|'.join(bounded)}))(?s:.))")
        if free:
            tries.append(rf"(?<=(?=(?:{'|'.join(free)}))(?s:.))")
        if char == _LINE and line:
            tries.append(rf"(?=(?P<_l>)(?:{'|'.join(line)}))")
        alternatives.append(literal + (tries[0] if len(tries) == 1 else f"(?:{'|'.join(tries)})"))
    return re.compile("|".join(alternatives))


class AnyOf:
    """A list of patterns searched as one: `found` (does any match?) and `first` (which matches first?)."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]):
        self.patterns = tuple(patterns)
        shapes: list[tuple[int, _Shape]] = []
        alone: list[re.Pattern[str]] = []
        for index, pattern in enumerate(self.patterns):
            try:
                shapes.append((index, _shape(pattern)))
            except (_Opaque, re.error, RecursionError, TypeError, AttributeError, ValueError):
                alone.append(pattern)
        self.combined: re.Pattern[str] | None = None
        self._line = any(not shape.chars for _, shape in shapes)
        if shapes:
            try:
                self.combined = _combined(shapes)
            except (re.error, RecursionError, OverflowError):  # e.g. one group name in two patterns
                alone = list(self.patterns)
                self._line = False
        self.alone = tuple(alone)

    def found(self, text: str) -> bool:
        """Whether any of the patterns matches in `text` (as `any(p.search(text) for p in patterns)`)."""
        combined = self.combined
        if combined is not None and (combined.search(text) or (self._line and self._at_start(text))):
            return True
        return any(pattern.search(text) for pattern in self.alone)

    def first(self, text: str) -> tuple[int, int] | None:
        """(start, index) of the match that starts first, the earlier pattern where two start at the
        same place, as `min((p.search(text).start(), i) for i, p in enumerate(patterns) if …)`."""
        starts: list[int] = []
        if self.combined is not None:
            if self._line and self._at_start(text):
                starts.append(0)
            else:
                found = self.combined.search(text)
                if found:
                    line = self._line and found.group("_l") is not None
                    starts.append(found.end() if line else found.start())
        starts.extend(m.start() for m in (p.search(text) for p in self.alone) if m)
        if not starts:
            return None
        start = min(starts)
        index = next(i for i, pattern in enumerate(self.patterns) if pattern.match(text, start))
        return start, index

    def _at_start(self, text: str) -> bool:
        return any(pattern.match(text) for pattern in self.patterns)
