"""A fitted TF-IDF vectoriser as plain data: what the daemon runs instead of scikit-learn's.

Training fits scikit-learn's TfidfVectorizer (`training`); what it learnt is kept as a
vocabulary, an idf array and the few settings that say how text is cut into terms, and
`Terms.rows` turns texts into the same TF-IDF row as `TfidfVectorizer.transform`:
the same analyzers (`word`, `char_wb`, `char`), counts, sublinear tf, idf and norm.

Why not keep the fitted estimator: importing scikit-learn (with SciPy) costs the daemon
~100 MiB of RSS for its whole life, more than the model itself, and it needs neither to
score a mail. `tests/unit/test_classifier.py` checks row for row that the two agree.

A vocabulary is kept as its model file stores it (`inboxd.classifier.vocabulary.Vocabulary`),
not as a dict of str: its n-grams are looked up by exact integer keys, never a collision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

from inboxd.classifier.vocabulary import Vocabulary, _CharKeys, _TokenKeys

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
# Characters or tokens keyed at a time (`Terms._char_found`, `_word_found`): their arrays stay
# ~0.5 MiB each, whatever the batch.
_SYMBOLS_AT_A_TIME = 1 << 16


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
