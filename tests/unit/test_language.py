from __future__ import annotations

import pytest

from inboxd.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("提币三小时了还没到", "zh"),
        ("我的 withdrawal 一直 pending，USDT TRC20", "zh"),
        ("帳號被鎖定了，無法登入", "zh"),
        ("My withdrawal has been pending for three hours", "en"),
        ("Hi, my deposit is missing.\n\nBest,\n李明", "en"),
        ("0x" + "ab" * 32, "en"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_default_language_when_nothing_to_go_on() -> None:
    assert detect_language("12345 !!!", default="zh") == "zh"
