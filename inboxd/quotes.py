"""Separate the customer's new words from quoted history and signatures.

Facts are extracted from the new text only: a transaction hash quoted from our
previous mail, or a phone number in a signature, is not what the customer is
telling us now. Works line by line on plain text (HTML is converted first, and
inboxd.html_text writes blockquotes as "> " lines).

- Quoted history starts at a client's quote header: "On … wrote:" (Gmail, Apple
  Mail, Thunderbird, also wrapped onto two lines), "在 … 写道：" / "… 于 … 写道："
  (iOS, NetEase, Gmail and Thunderbird in Chinese), "-----Original Message-----",
  QQ Mail's "---- 原始邮件 ----", NetEase Mail Master's "---- 回复的原邮件 ----",
  Outlook's rule "______", or a From:/发件人: block (Outlook, Foxmail, QQ) that has a
  Subject:/主题: line among its next lines, so that a customer writing "From:
  Binance / To: my Ledger" is not cut.
- A quote header followed by ">" lines (bottom-posting, interleaved answers) only
  marks that block: the ">" lines are dropped and the customer's lines after them
  kept. A header followed by unquoted text (Outlook, QQ) ends the new text.
- A forwarded message ("---------- Forwarded message ---------", "Begin forwarded
  message:", "转发邮件信息") is kept: it is evidence the customer sends (a wallet's
  receipt with the transaction hash), not our words coming back.
- The new text ends at a signature ("-- "), a client footer ("Sent from my
  iPhone", "发自我的iPhone", "发自网易邮箱大师", "Get Outlook for iOS") or a
  legal disclaimer ("CONFIDENTIALITY NOTICE:", "免责声明：").

mail-parser-reply was measured against this on the fixture table and the labelled
extraction corpus (benchmarks/quotes_eval.py) and missed most Chinese clients,
bottom-posting and footers, so it is not used.
"""

from __future__ import annotations

import re

# A line that starts a block of quoted history.
_QUOTE_HEADERS = [
    re.compile(
        r"^\s*-{2,}\s*(Original Message|原始邮件|原始郵件|回复的原邮件|原邮件|Reply message)\s*-{2,}",
        re.I,
    ),
    re.compile(r"^\s*_{5,}\s*$"),  # Outlook's rule above a From: block
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.I),
    re.compile(r"^\s*在\s*.{0,200}(写道|寫道)\s*[:：]?\s*$"),
    re.compile(r"^\s*.{0,200}于\s*.{0,100}(写道|寫道)\s*[:：]\s*$"),
    re.compile(r"^\s*Le\b.{0,200}\ba écrit\s*:\s*$", re.I),
    re.compile(r"^\s*Am\b.{0,200}\bschrieb\b.{0,100}:\s*$", re.I),
]
# The patterns above as one (each in its own flags): a line tried once instead of seven times.
_QUOTE_HEADER = re.compile("|".join(f"(?{'i' if p.flags & re.I else ''}:{p.pattern})" for p in _QUOTE_HEADERS))
_FORWARD = re.compile(
    r"^\s*(-{2,}\s*(Forwarded message|转发邮件信息|轉寄郵件|转发的邮件)\s*-{2,}|Begin forwarded message:)",
    re.I,
)
# Outlook and Chinese clients put a header block instead of an "On … wrote:" line.
_FROM_LINE = re.compile(r"^\s*\**(From|发件人|發件人|寄件者)\s*\**\s*[:：]", re.I)
_HEADER_LINE = re.compile(
    r"^\s*\**(Sent|Date|To|Subject|Cc|发送时间|发件时间|時間|日期|收件人|主题|主旨|抄送|寄件日期)\s*\**\s*[:：]",
    re.I,
)
_SUBJECT_LINE = re.compile(r"^\s*\**(Subject|主题|主旨|主題)\s*\**\s*[:：]", re.I)
# A line that ends the message body: a signature, a client's footer or a disclaimer.
_SIGNATURE = [
    re.compile(r"^--\s*$"),
    re.compile(r"^\s*(免责声明|免責聲明|保密声明|保密聲明)\s*[:：]"),
    re.compile(r"^\s*(CONFIDENTIALITY NOTICE|DISCLAIMER|IMPORTANT NOTICE)\s*[:：]", re.I),
    re.compile(
        r"^\s*This (e-?mail|message)( and any (files|attachments?)( transmitted with it)?)? "
        r"(is|are|may (be|contain))\b.{0,40}\b(confidential|privileged|intended)",
        re.I,
    ),
]
_SIGNATURE_LINE = re.compile("|".join(f"(?{'i' if p.flags & re.I else ''}:{p.pattern})" for p in _SIGNATURE))
# Client footers are short lines; "Sent from my Binance account 500 USDT" is a customer's.
_FOOTER = [
    re.compile(
        r"^\s*(Sent from (my|Mail for|Yahoo Mail|Outlook|AOL|Proton)|Get Outlook for|Sent via|Sent with)\b", re.I
    ),
    re.compile(r"^\s*(发自|發自|来自|來自|从我的|從我的)\s*(我的)?\s*\S.{0,25}$"),
]
# …ending in a device or client: "来自手机端的提币失败" is a customer's sentence.
_FOOTER_END = re.compile(
    r"(iPhone|iPad|Android|手机|手機|邮箱大师|郵箱大師|邮箱|郵箱|客户端|Mail|Outlook|发送|傳送)\s*$", re.I
)
_FOOTER_MAX = 50
_ON = re.compile(r"^\s*On\b", re.I)
_WROTE = re.compile(r"\bwrote:\s*$")
_THREE_DIGITS = re.compile(r"\d{3}")
# Every line that one of the patterns above may match starts like this, or holds a Chinese
# "wrote" (写道): new_text judges only these lines one by one, the others are new text or
# ">" lines. Led by "\n", the pattern is found by the regex engine's fast literal search:
# one scan of the text instead of a dozen patterns tried on every line.
_STARTS = (
    # The look-ahead turns most lines away at their first letter (case-folded as below: ſ is s).
    r"\n[^\S\n]*(?=(?i:[-_*olaftsgbcdi在发發寄免保来來从從]))"
    r"(?i:[-_*]|on\b|le\b|am\b|from|this|sent|get outlook|begin forwarded|confidentiality|disclaimer|"
    r"important|在|发件人|發件人|寄件者|免责|免責|保密|发自|發自|来自|來自|从我的|從我的)"
)
_CANDIDATE = re.compile(_STARTS)
_CANDIDATE_ZH = re.compile(_STARTS + r"|\n(?=[^\n]*(?:写道|寫道))")  # costs a look along each line
# A ">" line with the "\n" before it (the lines between two candidates are dropped in one pass).
_QUOTED_LINE = re.compile(r"\n[^\S\n]*>[^\n]*")


