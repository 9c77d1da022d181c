"""Mail client profiles: charsets and transfer encodings, X-Mailer headers, reply prefixes,
signatures, Message-IDs, MIME boundaries, attachment names and Received hosts of each client.
"""

from __future__ import annotations

import datetime as dt

from .mime import encode_body
from .persona import Persona
from .quoting import MON
from .template import Ctx
from .values import R, g_alnum, g_b64, g_digits, g_hex

# Per client:
#   pcs/pcte: text/plain charset + transfer encoding ("auto" = 7bit if ASCII)
#   hcs/hcte: text/html charset + transfer encoding (None = no HTML part)
#   only_html: the message is a single text/html part
PROFILES = {
    "gmail": dict(lang="en", pcs="UTF-8", pcte="auto-qp", hcs="UTF-8", hcte="quoted-printable", cts=0),
    "gmail_us": dict(lang="en", pcs="UTF-8", pcte="auto-qp", hcs="UTF-8", hcte="quoted-printable", cts=0),
    "ios": dict(lang="en", pcs="utf-8", pcte="quoted-printable", cts=2),
    "outlook": dict(lang="en", pcs="auto-ascii", pcte="quoted-printable", hcs="utf-8", hcte="quoted-printable", cts=0),
    "outlook_new": dict(lang="en", pcs="utf-8", pcte="quoted-printable", hcs="utf-8", hcte="quoted-printable", cts=0),
    "outlook_android": dict(lang="en", pcs="utf-8", pcte="base64", hcs="utf-8", hcte="base64", cts=0),
    "thunderbird": dict(lang="en", pcs="UTF-8", pcte="auto-8bit", cts=3),
    "mutt": dict(lang="en", pcs="utf-8", pcte="8bit", cts=2),
    "proton": dict(lang="en", pcs="utf-8", pcte="base64", cts=2),
    "yahoo": dict(lang="en", hcs="UTF-8", hcte="quoted-printable", only_html=True, cts=0),
    "qq": dict(lang="zh", pcs="gb18030", pcte="base64", hcs="gb18030", hcte="base64", cts=0),
    "foxmail": dict(lang="zh", pcs="GB2312", pcte="base64", hcs="GB2312", hcte="quoted-printable", cts=1),
    "netease": dict(lang="zh", pcs="GBK", pcte="base64", hcs="GBK", hcte="base64", cts=2),
    "ios_zh": dict(lang="zh", pcs="utf-8", pcte="b64-or-qp", cts=2),
    "gmail_zh": dict(lang="zh", pcs="UTF-8", pcte="base64", hcs="UTF-8", hcte="base64", cts=0),
    "outlook_zh": dict(lang="zh", pcs="gb2312", pcte="base64", hcs="gb2312", hcte="quoted-printable", cts=0),
    "mobile_zh": dict(lang="zh", pcs="UTF-8", pcte="8bit", cts=2),
    "sina": dict(lang="zh", hcs="GBK", hcte="base64", only_html=True, cts=2),
}
PROFILE_WHEEL = {
    "en": [
        "gmail",
        "outlook",
        "ios",
        "gmail_us",
        "outlook_new",
        "thunderbird",
        "gmail",
        "ios",
        "outlook",
        "proton",
        "outlook_android",
        "yahoo",
        "mutt",
        "gmail_us",
    ],
    "zh": [
        "qq",
        "netease",
        "foxmail",
        "ios_zh",
        "gmail_zh",
        "outlook_zh",
        "qq",
        "mobile_zh",
        "netease",
        "ios_zh",
        "sina",
        "qq",
        "foxmail",
        "gmail_zh",
    ],
}
MAILER = {
    "ios": "X-Mailer: iPhone Mail (22B91)",
    "outlook": "X-Mailer: Microsoft Outlook 16.0\nThread-Index: AQHbO{b64:26}==\nX-MS-Has-Attach: {att}",
    "outlook_new": "X-MS-Has-Attach: {att}\nX-MS-TNEF-Correlator: \nmsip_labels: ",
    "outlook_android": "X-MS-Has-Attach: {att}",
    "thunderbird": "User-Agent: Mozilla Thunderbird\nContent-Language: en-GB",
    "mutt": "User-Agent: NeoMutt/20240425",
    "yahoo": "X-Mailer: WebService/1.1.22876 YMailNorrin",
    "qq": "X-Priority: 3\nX-QQ-MIME: TCMime 1.0 by Tencent\nX-Mailer: QQMail 2.x\nX-QQ-Mailer: QQMail 2.x\nX-QQ-mid: xmsezb{b64:16}-{digits:7}t{digits:10}",
    "foxmail": "X-Priority: 3\nX-GUID: {HEX:8}-{HEX:4}-{HEX:4}-{HEX:4}-{HEX:12}\nX-Has-Attach: {att}\nX-Mailer: Foxmail 7.2.25.228[cn]",
    "netease": "X-Priority: 3\nX-Mailer: Coremail Webmail Server Version 2023.3-cmXT5 build 20250217(ba07fa84)\n Copyright (c) 2002-2026 www.mailtech.cn 163com\nX-NTES-SC: AL_Qu2{b64:40}",
    "ios_zh": "X-Mailer: iPhone Mail (22B91)",
    "outlook_zh": "X-Mailer: Microsoft Outlook 16.0\nThread-Index: AdtA{b64:24}==\nContent-Language: zh-cn",
    "mobile_zh": "X-Mailer: HUAWEI Email",
    "sina": "X-Mailer: SinaMail 3.0",
}
REPLY_PREFIX = {
    "outlook": "RE: ",
    "outlook_new": "RE: ",
    "outlook_android": "RE: ",
    "qq": "回复：",
    "outlook_zh": "答复: ",
    "foxmail": "回复: ",
    "mobile_zh": "回复: ",
    "sina": "回复：",
}
SUBJ_CS = {
    "gmail": "UTF-8",
    "gmail_us": "UTF-8",
    "ios": "utf-8",
    "outlook": "utf-8",
    "outlook_new": "utf-8",
    "outlook_android": "utf-8",
    "thunderbird": "UTF-8",
    "mutt": "utf-8",
    "proton": "utf-8",
    "yahoo": "UTF-8",
    "qq": "gb18030",
    "foxmail": "GB2312",
    "netease": "GBK",
    "ios_zh": "utf-8",
    "gmail_zh": "UTF-8",
    "outlook_zh": "gb2312",
    "mobile_zh": "UTF-8",
    "sina": "GBK",
}


