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

This module combines a list and answers its searches; what a pattern starts with is read by
`inboxd.pattern_shapes`, its first words by `inboxd.pattern_prefixes`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from inboxd.pattern_prefixes import word_starts
from inboxd.pattern_shapes import Opaque, Shape, rank, shape_of

_LINE = "\n"  # the trigger of a pattern anchored at line starts: the newline before the line


def _combined(shapes: Sequence[tuple[int, Shape]]) -> re.Pattern[str]:
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
    for char in sorted(by_char, key=rank):
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


def _after_a_non_word(shapes: Sequence[tuple[int, Shape]]) -> re.Pattern[str]:
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
        rf"{re.escape(char)}(?<=(?=(?:{'|'.join(by_char[char])}))(?s:.))" for char in sorted(by_char, key=rank)
    ]
    return re.compile(rf"[^\w](?:{'|'.join(alternatives)})")


class AnyOf:
    """A list of patterns searched as one: `found` (does any match?) and `first` (which matches first?)."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]):
        self.patterns = tuple(patterns)
        shapes: list[tuple[int, Shape]] = []
        alone: list[re.Pattern[str]] = []
        for index, pattern in enumerate(self.patterns):
            try:
                shapes.append((index, shape_of(pattern)))
            except (Opaque, re.error, RecursionError, TypeError, AttributeError, ValueError):
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
                self._starts = word_starts([self.patterns[index] for index, _ in bounded])
            except (Opaque, re.error, RecursionError, OverflowError, TypeError, AttributeError, ValueError):
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
