"""Phishing reports (inboxd.phishing, classifiers/phishing.toml): each client's forward, zh and en,
message/rfc822 parts, plain questions, and the mail that is not one."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from inboxd.assets import Assets, PhishingRules, load_assets
from inboxd.errors import ConfigError
from inboxd.parse import parse_message
from inboxd.phishing import RFC822, SUBJECT, assess, defang, foreign_domains, split_forward

OFFICIAL = ("exchange.example",)
PHISH_EN = (
    "Dear customer,\nYour withdrawals will be suspended within 24 hours unless you verify your wallet.\n"
    "Verify now: https://exchange-support.net/verify?id=1\n"
)
PHISH_ZH = "尊敬的用户：系统检测到您的账户存在异常，请在24小时内点击以下链接完成身份验证，否则账户将被冻结。https://exchange-kefu.com/verify"
OUR_REPLY = (
    "Hello,\nYour withdrawal is being reviewed and should be completed within 24 hours. "
    "Follow it at https://exchange.example/account/withdrawals.\n"
)
BANK = "Your statement is ready. Transfer to EXCHANGE LTD 1,000.00 EUR on 2 Dec. Online banking: https://www.mybank.example.com"


def mail(subject: str, body: str, sender: str = "ann@mail.example") -> bytes:
    data = base64.encodebytes(body.encode()).decode()
    return (
        f"From: Ann <{sender}>\nTo: support@exchange.example\nSubject: {subject}\nMessage-ID: <x@mail.example>\n"
        f'MIME-Version: 1.0\nContent-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: base64\n\n{data}'
    ).encode()


def attached(subject: str, words: str, inner_from: str, inner_subject: str, inner_body: str) -> bytes:
    return (
        f"From: Ann <ann@mail.example>\nTo: support@exchange.example\nSubject: {subject}\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\n'
        f'Content-Type: text/plain; charset="utf-8"\n\n{words}\n--b\nContent-Type: message/rfc822\n\n'
        f"From: {inner_from}\nSubject: {inner_subject}\nContent-Type: text/plain; charset=utf-8\n\n{inner_body}\n--b--\n"
    ).encode()


FORWARDS = {
    "gmail": "---------- Forwarded message ---------\nFrom: Security <security@exchange-support.net>\n"
    "Date: Sun, Dec 6, 2026\nSubject: Verify\nTo: <ann@mail.example>\n\n",
    "gmail_zh": "---------- 转发的邮件 ---------\n发件人: 安全中心 <service@exchange-kefu.com>\n日期: 2026年12月6日\n"
    "主题: 异常\n收件人: <ann@mail.example>\n\n",
    "outlook": "-----Original Message-----\nFrom: Security <security@exchange-support.net>\nSent: Sunday\n"
    "To: ann@mail.example\nSubject: Verify\n\n",
    "outlook_block": "From: Security <security@exchange-support.net>\nSent: Sunday, December 6, 2026 11:02 PM\n"
    "To: ann@mail.example\nSubject: Verify\n\n",
    "apple": "Begin forwarded message:\n\nFrom: Security <security@exchange-support.net>\nSubject: Verify\n\n",
    "apple_zh": "开始转发的邮件：\n\n发件人: 安全中心 <service@exchange-kefu.com>\n主题: 异常\n\n",
    "qq": '------------------ 原始邮件 ------------------\n发件人: "安全中心"<service@exchange-kefu.com>;\n'
    '发送时间: 2026年12月6日(星期天) 晚上11:02\n收件人: "ann"<ann@qq.example>;\n主题: 异常\n\n',
    "foxmail": '-------- 转发邮件信息 --------\n发件人："安全中心" <service@exchange-kefu.com>\n'
    '发送日期：2026-12-06 23:02\n收件人："ann" <ann@foxmail.example>\n主题：异常\n\n',
}
CLIENT = {"gmail_zh": "gmail", "outlook_block": "outlook", "apple_zh": "apple"}


@pytest.fixture(scope="module")
def rules() -> PhishingRules:
    return load_assets(Path(__file__).resolve().parents[2] / "classifiers").phishing


@pytest.mark.parametrize("fmt", sorted(FORWARDS))
def test_a_bare_forward_of_a_phishing_mail_is_a_report_in_every_client_format(rules: PhishingRules, fmt: str) -> None:
    body = PHISH_ZH if fmt.endswith("_zh") or fmt in ("qq", "foxmail") else PHISH_EN
    parsed = parse_message(mail("Fwd: notice", "\n\n" + FORWARDS[fmt] + body))
    found = assess(parsed, rules, OFFICIAL)
    assert found.report, found
    assert found.client == CLIENT.get(fmt, fmt)
    assert any(link.verdict == "lookalike" for link in found.links)


@pytest.mark.parametrize("fmt", sorted(FORWARDS))
def test_a_forward_of_our_own_reply_or_a_bank_statement_is_not_a_report(rules: PhishingRules, fmt: str) -> None:
    for domain, forwarded in (("exchange.example", OUR_REPLY), ("mybank.example.com", BANK)):
        head = FORWARDS[fmt].replace("exchange-support.net", domain).replace("exchange-kefu.com", domain)
        parsed = parse_message(mail("Fwd: Re: withdrawal", "Any update?\n\n" + head + forwarded))
        found = assess(parsed, rules, OFFICIAL)
        assert not found.report, (fmt, found)
        assert found.client == CLIENT.get(fmt, fmt)


@pytest.mark.parametrize(
    ("subject", "words"),
    [
        ("Question", "Hi, I got this today. Is this email from you?"),
        ("Fake support", "Someone on Telegram claiming to be your support agent asked for my 2FA code."),
        ("site", "Is https://exchange-login.net/account your website?"),
        ("phone", "A man called and said he was from your security team. Did you call me?"),
        ("短信", "收到一个短信说我账户异常，是不是诈骗？"),
        ("网站", "这个网站是你们的吗 exchange-example.vip"),
        ("客服", "有人自称客服加我微信，让我把币转到安全账户"),
        ("繁體", "有人自稱你們的客服打電話給我，是真的嗎？"),
        ("APP", "應用商店裡的「交易所Pro」是你們官方的嗎？"),
    ],
)
def test_a_question_whether_it_is_ours_is_a_report_without_any_forward(
    rules: PhishingRules, subject: str, words: str
) -> None:
    found = assess(parse_message(mail(subject, words)), rules, OFFICIAL)
    assert found.report and found.client is None, found


@pytest.mark.parametrize(
    ("subject", "words"),
    [
        ("Withdrawal", "My withdrawal is pending for 6 hours, see https://exchange.example/account/withdrawals."),
        ("Deposit", "Deposit confirmed on https://etherscan.io/tx/0xabc but my balance is zero. Is it real?"),
        ("Anti-phishing", "How do I turn on the anti-phishing code for my account emails?"),
        ("P2P", "I was scammed by a P2P seller who never released the coins. How do I open a dispute?"),
        ("充值", "BTC 充值 0.05，区块浏览器显示3个确认了，你们那边还是0确认"),
        ("认证", "身份验证一直显示审核中，麻烦帮忙确认一下是不是缺了什么资料。"),
        ("登录", "登录的时候一直提示验证码错误，是不是系统出问题了？"),
    ],
)
def test_ordinary_support_mail_with_links_is_not_a_report(rules: PhishingRules, subject: str, words: str) -> None:
    found = assess(parse_message(mail(subject, words)), rules, OFFICIAL)
    assert not found.report, found


def test_a_message_rfc822_part_keeps_its_sender_and_is_read_as_the_forward(rules: PhishingRules) -> None:
    raw = attached("Suspicious", "See attached.", "Security <security@exchange-support.net>", "Verify now", PHISH_EN)
    parsed = parse_message(raw)
    assert parsed.forwarded[0].sender == "security@exchange-support.net"
    assert parsed.forwarded[0].subject == "Verify now"
    assert "exchange-support.net/verify" in parsed.forwarded[0].text
    cut = split_forward(parsed, rules)
    assert cut.client == RFC822 and cut.senders == ("security@exchange-support.net",)
    assert "suspended" not in cut.customer  # mail-parser folds the part into the body: not the customer's words
    assert assess(parsed, rules, OFFICIAL).report


def test_an_attached_mail_that_is_not_phishing_is_not_a_report(rules: PhishingRules) -> None:
    raw = attached("KYC", "The page fails after I upload my passport.", "noreply@exchange.example", "Verify", OUR_REPLY)
    assert not assess(parse_message(raw), rules, OFFICIAL).report


def test_a_forward_seen_only_in_the_subject_reads_the_whole_body_as_forwarded(rules: PhishingRules) -> None:
    found = assess(parse_message(mail("Fwd: verify your wallet", PHISH_EN)), rules, OFFICIAL)
    assert found.client == SUBJECT and found.report


def test_without_rules_nothing_is_a_report() -> None:
    found = assess(parse_message(mail("Is this email from you?", PHISH_EN)), PhishingRules(), OFFICIAL)
    assert not found.report


def test_defanged_domains_are_no_link_and_bare_ones_are() -> None:
    assert defang("exchange-support.net") == "exchange-support[.]net"
    assert foreign_domains("Do not open exchange-support[.]net or exchange-support(.)net.", OFFICIAL) == ()
    assert foreign_domains("Our site is exchange.example and www.exchange.example.", OFFICIAL) == ()
    assert foreign_domains("Visit exchange-support.net now", OFFICIAL) == ("exchange-support.net",)
    assert foreign_domains("see https://evil.example.org/x", OFFICIAL) == ("evil.example.org",)


def test_phishing_toml_is_validated(tmp_path: Path, assets: Assets) -> None:
    root = Path(__file__).resolve().parents[2] / "classifiers"
    for name in ("categories.toml", "model.toml"):
        (tmp_path / name).write_text((root / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "a.csv").write_text("text,category\nhello,other\n", encoding="utf-8")
    (tmp_path / "phishing.toml").write_text(
        "questions = ['(unclosed']\nsuspicious = ['x?']\nextra = 1\n[forward]\ngmail = '^-+ Forwarded'\napple = ''\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_assets(tmp_path)
    found = {(p.key, p.reason.split(":")[0]) for p in caught.value.problems}
    assert ("questions[0]", "not a valid regular expression") in found
    assert ("forward.apple", "must be a non-empty regular expression") in found
    assert ("suspicious[0]", "matches the empty text, so it would match every mail") in found
    assert ("extra", "unknown key") in found


def test_forwarded_parts_are_bounded() -> None:
    inner = "From: x@evil.example\nSubject: s\nContent-Type: text/plain\n\n" + "verify your wallet " * 3000
    parts = "".join(f"--b\nContent-Type: message/rfc822\n\n{inner}\n" for _ in range(5))
    raw = (
        "From: Ann <ann@mail.example>\nTo: support@exchange.example\nSubject: five\n"
        f'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n{parts}--b--\n'
    ).encode()
    forwarded = parse_message(raw).forwarded
    assert len(forwarded) == 3
    assert all(part.sender == "x@evil.example" and len(part.text) == 20_000 for part in forwarded)
