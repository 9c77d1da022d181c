"""Write the own phishing-report evaluation set: NNN.eml and labels.csv. Deterministic.

    python benchmarks/data/phishing/own/generate.py [--out DIR]

Hand-written scenarios (the customer's words, and the mail they forward, if any), each put
into the format of one mail client's forward: Gmail, Outlook, Apple Mail, QQ Mail, Foxmail
(inline blocks as each client writes them), a message/rfc822 attachment, or no forward.
Positives: phishing reports. Negatives: ordinary support mail with links, forwards of mail
that is not phishing (our own earlier reply, a bank statement, a wallet receipt).
The exchange's official domain in this set is `exchange.example`.

Written by the developer of inboxd.phishing (writer `own`): an optimistic estimate. The
independent set (`../independent/`) is the honest one.
"""

from __future__ import annotations

import argparse
import base64
import csv
import html
import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUR = "support@exchange.example"


@dataclass(frozen=True)
class Inner:
    """A forwarded mail."""

    sender: str
    sender_name: str
    subject: str
    date: str
    body: str


@dataclass(frozen=True)
class Case:
    report: bool
    language: str
    fmt: str  # gmail | outlook | apple | qq | foxmail | rfc822 | none
    sender: str
    subject: str
    words: str  # the customer's own words
    inner: Inner | None = None
    html: bool = False  # send an HTML alternative with the links as <a href>


# The header block each client writes above a forwarded mail, per (format, language); "" is any
# language. One line per header, in the client's order, with its own quoting of names and addresses.
FORWARD_BLOCKS = {
    ("gmail", "en"): (
        "---------- Forwarded message ---------\nFrom: {name} <{sender}>\nDate: {date}\nSubject: {subject}\n"
        "To: <customer@mail.example>"
    ),
    ("gmail", "zh"): (
        "---------- 转发的邮件 ---------\n发件人: {name} <{sender}>\n日期: {date}\n主题: {subject}\n"
        "收件人: <customer@mail.example>"
    ),
    ("outlook", "en"): (
        "-----Original Message-----\nFrom: {name} <{sender}>\nSent: {date}\nTo: customer@mail.example\n"
        "Subject: {subject}"
    ),
    ("outlook", "zh"): (
        "________________________________\nFrom: {name} <{sender}>\nSent: {date}\nTo: customer@mail.example\n"
        "Subject: {subject}"
    ),
    ("apple", "en"): (
        "Begin forwarded message:\n\nFrom: {name} <{sender}>\nSubject: {subject}\nDate: {date}\n"
        "To: customer@mail.example"
    ),
    ("apple", "zh"): (
        "开始转发的邮件：\n\n发件人: {name} <{sender}>\n主题: {subject}\n日期: {date}\n收件人: customer@mail.example"
    ),
    ("qq", ""): (
        '------------------ 原始邮件 ------------------\n发件人: "{name}"<{sender}>;\n发送时间: {date}\n'
        '收件人: "customer"<customer@qq.example>;\n主题: {subject}'
    ),
    ("foxmail", ""): (
        '-------- 转发邮件信息 --------\n发件人："{name}" <{sender}>\n发送日期：{date}\n'
        '收件人："customer" <customer@foxmail.example>\n主题：{subject}'
    ),
}


def _inline(fmt: str, language: str, i: Inner) -> str:
    """The forwarded mail as the client quotes it inline: its header block, a blank line, its body."""
    block = FORWARD_BLOCKS.get((fmt, language)) or FORWARD_BLOCKS.get((fmt, ""))
    if block is None:
        raise ValueError(fmt)
    # str.format substitutes into the block only: braces in the values are left alone.
    return block.format(name=i.sender_name, sender=i.sender, date=i.date, subject=i.subject) + "\n\n" + i.body


def _part(text: str, subtype: str = "plain") -> str:
    data = base64.encodebytes(text.encode("utf-8")).decode("ascii")
    return f'Content-Type: text/{subtype}; charset="utf-8"\nContent-Transfer-Encoding: base64\n\n{data}'


def _html(text: str) -> str:
    escaped = html.escape(text)
    linked = re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', escaped)
    return "<html><body><p>" + linked.replace("\n", "<br>\n") + "</p></body></html>"


