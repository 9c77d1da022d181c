"""The secret scan's cheap first looks give what the exact rules give: no secret is missed.

Each first look (marks of words read from bytes, tokens read only around runs of marked
words, password words and backup-code cues found with `str.find`) is checked against the plain rule it stands
for, on the edges where they could part: a phrase at a window's edge, Chinese next to
English, capital İ, the Kelvin sign and the long s, lone surrogates, words split by line breaks.
"""

from __future__ import annotations

import random
import re
import sys

import pytest

from inboxd.redact import find_secrets
from inboxd.redact.codes import _BACKUP_CUE, BACKUP_CUES, _backup_cues
from inboxd.redact.keys import _RUN, _runs, key_spans
from inboxd.redact.passwords import _PASSWORD_EN_CORE, _core_words, password_spans
from inboxd.redact.seeds import seed_spans
from inboxd.redact.words import _ALL_CJK, _TOKEN, word_marks, wordlists

ENGLISH = "abandon amount liar amount expire adjust cage candy arch gather drum buyer"  # checksum valid
CHINESE = "的 三 欧 三 考 于 据 保 量 损 破 战"  # checksum valid
SPANISH = "aprender mañana lupa calvo ética ámbar gaita bruja balanza tapa dueño dedo"  # checksum valid
# A quoted acknowledgement: "private key" then "在 … 年 … 月 … 日" is a run of six marked words.
ACK = (
    "在 2026年11月19日 12:00，客服 <support@exchange.test> 写道：\n"
    "> 新币上线的时间在哪里看？有没有提醒功能\n"
    "> Thank you for contacting us. We have opened ticket INB-090123.\n"
    "> Amount: 2029 USDT (TRC20)\n"
    "> We will never ask for your password, seed phrase or private key.\n\n"
)
THREAD = ACK * 8


def _marks_by_the_plain_rule(text: str) -> bytearray:
    """word_marks as first written: every word of the lower-cased text, one at a time."""
    forms = wordlists().forms
    lowered = [w.lower() for w in _TOKEN.findall(text)] if "\u0130" in text else _TOKEN.findall(text.lower())
    return bytearray(
        w in forms or not (w.isascii() or (len(w) > 1 and _ALL_CJK.fullmatch(w) is not None)) for w in lowered
    )


MARK_CASES = [
    THREAD,
    "谢谢，thank you abandon。able，ability；about：above",
    "abandon\u00a0ability\u3000able\u200babout",  # no-break, ideographic and zero-width spaces
    "İstanbul abandon ability able, İzmir above absent",
    "\u212aey abandon \u212aEY",  # the Kelvin sign lowers to an ASCII "k"
    "abc \udcff def abandon x\ud800y 你好 是",  # lone surrogates, as undecodable mail leaves them
    "café abaco ábaco ÁBACO naïve ١٢٣abandon ٣able",  # accents, Arabic-Indic digits inside words
    "你好abandon是able 的的 的 a的b",
    "",
    "...,,,123 456",
]


@pytest.mark.parametrize("text", MARK_CASES)
def test_word_marks_are_the_plain_rule(text: str) -> None:
    lexicon = wordlists()
    assert word_marks(text, lexicon.forms, lexicon.ascii_forms) == _marks_by_the_plain_rule(text)
    assert word_marks(text, lexicon.forms) == _marks_by_the_plain_rule(text)


def test_word_marks_are_the_plain_rule_on_random_text() -> None:
    rng = random.Random(24)
    alphabet = list("abcdefghijklmnopqrstuvwxyz ABCZ.,;:-_\n\t0123456789") + list(
        "的三欧考于据保量损破战你好是，。：、；\u00a0\u3000\u200béçñüİıſ\u212a\u0301١\udcff"
    )
    words = ENGLISH.split() + SPANISH.split() + CHINESE.split()
    for _ in range(2000):
        text = "".join(
            rng.choice(alphabet) if rng.random() < 0.6 else rng.choice(words) for _ in range(rng.randrange(40))
        )
        assert word_marks(text, wordlists().forms, wordlists().ascii_forms) == _marks_by_the_plain_rule(text), text


def _spans_of(text: str, phrase: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(phrase), text)]


@pytest.mark.parametrize("phrase", [ENGLISH, SPANISH, CHINESE], ids=["english", "spanish", "chinese"])
@pytest.mark.parametrize(
    "where",
    ["start", "end", "alone", "after_run", "glued_to_han", "one_word_from_run"],
)
def test_a_phrase_is_found_at_every_edge_of_a_thread(phrase: str, where: str) -> None:
    if where == "start":
        text = phrase + "\n" + THREAD
    elif where == "end":
        text = THREAD + phrase
    elif where == "alone":
        text = phrase
    elif where == "after_run":  # right after the six marked words "private key 在 年 月 日"
        text = THREAD + "private key 在 年 月 日 " + phrase + "\n" + THREAD
    elif where == "glued_to_han":  # Chinese punctuation on both sides, no space
        text = THREAD + "助记词：" + phrase + "。谢谢" + THREAD
    else:  # one unmarked word between a marked stretch and the phrase
        text = THREAD + "private key 在 年 月 日 hello " + phrase + " thanks\n" + THREAD
    spans = seed_spans(text)
    for start, end in _spans_of(text, phrase):
        assert any(s <= start and end <= e for s, e in spans), (where, spans)
    found = find_secrets(text)
    for start, end in _spans_of(text, phrase):
        assert any(s.kind == "seed_phrase" and s.start <= start and end <= s.end for s in found)


