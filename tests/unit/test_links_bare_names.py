"""inboxd.links._bare_names: the bare names of a text, read run by run, are `_BARE.finditer`'s."""

from __future__ import annotations

import random

import pytest

from inboxd import links
from inboxd.links import _BARE, _bare_names

# Label characters, dots (joints and not), the characters that end a run or fail the look-ahead,
# Chinese (ends a label), a label longer than 63, white space.
_PIECES = ["a", "b", "Z", "9", "é", "-", "-", ".", ".", ".", "@", " ", "\n", "中", "_", "。", "x" * 70, "com"]


def _texts(seed: int, count: int, longest: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randint(0, longest))) for _ in range(count)]


@pytest.mark.parametrize(
    "text",
    [
        "see www.exchange.example/login or exchange.example.",
        "mail me at a.b@x.com, v2.1 or 1.5 BTC",
        "x.com@evil.example a..b .a. -a.b- a.-b",
        "请访问exchange.example确认",
        ("word " * 30 + "x.y ") * 3,
    ],
)
def test_the_names_are_those_of_the_pattern_over_the_whole_text(text: str) -> None:
    assert [m.span() for m in _bare_names(text)] == [m.span() for m in _BARE.finditer(text)]


def test_random_texts_give_the_names_of_the_pattern() -> None:
    for text in _texts(18, 20_000, 40):
        assert [m.span() for m in _bare_names(text)] == [m.span() for m in _BARE.finditer(text)], text


def test_a_text_of_many_runs_reads_regions_past_the_runs_read_alone() -> None:
    texts = _texts(26, 300, 1500)
    assert any(sum(1 for _ in links._JOINT.finditer(t)) > links._OWN_RUNS for t in texts)
    for text in texts:
        assert [m.span() for m in _bare_names(text)] == [m.span() for m in _BARE.finditer(text)]