def render(number: int, case: Case) -> bytes:
    headers = (
        f"From: Customer {number} <{case.sender}>\nTo: {OUR}\nSubject: {case.subject}\n"
        f"Date: Mon, 07 Dec 2026 09:{number % 60:02d}:00 +0800\n"
        f"Message-ID: <phish-own-{number:03d}@mail.example>\nMIME-Version: 1.0\n"
    )
    if case.fmt == "rfc822":
        assert case.inner is not None
        i = case.inner
        inner = (
            f"From: {i.sender_name} <{i.sender}>\nTo: customer@mail.example\nSubject: {i.subject}\n"
            f"Date: {i.date}\nMIME-Version: 1.0\n" + _part(i.body)
        )
        body = (
            'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\n' + _part(case.words) + "\n--b1\n"
            'Content-Type: message/rfc822\nContent-Disposition: attachment; filename="forwarded.eml"\n\n'
            + inner
            + "\n--b1--\n"
        )
        return (headers + body).encode("utf-8")
    text = case.words
    if case.inner is not None:
        text = f"{case.words}\n\n{_inline(case.fmt, case.language, case.inner)}"
    if case.html:
        body = (
            'Content-Type: multipart/alternative; boundary="b2"\n\n--b2\n'
            + _part(text)
            + "\n--b2\n"
            + _part(_html(text), "html")
            + "\n--b2--\n"
        )
    else:
        body = _part(text)
    return (headers + body).encode("utf-8")


# -- the forwarded mails ----------------------------------------------------------------------

D_EN = "Sun, Dec 6, 2026 at 11:02 PM"
D_ZH = "2026年12月6日 23:02"
P_VERIFY_EN = Inner(
    "security@exchange-support.net",
    "Exchange Security",
    "Action required: verify your wallet",
    D_EN,
    "Dear customer,\n\nWe detected unusual activity on your account. Your withdrawals will be suspended "
    "within 24 hours unless you verify your wallet.\n\nVerify now: https://exchange-support.net/verify?id=88231\n\n"
    "Exchange Security Team",
)
P_SEED_EN = Inner(
    "no-reply@exchange-example.com",
    "Exchange",
    "Wallet synchronization required",
    D_EN,
    "Your wallet is out of sync with the new network upgrade. To avoid losing your assets, "
    "please enter your 12-word recovery phrase at https://exchange-example.com/sync before Friday.",
)
P_AIRDROP_EN = Inner(
    "rewards@exchnage.example",
    "Exchange Rewards",
    "You are eligible for the EXC airdrop",
    D_EN,
    "Congratulations! Your account is eligible for 500 USDT in our anniversary airdrop. "
    "Claim your reward here: https://exchnage.example/claim (expires today).",
)
P_LOCK_EN = Inner(
    "support@exchange.example.account-review.net",
    "Exchange Support",
    "Your account has been locked",
    D_EN,
    "We have locked your account after a failed login from a new device. To unlock your account, "
    "log in here and confirm your identity: http://exchange.example.account-review.net/unlock",
)
P_KYC_EN = Inner(
    "kyc@exchange-verify.info",
    "Compliance",
    "KYC update required",
    D_EN,
    "Final notice: update your KYC information or your funds will be frozen. Click the link below.\n"
    "https://exchange-verify.info/kyc",
)
P_VERIFY_ZH = Inner(
    "service@exchange-kefu.com",
    "交易所安全中心",
    "【重要】您的账户存在异常",
    D_ZH,
    "尊敬的用户：\n\n系统检测到您的账户存在异常登录，为保障资产安全，请在24小时内点击以下链接完成身份验证，"
    "否则账户将被冻结。\n\nhttps://exchange-kefu.com/verify\n\n交易所安全中心",
)
P_SEED_ZH = Inner(
    "wallet@exchange-example.cn",
    "交易所钱包团队",
    "钱包升级通知",
    D_ZH,
    "因链上升级，您的钱包需要重新同步。请访问 https://exchange-example.cn/sync 输入您的助记词完成同步，逾期资产可能丢失。",
)
P_AIRDROP_ZH = Inner(
    "activity@exchange-event.top",
    "交易所活动中心",
    "恭喜您获得空投奖励",
    D_ZH,
    "恭喜！您的账户获得 300 USDT 周年空投，请于今日内登录 https://exchange-event.top/claim 领取，过期作废。",
)
P_UNFREEZE_ZH = Inner(
    "kefu@exchange.example-help.net",
    "交易所客服",
    "账户冻结通知",
    D_ZH,
    "您的账户因涉嫌违规已被临时冻结。如需解冻，请立即联系在线客服并按提示验证钱包：http://exchange.example-help.net/unfreeze",
)

