"""decode_text and header decoding: mislabelled, unlabelled and broken charsets as real mail has them."""

from __future__ import annotations

import pytest

from inboxd.charset import codec_for, decode_text
from inboxd.headers import decode_header_value
from inboxd.parse import parse_message

GBK_TEXT = "您好，我昨天充值的3000 USDT到现在还没到账，喆镕"  # 喆 and 镕 are not in GB2312
BIG5_TEXT = "請問我的提幣什麼時候到帳？已經等了兩天了。"


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("gb2312", "gb18030"),
        ("GB2312", "gb18030"),
        ('"gbk"', "gb18030"),
        ("x-gbk", "gb18030"),
        ("cp936", "gb18030"),
        ("big5", "big5hkscs"),
        ("iso-8859-1", "cp1252"),
        ("utf-8", "utf-8"),
        ("UTF8", "utf-8"),
        ("shift_jis", "cp932"),
        ("ks_c_5601-1987", "cp949"),
        ("x-unknown-charset", None),
        ("base64", None),  # a codec, but not a text encoding
        ("", None),
        (None, None),
    ],
)
def test_labels_map_to_what_senders_mean(label: str | None, codec: str | None) -> None:
    assert codec_for(label) == codec


def test_gbk_under_a_gb2312_label() -> None:
    decoded = decode_text(GBK_TEXT.encode("gbk"), "gb2312")
    assert decoded.text == GBK_TEXT and decoded.how == "declared"


def test_utf8_under_a_gb2312_label_is_read_as_utf8() -> None:
    decoded = decode_text(GBK_TEXT.encode("utf-8"), "gb2312")
    assert decoded.text == GBK_TEXT and decoded.charset == "utf-8"


def test_utf8_under_a_latin1_label_is_read_as_utf8() -> None:
    assert decode_text("Grüße, the withdrawal failed".encode(), "iso-8859-1").text == "Grüße, the withdrawal failed"


def test_short_gbk_that_happens_to_be_valid_utf8_keeps_its_label() -> None:
    # 联通 in GBK is C1 AA CD A8: valid UTF-8 too. Four bytes are no evidence against the label.
    assert decode_text("联通".encode("gbk"), "gbk").text == "联通"


def test_windows_1252_smart_quotes_under_latin1() -> None:
    raw = "It’s “pending” – still".encode("cp1252")
    assert decode_text(raw, "iso-8859-1").text == "It’s “pending” – still"


@pytest.mark.parametrize("label", [None, "us-ascii", "x-unknown", "utf-8"])
def test_big5_without_a_usable_label_is_detected(label: str | None) -> None:
    text = BIG5_TEXT * 3
    decoded = decode_text(text.encode("big5"), label)
    assert decoded.text == text and decoded.how == "detected"


def test_undeclared_gbk_is_detected() -> None:
    text = "你好，我的提币还没有到账，订单号是 W20261120143255781，请帮忙查一下。"
    assert decode_text(text.encode("gbk"), None).text == text


def test_double_encoded_big5_is_recovered() -> None:
    # Big5 bytes read as Latin-1 and saved as UTF-8, as old webmail did.
    raw = BIG5_TEXT.encode("big5").decode("latin-1").encode("utf-8")
    decoded = decode_text(raw, "big5")
    assert decoded.text == BIG5_TEXT and decoded.how == "double-encoded"


def test_undecodable_bytes_never_give_surrogates() -> None:
    decoded = decode_text(bytes(range(256)) * 4, "utf-16-le")
    decoded.text.encode("utf-8")  # no lone surrogates: the text can be printed and stored


def test_ascii_is_ascii() -> None:
    assert decode_text(b"plain words", None).text == "plain words"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # A GBK character split across two encoded words (QQ Mail, Foxmail).
        ("=?GBK?B?s+TWtbI=?= =?GBK?B?u7W91cs=?=", "充值不到账"),
        ("=?utf-8?Q?Withdrawal_=E6=8F=90=E5=B8=81?= failed", "Withdrawal 提币 failed"),
        # Missing base64 padding and a stray character.
        ("=?UTF-8?B?5o+Q5biB5aSx6LSl?=", "提币失败"),
        ("=?UTF-8?B?5o+Q5biB5aSx6LSl====?=", "提币失败"),
        # Declared gb2312, really UTF-8.
        ("=?gb2312?B?5o+Q5biB5aSx6LSl?=", "提币失败"),
        # Unknown charset: the bytes are detected.
        ("=?x-mac-klingon?B?5o+Q5biB5aSx6LSl?=", "提币失败"),
        ("=?utf-8?B?not base64 at all?=", "=?utf-8?B?not base64 at all?="),
        ("Re: =?ISO-8859-1?Q?Gr=FC=DFe?=\r\n =?ISO-8859-1?Q?_aus_K=F6ln?=", "Re: Grüße aus Köln"),
        ("plain subject", "plain subject"),
    ],
)
def test_header_values(raw: str, expected: str) -> None:
    assert decode_header_value(raw) == expected


def test_raw_8bit_headers_use_utf8_or_the_body_charset() -> None:
    utf8 = (
        "From: 王强 <wq@163.com>\r\nSubject: 提币没到账\r\nContent-Type: text/plain; charset=gbk\r\n\r\n"
    ).encode() + "请帮忙".encode("gbk")
    mail = parse_message(utf8)
    assert mail.subject == "提币没到账" and mail.sender_name == "王强" and mail.text == "请帮忙"
    legacy = "Subject: 提币没到账\r\nFrom: a@qq.com\r\nContent-Type: text/plain; charset=gbk\r\n\r\n请帮忙".encode(
        "gbk"
    )
    assert parse_message(legacy).subject == "提币没到账"
