"""parse_message on .eml fixtures written the way real clients write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from inboxd.config import LimitsConfig
from inboxd.errors import MessageError
from inboxd.parse import parse_message
from inboxd.values import ParseLimits
from tests.conftest import fixture_bytes


def test_gb2312_label_with_gbk_characters_decodes_as_gb18030() -> None:
    mail = parse_message(fixture_bytes("zh_gbk_deposit.eml"))
    assert mail.sender == "zhangzhe8866@qq.com"
    assert mail.sender_name == "张喆"  # 喆 is not in GB2312: a strict decoder loses it
    assert mail.subject == "充值不到账"
    assert "镕" in mail.text  # GBK-only character in the base64 body
    assert "3000 USDT（TRC20）" in mail.text
    assert mail.date == datetime(2026, 11, 21, 10, 21, 33, tzinfo=timezone(timedelta(hours=8)))


def test_quoted_printable_utf8_chinese() -> None:
    mail = parse_message(fixture_bytes("zh_qp_account.eml"))
    assert mail.subject == "账户被冻结"
    assert mail.sender_name == "王强"
    assert "账户已冻结，请联系客服" in mail.text
    assert mail.message_id == "<6a1f2e3d.4b5c.18f2a9c3d7e.Coremail.wangqiang_1990@163.com>"


def test_html_only_mail_is_converted_to_text() -> None:
    mail = parse_message(fixture_bytes("zh_html_only.eml"))
    assert mail.html_only
    assert "<div>" not in mail.text
    assert "提币白名单" in mail.text
    # The iPhone footer is a signature, not the customer's words.
    assert "发自我的iPhone" in mail.text and "发自我的iPhone" not in mail.new_text


def test_outlook_windows_1252_html() -> None:
    mail = parse_message(fixture_bytes("en_html_only_trade.eml"))
    assert mail.html_only
    assert "filled at 63,480 – that is way above" in mail.text
    assert "MsoNormal" not in mail.text


def test_html_text_keeps_the_customers_characters() -> None:
    """HTML becomes plain text, not Markdown; the customer's numbered steps, dashes and paths must not come out escaped."""
    raw = (
        b"From: Li Ming <li.ming@example.com>\r\nTo: support@exchange.test\r\nSubject: withdrawal stuck\r\n"
        b"Message-ID: <html-steps-1@example.com>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<div>1. I withdrew 250 USDT at 09:40</div><div>2. It says completed</div>"
        b"<div>- TRC20</div><div>+ network fee 1 USDT</div><div>saved to C:\\Users\\li\\tx.png</div>"
        b'<div>see <a href="https://tronscan.org/#/transaction/ab12">tronscan</a></div>\r\n'
    )
    mail = parse_message(raw)
    assert mail.html_only
    lines = mail.text.splitlines()
    assert "1. I withdrew 250 USDT at 09:40" in lines and "2. It says completed" in lines
    assert "- TRC20" in lines and "+ network fee 1 USDT" in lines
    assert "saved to C:\\Users\\li\\tx.png" in lines
    assert "https://tronscan.org/#/transaction/ab12" in mail.text  # links stay inline


def test_multipart_alternative_prefers_plain_text() -> None:
    mail = parse_message(fixture_bytes("en_withdrawal_complete.eml"))
    assert not mail.html_only
    assert "<div" not in mail.text
    assert "TXID: 4f1c1e0b6f0a7d3f6b5c2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c" in mail.text
    assert mail.sender == "dan.whitaker84@gmail.com"
    assert mail.reply_to == ""  # no Reply-To header: nothing is recorded for agents
    assert mail.to == ("support@exchange.test",)


def test_reply_headers_and_quoted_history() -> None:
    mail = parse_message(fixture_bytes("en_reply_quoted.eml"))
    assert mail.in_reply_to == "<inboxd.INB-000001.3f2a1b0c9d8e7f6a@exchange.test>"
    assert mail.references == (
        "<CAF8q2vXk3m0Jw9hQ1pZr7Lq8@mail.gmail.com>",
        "<inboxd.INB-000001.3f2a1b0c9d8e7f6a@exchange.test>",
    )
    assert mail.new_text == "The withdrawal ID is W20261120143255781 if that helps."


def test_missing_message_id_is_synthesised_from_the_bytes() -> None:
    raw = b"From: a@example.com\r\nTo: support@exchange.test\r\nSubject: hi\r\n\r\nhello\r\n"
    first, second = parse_message(raw), parse_message(raw)
    assert first.message_id_synthetic
    assert first.message_id == second.message_id
    assert first.message_id.endswith("@inboxd.invalid>")
    assert parse_message(raw + b"more\r\n").message_id != first.message_id


