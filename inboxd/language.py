"""Which language the customer wrote in: Chinese (simplified or traditional) or English.

The acknowledgement follows the customer's language. Chinese customers often mix
in English terms (USDT, KYC, 2FA, app), so the test is the share of Han
characters among letters, not their absence: a handful of Han characters in a
short mail is Chinese, a Chinese signature under an English mail is not.
"""

from __future__ import annotations

import re

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
