"""Which language the customer wrote in, and Chinese text normalised for the model.

The only module importing OpenCC (Traditional → Simplified) and reading pypinyin (its
character → pinyin table).

The acknowledgement follows the customer's language. Chinese customers often mix
in English terms (USDT, KYC, 2FA, app), so the test is the share of Han
characters among letters, not their absence: a handful of Han characters in a
short mail is Chinese, a Chinese signature under an English mail is not.
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from functools import cache
from pathlib import Path

import opencc

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def detect_language(text: str, default: str = "en") -> str:
    """Return "zh" or "en" for `text` (the subject plus the customer's new text)."""
    sample = text[:4000]
    han = len(_HAN.findall(sample))
    words = len(_LATIN_WORD.findall(sample))
    if han == 0 and words == 0:
        return default
    # A Chinese character carries about as much as an English word of ~4 letters;
    # compare Han characters with English words, weighted so mixed text counts as Chinese.
    if han >= 2 and han * 1.0 >= words * 0.5:
        return "zh"
    return "en" if words else default


# -- Chinese as the model reads it ----------------------------------------------------------------
#
# Customers write the same request in Simplified or Traditional characters, and a pinyin
# input method turns a slip into a homophone (登陆 for 登录, 题币 for 提币). The model reads
# Simplified text (OpenCC's phrase-aware conversion) and, where model.toml asks for it, the
# toneless pinyin of the Han characters, in which such homophones are the same words.


@cache
def _simplifier() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@cache
def _pinyin_table() -> dict[int, str]:
    # pypinyin's per-character table is read from its data file, without importing
    # pypinyin: the import takes a quarter of a second, builds its phrase dictionary and
    # keeps the table (as text) for good, 12 MiB of the daemon's memory where this table
    # needs 6. Only a model that reads pinyin asks for it.
    spec = importlib.util.find_spec("pypinyin")
    locations = spec.submodule_search_locations if spec else None
    if not locations:
        raise RuntimeError("pypinyin is not installed")
    readings: dict[str, str] = json.loads((Path(locations[0]) / "pinyin_dict.json").read_text("utf-8"))
    table: dict[int, str] = {}
    syllables: dict[str, str] = {}  # one string per syllable (~400), not per character (~42,000)
    for codepoint, reading in readings.items():
        # The first reading is the most common one; tone marks are dropped so that a
        # homophone typed in the wrong tone still matches.
        syllable = unicodedata.normalize("NFKD", reading.split(",")[0])
        spaced = "".join(ch for ch in syllable if not unicodedata.combining(ch)).replace("ü", "v") + " "
        table[int(codepoint)] = syllables.setdefault(spaced, spaced)
    return table


_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters and phrases converted to Simplified; other text unchanged."""
    return _simplifier().convert(text) if _HAN.search(text) else text


def pinyin(text: str) -> str:
    """The toneless pinyin syllables of the Han characters in `text`, space-separated."""
    runs = _HAN_RUN.findall(text)
    return " ".join(runs).translate(_pinyin_table()).strip() if runs else ""
