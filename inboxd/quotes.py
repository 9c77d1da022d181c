"""Separate the customer's new words from quoted history and signatures.

Facts are extracted from the new text only: a transaction hash quoted from our
previous mail, or a phone number in a signature, is not what the customer is
telling us now. Works line by line on plain text; recognises the quote headers
of the common clients in English and Chinese (Gmail, Apple Mail, Outlook,
QQ Mail, Foxmail, NetEase) and the usual signature separators.
"""

from __future__ import annotations

import re

# A line that starts a block of quoted history: everything from it on is old.
_QUOTE_HEADERS = [
    re.compile(
        r"^\s*-{2,}\s*(Original Message|Forwarded message|原始邮件|原始郵件|转发邮件|Reply message)\s*-{2,}",
        re.I,
    ),
    re.compile(r"^\s*_{5,}\s*$"),  # Outlook's rule above a From: block
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.I),
    re.compile(r"^\s*在\s*.{0,200}(写道|寫道)\s*[:：]?\s*$"),
    re.compile(r"^\s*.{0,200}于\s*.{0,100}(写道|寫道)\s*[:：]\s*$"),
    re.compile(r"^\s*Le\b.{0,200}\ba écrit\s*:\s*$", re.I),
    re.compile(r"^\s*Am\b.{0,200}\bschrieb\b.{0,100}:\s*$", re.I),
]
# Outlook and Chinese clients put a header block instead of an "On … wrote:" line.
_FROM_LINE = re.compile(r"^\s*\**(From|发件人|發件人|寄件者)\s*\**\s*[:：]", re.I)
_HEADER_LINE = re.compile(
    r"^\s*\**(Sent|Date|To|Subject|Cc|发送时间|发件时间|時間|日期|收件人|主题|主旨|抄送|寄件日期)\s*\**\s*[:：]",
    re.I,
)
# A line that ends the message body: a signature or a client's footer.
_SIGNATURE = [
    re.compile(r"^--\s*$"),
    re.compile(r"^\s*(Sent from my|Sent from Mail for|Get Outlook for|Sent via|Sent with)\b", re.I),
    re.compile(r"^\s*(发自我的|發自我的|从我的|來自我的).{0,30}$"),
]


def _is_quote_header(lines: list[str], index: int) -> bool:
    line = lines[index]
    if any(p.search(line) for p in _QUOTE_HEADERS):
        return True
    # "On Mon, 20 Nov 2026 at 14:02, Support <support@x>" wrapped onto the next line.
    if re.match(r"^\s*On\b", line, re.I) and index + 1 < len(lines) and re.search(r"\bwrote:\s*$", lines[index + 1]):
        return True
    if _FROM_LINE.match(line):
        following = [ln for ln in lines[index + 1 : index + 5] if ln.strip()]
        return sum(1 for ln in following if _HEADER_LINE.match(ln)) >= 2
    return False


def new_text(text: str) -> str:
    """Return the part of `text` the customer wrote in this mail."""
    lines = text.splitlines()
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _is_quote_header(lines, index):
            break
        if any(p.match(line) for p in _SIGNATURE):
            break
        if line.lstrip().startswith(">"):
            continue  # inline-quoted line (interleaved replies keep the lines between)
        kept.append(line)
    result = "\n".join(kept).strip()
    # A mail that is nothing but a quote (a forward with no comment) keeps its text,
    # so that it is still understood rather than read as empty.
    return result if result else text.strip()
