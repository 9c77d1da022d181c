"""`features.Terms` turns text into the rows scikit-learn's fitted TfidfVectorizer gives, word cache or not."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from inboxd.classifier import features
from inboxd.classifier.features import Terms

CORPUS = [
    "My withdrawal of 0.5 BTC is stuck, withdrawal pending since Monday",
    "提币一直在审核中 已经三个小时了 UID 12345678",
    "cannot log in   to my account, the 2FA code is wrong",
    "Supercalifragilisticexpialidocious-antidisestablishmentarianism words longer than the cache keeps",
    "充值没到账，TRC20 USDT 100，哈希 0xabc",
]
TEXTS = [*CORPUS, "withdrawal withdrawal WITHDRAWAL stuck", "", "   ", "全新的词 never seen before 2FA"]


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
        vocabulary={str(t): int(c) for t, c in vectorizer.vocabulary_.items()},
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
    )


def _dense(terms: Terms, texts: list[str]) -> np.ndarray:
    rows, cols, values = terms.rows(texts)
    out = np.zeros((len(texts), len(terms.vocabulary)))
    out[rows, cols] = values
    return out


@pytest.mark.parametrize("entries", [20_000, 3])
def test_char_wb_rows_match_scikit_learn_with_a_cold_a_warm_and_an_overflowing_word_cache(
    monkeypatch: pytest.MonkeyPatch, entries: int
) -> None:
    monkeypatch.setattr(features, "_WORD_CACHE_ENTRIES", entries)
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True).fit(CORPUS)
    expected = vectorizer.transform(TEXTS).toarray()
    terms = _terms(vectorizer)
    cold = _dense(terms, TEXTS)
    warm = _dense(terms, TEXTS)  # every short word now comes from the cache
    assert np.allclose(cold, expected, atol=1e-6)
    assert np.allclose(warm, expected, atol=1e-6)
    assert len(terms._words) <= entries
    # A word longer than the cache keeps is scored all the same, and never kept.
    assert not any(len(word) > features._WORD_CACHE_MAX_CHARS for word in terms._words)
