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

`found` (does any match?) goes further for the patterns that start with `\\b` and a word character,
most of an English cue list: such a match starts after a character that is not a word character
(a fifth of prose, where the letters a pattern can start with are most of it), and with the first
words of its pattern (`is this`, `did you send`). One search for those first words, as a tree of
their characters in every case `re` matches, finds the few places worth trying the patterns at.
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
            first, nullable = _item(op, av, flags)
        except _Opaque:
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
        after = _line_chars(tree, flags)
        return _Shape(scoped, frozenset(), False, None if after is None else frozenset(after))
    chars, nullable = _first(tree, flags)
    if nullable or not chars:
        raise _Opaque
    bounded = _starts_at_boundary(tree) and all(_WORD.match(c) for c in chars)
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
    # A line worth trying holds one of the characters such a pattern starts with, after its white space:
    # one look in the line, where most lines of a mail start with none (a mail has ~100 lines).
    starts = [shape.line_chars for _, shape in shapes if not shape.chars]
    guard = ""
    if starts and all(chars is not None for chars in starts):
        ahead = sorted(set().union(*(chars for chars in starts if chars is not None)))
        guard = rf"(?=\s*[{''.join(map(re.escape, ahead))}])"
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
            tries.append(rf"{guard}(?=(?P<_l>)(?:{'|'.join(line)}))")
        alternatives.append(literal + (tries[0] if len(tries) == 1 else f"(?:{'|'.join(tries)})"))
    return re.compile("|".join(alternatives))


def _after_a_non_word(shapes: Sequence[tuple[int, _Shape]]) -> re.Pattern[str]:
    """The patterns that start with `\\b` and a word character, tried only after a character that is
    not one (their match starts right after it): a space, a punctuation mark, a line break. Prose is
    four fifths letters, a few of which start a word: where the combined pattern tries every letter
    that a pattern can start with (and gives up mid-word after one look-behind), this one tries a fifth
    of the positions. Only for `found`: a match's start is one character off."""
    by_char: dict[str, list[str]] = {}
    for _, shape in shapes:
        for char in sorted(shape.chars):
            by_char.setdefault(char, []).append(shape.scoped)
    alternatives = [
        rf"{re.escape(char)}(?<=(?=(?:{'|'.join(by_char[char])}))(?s:.))" for char in sorted(by_char, key=_rank)
    ]
    return re.compile(rf"[^\w](?:{'|'.join(alternatives)})")


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
        chars, _ = _item(op, av, flags)
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
        except _Opaque:
            some = None
        crossed = None if some is None else _cross(found, some)
        if crossed is None:
            if whole:
                return None
            # The prefix ends in this item: with how a match of it starts, when that is known.
            try:
                starts = _item_starts(op, av, flags)
            except _Opaque:
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


def _word_starts(patterns: Sequence[re.Pattern[str]]) -> re.Pattern[str] | None:
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
    alternatives = [re.escape(char) + _tree(by_char[char]) for char in sorted(by_char, key=_rank)]
    return re.compile(rf"[^{_SURELY_WORD}](?=(?:{'|'.join(alternatives)}))")


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
        # For `found`: the patterns that start at a word boundary, searched after a non-word character
        # (and at the text's start), and the others combined as above. Built by the first `found`
        # (~0.1 s for a list of 27): a list only ever asked for `first` needs none of it.
        self._shapes = tuple(shapes)
        self._found_built = False
        self._words: re.Pattern[str] | None = None
        self._words_at_start: re.Pattern[str] | None = None
        self._others = self.combined
        self._starts: re.Pattern[str] | None = None

    def _build_found(self) -> None:
        self._found_built = True
        shapes = self._shapes
        bounded = [(index, shape) for index, shape in shapes if shape.bounded]
        if self.combined is not None and bounded:
            others = [(index, shape) for index, shape in shapes if not shape.bounded]
            try:
                self._words = _after_a_non_word(bounded)
                self._words_at_start = re.compile("|".join(shape.scoped for _, shape in bounded))
                self._others = _combined(others) if others else None
            except (re.error, RecursionError, OverflowError):
                self._words = self._words_at_start = None
                self._others = self.combined
            try:
                self._starts = _word_starts([self.patterns[index] for index, _ in bounded])
            except (_Opaque, re.error, RecursionError, OverflowError, TypeError, AttributeError, ValueError):
                self._starts = None

    def found(self, text: str) -> bool:
        """Whether any of the patterns matches in `text` (as `any(p.search(text) for p in patterns)`)."""
        if not self._found_built:
            self._build_found()
        if self.combined is not None:
            words, at_start, others = self._words, self._words_at_start, self._others
            if words is not None and at_start is not None:
                if at_start.match(text):
                    return True
                starts = self._starts
                if starts is None:
                    if words.search(text):
                        return True
                else:
                    for start in starts.finditer(text):
                        if words.match(text, start.start()):
                            return True
            if (others is not None and others.search(text)) or (self._line and self._at_start(text)):
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
