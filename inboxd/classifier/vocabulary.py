"""A fitted vocabulary as plain data: its terms' UTF-8 end to end, and exact integer keys to look them up.

`Vocabulary` is a feature set's terms in column order as the model file stores them (no Python
object per term); `_CharKeys` and `_TokenKeys` turn it into sorted integer keys of characters or
of a word n-gram's tokens, so that `inboxd.classifier.features.Terms` finds an n-gram's column
by an exact key, never a collision. For the 156,000 terms of the shipped model the dicts of str
took 26 MiB of the daemon's RSS, the keys take 2 MiB (and the packed terms 2.3).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# The largest key of an n-gram (`_Keys`): base ** n must stay below it, so that every key is an
# exact int64. Past it (more than ~46,000 distinct characters for 4-grams, or 2 billion tokens
# for bigrams), the vocabulary is looked up as a dict instead.
_MAX_KEY = 1 << 62


class Vocabulary:
    """A feature set's terms in column order, as its model file stores them: their UTF-8 end to
    end (`utf8`) and where each ends (`ends`). A term is never a Python object of its own here:
    114,000 of them as a dict of str cost 17 MiB, as these two arrays 1.7 MiB."""

    __slots__ = ("ends", "utf8")

    def __init__(self, utf8: np.ndarray, ends: np.ndarray):
        """ValueError unless `ends` cut `utf8` into valid UTF-8 terms."""
        utf8 = np.ascontiguousarray(utf8, dtype=np.uint8)
        ends = np.ascontiguousarray(ends, dtype=np.int64)
        if utf8.ndim != 1 or ends.ndim != 1:
            raise ValueError("term bytes and ends must be one-dimensional")
        if len(ends) and (ends[0] < 0 or ends[-1] != len(utf8) or np.any(np.diff(ends) < 0)):
            raise ValueError(f"term ends that do not fit {len(utf8)} bytes of terms")
        if not len(ends) and len(utf8):
            raise ValueError(f"term ends that do not fit {len(utf8)} bytes of terms")
        inner = ends[ends < len(utf8)]
        if np.any(utf8[inner] & 0xC0 == 0x80):  # a term that ends inside a character
            raise ValueError("a term that is not valid UTF-8")
        utf8.tobytes().decode("utf-8")  # UnicodeDecodeError (a ValueError) if it is not UTF-8
        self.utf8, self.ends = utf8, ends

    @classmethod
    def of(cls, vocabulary: Mapping[str, int]) -> Vocabulary:
        """A term -> column mapping (columns 0 .. len - 1, as scikit-learn's `vocabulary_`)."""
        terms = sorted(vocabulary, key=vocabulary.__getitem__)
        if [vocabulary[t] for t in terms] != list(range(len(terms))):
            raise ValueError("columns that are not 0 .. len - 1")
        encoded = [t.encode("utf-8") for t in terms]
        ends = np.cumsum([len(b) for b in encoded], dtype=np.int64)
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), ends)

    def __len__(self) -> int:
        return len(self.ends)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return np.array_equal(self.utf8, other.utf8) and np.array_equal(self.ends, other.ends)

    __hash__ = None  # type: ignore[assignment]  # mutable arrays: not hashable, as a dict was not

    def terms(self) -> list[str]:
        """Every term, in column order."""
        return list(self.each_term())

    def each_term(self) -> Iterator[str]:
        """Every term, in column order, one at a time."""
        data = self.utf8.tobytes()
        start = 0
        for stop in self.ends.tolist():
            yield data[start:stop].decode("utf-8")
            start = stop

    def as_dict(self) -> dict[str, int]:
        """Term -> column; ValueError if a term is there twice."""
        vocabulary = {term: column for column, term in enumerate(self.terms())}
        if len(vocabulary) != len(self):
            raise ValueError(f"{len(self) - len(vocabulary)} repeated terms")
        return vocabulary

    def code_points(self) -> tuple[np.ndarray, np.ndarray]:
        """The terms' characters end to end (uint32 code points), and where each term starts in them."""
        points = np.frombuffer(self.utf8.tobytes().decode("utf-8").encode("utf-32-le"), dtype="<u4")
        starts = np.zeros(len(self.ends) + 1, dtype=np.int64)
        if len(points):
            chars = np.cumsum((self.utf8 & 0xC0) != 0x80, dtype=np.int32)  # characters up to each byte
            starts[1:] = np.where(self.ends > 0, chars[np.maximum(self.ends - 1, 0)], 0)
        return points, starts


