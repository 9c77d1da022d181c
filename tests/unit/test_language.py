from __future__ import annotations

import pytest

from inboxd.language import detect_language, pinyin, to_simplified


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


def test_traditional_chinese_is_read_as_simplified() -> None:
    assert to_simplified("我的帳戶被凍結了，請幫忙處理提幣") == "我的帐户被冻结了，请帮忙处理提币"
    assert to_simplified("USDT withdrawal 0x9a3f") == "USDT withdrawal 0x9a3f"


def test_pinyin_makes_input_method_homophones_equal() -> None:
    # A pinyin input method offers 登陆 (land) for 登录 (log in), 题币 for 提币.
    assert pinyin("登陆失败") == pinyin("登录失败") == "deng lu shi bai"
    assert pinyin("题币") == pinyin("提币")
    assert pinyin("提币 USDT 到账").split() == ["ti", "bi", "dao", "zhang"]
    assert pinyin("no chinese here") == ""