N_OUR_REPLY_EN = Inner(
    "support@exchange.example",
    "Exchange Support",
    "Re: Withdrawal pending [#INB-004411]",
    D_EN,
    "Hello,\n\nThank you for contacting us. Your withdrawal is being reviewed by our team and should be "
    "completed within 24 hours. You can follow its status at https://exchange.example/account/withdrawals.\n\nSupport",
)
N_BANK_EN = Inner(
    "statements@mybank.example.com",
    "MyBank",
    "Your December statement",
    D_EN,
    "Your statement for account ending 4471 is attached. Opening balance 2,300.00 EUR, closing balance "
    "1,180.00 EUR. Transfer to EXCHANGE LTD 1,000.00 EUR on 2 Dec.\nOnline banking: https://www.mybank.example.com",
)
N_RECEIPT_EN = Inner(
    "receipts@ledgerwallet.example.org",
    "Wallet app",
    "You sent 0.25 ETH",
    D_EN,
    "You sent 0.25 ETH to 0x3fC91A3afd70395Cd496C647d5a6CC9D4B2b7FAD.\nTransaction: "
    "https://etherscan.io/tx/0x5d3f0a4c8be1e1f0b5c7b9cf3bd6d0a2e4f1f6a7b8c9d0e1f2a3b4c5d6e7f8a9",
)
N_OUR_KYC_EN = Inner(
    "noreply@exchange.example",
    "Exchange",
    "Please complete identity verification",
    D_EN,
    "To raise your withdrawal limit, please verify your identity in the app under Account > Verification, "
    "or at https://www.exchange.example/kyc.",
)
N_OUR_REPLY_ZH = Inner(
    "support@exchange.example",
    "交易所客服",
    "回复：充值未到账 [#INB-005120]",
    D_ZH,
    "您好，您的充值正在等待区块确认，预计1小时内到账。您可以在 https://exchange.example/assets 查看记录。",
)
N_BANK_ZH = Inner(
    "estatement@bank.example.cn",
    "某银行信用卡中心",
    "您的12月电子对账单",
    D_ZH,
    "尊敬的客户：您本期账单金额为 8,230.00 元，其中 12月2日 向 EXCHANGE LTD 转账 5,000.00 元。详情请登录网上银行查看。",
)
N_RECEIPT_ZH = Inner(
    "notice@tronscan.example.org",
    "钱包通知",
    "转账成功",
    D_ZH,
    "您已成功转出 1200 USDT (TRC20) 至 TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE，交易哈希 "
    "7f4e1c2b9a0d3e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f",
)