@dataclass(frozen=True, slots=True)
class _Keys:
    """A vocabulary as exact integer keys, sorted: no Python object per term.

    A term is a sequence of symbols: characters (`_CharKeys`), or the tokens a word n-gram
    joins with spaces (`_TokenKeys`). A symbol that some term has is a digit 1 .. A, any other
    symbol is A + 1, and a sequence is the number whose digits in base A + 2 are its symbols
    (the first the lowest): distinct sequences have distinct keys (no digit is 0), and one with
    a symbol no term has can equal no term's key. So a key found is the term, never a
    collision; base ** longest < `_MAX_KEY` keeps every key an exact int64.
    """

    base: int  # A + 2
    longest: int  # the most symbols a term has
    keys: np.ndarray  # every term's key, ascending (int64)
    columns: np.ndarray  # the column of each key (int32)

    @staticmethod
    def _sorted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keys ascending and their columns; ValueError for a repeated term."""
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        if np.any(keys[1:] == keys[:-1]):
            raise ValueError(f"{int(np.count_nonzero(keys[1:] == keys[:-1]))} repeated terms")
        return keys, order.astype(np.int32)

    def found(
        self, digits: np.ndarray, lengths: Sequence[int], owners: Sequence[int], low: int, high: int, wb: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of every term among the n-grams of segments end to end (`digits`, one
        per symbol; `lengths` symbols a segment, `owners` the row of each): every window of n
        symbols (low <= n <= high) inside one segment and, if `wb`, a segment shorter than `low`
        once, whole (char_wb's padded words)."""
        size = np.asarray(lengths, dtype=np.int64)
        starts = np.cumsum(size) - size
        end_of = np.repeat(starts + size, size)  # for each symbol, where its segment ends
        owner_of = np.repeat(np.asarray(owners, dtype=np.int64), size)
        position = np.arange(len(digits), dtype=np.int64)
        found_keys: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        found_rows: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        key = digits
        for n in range(1, min(high, self.longest) + 1):  # a longer n-gram is no term
            if n > 1:
                key = key[:-1] + digits[n - 1 :] * self.base ** (n - 1)
            if n >= low:
                inside = position[: len(key)] + n <= end_of[: len(key)]
                found_keys.append(key[inside])
                found_rows.append(owner_of[: len(key)][inside])
            elif wb:
                whole = starts[size == n]
                found_keys.append(key[whole])
                found_rows.append(owner_of[whole])
        known, columns = self.columns_of(np.concatenate(found_keys))
        return np.concatenate(found_rows)[known], columns

    def columns_of(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which of `keys` are terms (a boolean mask), and the columns of those that are."""
        if not len(self.keys):
            return np.zeros(len(keys), dtype=bool), np.zeros(0, dtype=np.int64)
        at = np.searchsorted(self.keys, keys)
        np.minimum(at, len(self.keys) - 1, out=at)
        known = self.keys[at] == keys
        return known, self.columns[at[known]].astype(np.int64)


@dataclass(frozen=True, slots=True)
class _CharKeys(_Keys):
    """A character n-gram vocabulary's keys: a character's digit is its rank among the terms' characters."""

    alphabet: np.ndarray  # the terms' distinct code points, ascending (uint32)

    @staticmethod
    def of(vocabulary: Vocabulary, high: int) -> _CharKeys | None:
        """The keys of a vocabulary of n-grams of at most `high` characters; None if they would
        not fit an int64. ValueError for a repeated term or one longer than `high`."""
        points, starts = vocabulary.code_points()
        lengths = np.diff(starts)
        longest = int(lengths.max()) if len(lengths) else 0
        if longest > high:
            raise ValueError(f"a term longer than {high} characters")
        alphabet = np.unique(points)
        base = len(alphabet) + 2
        if base**longest >= _MAX_KEY:
            return None
        digits = np.searchsorted(alphabet, points).astype(np.int64) + 1
        keys = np.zeros(len(lengths), dtype=np.int64)
        for j in range(longest):
            longer = lengths > j
            keys[longer] += digits[starts[:-1][longer] + j] * base**j
        return _CharKeys(base, longest, *_Keys._sorted(keys), alphabet)

    def digits(self, text: str) -> np.ndarray:
        """Each character of `text` as its digit (int64)."""
        # surrogatepass: a lone surrogate (mail decoded with surrogateescape) is a character like any other.
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        if not len(self.alphabet):
            return np.full(len(points), 1, dtype=np.int64)
        rank = np.searchsorted(self.alphabet, points)
        np.minimum(rank, len(self.alphabet) - 1, out=rank)
        return np.where(self.alphabet[rank] == points, rank + 1, len(self.alphabet) + 1)


@dataclass(frozen=True, slots=True)
class _TokenKeys(_Keys):
    """A word n-gram vocabulary's keys: a term is its tokens (`term.split(" ")`, which undoes
    the " ".join that made it, whatever the tokens), a token's digit is looked up in a dict of
    the terms' distinct tokens (5,800 for 25,000 terms)."""

    tokens: dict[str, int]  # token -> digit, 1 .. A

    @staticmethod
    def of(vocabulary: Vocabulary) -> _TokenKeys | None:
        """The keys of a word vocabulary; None if they would not fit an int64. ValueError for a repeated term."""
        # Term by term, twice (the base needs every token first), so that no list of ~25,000
        # strings is held: their memory, freed, would stay scattered under the tokens kept.
        tokens: dict[str, int] = {}
        longest = 0
        for term in vocabulary.each_term():
            part = term.split(" ")
            longest = max(longest, len(part))
            for token in part:
                tokens.setdefault(token, len(tokens) + 1)
        base = len(tokens) + 2
        if base**longest >= _MAX_KEY:
            return None
        keys = np.fromiter(
            (sum(tokens[t] * base**j for j, t in enumerate(term.split(" "))) for term in vocabulary.each_term()),
            np.int64,
            len(vocabulary),
        )
        return _TokenKeys(base, longest, *_Keys._sorted(keys), tokens)

    def key_of(self, gram: str) -> int:
        """The key of a word n-gram as a string (a token of its own may hold a space); 0 (no term) if it is none."""
        part = gram.split(" ")
        if len(part) > self.longest or any(token not in self.tokens for token in part):
            return 0
        return sum(self.tokens[token] * self.base**j for j, token in enumerate(part))
