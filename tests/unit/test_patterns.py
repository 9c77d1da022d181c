"""Several patterns searched as one (inboxd.patterns): the answers of one search per pattern, in one pass."""

from __future__ import annotations

import random
import re

import pytest

from inboxd.assets import load_assets
from inboxd.pattern_prefixes import _SURELY_WORD
from inboxd.pattern_shapes import _ASCII_FOLDS
from inboxd.patterns import AnyOf
from tests.conftest import ROOT


def one_by_one(patterns: list[re.Pattern[str]], text: str) -> tuple[bool, tuple[int, int] | None]:
    """What `AnyOf` stands for, written the obvious way: one search per pattern."""
    starts = [(m.start(), i) for i, p in enumerate(patterns) if (m := p.search(text))]
    return bool(starts), min(starts) if starts else None


def shipped() -> dict[str, list[re.Pattern[str]]]:
    rules = load_assets(ROOT / "classifiers").phishing
    return {
        "questions": list(rules.questions),
        "suspicious": list(rules.suspicious),
        "forward": [p for _, p in rules.forward],
    }


PIECES = [
    "Is this email from you?", "is that", "IS IT REALLY YOURS", "this", "İs", "ıs", "ſcam?", "Kelvin", "legit?",
    "did you send me", "someone claiming to be support", "verify your account", "seed phrase", "click here",
    "urgent", "suspended", "withdrawals", "是不是你们的", "吗", "？", "有人自称客服", "冻结账户", "助记词", "验证码",
    "---------- Forwarded message ---------", "-----Original Message-----", "From: a@b.example", "Sent: Monday",
    "Begin forwarded message:", "发件人：x", "发送时间：y", "________________", " ", " ", "\n", "\n", "\r\n", "\t",
    "x", "-", ".", "?", "a", "real or fake", "the official website?", "phishing?", "report a phishing", "登录链接",
]  # fmt: skip


def texts(n: int, seed: int) -> list[str]:
    r = random.Random(seed)
    return ["".join(r.choice(PIECES) for _ in range(r.randint(0, 30))) for _ in range(n)]


def test_the_fold_table_is_what_re_ignorecase_does() -> None:
    """Every character beyond ASCII that `re.I` equates with an ASCII letter is in the table."""
    letters = re.compile("[a-z]", re.I)
    found: dict[str, str] = {}
    for code in range(0x80, 0x110000):
        char = chr(code)
        if letters.fullmatch(char):
            letter = next(c for c in "abcdefghijklmnopqrstuvwxyz" if re.fullmatch(c, char, re.I))
            found[letter] = found.get(letter, "") + char
    assert found == _ASCII_FOLDS


@pytest.mark.parametrize("name", ["questions", "suspicious", "forward"])
def test_the_shipped_lists_are_one_search(name: str) -> None:
    """Each pattern of classifiers/phishing.toml is in the one search (none is searched alone)."""
    patterns = shipped()[name]
    searched = AnyOf(patterns)
    assert searched.combined is not None and searched.alone == ()


@pytest.mark.parametrize("name", ["questions", "suspicious", "forward"])
def test_the_shipped_lists_answer_as_one_search_per_pattern(name: str) -> None:
    patterns = shipped()[name]
    searched = AnyOf(patterns)
    for text in texts(3000, seed=len(name)):
        assert (searched.found(text), searched.first(text)) == one_by_one(patterns, text), text


def test_patterns_it_cannot_read_are_searched_alone_with_the_same_answers() -> None:
    patterns = [
        re.compile(r".x"),  # any character first
        re.compile(r"\s*phish", re.I),  # white space: too many characters
        re.compile(r"(a)b\1", re.I),  # a back reference by number
        re.compile(r"\bis\b", re.I),
        re.compile(r"^-{3,}\s*$", re.M),
        re.compile(r"[^a]b"),  # a negated class
        re.compile(r"ß", re.I),  # cased beyond ASCII
        re.compile(r"(?P<x>q)(?P=x)"),  # a back reference by name
    ]
    searched = AnyOf(patterns)
    assert [p.pattern for p in searched.alone] == [".x", r"\s*phish", r"(a)b\1", "[^a]b", "ß", "(?P<x>q)(?P=x)"]
    for text in ["abaxb", "  PHISH", "is", "this\n---\n", "ss", "SS", "qq", "", "xis", "---", "a\n---", "ß"]:
        assert (searched.found(text), searched.first(text)) == one_by_one(patterns, text), text


def test_first_at_one_place_is_the_first_listed() -> None:
    patterns = [re.compile(r"^\s*-{3,} b", re.M), re.compile(r"^\s*-{3,}", re.M), re.compile(r"\bx")]
    searched = AnyOf(patterns)
    assert searched.first("--- b") == (0, 0)
    assert searched.first("a\n--- c") == (2, 1)
    assert searched.first("a\n\n  --- b x") == (2, 0)
    assert searched.first("ax x\n---") == (3, 2)
    assert searched.first("a x--- b") == (2, 2)  # `^` only at a line's start


def test_word_boundaries_and_case() -> None:
    searched = AnyOf([re.compile(r"\bis (it|this) real\b", re.I), re.compile("钓鱼")])
    assert searched.found("IS IT REAL?") and searched.found("İs this real") and searched.found("是钓鱼吗")
    assert not searched.found("this is it realistic") and not searched.found("his it real")


