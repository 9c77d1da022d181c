"""The seed-phrase scan's shortcuts skip work only where its exact rules could find nothing."""

from __future__ import annotations

import random
import re

from inboxd.redact import find_secrets
from inboxd.redact.seeds import _dense, _typos_possible
from inboxd.redact.words import word_marks, word_starts, wordlists

PHRASE_WITH_TYPOS = "abandon ability able abuot above absent absorb abstract absurd abuse accesss accident"


def _dense_by_definition(marks: bytearray) -> bool:
    if sum(marks) < 10:
        return False
    return any(sum(marks[i : i + 12]) >= 10 for i in range(max(1, len(marks) - 11)))


def test_dense_is_ten_wordlist_words_among_twelve() -> None:
    rng = random.Random(18)
    for _ in range(3000):
        marks = bytearray(rng.random() < rng.random() for _ in range(rng.randrange(0, 60)))
        assert _dense(marks) == _dense_by_definition(marks), list(marks)


def test_a_phrase_with_typos_after_a_cue_in_a_long_thread_is_found() -> None:
    # The acknowledgement quoted many times holds the cue "seed phrase" each time; only the
    # customer's words after the last cue are dense enough for a phrase with two typos.
    notice = "> We will never ask for your password, seed phrase or private key.\n>\n"
    text = notice * 30 + f"My seed phrase is {PHRASE_WITH_TYPOS}\n" + notice * 5
    found = [text[s.start : s.end] for s in find_secrets(text)]
    assert found == [PHRASE_WITH_TYPOS]


def test_word_starts_and_marks_agree_for_turkish_capital_i() -> None:
    text = "İstanbul abandon ability able, İzmir above absent"
    marks = word_marks(text, wordlists().forms)
    starts = word_starts(text)
    assert len(marks) == len(starts) == 7
    assert [text[s] for s in starts] == ["İ", "a", "a", "a", "İ", "a", "a"]


def test_typos_window_reads_the_words_after_the_cue_only() -> None:
    text = f"{PHRASE_WITH_TYPOS} seed phrase: nothing here to see at all"
    marks = word_marks(text, wordlists().forms)
    starts = word_starts(text)
    cue = next(re.finditer("seed phrase", text))
    assert _dense(marks)  # the whole text is dense …
    assert not _typos_possible(cue, starts, marks)  # … but not after the cue
