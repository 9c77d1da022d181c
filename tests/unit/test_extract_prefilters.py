"""The cheap looks before the extractors' patterns (`context.may_hold`, a `@`, a `://`): a text they
pass over has no match, whatever its case, including the letters beyond ASCII that `re.I` folds."""

from __future__ import annotations

import importlib
import random
import re
from datetime import UTC, datetime

import pytest

from inboxd.extract import accounts, context
from inboxd.extract.context import mask, may_hold

# The package exports functions of these names: the modules themselves.
amounts = importlib.import_module("inboxd.extract.amounts")
times = importlib.import_module("inboxd.extract.times")

PIECES = [
    "TRC20", "trc-20", "波场", "波場", "Tron network", "ERC20", "BEP2", "bep-20", "BSC", "BſC", "BNB Smart Chain",
    "Arbitrum One", "ARBİTRUM", "arbıtrum", "Polygon", "Optimism", "OPTİMİSM", "Solana", "ſolana", "SPL", "ſpl",
    "Base network", "BAſE chain", "Jan", "Sep", "ſep", "ſeptember", "Nov", "May", "today", "YESTERDAY", "yeſterday",
    "thiſ morning", "THIS EVENING", "laſt night", "tonıght", "TONİGHT", "UID", "uıd", "user id", "ACCOUNT İD",
    "用户编号", "用戶編號", "phone", "MOBİLE", "mobıle", "tel", "手机号", "電話", "www.", "WWW.", "https://", "@",
    "x@y.example", " ", "\n", ":", "：", "1", "12", "500", "2026", "-", ".", "a", "K", "K", "ſ", "ı", "İ", "USDT",
    ": 1234567", "is 98765432", "+1 555 0100 200", "at 3", "around 11:30", "pm", "AM", "Pm", "at 9 PM", "about 7am",
]  # fmt: skip


def texts(n: int, seed: int) -> list[str]:
    r = random.Random(seed)
    return [" ".join(r.choice(PIECES) for _ in range(r.randint(1, 8))) for _ in range(n)]


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (amounts._NETWORK, amounts._NETWORK_WORDS),
        (times._EN_DATE, times._MONTHS),
        (times._RELATIVE_EN, times._RELATIVE_WORDS),
        (accounts._UID, accounts._UID_WORDS),
        (accounts._PHONE, accounts._PHONE_WORDS),
        (times._CLOCK_EN, ("am", "pm")),
    ],
)
def test_a_text_the_look_passes_over_has_no_match(pattern: re.Pattern[str], words: tuple[str, ...]) -> None:
    matched = 0
    for text in texts(4000, seed=len(words)):
        if pattern.search(text):
            matched += 1
            assert may_hold(text, words), text
    assert matched > 20  # the pieces make matches, folded letters among them


def test_folded_letters_are_read_as_the_patterns_read_them() -> None:
    """`ſ`, `ı` and `İ` lower to themselves (or two characters), but `re.I` matches them with s and i."""
    assert amounts.amounts("sent 5 USDT via BſC")[0].network == "BEP20"
    assert amounts.amounts("sent 5 USDT on ARBİTRUM")[0].network == "Arbitrum"
    # A month in a long s was a ValueError (the mail failed in the worker): it is September.
    sep = times.times("on ſep 3, 2026 at 10:00", datetime(2026, 9, 5, tzinfo=UTC), UTC)
    assert [t.value for t in sep] == [datetime(2026, 9, 3, 10, 0, tzinfo=UTC)]
    assert times.times("yeſterday", datetime(2026, 9, 5, 12, tzinfo=UTC), UTC)
    assert accounts.account_ids("uıd: 1234567", frozenset())[0].value == "1234567"
    assert accounts.account_ids("mobıle: +1 555 0100 200", frozenset())[0].kind == "phone"


def test_urls_and_addresses_are_masked_with_or_without_their_marks() -> None:
    masked = mask("see WWW.Example.com/x and a@b.example now")
    assert masked.text == "see" + " " * len(" WWW.Example.com/x") + " and" + " " * len(" a@b.example") + " now"
    assert mask("no link here, 1.5 BTC").text == "no link here, 1.5 BTC"
    assert context._URL.search("WWW.x") is not None and may_hold("WWW.x", ("www.",))