def signature(st: str, p: Persona, ctx: Ctx) -> str:
    comp, dom, title = p.company
    d3 = lambda: "".join(str(R.randint(0, 9)) for _ in range(3))
    en_footer = (
        f"-- \n{p.display}\n{title} | {comp}\nT +44 20 7946 0{d3()} | M +44 7700 900{d3()}\n"
        f"https://www.{dom}\n\nThis e-mail and any attachments are confidential and intended solely "
        "for the addressee. If you have received it in error, please notify the sender and delete it."
    )
    en_footer2 = (
        f"--\n{p.display}\n{title}, {comp}\nDirect: (555) 010-2000 | Mobile: +1 (555) 01{d3()[0]}-{d3()}{R.randint(0, 9)}\n"
        f"www.{dom} | https://www.linkedin.example/in/{p.first.lower()}-{p.last.lower()}-{g_hex(4)}"
    )
    zh_footer = (
        f"--\n{p.display} | {title}\n{comp}\n电话：0755-8{d3()}-{d3()}{R.randint(0, 9)}  手机：+86 138 0013 8000\n"
        f"地址：深圳市南山区科技园南区\n网址：https://www.{dom}"
    )
    choice = {
        "gmail": ["", "", f"-- \n{p.display}", en_footer2],
        "gmail_us": ["", f"-- \n{p.display}", en_footer2],
        "ios": ["Sent from my iPhone"],
        "outlook": [en_footer, en_footer2],
        "outlook_new": [en_footer, "", en_footer2],
        "outlook_android": ["Get Outlook for Android<https://aka.ms/AAb9ysg>"],
        "thunderbird": ["", f"-- \n{p.display}\nPGP: {ctx.make('fpr', '')}", f"-- \n{p.display}"],
        "mutt": [f"-- \n{p.display} | GPG {ctx.make('fpr', '')}"],
        "proton": ["Sent with Proton Mail secure email."],
        "yahoo": ["", "Sent from Yahoo Mail for iPhone"],
        "qq": ["", "", "--\n" + p.display],
        "foxmail": [p.email],
        "netease": ["", zh_footer],
        "ios_zh": ["发自我的iPhone"],
        "gmail_zh": ["", "--\n" + p.display, zh_footer],
        "outlook_zh": [zh_footer],
        "mobile_zh": ["发自我的华为手机", "发自我的HUAWEI Mate 60 Pro"],
        "sina": [""],
    }[st]
    return R.choice(choice)


