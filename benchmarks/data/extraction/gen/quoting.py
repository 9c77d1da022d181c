"""Dates as mail clients write them, and the quoted history of a reply in each client's layout:
attribution lines, quoted-header blocks, `>` prefixes, top- and bottom-posting (text/plain).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

# A quoted mail: text, date, name, addr, to_name, to_addr, subject.
Quote = dict[str, Any]

WD = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WDF = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONF = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WDZ = "一二三四五六日"


def ampm(d: dt.datetime) -> str:
    return f"{d.hour % 12 or 12}:{d.minute:02d} {'AM' if d.hour < 12 else 'PM'}"


def rfc2822(d: dt.datetime) -> str:
    off = d.utcoffset()
    mins = int(off.total_seconds() // 60)
    sign = "+" if mins >= 0 else "-"
    mins = abs(mins)
    return (
        f"{WD[d.weekday()]}, {d.day} {MON[d.month - 1]} {d.year} "
        f"{d.hour:02d}:{d.minute:02d}:{d.second:02d} {sign}{mins // 60:02d}{mins % 60:02d}"
    )


def ordinal(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def attribution(st: str, q: Quote) -> str:
    d, name, addr = q["date"], q["name"], q["addr"]
    hm = f"{d.hour:02d}:{d.minute:02d}"
    if st in ("gmail", "gmail_zh_en"):
        return f"On {WD[d.weekday()]}, {d.day} {MON[d.month - 1]} {d.year} at {hm}, {name} <{addr}> wrote:"
    if st == "gmail_us":
        return f"On {WD[d.weekday()]}, {MON[d.month - 1]} {d.day}, {d.year} at {ampm(d)} {name} <{addr}> wrote:"
    if st == "ios":
        return f"On {MON[d.month - 1]} {d.day}, {d.year}, at {hm}, {name} <{addr}> wrote:"
    if st == "thunderbird":
        return f"On {d.day:02d}/{d.month:02d}/{d.year} {hm}, {name} wrote:"
    if st == "mutt":
        return (
            f"On {WD[d.weekday()]}, {MON[d.month - 1]} {d.day:02d}, {d.year} at "
            f"{d.hour % 12 or 12:02d}:{d.minute:02d}:{d.second:02d}{'AM' if d.hour < 12 else 'PM'} +0000, {name} wrote:"
        )
    if st == "proton":
        return (
            f"On {WDF[d.weekday()]}, {MONF[d.month - 1]} {d.day}{ordinal(d.day)}, {d.year} at "
            f"{ampm(d)}, {name} <{addr}> wrote:"
        )
    if st == "yahoo":
        return (
            f"On {WDF[d.weekday()]}, {MONF[d.month - 1]} {d.day}, {d.year} at "
            f"{d.hour % 12 or 12:02d}:{d.minute:02d}:{d.second:02d} {'AM' if d.hour < 12 else 'PM'} GMT, {name} <{addr}> wrote:"
        )
    if st == "netease":
        return f'在 {d:%Y-%m-%d %H:%M:%S}，"{name}" <{addr}> 写道：'
    if st == "ios_zh":
        return f"在 {d.year}年{d.month}月{d.day}日 {hm}，{name} <{addr}> 写道："
    if st == "gmail_zh":
        return f"{name} <{addr}> 于{d.year}年{d.month}月{d.day}日周{WDZ[d.weekday()]} {hm}写道："
    raise ValueError(st)


def header_block(st: str, q: Quote) -> str:
    d = q["date"]
    if st in ("outlook", "outlook_new", "outlook_android"):
        to = f"{q['to_name']} <{q['to_addr']}>" if st != "outlook_android" else q["to_addr"]
        sent = f"{WDF[d.weekday()]}, {MONF[d.month - 1]} {d.day}, {d.year} {ampm(d)}"
        lead = "-----Original Message-----" if st == "outlook" else "________________________________"
        return f"{lead}\nFrom: {q['name']} <{q['addr']}>\nSent: {sent}\nTo: {to}\nSubject: {q['subject']}"
    if st == "outlook_zh":
        return (
            f"-----原始邮件-----\n发件人: {q['name']} <{q['addr']}>\n"
            f"发送时间: {d.year}年{d.month}月{d.day}日 {d.hour}:{d.minute:02d}\n"
            f"收件人: {q['to_name']} <{q['to_addr']}>\n主题: {q['subject']}"
        )
    if st == "qq":
        ap = "上午" if d.hour < 12 else "下午"
        return (
            f'------------------ 原始邮件 ------------------\n发件人: "{q["name"]}"<{q["addr"]}>;\n'
            f"发送时间: {d.year}年{d.month}月{d.day}日(星期{WDZ[d.weekday()]}) {ap}{d.hour % 12 or 12}:{d.minute:02d}\n"
            f'收件人: "{q["to_name"]}"<{q["to_addr"]}>;\n\n主题: {q["subject"]}'
        )
    if st == "foxmail":
        return f"发件人： {q['name']}\n发送时间： {d:%Y-%m-%d %H:%M}\n收件人： {q['to_name']}\n主题： {q['subject']}"
    if st == "mobile_zh":
        return (
            f"-------- 原始邮件 --------\n发件人：{q['name']} <{q['addr']}>\n"
            f"时间：{d.year}年{d.month}月{d.day}日周{WDZ[d.weekday()]} {d:%H:%M}\n"
            f"收件人：{q['to_name']} <{q['to_addr']}>\n主题：{q['subject']}"
        )
    if st == "sina":
        return (
            f'----- 原始邮件 -----\n发件人："{q["name"]}" <{q["addr"]}>\n'
            f"收件人：<{q['to_addr']}>\n主题：{q['subject']}\n日期：{d:%Y年%m月%d日 %H点%M分}"
        )
    raise ValueError(st)


def prefix(text: str, p: str = "> ") -> str:
    out = []
    for line in text.split("\n"):
        if not line:
            out.append(p.rstrip())
        elif line.startswith(">"):
            out.append(p.rstrip() + line)
        else:
            out.append(p + line)
    return "\n".join(out)


def compose_plain(st: str, new: str, sig: str, q: Quote | None, bottom: bool) -> str:
    parts = [new]
    if st in ("gmail", "gmail_us", "gmail_zh", "proton"):
        if sig:
            parts.append(sig)
        if q:
            parts.append(attribution(st, q) + "\n\n" + prefix(q["text"]))
    elif st in ("ios", "ios_zh"):
        parts.append(sig)
        if q:
            parts.append(prefix(attribution(st, q) + "\n\n" + q["text"]))
    elif st in ("outlook", "outlook_new", "outlook_android", "outlook_zh", "mobile_zh", "sina"):
        if sig:
            parts.append(sig)
        if q:
            parts.append(header_block(st, q) + "\n\n" + q["text"])
    elif st == "qq":
        if sig:
            parts.append(sig)
        if q:
            parts.append("\n" + header_block(st, q) + "\n\n\n\n" + q["text"])
    elif st == "foxmail":
        parts.append("\n" + sig)
        if q:
            parts.append(" \n" + header_block(st, q) + "\n" + q["text"])
    elif st == "netease":
        if sig:
            parts.append(sig)
        if q:
            parts.append("\n\n\n\n" + attribution(st, q) + "\n" + prefix(q["text"], ">"))
    elif st in ("thunderbird", "mutt", "yahoo"):
        if q and bottom:
            lead = attribution(st, q) + "\n" + prefix(q["text"])
            return lead + "\n\n" + new + ("\n\n" + sig if sig else "")
        if sig:
            parts.append(sig)
        if q:
            parts.append(attribution(st, q) + "\n" + prefix(q["text"]))
    else:
        raise ValueError(st)
    return "\n\n".join(parts)
