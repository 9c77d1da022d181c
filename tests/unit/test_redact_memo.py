"""What the secret scan remembers between texts changes no answer, keeps no secret and stays bounded.

The scan remembers the marks of the pieces of text it has read (`words.PieceMarks`), the
short texts that held no secret (`redact.mail`) and the last text lower-cased
(`common.lowered`): each is checked against a scan that remembers nothing. The seed
phrase's Chinese cues are looked for where their first word or character is
(`common.cues_found`), as the backup codes' are: checked against the pattern.
"""

from __future__ import annotations

import random

import pytest

from inboxd.parse import parse_message
from inboxd.redact import find_secrets, redact, redact_mail
from inboxd.redact import mail as redact_module
from inboxd.redact.common import cues_found, lowered
from inboxd.redact.seeds import _CHINESE_SEED_CUE, _CHINESE_SEED_CUE_HEADS, _CHINESE_SEED_CUES
from inboxd.redact.words import _PIECE_KEPT_BYTES, _PIECES_KEPT, PieceMarks, word_marks, wordlists
from tests.unit.test_redact_prefilters import CHINESE, ENGLISH, THREAD, _cue_variants, _marks_by_the_plain_rule


def test_remembered_piece_marks_are_those_of_the_plain_rule_on_every_reading() -> None:
    lexicon = wordlists()
    rng = random.Random(41)
    pieces = ["在", "年", "写道：", "abandon", "谢谢，thank", "ámbar", "的三欧", "İ", "ſ", "\u212a"]
    pieces += ["x" * 60, "的" * 30]  # longer than a piece that is remembered
    for _ in range(500):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randrange(1, 30)))
        for _ in range(2):  # the second reading comes from what the first one remembered
            assert word_marks(text, lexicon.forms, lexicon.ascii_forms) == _marks_by_the_plain_rule(text), text


def test_long_pieces_are_not_remembered_and_the_memory_is_bounded() -> None:
    lexicon = wordlists()
    marks = PieceMarks(lexicon.forms, lexicon.ascii_forms)
    long_piece = ("的" * (_PIECE_KEPT_BYTES // 3 + 1)).encode()  # one word of Chinese prose
    assert marks[long_piece] == b"\x00"
    assert long_piece not in marks
    for i in range(_PIECES_KEPT + 10):
        marks[f"word{i:x}".translate(str.maketrans("0123456789", "ghijklmnop")).encode()]
        assert len(marks) <= _PIECES_KEPT
    assert marks[b"abandon"] == b"\x01"
    assert marks[b"zzzz"] == b"\x00"


def test_a_short_text_with_a_secret_is_found_every_time_and_never_remembered() -> None:
    secret = "my password is Hunter2!x"
    assert find_secrets(secret)
    for _ in range(3):
        text, found = redact(secret)
        assert found and "Hunter2" not in text
    assert secret not in redact_module._clean


def test_short_clean_texts_remembered_are_bounded_and_give_what_a_fresh_scan_gives() -> None:
    redact_module._clean.clear()
    for i in range(redact_module._CLEAN_KEPT + 5):
        assert redact(f"Re: order {i}") == (f"Re: order {i}", ())
        assert len(redact_module._clean) <= redact_module._CLEAN_KEPT
    assert "Re: order 4" not in redact_module._clean  # cleared when full
    # A long text is never remembered: a phrase in it is found whatever came before.
    long_text = THREAD + f"my seed phrase: {ENGLISH}\n"
    assert redact(long_text)[1]
    assert long_text not in redact_module._clean


def test_the_lower_cased_text_is_the_one_asked_for() -> None:
    first = "Backup Codes: 1234 5678"
    second = "".join(["Backup Codes: ", "9999 0000"])  # another text object
    assert lowered(first) == first.lower()
    assert lowered(second) == second.lower()
    assert lowered(first) == first.lower()
    assert lowered(second.upper()) == second.lower()


def test_a_mail_redacted_twice_in_a_row_gives_the_same_mail() -> None:
    raw = (
        "From: A <a@example.com>\r\nTo: support@exchange.test\r\nSubject: help\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nmy seed phrase: {CHINESE}\r\n{THREAD}"
    ).encode()
    first = redact_mail(parse_message(raw))
    second = redact_mail(parse_message(raw))
    assert first == second
    assert first[1] and CHINESE not in first[0].text


@pytest.mark.parametrize("cue", _CHINESE_SEED_CUES)
def test_chinese_seed_cues_are_where_the_pattern_finds_them(cue: str) -> None:
    for variant in _cue_variants(cue):
        for text in (f"{variant}：的三欧三考于据保量损破战", f"{THREAD}我的{variant}是 {CHINESE}\n{THREAD}"):
            found = cues_found(_CHINESE_SEED_CUE, _CHINESE_SEED_CUE_HEADS, text)
            assert [m.span() for m in found] == [m.span() for m in _CHINESE_SEED_CUE.finditer(text)], text


def test_a_chinese_phrase_after_each_cue_is_found() -> None:
    # `_adjacent_phrase` looks for the cue at most 12 characters before the phrase.
    for cue in (c for c in _CHINESE_SEED_CUES if len(c) < 12):
        text = f"{THREAD}{cue}：的三欧三考于据保量损破战\n"
        assert [text[s.start : s.end] for s in find_secrets(text)] == ["的三欧三考于据保量损破战"], cue