def message_id(st: str, p: Persona, when: dt.datetime) -> str:
    dom = p.email.split("@")[1]
    uuid = lambda: f"{g_hex(4)}-{g_hex(2)}-{g_hex(2)}-{g_hex(2)}-{g_hex(6)}"
    if st.startswith("gmail"):
        return (
            "<CA"
            + g_alnum(R.randint(44, 52), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+_=-")
            + "@mail.gmail.com>"
        )
    if st in ("ios", "ios_zh"):
        return f"<{uuid().upper()}@{dom}>"
    if st.startswith("outlook"):
        pr = R.choice(["SN6PR11MB", "DM8PR04MB", "AM9PR07MB", "SEZPR06MB", "TYZPR03MB"]) + g_digits(4)
        reg = {"SN": "namprd11", "DM": "namprd04", "AM": "eurprd07", "SE": "apcprd06", "TY": "apcprd03"}[pr[:2]]
        return f"<{pr}{g_hex(20).upper()}@{pr}.{reg}.prod.outlook.com>"
    if st == "thunderbird":
        return f"<{uuid()}@{dom}>"
    if st == "mutt":
        return f"<{when:%Y%m%d%H%M%S}.GA{g_digits(5)}@{p.first.lower()}-thinkpad>"
    if st == "proton":
        return "<" + g_b64(86).replace("-", "").replace("_", "") + "=@proton.me>"
    if st == "yahoo":
        return f"<{g_digits(10)}.{g_digits(7)}.{int(when.timestamp()) * 1000 + R.randint(0, 999)}@mail.yahoo.com>"
    if st == "qq":
        return f"<tencent_{g_hex(20).upper()}@qq.com>"
    if st == "foxmail":
        return f"<{when:%Y%m%d%H%M%S}{g_digits(7)}@{dom}>"
    if st == "netease":
        return f"<{g_hex(4)[:7]}.{g_hex(2)}.{g_hex(6)[:11]}.Coremail.{p.email.split('@')[0]}@163.com>"
    if st == "sina":
        return f"<{g_hex(8)}@sina.com>"
    if st == "mobile_zh":
        return f"<{uuid()}@email.android.com>"
    raise ValueError(st)


BOUNDARY = {
    "gmail": lambda: "000000000000" + g_hex(8),
    "outlook": lambda: "_000_" + g_alnum(30, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") + "prodoutlookcom_",
    "qq": lambda: f"----=_NextPart_{g_hex(4).upper()}_{g_hex(4).upper()}_{g_hex(4).upper()}",
    "foxmail": lambda: f"----=_001_NextPart{g_digits(12)}_=----",
    "netease": lambda: f"----=_Part_{g_digits(6)}_{g_digits(9)}.{g_digits(13)}",
    "apple": lambda: (
        f"Apple-Mail-{g_hex(4).upper()}-{g_hex(2).upper()}-{g_hex(2).upper()}-{g_hex(2).upper()}-{g_hex(6).upper()}"
    ),
    "other": lambda: "------------" + g_alnum(24, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
}


def boundary(st: str) -> str:
    key = (
        "gmail"
        if st.startswith("gmail")
        else "outlook"
        if st.startswith("outlook")
        else "apple"
        if st.startswith("ios")
        else st
        if st in BOUNDARY
        else "other"
    )
    return BOUNDARY[key]()


def pick_cte(kind: str, text: str) -> str | None:
    ascii_only = all(ord(c) < 128 for c in text)
    long_lines = any(len(l) > 76 for l in text.split("\n"))
    if kind == "auto-qp":
        return None if ascii_only and not long_lines else "quoted-printable"
    if kind == "auto-8bit":
        return "7bit" if ascii_only else "8bit"
    if kind == "b64-or-qp":
        return R.choice(["base64", "quoted-printable"])
    return kind


def encodable(text: str, cs: str) -> bool:
    try:
        encode_body(text, cs, "8bit")
        return True
    except UnicodeEncodeError:
        return False


ATT_NAMES = {
    ("png", "en"): ["Screenshot {Y}-{m}-{d} at {H}.{M}.07.png", "IMG_{n4}.PNG", "screenshot.png", "image001.png"],
    ("png", "zh"): [
        "微信图片_{Y}{m}{d}{H}{M}{n2}.png",
        "截图.png",
        "屏幕截图 {Y}-{m}-{d} {H}{M}{n2}.png",
        "IMG_{n4}.PNG",
    ],
    ("pdf", "en"): ["statement_{Mon}{Y}.pdf", "withdrawal_record.pdf", "bank_transfer_confirmation.pdf"],
    ("pdf", "zh"): ["提现记录.pdf", "转账凭证.pdf", "银行回单.pdf"],
}


def att_name(kind: str, lang: str, when: dt.datetime) -> str:
    d = when - dt.timedelta(minutes=R.randint(5, 600))
    n = R.choice(ATT_NAMES[(kind, lang)])
    for k, v in {
        "{Y}": f"{d.year}",
        "{m}": f"{d.month:02d}",
        "{d}": f"{d.day:02d}",
        "{H}": f"{d.hour:02d}",
        "{M}": f"{d.minute:02d}",
        "{Mon}": MON[d.month - 1],
        "{n2}": f"{R.randint(0, 59):02d}",
        "{n4}": str(R.randint(1000, 9999)),
    }.items():
        n = n.replace(k, v)
    return n


RECEIVED_HOST = {
    "gmail": "mail-lf1-f{n}.google.com",
    "gmail_us": "mail-pj1-f{n}.google.com",
    "gmail_zh": "mail-pl1-f{n}.google.com",
    "ios": "mr85p00im-ztdg0{n}.me.com",
    "ios_zh": "mr85p00im-hyfv0{n}.me.com",
    "outlook": "mail-{reg}.outbound.protection.outlook.com",
    "outlook_new": "mail-{reg}.outbound.protection.outlook.com",
    "outlook_android": "mail-{reg}.outbound.protection.outlook.com",
    "outlook_zh": "mail-{reg}.outbound.protection.outlook.com",
    "thunderbird": "mout0{n}.posteo.example",
    "mutt": "fout-a{n}-smtp.messagingengine.com",
    "proton": "mail-4{n}.protonmail.ch",
    "yahoo": "sonic3{n}-2.consmr.mail.ne1.yahoo.com",
    "qq": "out203-205-221-1{n}.mail.qq.com",
    "foxmail": "smtp.qiye.163.com",
    "netease": "m16{n}.mail.163.com",
    "mobile_zh": "m1{n}.mail.126.com",
    "sina": "mail3-1{n}.sinamail.sina.com.cn",
}
