"""Cue-word patterns: shaped for speed, they must match exactly what a plain case-insensitive list would."""

from __future__ import annotations

import random
import re

import pytest

from inboxd.extract.context import _ASCII_FOLDS, cue_pattern
from inboxd.extract.hashes import KEY_CUES, OTHER_CUES, TX_CUES
from inboxd.redact.codes import BACKUP_CUES
from inboxd.redact.seeds import SEED_CUES


def plain_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """The meaning of a cue list, written the obvious (slow) way: longest word first, one `re.I` pattern."""
    alternatives = []
    for word in sorted(words, key=len, reverse=True):
        body = r"\s*".join(re.escape(piece) for piece in word.split(" "))
        if word[-1:].isascii() and word[-1:].isalpha():
            body += r"s?(?![A-Za-z0-9])"
        elif word[-1:].isascii() and word[-1:].isalnum():
            body += r"(?![A-Za-z0-9])"
        if word[0].isascii() and word[0].isalnum():
            body = r"(?<![A-Za-z0-9])" + body
        alternatives.append(body)
    return re.compile("|".join(alternatives), re.I)


def test_the_fold_table_is_what_re_ignorecase_does() -> None:
    """Every character beyond ASCII that `re.I` equates with an ASCII letter or digit is in the table."""
    ascii_alnum = re.compile("[a-z0-9]", re.I)
    found: dict[str, str] = {}
    for code in range(0x80, 0x110000):
        char = chr(code)
        if ascii_alnum.fullmatch(char):
            letter = next(c for c in "abcdefghijklmnopqrstuvwxyz" if re.fullmatch(c, char, re.I))
            found[letter] = found.get(letter, "") + char
    assert found == _ASCII_FOLDS


LISTS = {
    "seed": SEED_CUES,
    "backup": BACKUP_CUES,
    "tx": TX_CUES,
    "key": KEY_CUES,
    "other": OTHER_CUES,
    "mixed": ("Straße", "été", "Ünal", "seed phrase", "助记词", "#ref", "2fa key"),  # cased heads beyond ASCII
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_same_matches_as_a_plain_case_insensitive_pattern(name: str) -> None:
    words = LISTS[name]
    fast, plain = cue_pattern(words), plain_pattern(words)
    rng = random.Random(name)
    pieces = [*words, *(w.upper() for w in words), *(w.title() for w in words), *(w + "s" for w in words)]
    # Separators, and letters that `re.I` folds in ways `str.lower` does not (İ ı ſ and the Kelvin sign).
    separators = [" ", "  ", "\n", "-", "_", ":", "1", "的"]
    folded = ["İ", "ı", "ſ", "\u212a", "K", "ÉTÉ", "S", "s", "x", "ID", "abc"]
    pieces += separators + folded
    for _ in range(3000):
        text = "".join(rng.choice(pieces) + rng.choice(["", " ", "\t", ""]) for _ in range(rng.randint(1, 8)))
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)], text


def test_case_variants_and_word_starts() -> None:
    seed = cue_pattern(SEED_CUES)
    assert [m.group(0) for m in seed.finditer("My SEED PHRASE, the Mnemonic, ſeed words")] == [
        "SEED PHRASE",
        "Mnemonic",
        "ſeed words",
    ]
    assert seed.search("reseed") is None  # not at a word start
    assert seed.search("seedling") is None  # nor at a word end
