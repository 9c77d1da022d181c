"""A fitted TF-IDF vectoriser as plain data: what the daemon runs instead of scikit-learn's.

Training fits scikit-learn's TfidfVectorizer (`training`); what it learnt is kept as a
vocabulary, an idf array and the few settings that say how text is cut into terms, and
`Terms.rows` turns texts into the same TF-IDF row as `TfidfVectorizer.transform`:
the same analyzers (`word`, `char_wb`, `char`), counts, sublinear tf, idf and norm.

Why not keep the fitted estimator: importing scikit-learn (with SciPy) costs the daemon
~100 MiB of RSS for its whole life, more than the model itself, and it needs neither to
score a mail. `tests/unit/test_classifier.py` checks row for row that the two agree.

A vocabulary is kept as its model file stores it (`Vocabulary`: the terms' UTF-8 end to end),
not as a dict of str: its n-grams are looked up by exact integer keys (`_Keys`: of characters,
or of a word n-gram's tokens), never a collision. For the 156,000 terms of the shipped model
the dicts took 26 MiB of the daemon's RSS, the keys take 2 MiB (and the packed terms 2.3).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

ANALYZERS = ("word", "char_wb", "char")
NORMS = ("l2", "l1")
# TfidfVectorizer parameters that `Terms` reproduces (or that apply only when fitting);
# `settings` refuses the others, so that a model always scores as it was trained.
REPRODUCED = frozenset(
    {
        "analyzer",
        "ngram_range",
        "lowercase",
        "token_pattern",
        "binary",
        "norm",
        "use_idf",
        "smooth_idf",
        "sublinear_tf",
        "min_df",
        "max_df",
        "max_features",
    }
)
# scikit-learn's own whitespace rule for character n-grams.
_WHITE_SPACES = re.compile(r"\s\s+")
# Looked up by a dict (symbols too many to key), `char_wb` terms depend on the word alone, and
# mail repeats its words: a word's known columns are kept (the dict's own int objects, so an
# entry costs a pointer per term). Only
# short words: a run of Chinese without spaces is one "word" and rarely seen twice. Bounded:
# the cache starts over when full (~5 MiB at most).
_WORD_CACHE_ENTRIES = 20_000
_WORD_CACHE_MAX_CHARS = 24
# The largest key of an n-gram (`_Keys`): base ** n must stay below it, so that every key is an
# exact int64. Past it (more than ~46,000 distinct characters for 4-grams, or 2 billion tokens
# for bigrams), the vocabulary is looked up as a dict instead.
_MAX_KEY = 1 << 62
# Characters or tokens keyed at a time (`Terms._char_found`, `_word_found`): their arrays stay
# ~0.5 MiB each, whatever the batch.
_SYMBOLS_AT_A_TIME = 1 << 16


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


@dataclass(frozen=True, slots=True)
class Terms:
    """One feature set: how its text is cut into terms, its terms' columns, and their idf."""

    name: str
    reads: int  # the column of `model.model_input` it reads
    analyzer: str  # one of ANALYZERS
    ngram_range: tuple[int, int]
    lowercase: bool
    token_pattern: str
    binary: bool
    sublinear_tf: bool
    norm: str | None  # one of NORMS, or None
    vocabulary: Vocabulary  # the terms by column, 0 .. len - 1
    idf: np.ndarray | None = field(compare=False)  # float64 per column; None without idf weighting
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    # How terms are looked up: by their keys, or (symbols too many to key) a dict term -> column.
    _keys: _CharKeys | _TokenKeys | None = field(init=False, repr=False, compare=False)
    _index: dict[str, int] = field(init=False, repr=False, compare=False)
    _words: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)  # char_wb: word -> columns

    def __post_init__(self) -> None:
        """ValueError if the vocabulary repeats a term (or, for characters, has one longer than n)."""
        object.__setattr__(self, "_pattern", re.compile(self.token_pattern))
        object.__setattr__(self, "_words", {})
        keys = (
            _TokenKeys.of(self.vocabulary)
            if self.analyzer == "word"
            else _CharKeys.of(self.vocabulary, self.ngram_range[1])
        )
        object.__setattr__(self, "_keys", keys)
        object.__setattr__(self, "_index", self.vocabulary.as_dict() if keys is None else {})

    def _columns(self, text: str) -> list[int]:
        """The columns of a text's known terms, repeated as often as they occur (the terms of
        TfidfVectorizer's analyzer, looked up in the vocabulary; unknown terms left out)."""
        if self.analyzer == "char_wb":
            return self._wb_columns(text)
        if self.lowercase:
            text = text.lower()
        low, high = self.ngram_range
        if self.analyzer == "word":
            grams = _word_ngrams(self._pattern.findall(text), low, high)
        else:
            grams = _char_ngrams(_WHITE_SPACES.sub(" ", text), low, high)
        get = self._index.get
        return [c for c in map(get, grams) if c is not None]

    def rows(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The texts' TF-IDF rows: for each known term of each text, its row, column and value.

        Rows (int64, ascending), columns (int64) and values (float32): a sparse matrix in
        coordinates.
        """
        # Each text's known columns, then counted for the whole batch at once, as (row, column) pairs.
        if isinstance(self._keys, _CharKeys):
            rows, every = self._char_found(texts, self._keys)
        elif isinstance(self._keys, _TokenKeys):
            rows, every = self._word_found(texts, self._keys)
        else:
            found = [np.fromiter(self._columns(text), dtype=np.int64) for text in texts]
            every = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
            rows = np.repeat(np.arange(len(texts), dtype=np.int64), [len(f) for f in found])
        width = max(len(self.vocabulary), 1)
        pairs, counts = np.unique(rows * width + every, return_counts=True)
        rows, cols = np.divmod(pairs, width)
        values = counts.astype(np.float32)
        if self.binary:
            values.fill(1.0)
        if self.sublinear_tf:
            np.log(values, out=values)
            values += 1.0
        if self.idf is not None:
            values *= self.idf[cols]
        if self.norm is not None and len(values):
            size = values * values if self.norm == "l2" else np.abs(values)
            lengths = np.bincount(rows, weights=size, minlength=len(texts))
            if self.norm == "l2":
                lengths = np.sqrt(lengths)
            lengths[lengths == 0] = 1.0
            values /= lengths[rows]
        return rows, cols, values

    def _char_found(self, texts: Sequence[str], keys: _CharKeys) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of every known character n-gram of the texts, as `_columns` would list
        them (in another order): the n-grams as keys, a few thousand texts' characters at a time."""
        rows: list[np.ndarray] = []
        columns: list[np.ndarray] = []
        pieces: list[str] = []  # segments end to end: a padded word (char_wb) or a whole text (char)
        lengths: list[int] = []  # each segment's characters
        owners: list[int] = []  # each segment's text
        size = 0
        for row, raw in enumerate(texts):
            text = _WHITE_SPACES.sub(" ", raw.lower() if self.lowercase else raw)
            if self.analyzer == "char_wb":
                words = text.split()
                if words:
                    pieces.append(" " + "  ".join(words) + " ")
                    lengths.extend([len(word) + 2 for word in words])
                    owners.extend([row] * len(words))
            elif text:
                pieces.append(text)
                lengths.append(len(text))
                owners.append(row)
            size += len(text)
            if size >= _SYMBOLS_AT_A_TIME or row == len(texts) - 1:
                if pieces:
                    low, high = self.ngram_range
                    digits = keys.digits("".join(pieces))
                    r, c = keys.found(digits, lengths, owners, low, high, wb=self.analyzer == "char_wb")
                    rows.append(r)
                    columns.append(c)
                pieces, lengths, owners, size = [], [], [], 0
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(rows), np.concatenate(columns)

    def _word_found(self, texts: Sequence[str], keys: _TokenKeys) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of every known word n-gram of the texts, as `_columns` would list them
        (in another order): the n-grams as keys of their tokens, never joined into strings."""
        low, high = self.ngram_range
        rows: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        columns: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        tokens: list[str] = []  # texts' tokens end to end
        lengths: list[int] = []
        owners: list[int] = []
        for row, raw in enumerate(texts):
            found = self._pattern.findall(raw.lower() if self.lowercase else raw)
            if " " in "".join(found):  # a token with a space (a token_pattern's choice): its n-grams as strings
                grams = _word_ngrams(found, low, high)
                _, known_columns = keys.columns_of(np.fromiter(map(keys.key_of, grams), np.int64, len(grams)))
                rows.append(np.full(len(known_columns), row, dtype=np.int64))
                columns.append(known_columns)
            elif found:
                tokens.extend(found)
                lengths.append(len(found))
                owners.append(row)
            if len(tokens) >= _SYMBOLS_AT_A_TIME or (row == len(texts) - 1 and tokens):
                digits = np.fromiter(map(keys.tokens.get, tokens, repeat(keys.base - 1)), np.int64, len(tokens))
                r, c = keys.found(digits, lengths, owners, low, high, wb=False)
                rows.append(r)
                columns.append(c)
                tokens, lengths, owners = [], [], []
        return np.concatenate(rows), np.concatenate(columns)

    def _wb_columns(self, text: str) -> list[int]:
        """The known columns of a text's `char_wb` terms (as `terms`, unknown ones left out)."""
        if self.lowercase:
            text = text.lower()
        low, high = self.ngram_range
        get, cache = self._index.get, self._words
        columns: list[int] = []
        for word in _WHITE_SPACES.sub(" ", text).split():
            known = cache.get(word)
            if known is None:
                grams: list[str] = []
                _char_wb_ngrams(" " + word + " ", low, high, grams)
                # A list comprehension, not tuple() of a generator (a sixth less per n-gram): a long
                # word, which the cache does not keep (a run of Chinese), has hundreds of them.
                found = [c for c in map(get, grams) if c is not None]
                if len(word) > _WORD_CACHE_MAX_CHARS:
                    columns.extend(found)
                    continue
                if len(cache) >= _WORD_CACHE_ENTRIES:
                    cache.clear()
                known = cache[word] = tuple(found)
            columns.extend(known)
        return columns

    def names(self) -> list[str]:
        """Every column's term, in column order (for explanations)."""
        return self.vocabulary.terms()


def _word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    if high == 1:
        return tokens
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high + 1, len(tokens) + 1)):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def _char_ngrams(text: str, low: int, high: int) -> list[str]:
    grams = list(text) if low == 1 else []
    for n in range(max(low, 2), min(high + 1, len(text) + 1)):
        grams.extend(text[i : i + n] for i in range(len(text) - n + 1))
    return grams


def _char_wb_ngrams(word: str, low: int, high: int, grams: list[str]) -> None:
    """A padded word's n-grams; a word shorter than n counts once, whole (as scikit-learn does)."""
    length = len(word)
    for n in range(low, high + 1):
        if n >= length:
            grams.append(word)
            break
        grams.extend([word[i : i + n] for i in range(length - n + 1)])