def _is_quote_header(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _QUOTE_HEADER.match(line):  # every one is anchored at the line's start
        return True
    # "On Mon, 20 Nov 2026 at 14:02, Support <support@x>" wrapped onto the next line.
    if _ON.match(line) and index + 1 < len(lines) and _WROTE.search(lines[index + 1]):
        return True
    if _FROM_LINE.match(line):
        following = [ln for ln in lines[index + 1 : index + 7] if ln.strip()]
        headers = [ln for ln in following if _HEADER_LINE.match(ln)]
        return len(headers) >= 2 and any(_SUBJECT_LINE.match(ln) for ln in headers)
    return False


def _is_footer(line: str) -> bool:
    if len(line.strip()) > _FOOTER_MAX or _THREE_DIGITS.search(line):
        return False
    if _FOOTER[0].match(line):
        return True
    return bool(_FOOTER[1].match(line) and _FOOTER_END.search(line))


def _quoted_block_follows(lines: list[str], index: int) -> bool:
    """Whether the quote header at `index` introduces ">" lines (so text after them is new)."""
    for line in lines[index + 1 : index + 4]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


_KEEP, _SKIP, _STOP, _REST = range(4)


def _judge(lines: list[str], index: int) -> int:
    """What the candidate line `index` is: new text (_KEEP), a line to drop (_SKIP), the end of
    the new text (_STOP) or a forwarded message kept with all that follows it (_REST)."""
    line = lines[index]
    if _is_quoted(line):
        # An inline-quoted line (interleaved replies keep the lines between). No quote
        # header, footer or signature starts with ">": most of a reply's lines stop here.
        return _SKIP
    if _FORWARD.match(line):
        return _REST
    if _is_quote_header(lines, index):
        # A header over ">" lines only marks them (they are dropped, and what follows them
        # is new); one over unquoted text ends the new text.
        return _SKIP if _quoted_block_follows(lines, index) else _STOP
    if _SIGNATURE_LINE.match(line) or _is_footer(line):
        return _STOP
    return _KEEP


def new_text(text: str) -> str:
    """Return the part of `text` the customer wrote in this mail."""
    lines = text.splitlines()
    # splitlines' other separators as "\n", and a "\n" before every line, the first too.
    joined = "\n" + "\n".join(lines)
    candidate = _CANDIDATE_ZH if "写道" in joined or "寫道" in joined else _CANDIDATE
    # "\n" + each line kept, a run of lines in one string; their ">" lines are dropped in one pass
    # at the end (every piece starts at a line's "\n", so no ">" line spans two of them).
    kept: list[str] = []
    rest = ""  # a forwarded message, kept as it is, ">" lines too
    index = 0  # of the line the next match starts
    position = 0  # where the lines not yet judged start in `joined`
    for match in candidate.finditer(joined):
        start = match.start()
        kept.append(joined[position:start])
        index += joined.count("\n", position, start)
        verdict = _judge(lines, index)
        if verdict == _REST:
            rest = joined[start:]
        if verdict >= _STOP:
            break
        if verdict == _KEEP:
            kept.append("\n" + lines[index])
        index += 1
        position = joined.find("\n", start + 1)
        if position < 0:
            position = len(joined)
    else:
        kept.append(joined[position:])
    result = (_QUOTED_LINE.sub("", "".join(kept)) + rest).strip()
    # A mail that is nothing but a quote (a forward with no comment) keeps its text,
    # so that it is still understood rather than read as empty.
    return result if result else text.strip()