def test_a_phrase_split_by_line_breaks_and_numbering_inside_a_thread_is_found() -> None:
    numbered = "\n".join(f"> {i}. {word}" for i, word in enumerate(ENGLISH.split(), 1))
    text = THREAD + "My words:\n" + numbered + "\n" + THREAD
    first = text.index("abandon")
    last = text.index("buyer") + len("buyer")
    assert (first, last) in seed_spans(text)


def test_chinese_without_spaces_after_a_cue_in_an_english_thread_is_found() -> None:
    phrase = CHINESE.replace(" ", "")
    text = THREAD.replace("新币", "") + "我的助记词是：" + phrase + "\n" + THREAD
    start = text.index(phrase)
    assert (start, start + len(phrase)) in seed_spans(text)


def test_two_phrases_far_apart_are_both_found() -> None:
    text = ENGLISH + "\n" + THREAD + SPANISH + "\n" + THREAD + CHINESE
    spans = seed_spans(text)
    for phrase in (ENGLISH, SPANISH, CHINESE):
        start = text.index(phrase)
        assert (start, start + len(phrase)) in spans


def test_lower_casing_moves_no_character_and_makes_no_ascii_letter_but_two() -> None:
    # The password scan finds its words in `text.lower()` at the places they have in `text`,
    # and falls back to its pattern for "İ"; the Kelvin sign lowers to "k", in no password word.
    odd = [
        c
        for c in range(0x80, sys.maxunicode + 1)
        if len(chr(c).lower()) != 1 or any(x.isascii() and x.isalpha() for x in chr(c).lower())
    ]
    assert odd == [0x130, 0x212A]


PASSWORD_CASES = [
    "PaSsWoRd pwpw PIN pin cReDentials",
    "İ password İ pass",
    "\u212apass pass\u212a",
    "口令密码密碼 密口令 口密码",
    "passpass passs ppass credcred",
    "",
]


@pytest.mark.parametrize("text", PASSWORD_CASES + MARK_CASES)
def test_password_words_are_where_the_pattern_finds_them(text: str) -> None:
    english, chinese = _core_words(text)
    assert english == [m.start() for m in _PASSWORD_EN_CORE.finditer(text)]
    assert chinese == [m.start() for m in re.finditer("密码|密碼|口令", text)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("my anti-phishing password: Xy9!pq12", "Xy9!pq12"),
        ("login   password is Qw3rty99", "Qw3rty99"),
        ("(new password: Zz9_abcd)", "Zz9_abcd"),
        ("x-e-mail password = Tr0ub4dor", "Tr0ub4dor"),
        ("资金密码：Qw3rty99", "Qw3rty99"),
        # "pass" is a password word only after a login: the prefix word is where the match starts.
        ("user bob wallet pass Xy9!pq1", "Xy9!pq1"),
        ("user bob\tanti-phishing pass Xy9!pq1", "Xy9!pq1"),
    ],
)
def test_passwords_after_a_prefix_word_are_found(text: str, value: str) -> None:
    start = text.index(value)
    assert (start, start + len(value)) in password_spans(text)
    start += len(THREAD)  # after "password" in every quoted acknowledgement
    assert (start, start + len(value)) in password_spans(THREAD + text)


def _cue_variants(cue: str) -> list[str]:
    return [
        cue,
        cue.upper(),
        cue.title(),
        cue.replace(" ", "\n  "),
        cue.replace(" ", ""),
        cue.replace("k", "\u212a"),  # the Kelvin sign
        cue.replace("s", "\u017f"),  # long s: re.I reads it as "s", lower() does not
        cue.replace("i", "\u0131").replace("I", "\u0130"),
        "x" + cue,  # inside a word: no cue
        cue + "s",
    ]


@pytest.mark.parametrize("cue", BACKUP_CUES)
def test_backup_cues_are_where_the_pattern_finds_them(cue: str) -> None:
    for variant in _cue_variants(cue):
        for text in (f"{variant}: k7q2-m9xp 8h3n-2b5v", f"{THREAD}my {variant} below:\n12345678\n87654321\n{THREAD}"):
            assert [m.span() for m in _backup_cues(text)] == [m.span() for m in _BACKUP_CUE.finditer(text)], text


def test_re_reads_only_three_letters_outside_ascii_as_ascii_letters_of_a_cue() -> None:
    # The backup-code scan looks for its cues in `text.lower()` unless the text holds one of
    # these; the Kelvin sign lowers to "k" itself.
    letter = re.compile("[a-z]", re.I)
    odd = [c for c in range(0x80, sys.maxunicode + 1) if letter.fullmatch(chr(c))]
    assert {chr(c): [x for x in "abcdefghijklmnopqrstuvwxyz" if re.fullmatch(x, chr(c), re.I)] for c in odd} == {
        "\u0130": ["i"],
        "\u0131": ["i"],
        "\u017f": ["s"],
        "\u212a": ["k"],
    }
    assert "\u212a".lower() == "k"


# Runs of letters and digits at the text's edges, next to others, as long as a WIF key, one short of 16.
_RUN_PIECES = ["a", "Z", "0", "f" * 15, "1" * 16, " ", "-", "\n", "中", "é", "_", "abcdef0123456789" * 4,
               "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"]  # fmt: skip


def test_runs_of_letters_and_digits_are_where_the_plain_pattern_finds_them() -> None:
    rng = random.Random(51)
    for _ in range(20_000):
        text = "".join(rng.choice(_RUN_PIECES) for _ in range(rng.randint(0, 30)))
        assert _runs(text) == [m.span() for m in _RUN.finditer(text)], text


def test_a_key_at_the_start_of_a_text_and_after_a_word_is_found() -> None:
    wif = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"  # a valid WIF key
    assert key_spans(wif + " is it") == [(0, 51)]
    assert key_spans("my key " + wif) == [(7, 58)]