CASES: list[Case] = [
    # -- phishing reports, English ------------------------------------------------------------
    Case(
        True,
        "en",
        "gmail",
        "li.ming@gmail.example",
        "Fwd: Action required: verify your wallet",
        "Hi, I got this today. Is this email from you?",
        P_VERIFY_EN,
    ),
    Case(True, "en", "gmail", "sam.k@mail.example", "Fwd: Wallet synchronization required", "FYI", P_SEED_EN),
    Case(
        True,
        "en",
        "outlook",
        "j.roberts@corp.example",
        "FW: Your account has been locked",
        "Hello support, is this legit? I haven't clicked anything yet.",
        P_LOCK_EN,
    ),
    Case(True, "en", "outlook", "anna@mail.example", "FW: KYC update required", "Please see below.", P_KYC_EN),
    Case(
        True,
        "en",
        "apple",
        "tom@icloud.example",
        "Fwd: You are eligible for the EXC airdrop",
        "Did you guys send this? Looks off to me.\n\nSent from my iPhone",
        P_AIRDROP_EN,
    ),
    Case(True, "en", "apple", "kate@icloud.example", "Fwd: Action required: verify your wallet", "", P_VERIFY_EN),
    Case(
        True,
        "en",
        "rfc822",
        "pierre@mail.example",
        "Suspicious email",
        "Attached is a mail I received claiming to be from your security team. Is it genuine?",
        P_LOCK_EN,
    ),
    Case(True, "en", "rfc822", "ravi@mail.example", "phishing?", "See attached.", P_SEED_EN),
    Case(
        True,
        "en",
        "none",
        "olga@mail.example",
        "Is this your site?",
        "Hello, is https://exchange-login.net/account your website? A friend sent it to me to claim a bonus.",
    ),
    Case(
        True,
        "en",
        "none",
        "mark@mail.example",
        "Fake support on Telegram",
        "Someone on Telegram claiming to be your support agent asked me for my 2FA code to fix my withdrawal. "
        "Is that really your staff?",
    ),
    Case(
        True,
        "en",
        "none",
        "lucy@mail.example",
        "Phone call",
        "A man called me today and said he was from your exchange's security department. He wanted me to move my "
        "coins to a 'safe wallet'. Did you call me?",
    ),
    Case(
        True,
        "en",
        "none",
        "dan@mail.example",
        "Is this app yours?",
        "There's an app called 'Exchange Pro Wallet' in the app store, download link exchangepro-app.com. "
        "Is it the official app or a fake?",
    ),
    Case(
        True,
        "en",
        "none",
        "nina@mail.example",
        "SMS about my account",
        "I received a text message saying my account is suspended and to visit exchange-secure.help. Is this a scam?",
    ),
    Case(
        True,
        "en",
        "none",
        "omar@mail.example",
        "QR code",
        "At a conference someone handed out flyers with a QR code for a 'deposit bonus' on your exchange. It opens "
        "exchange.example.bonus-claim.org. Is this real?",
        html=True,
    ),
    Case(
        True,
        "en",
        "gmail",
        "ella@gmail.example",
        "Fwd: You are eligible for the EXC airdrop",
        "",
        P_AIRDROP_EN,
        html=True,
    ),
    Case(
        True,
        "en",
        "outlook",
        "paul@corp.example",
        "FW: Action required: verify your wallet",
        "Reporting a phishing mail that uses your name.",
        P_VERIFY_EN,
    ),
    # -- phishing reports, Chinese ------------------------------------------------------------
    Case(
        True,
        "zh",
        "qq",
        "12345@qq.example",
        "转发：【重要】您的账户存在异常",
        "你好，收到这封邮件，是你们发的吗？",
        P_VERIFY_ZH,
    ),
    Case(True, "zh", "qq", "23456@qq.example", "转发：钱包升级通知", "", P_SEED_ZH),
    Case(
        True,
        "zh",
        "foxmail",
        "zhang.wei@foxmail.example",
        "转发：恭喜您获得空投奖励",
        "这个活动是真的吗？链接看着有点奇怪。",
        P_AIRDROP_ZH,
    ),
    Case(
        True,
        "zh",
        "foxmail",
        "liu.yang@foxmail.example",
        "转发：账户冻结通知",
        "请帮忙核实一下这封邮件。",
        P_UNFREEZE_ZH,
    ),
    Case(True, "zh", "gmail", "wang.fang@gmail.example", "Fwd: 钱包升级通知", "这个网站是你们的吗？", P_SEED_ZH),
    Case(True, "zh", "gmail", "chen.jie@gmail.example", "Fwd: 【重要】您的账户存在异常", "", P_VERIFY_ZH),
    Case(
        True,
        "zh",
        "apple",
        "zhao.lei@icloud.example",
        "转发：账户冻结通知",
        "是不是诈骗？\n\n发自我的iPhone",
        P_UNFREEZE_ZH,
    ),
    Case(
        True,
        "zh",
        "outlook",
        "sun.li@corp.example",
        "转发: 恭喜您获得空投奖励",
        "麻烦确认下是不是官方活动",
        P_AIRDROP_ZH,
    ),
    Case(
        True,
        "zh",
        "rfc822",
        "he.min@mail.example",
        "可疑邮件",
        "附件是我收到的邮件，自称是你们的安全中心，请问是真的吗？",
        P_VERIFY_ZH,
    ),
    Case(True, "zh", "rfc822", "ma.jun@mail.example", "举报钓鱼邮件", "见附件", P_SEED_ZH),
    Case(
        True,
        "zh",
        "none",
        "lin.na@mail.example",
        "短信",
        "收到一个短信说我账户异常，要我点链接 exchange-safe.vip 验证，是不是诈骗？",
    ),
    Case(
        True,
        "zh",
        "none",
        "gao.peng@mail.example",
        "客服电话",
        "刚才有人自称你们客服给我打电话，说我的账户涉嫌洗钱要冻结，让我把币转到安全账户，是你们的人吗？",
    ),
    Case(
        True,
        "zh",
        "none",
        "xu.hui@mail.example",
        "这个网站",
        "这个网站是你们的吗 https://exchange-example.vip/login 朋友发给我的",
    ),
    Case(
        True,
        "zh",
        "none",
        "tang.yu@mail.example",
        "微信群",
        "微信群里有人冒充你们的工作人员拉人进群，说能带单赚钱，你们有官方微信群吗？这是骗子吧？",
    ),
    Case(
        True,
        "zh",
        "none",
        "feng.qi@mail.example",
        "官网",
        "请问你们官网是哪个？我搜到一个 exchnage.example 的网站，跟你们的很像，是真的还是假的？",
    ),
    Case(
        True,
        "zh",
        "none",
        "luo.bin@mail.example",
        "APP真假",
        "應用商店裡有個叫「交易所Pro」的APP，下載地址 exchange-app.download，是你們官方的嗎？",
    ),
    Case(
        True,
        "zh",
        "none",
        "deng.xin@mail.example",
        "二维码",
        "有人发了一个充值二维码，扫出来是 exchange.example.deposit-bonus.cc，这是官方的吗？",
    ),
    Case(True, "zh", "qq", "34567@qq.example", "转发：恭喜您获得空投奖励", "这个是钓鱼邮件吧", P_AIRDROP_ZH, html=True),
    Case(True, "zh", "foxmail", "wu.tao@foxmail.example", "转发：【重要】您的账户存在异常", "", P_VERIFY_ZH),
    Case(
        True,
        "zh",
        "none",
        "song.jia@mail.example",
        "邮箱地址",
        "我收到 security@exchange-kefu.com 发来的邮件让我验证身份，这个邮箱是你们的吗？",
    ),
    # -- not phishing reports -----------------------------------------------------------------
    Case(
        False,
        "en",
        "none",
        "kim@mail.example",
        "Withdrawal stuck",
        "My withdrawal of 0.5 BTC has been pending for 6 hours. I submitted it at "
        "https://exchange.example/account/withdrawals. Can you check?",
    ),
    Case(
        False,
        "en",
        "none",
        "leo@mail.example",
        "Deposit not credited",
        "I deposited 300 USDT, the transaction is confirmed on https://tronscan.org/#/transaction/"
        "7f4e1c2b9a0d3e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f but my balance is still zero.",
    ),
    Case(
        False,
        "en",
        "none",
        "mia@mail.example",
        "Fee question",
        "Is the withdrawal fee for ETH really 0.005? The page https://exchange.example/fees says something else.",
        html=True,
    ),
    Case(
        False,
        "en",
        "none",
        "noah@mail.example",
        "Hardware wallet",
        "Is it possible to withdraw directly to a Ledger? I followed the guide on ledger.com but I'm not sure "
        "which network to pick.",
    ),
    Case(
        False,
        "en",
        "gmail",
        "ivy@gmail.example",
        "Fwd: Re: Withdrawal pending [#INB-004411]",
        "Forwarding your earlier reply: it has now been three days. Any update?",
        N_OUR_REPLY_EN,
    ),
    Case(
        False,
        "en",
        "outlook",
        "finance@corp.example",
        "FW: Your December statement",
        "As requested, the bank statement showing our transfer of 1,000 EUR. Please credit our account.",
        N_BANK_EN,
    ),
    Case(
        False,
        "en",
        "apple",
        "zoe@icloud.example",
        "Fwd: You sent 0.25 ETH",
        "Here's the receipt from my wallet for the deposit that is missing.",
        N_RECEIPT_EN,
    ),
    Case(
        False,
        "en",
        "rfc822",
        "max@mail.example",
        "KYC",
        "I got the attached mail but the verification page keeps failing after I upload my passport.",
        N_OUR_KYC_EN,
    ),
    Case(
        False,
        "en",
        "rfc822",
        "eve@mail.example",
        "statement",
        "Attached the statement for the SEPA deposit that has not arrived.",
        N_BANK_EN,
    ),
    Case(
        False,
        "en",
        "none",
        "ben@mail.example",
        "API docs",
        "Your API docs at https://docs.exchange.example/api mention a rate limit of 20/s but I get 429 at 5/s. Bug?",
    ),
    Case(
        False,
        "en",
        "none",
        "amy@mail.example",
        "Login problem",
        "I can't log in, the 2FA code is always rejected. I use Google Authenticator. My account is amy@mail.example.",
    ),
    Case(
        False,
        "en",
        "apple",
        "jon@icloud.example",
        "Fwd: Re: Withdrawal pending [#INB-004411]",
        "See below, still nothing.",
        N_OUR_REPLY_EN,
    ),
    Case(
        False,
        "en",
        "none",
        "ian@mail.example",
        "Scam loss",
        "I sent 2 ETH to a P2P seller who never released the funds. Order 88123. How do I open a dispute?",
    ),
    Case(
        False,
        "en",
        "none",
        "sue@mail.example",
        "Listing request",
        "Our project would like to apply for listing. Website: https://ourtoken.example.io. Who should we contact?",
    ),
    Case(
        False,
        "zh",
        "none",
        "li.hua@mail.example",
        "提币未到账",
        "我昨天在 https://exchange.example/withdraw 提了 1000 USDT，到现在还没到账，请帮忙查一下。",
    ),
    Case(
        False,
        "zh",
        "none",
        "zhou.bo@mail.example",
        "充值问题",
        "充值的ETH一直没到账，交易在 https://etherscan.io/tx/0x5d3f0a4c8be1e1f0b5c7b9cf3bd6d0a2e4f1f6a7b8c9d0e1f2a3b4c5d6e7f8a9 已经确认了。",
    ),
    Case(
        False,
        "zh",
        "qq",
        "45678@qq.example",
        "转发：回复：充值未到账 [#INB-005120]",
        "已经过了一天了还是没到账，麻烦再看看。",
        N_OUR_REPLY_ZH,
    ),
    Case(
        False,
        "zh",
        "foxmail",
        "qian.yu@foxmail.example",
        "转发：您的12月电子对账单",
        "这是银行对账单，能证明我转账了5000元，请尽快处理我的法币充值。",
        N_BANK_ZH,
    ),
    Case(
        False,
        "zh",
        "gmail",
        "sun.hao@gmail.example",
        "Fwd: 转账成功",
        "这是我钱包的转账记录，充值一直没到账。",
        N_RECEIPT_ZH,
    ),
    Case(False, "zh", "rfc822", "yang.xue@mail.example", "对账单", "附件是银行对账单，请帮我核对法币入金。", N_BANK_ZH),
    Case(
        False,
        "zh",
        "apple",
        "hu.jun@icloud.example",
        "转发：回复：充值未到账 [#INB-005120]",
        "还没到账",
        N_OUR_REPLY_ZH,
    ),
    Case(False, "zh", "outlook", "ye.ling@corp.example", "转发: 转账成功", "请查收转账凭证。", N_RECEIPT_ZH),
    Case(False, "zh", "none", "cao.yi@mail.example", "登录不了", "登录的时候一直提示验证码错误，是不是系统出问题了？"),
    Case(
        False,
        "zh",
        "none",
        "pan.rui@mail.example",
        "手续费",
        "你们的提币手续费是多少？官网 exchange.example 上写的和APP里不一样。",
    ),
    Case(False, "zh", "none", "jiang.tao@mail.example", "实名认证", "实名认证一直审核中，已经三天了，能不能加急？"),
    Case(
        False,
        "zh",
        "none",
        "du.fei@mail.example",
        "被骗了",
        "我在P2P交易里被对方骗了，付了款他不放币，订单号 20261206-8891，怎么申诉？",
    ),
    Case(False, "zh", "gmail", "shi.lan@gmail.example", "Fwd: 回复：充值未到账 [#INB-005120]", "", N_OUR_REPLY_ZH),
    Case(
        False,
        "en",
        "none",
        "rob@mail.example",
        "Security question",
        "How do I turn on anti-phishing code for my account emails? I couldn't find it in settings.",
    ),
]


def write(out: Path) -> tuple[int, int]:
    """Write out/NNN.eml (replacing any there) and out/labels.csv; returns (mails, phishing reports)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.eml"):
        old.unlink()
    rows = []
    for number, case in enumerate(CASES, start=1):
        name = f"{number:03d}.eml"
        (out / name).write_bytes(render(number, case))
        rows.append([name, "1" if case.report else "0", case.language, case.fmt, "own"])
    with (out / "labels.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["file", "phishing_report", "language", "format", "writer"])
        writer.writerows(rows)
    return len(rows), sum(c.report for c in CASES)


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the own phishing-report set: NNN.eml and labels.csv.")
    parser.add_argument("--out", type=Path, default=HERE, help="default: next to this script")
    mails, reports = write(parser.parse_args().out)
    print(f"{mails} mails, {reports} phishing reports")


if __name__ == "__main__":
    main()