def test_attachments_are_listed_with_name_type_and_size() -> None:
    raw = (
        b"From: a@example.com\r\nTo: support@exchange.test\r\nSubject: screenshot\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n'
        b'--XX\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename="=?UTF-8?B?5oiq5Zu+LnBuZw==?="\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk\r\n"
        b"--XX--\r\n"
    )
    mail = parse_message(raw)
    assert [(a.filename, a.content_type) for a in mail.attachments] == [("截图.png", "image/png")]
    assert 30 < mail.attachments[0].size < 50
    assert mail.text.strip() == "see attached"


def test_headerless_garbage_is_a_message_error() -> None:
    with pytest.raises(MessageError, match="no headers"):
        parse_message(b"\x00\x01\x02 not a mail at all")


def test_deep_nesting_is_refused_before_decoding() -> None:
    with pytest.raises(MessageError, match="max_mime_depth"):
        parse_message(fixture_bytes("hostile_nested.eml"))


def test_size_and_part_limits() -> None:
    raw = fixture_bytes("en_withdrawal_complete.eml")
    with pytest.raises(MessageError, match="max_message_bytes"):
        parse_message(raw, ParseLimits.of(LimitsConfig(max_message_bytes=1024)))
    with pytest.raises(MessageError, match="max_mime_parts"):
        parse_message(raw, ParseLimits.of(LimitsConfig(max_mime_parts=2)))


def test_date_without_zone_or_garbage_is_tolerated() -> None:
    raw = b"From: a@example.com\r\nDate: yesterday-ish\r\nSubject: x\r\n\r\nbody\r\n"
    assert parse_message(raw).date is None
    raw = b"From: a@example.com\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nSubject: x\r\n\r\nbody\r\n"
    assert parse_message(raw).date == datetime(2026, 11, 23, 10, tzinfo=UTC)


def test_qq_mail_reply_keeps_only_the_new_words() -> None:
    mail = parse_message(fixture_bytes("zh_qq_reply.eml"))
    assert (mail.sender_name, mail.subject) == ("小王", "回复：充值未到账 [#INB-000057]")
    assert mail.new_text == "订单号 W20261123201544871，麻烦再查一下，谢谢。"
    assert "9f2c1a7b" in mail.text  # the quoted hash is still in the whole text


def test_outlook_chinese_html_reply_under_gb2312_label() -> None:
    mail = parse_message(fixture_bytes("zh_outlook_html_reply.eml"))
    assert mail.html_only and mail.sender_name == "张喆"
    assert mail.subject == "回复: 答复: 提币一直没到账 [#INB-000031]"
    assert "TStXJgPNProP3NExocBD3TQSSUrKyuaC3V" in mail.new_text
    assert "TEemaTJuevmFku3jJJNUZ4auy8x7jFz116" not in mail.new_text and "发送时间" not in mail.new_text
    assert "MsoNormal" not in mail.text


def test_body_delimiters_that_differ_from_the_declared_boundary_are_recovered() -> None:
    # As spam kits and broken gateways write it (the corpus's rspamd btc2.eml has this shape).
    raw = (
        b'From: a@example.com\r\nSubject: x\r\nContent-Type: multipart/alternative; boundary="declared-one"\r\n\r\n'
        b"--actual-one\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTXID 4f1c1e0b6f0a\r\n"
        b"--actual-one\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>TXID 4f1c1e0b6f0a</p>\r\n"
        b"--actual-one--\r\n"
    )
    mail = parse_message(raw)
    assert mail.text.strip() == "TXID 4f1c1e0b6f0a"
    assert "Content-Type" not in mail.text


@pytest.mark.parametrize(
    ("from_header", "address"),
    [
        ("张三@例子.测试", "张三@例子.测试"),  # RFC 6532: raw UTF-8, as Gmail and Coremail send it
        ('"张三" <张三@例子.测试>', "张三@例子.测试"),
        ("=?utf-8?b?5byg5LiJ?= <josé@example.com>", "josé@example.com"),
        ("Zhang San <zhang.san@例子.测试>", "zhang.san@例子.测试"),
        # An encoded word is never an address (RFC 2047 5): no sender rather than a wrong one.
        ("=?utf-8?b?5byg5LiJQOS+i+WtkC7mtYvor5U=?=", ""),
    ],
)
def test_internationalised_sender_addresses_reach_the_reply_as_written(from_header: str, address: str) -> None:
    raw = f"From: {from_header}\r\nTo: support@exchange.test\r\nSubject: hi\r\n\r\nhello\r\n".encode()
    mail = parse_message(raw)
    assert (mail.sender, mail.reply_to) == (address, "")  # no Reply-To: the reply goes to From