# Patterns that start at a word boundary, in the shapes whose first words are read (branches, optional
# and repeated parts, classes, look-arounds, case-sensitive parts, a part that ends the prefix).
BOUNDED = [
    re.compile(r"\bis (this|that|the (e-?mail|site))\b.{0,20}\b(from you|real)", re.I),
    re.compile(r"\b(legit|genuine)\s*(or\s*(not|fake))?\s*\?|\b(real|official) or (not|a scam)\b", re.I),
    re.compile(r"\bis \S{2,20} (really )?(yours|your site)\b", re.I),
    re.compile(r"\b(someone|a (man|guy)|he|she)\b.{0,30}\bclaim(s|ed)? to be\b", re.I),
    re.compile(r"\b(did|do) you (guys |really )?(send|sen[dt])(ed)? (me|us)\b", re.I),
    re.compile(r"\bKelvin(?=\d)[0-9]{1,3}x?"),  # case-sensitive
    re.compile(r"\b(?i:sk)(?-i:Y)[:：]"),
    re.compile(r"\b(ab){2}c|\bq(?:x|yy)*z", re.I),
    re.compile(r"\bwhich (are|is) yours\b", re.I),
]
BOUNDED_PIECES = [
    "is", "IS", "İs", "ıs", "iſ", " ", "  ", "\n", "\t", "，", "(", "_", "-", "this", "THE", "the e-mail", "the email",
    "site", "from you", "real", "REAL", "legit", "genuine ", "or", " not", "fake", "?", "yours", "your site",
    "really", "someone", "a man", "a guy", "he", "she", "claims", "claimed", "to be", "did", "do", "you", "guys",
    "send", "sent", "me", "us", "Kelvin", "KELVIN", "Kelvin", "7", "123", "x", "sk", "SK", "ſK", "Y", "y", ":",
    "：", "abab", "abc", "c", "q", "qyy", "qx", "z", "which", "are", "official", "a scam", "是", "钓鱼", "1", "é",
    # Whole questions, some with the letters beyond ASCII that `re.I` matches with an ASCII one.
    " İs this ", " ıs that ", " is thiſ ", "\nIS THE SITE ", " ſomeone ", " did you ſend me ", " ſhe ", " LEGİT? ",
    " Kelvin1", " sK: ", " which are yourſ ", "(real or not)", " a guy claimed to be ", " do you really sent us ",
]  # fmt: skip


def test_patterns_at_a_word_boundary_answer_as_one_search_per_pattern() -> None:
    """`found` looks for the first words of such patterns before it searches for the patterns."""
    patterns = [*BOUNDED, re.compile("钓鱼(吗|？)")]
    searched = AnyOf(patterns)
    assert not searched.found("") and searched._starts is not None
    r = random.Random(18)
    for _ in range(20_000):
        text = "".join(r.choice(BOUNDED_PIECES) for _ in range(r.randint(0, 14)))
        assert (searched.found(text), searched.first(text)) == one_by_one(patterns, text), text


def test_the_shipped_questions_are_looked_for_by_their_first_words() -> None:
    searched = AnyOf(shipped()["questions"])
    assert not searched.found("") and searched._starts is not None


LINES = [
    re.compile(r"^\s*-{5,}\s*(Forwarded message|转发)\s*-{3,}", re.M),
    re.compile(r"^\s*-{3,}\s*Original\s*-{3,}|^\s*_{4,}\s*$|^\s*From:\s.*\n\s*Sent:\s", re.M | re.I),
    re.compile(r"^[ \t]*(Begin|开始)[:：]", re.M),
    re.compile(r"^\s*(?:x?|y)z", re.M),  # may start with nothing but `z`: still one of the first characters
    re.compile(r"^(\s*)q", re.M),  # white space in a group: not read here, the line is tried as before
]
LINE_PIECES = [
    "\n", "\r\n", "  ", "\t", "-----", "---", "Forwarded message", "转发", "Original", "____", "From: a", "from: b",
    "Sent: c", "SENT: d", "Begin:", "开始：", "begin:", "x", "y", "z", "q", "a", " ", "ſ", "ſent: e",
]  # fmt: skip


def test_line_patterns_are_tried_on_lines_that_start_right() -> None:
    """A line is tried only when it holds, after its white space, a character a line pattern starts with."""
    searched = AnyOf(LINES[:3])
    assert searched.combined is not None and r"(?=\s*[" in searched.combined.pattern
    r = random.Random(5)
    for patterns in (LINES[:3], LINES):
        searched = AnyOf(patterns)
        for _ in range(20_000):
            text = "".join(r.choice(LINE_PIECES) for _ in range(r.randint(0, 12)))
            assert (searched.found(text), searched.first(text)) == one_by_one(patterns, text), text


def test_the_characters_read_as_surely_word_characters_are() -> None:
    """Not one of them may be a non-word character (a word after it would never be tried)."""
    chars = re.compile(f"[{_SURELY_WORD}]")
    assert all(re.match(r"\w", chr(code)) for code in range(0x110000) if chars.match(chr(code)))
