"""`features.Terms` turns text into the rows scikit-learn's fitted TfidfVectorizer gives: n-grams
by their exact keys, or (too many symbols to key) by a dict and, for char_wb, its word cache."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from inboxd.classifier import features
from inboxd.classifier import vocabulary as keys_module
from inboxd.classifier.features import Terms
from inboxd.classifier.vocabulary import Vocabulary, _CharKeys, _TokenKeys

CORPUS = [
    "My withdrawal of 0.5 BTC is stuck, withdrawal pending since Monday",
    "提币一直在审核中 已经三个小时了 UID 12345678",
    "cannot log in   to my account, the 2FA code is wrong",
    "Supercalifragilisticexpialidocious-antidisestablishmentarianism words longer than the cache keeps",
    "充值没到账，TRC20 USDT 100，哈希 0xabc",
    "a I x 的 ab",  # words shorter than a 3-gram
]
TEXTS = [
    *CORPUS,
    "withdrawal withdrawal WITHDRAWAL stuck",
    "",
    "   ",
    "全新的词 never seen before 2FA",
    "tabs\tand\u2028line\x1cseparators\u3000全角 ΣΑΣ İstanbul",  # white space str.split knows; case rules
    "a lone \ud800 surrogate, 😀 and ﷺ",  # characters no term has
]


def _terms(vectorizer: TfidfVectorizer) -> Terms:
    return Terms(
        name="chars",
        reads=0,
        analyzer=str(vectorizer.analyzer),
        ngram_range=vectorizer.ngram_range,
        lowercase=vectorizer.lowercase,
        token_pattern=vectorizer.token_pattern,
        binary=vectorizer.binary,
        sublinear_tf=vectorizer.sublinear_tf,
        norm=vectorizer.norm,
        vocabulary=Vocabulary.of({str(t): int(c) for t, c in vectorizer.vocabulary_.items()}),
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
    )


def _dense(terms: Terms, texts: list[str]) -> np.ndarray:
    rows, cols, values = terms.rows(texts)
    out = np.zeros((len(texts), len(terms.vocabulary)))
    out[rows, cols] = values
    return out


@pytest.mark.parametrize(
    ("analyzer", "ngram_range", "lowercase"),
    [
        ("char_wb", (1, 4), True),
        ("char_wb", (3, 5), True),
        ("char_wb", (2, 3), False),
        ("char", (1, 3), True),
        ("char", (2, 4), False),
    ],
)
def test_character_n_grams_by_their_keys_match_scikit_learn(
    analyzer: str, ngram_range: tuple[int, int], lowercase: bool
) -> None:
    vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, lowercase=lowercase, sublinear_tf=True)
    vectorizer.fit(CORPUS)
    terms = _terms(vectorizer)
    assert isinstance(terms._keys, _CharKeys) and terms._index == {}  # no Python object per term
    assert np.allclose(_dense(terms, TEXTS), vectorizer.transform(TEXTS).toarray(), atol=1e-6)


@pytest.mark.parametrize(
    ("ngram_range", "lowercase", "token_pattern"),
    [
        ((1, 2), True, r"(?u)\b\w\w+\b"),
        ((2, 3), True, r"(?u)\b\w\w+\b"),
        ((1, 1), False, r"\S+"),
        ((1, 3), True, r"[a-z]+ [0-9]+|\w+"),  # a token may hold a space ("usdt 100")
        ((1, 2), True, r"\w*"),  # empty tokens
    ],
)
def test_word_n_grams_by_their_keys_match_scikit_learn(
    ngram_range: tuple[int, int], lowercase: bool, token_pattern: str
) -> None:
    vectorizer = TfidfVectorizer(ngram_range=ngram_range, lowercase=lowercase, token_pattern=token_pattern)
    vectorizer.fit(CORPUS)
    terms = _terms(vectorizer)
    assert isinstance(terms._keys, _TokenKeys) and terms._index == {}
    assert np.allclose(_dense(terms, TEXTS), vectorizer.transform(TEXTS).toarray(), atol=1e-6)


def test_word_n_grams_by_a_dict_match_scikit_learn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys_module, "_MAX_KEY", 2)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2)).fit(CORPUS)
    terms = _terms(vectorizer)
    assert terms._keys is None and len(terms._index) == len(vectorizer.vocabulary_)
    assert np.allclose(_dense(terms, TEXTS), vectorizer.transform(TEXTS).toarray(), atol=1e-6)


@pytest.mark.parametrize("entries", [20_000, 3])
def test_char_wb_rows_by_a_dict_match_scikit_learn_with_a_cold_a_warm_and_an_overflowing_word_cache(
    monkeypatch: pytest.MonkeyPatch, entries: int
) -> None:
    monkeypatch.setattr(features, "_WORD_CACHE_ENTRIES", entries)
    monkeypatch.setattr(keys_module, "_MAX_KEY", 2)  # no key fits: the dict
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True).fit(CORPUS)
    expected = vectorizer.transform(TEXTS).toarray()
    terms = _terms(vectorizer)
    assert terms._keys is None and len(terms._index) == len(vectorizer.vocabulary_)
    cold = _dense(terms, TEXTS)
    warm = _dense(terms, TEXTS)  # every short word now comes from the cache
    assert np.allclose(cold, expected, atol=1e-6)
    assert np.allclose(warm, expected, atol=1e-6)
    assert len(terms._words) <= entries
    # A word longer than the cache keeps is scored all the same, and never kept.
    assert not any(len(word) > features._WORD_CACHE_MAX_CHARS for word in terms._words)


@pytest.mark.parametrize("analyzer", ["char_wb", "char"])
def test_keys_find_exactly_the_terms_a_dict_finds(monkeypatch: pytest.MonkeyPatch, analyzer: str) -> None:
    """Random text over the vocabulary's characters and others: an n-gram that is not a term never
    matches one (no collision), in batches cut into many pieces of a few characters."""
    random = np.random.default_rng(26)
    known, unknown = list("ab 提币c"), ["\ud800", "😀", "Z", "\t", "\x00"]
    vocabulary: dict[str, int] = {}
    for _ in range(300):
        term = "".join(random.choice(known[:-1], size=random.integers(1, 4)))
        vocabulary.setdefault(term, len(vocabulary))
    texts = ["".join(random.choice(known + unknown, size=random.integers(0, 60))) for _ in range(200)]
    keyed = Terms("c", 0, analyzer, (1, 3), False, "", False, False, None, Vocabulary.of(vocabulary), None)
    monkeypatch.setattr(features, "_SYMBOLS_AT_A_TIME", 50)
    by_keys = keyed.rows(texts)
    monkeypatch.setattr(keys_module, "_MAX_KEY", 2)
    by_dict = Terms("c", 0, analyzer, (1, 3), False, "", False, False, None, Vocabulary.of(vocabulary), None)
    assert keyed._keys is not None and by_dict._keys is None
    for a, b in zip(by_keys, by_dict.rows(texts), strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert len(by_keys[0]) > 1000


@pytest.mark.parametrize("token_pattern", [r"\w+", r"\w+ ?"])
def test_token_keys_find_exactly_the_terms_a_dict_finds(monkeypatch: pytest.MonkeyPatch, token_pattern: str) -> None:
    """Random text over the vocabulary's tokens and others, tokens with a space or not: an n-gram
    that is not a term never matches one."""
    random = np.random.default_rng(18)
    known, unknown = ["ab", "b", "提币", "a"], ["zz", "c", "😀"]
    vocabulary: dict[str, int] = {}
    for _ in range(300):  # tokens with a trailing space too: the terms the second pattern makes
        term = " ".join(random.choice([*known, *(k + " " for k in known)], size=random.integers(1, 4)))
        vocabulary.setdefault(term, len(vocabulary))
    texts = [" ".join(random.choice(known + unknown, size=random.integers(0, 30))) for _ in range(200)]
    keyed = Terms("w", 0, "word", (1, 3), False, token_pattern, False, False, None, Vocabulary.of(vocabulary), None)
    monkeypatch.setattr(features, "_SYMBOLS_AT_A_TIME", 20)
    by_keys = keyed.rows(texts)
    monkeypatch.setattr(keys_module, "_MAX_KEY", 2)
    by_dict = Terms("w", 0, "word", (1, 3), False, token_pattern, False, False, None, Vocabulary.of(vocabulary), None)
    assert keyed._keys is not None and by_dict._keys is None
    for a, b in zip(by_keys, by_dict.rows(texts), strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert len(by_keys[0]) > 500


def test_a_vocabulary_keeps_every_term_exactly() -> None:
    terms = {"提币": 2, "a\x00": 0, "": 3, "wallet address": 1, "😀x": 4}
    vocabulary = Vocabulary.of(terms)
    assert vocabulary.as_dict() == terms and vocabulary.terms() == ["a\x00", "wallet address", "提币", "", "😀x"]
    assert Vocabulary(vocabulary.utf8, vocabulary.ends) == vocabulary != Vocabulary.of({"x": 0})
    assert len(Vocabulary.of({})) == 0 and Vocabulary.of({}).as_dict() == {}


@pytest.mark.parametrize(
    ("utf8", "ends", "error"),
    [
        (b"abc", [1, 4], "do not fit"),
        (b"abc", [2, 1, 3], "do not fit"),
        (b"abc", [], "do not fit"),
        ("提币".encode(), [2, 6], "not valid UTF-8"),  # a term ends inside a character
        (b"a\xff", [1, 2], "can't decode"),
    ],
)
def test_a_vocabulary_that_does_not_cut_into_terms_is_refused(utf8: bytes, ends: list[int], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        Vocabulary(np.frombuffer(utf8, dtype=np.uint8), np.asarray(ends, dtype=np.int64))


@pytest.mark.parametrize("analyzer", ["char_wb", "word"])
def test_a_repeated_term_is_refused(analyzer: str) -> None:
    twice = Vocabulary(np.frombuffer(b"abab", dtype=np.uint8), np.asarray([2, 4], dtype=np.int64))
    with pytest.raises(ValueError, match="1 repeated terms"):
        Terms("c", 0, analyzer, (1, 2), True, r"\w+", False, False, None, twice, None)


def test_a_character_term_longer_than_the_n_grams_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than 2 characters"):
        Terms("c", 0, "char_wb", (1, 2), True, "", False, False, None, Vocabulary.of({"abc": 0}), None)
