"""What a regular expression can start with, read from its parse tree (`re._parser`). Pure.

The characters each pattern of an operator list can start with (`Shape`): whether it starts at a
word boundary (`\\b`), whether it is anchored at line starts and what such a line holds first. A
pattern whose first characters are not known here raises `Opaque` and is searched on its own.
`inboxd.patterns` builds the one combined pattern of a list from these shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

sre: Any
sre_parse: Any
try:  # the parser of `re`: private, the same since Python 3.11, only read here
    from re import _constants as sre  # type: ignore[attr-defined,no-redef]
    from re import _parser as sre_parse  # type: ignore[attr-defined,no-redef]
except ImportError:  # pragma: no cover - another Python: every pattern is searched on its own
    sre = sre_parse = None


_MAX_RANGE = 64  # a class range wider than this counts as "too many characters"
# Beyond their own upper and lower case, the ASCII letters that `re.IGNORECASE` matches with a
# non-ASCII letter (the `re` documentation names these four; a test checks every code point).
_ASCII_FOLDS = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}
_SCOPED_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s"}
_WORD = re.compile(r"\w")


class Opaque(Exception):
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
    raise Opaque


def item_chars(op: Any, av: Any, flags: int) -> tuple[set[str], bool]:
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
                raise Opaque
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
    raise Opaque  # `.`, a negated literal, a back reference, a conditional group


def _first(items: Any, flags: int) -> tuple[set[str], bool]:
    chars: set[str] = set()
    for op, av in items.data:
        if op is sre.AT or op in (sre.ASSERT, sre.ASSERT_NOT):
            continue  # zero-width: the characters after it are where a match starts
        first, nullable = item_chars(op, av, flags)
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
class Shape:
    scoped: str  # the pattern with its flags in a group: `(?i:…)`
    chars: frozenset[str]  # what it can start with; empty when anchored at line starts
    bounded: bool  # starts with \b and only with word characters: the character before is not one
    # Anchored at line starts: what the line holds first after its white space (None: not known here).
    line_chars: frozenset[str] | None = None


def _spaces_only(items: Any) -> bool:
    """The item matches white space only (`\\s`, `[ \\t]`)."""
    if len(items.data) != 1:
        return False
    op, av = items.data[0]
    if op is sre.LITERAL:
        return chr(av).isspace()
    if op is sre.IN:
        return all(
            (kind is sre.CATEGORY and value is sre.CATEGORY_SPACE) or (kind is sre.LITERAL and chr(value).isspace())
            for kind, value in av
        )
    return False


def _line_chars(items: Any, flags: int) -> set[str] | None:
    """What a line-anchored match holds first after `^` and white space (`^\\s*-{3,}`: `-`); None: not known."""
    data = items.data
    if not data:
        return None
    op, av = data[0]
    if op is sre.BRANCH:
        chars: set[str] = set()
        for alternative in av[1]:
            some = _line_chars(alternative, flags)
            if some is None:
                return None
            chars |= some
        return chars
    if op is sre.SUBPATTERN:
        return _line_chars(av[3], (flags | av[1]) & ~av[2]) if len(data) == 1 else None
    if not (op is sre.AT and av is sre.AT_BEGINNING):
        return None
    return _after_spaces(data[1:], flags)


def _after_spaces(data: Any, flags: int) -> set[str] | None:
    """What a match of the items `data` holds first after optional white space; None: not known."""
    for op, av in data:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] == 0 and _spaces_only(av[2]):
            continue
        if op is sre.BRANCH:  # `^A|^B` is parsed as `^(?:A|B)`
            chars: set[str] = set()
            for alternative in av[1]:
                some = _after_spaces(alternative.data, flags)
                if some is None:
                    return None
                chars |= some
            return chars
        if op is sre.SUBPATTERN:
            return _after_spaces(av[3].data, (flags | av[1]) & ~av[2])
        try:
            first, nullable = item_chars(op, av, flags)
        except Opaque:
            return None
        return None if nullable or not first else first
    return None


def _starts_at_boundary(items: Any) -> bool:
    """Every match starts with `\\b` (in each alternative, when it starts with a group or a branch)."""
    data = items.data
    if not data:
        return False
    op, av = data[0]
    if op is sre.AT:
        return bool(av is sre.AT_BOUNDARY)
    if op is sre.BRANCH:
        return all(_starts_at_boundary(alternative) for alternative in av[1])
    if op is sre.SUBPATTERN:
        return _starts_at_boundary(av[3])
    return False


def shape_of(pattern: re.Pattern[str]) -> Shape:
    if sre_parse is None or pattern.flags & ~(re.IGNORECASE | re.MULTILINE | re.DOTALL | re.UNICODE):
        raise Opaque
    tree = sre_parse.parse(pattern.pattern, pattern.flags)
    flags = tree.state.flags
    if _has_reference(tree):
        raise Opaque
    letters = "".join(letter for flag, letter in _SCOPED_FLAGS.items() if flags & flag)
    scoped = f"(?{letters}:{pattern.pattern})" if letters else f"(?:{pattern.pattern})"
    re.compile(scoped)  # a global flag inside the text (`(?i)` not at its start) cannot be scoped
    if _line_anchored(tree, flags):
        after = _line_chars(tree, flags)
        return Shape(scoped, frozenset(), False, None if after is None else frozenset(after))
    chars, nullable = _first(tree, flags)
    if nullable or not chars:
        raise Opaque
    bounded = _starts_at_boundary(tree) and all(_WORD.match(c) for c in chars)
    return Shape(scoped, frozenset(chars), bounded)


# `re` tries the alternatives of a branch one after the other: the letters most often met first.
_FREQUENT = "etaoinshrdlcumwfgypbvkjxqz"


def rank(char: str) -> tuple[int, int, str]:
    if char.isascii() and char.lower() in _FREQUENT:
        return (0 if char.islower() else 1, _FREQUENT.index(char.lower()), char)
    return (2, 0, char)
