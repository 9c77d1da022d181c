"""One-time codes: 2FA backup codes and authenticator setup keys after a cue, and `otpauth://` links.

Codes listed after a cue word (备用码, backup codes, authenticator secret) on its line or
in the lines below it that hold nothing but codes; an authenticator's setup link is a
secret wherever it is.
"""

from __future__ import annotations

import re

from inboxd.extract.context import cue_pattern
from inboxd.redact.common import cue_heads, cues_found

BACKUP_CUES = (
    "backup code", "backup codes", "recovery code", "recovery codes", "emergency code", "emergency codes",
    "scratch code", "scratch codes", "2fa backup", "2fa recovery", "setup key", "set-up key", "secret key",
    "authenticator key", "2fa key", "2fa secret", "totp secret", "google authenticator key", "16-digit key",
    "备用码", "備用碼", "恢复码", "恢復碼", "备份码", "備份碼", "备份密钥", "備份密鑰", "救援码", "紧急码", "紧急代码",
    "恢复代码", "备用验证码", "谷歌密钥", "谷歌验证器密钥", "谷歌验证器的密钥", "谷歌驗證器的密鑰", "验证器密钥",
    "验证器的密钥", "2fa密钥", "二次验证密钥", "两步验证备用码",
    "authenticator secret", "authenticator seed", "google authenticator secret", "2fa seed", "2fa secret key",
    "totp key", "totp seed",
    # 秘钥 is a common misspelling of 密钥.
    "谷歌秘钥", "谷歌验证密钥", "谷歌验证秘钥", "谷歌验证器秘钥", "谷歌验证器的秘钥", "身份验证器密钥",
    "身份验证器秘钥", "验证器秘钥", "2fa秘钥", "二次验证秘钥",
)  # fmt: skip
_BACKUP_CUE = cue_pattern(BACKUP_CUES)


# The cue pattern tries its alternatives at every "a", "b", "e", "r", "s", "t" …: most of the
# scan of a long thread. Its matches are found where a head of a cue is (`common.cues_found`).
_CUE_HEADS = cue_heads(BACKUP_CUES)


def _backup_cues(text: str) -> list[re.Match[str]]:
    """What `_BACKUP_CUE.finditer(text)` gives."""
    return cues_found(_BACKUP_CUE, _CUE_HEADS, text)


# An authenticator's setup link (the QR code's text), or Google Authenticator's export of
# all its accounts: the whole link is the secret. Also percent-encoded, inside a QR image link.
# Lower-case as every authenticator writes it: a literal start that `re` finds in C.
_OTPAUTH = re.compile(
    r"otpauth(?i:(?:-migration)?(?::|%3A)(?://|%2F%2F)[^\s<>\"'）)\]]*?(?:[?&]|%3F|%26)(?:secret|data)(?:=|%3D)"
    r"[^\s<>\"'）)\]&]+[^\s<>\"'）)\]]*)"
)
_CODE = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"[A-Za-z2-7]{4}(?: [A-Za-z2-7]{4}){3,15}"  # setup key in groups of four
    r"|[A-Za-z0-9]{4,5}-[A-Za-z0-9]{4,5}"  # k7q2-m9xp
    r"|\d{4} \d{4}"  # 0687 9575
    r"|[A-Z2-7]{16,64}|[a-z2-7]{16,64}"  # setup key in one piece
    r"|[A-Za-z0-9]{8,10}"  # 8-10 character codes
    r")(?![0-9A-Za-z])"
)
_SENTENCE_STOP = re.compile(r"[.!?](?:\s|$)|[。！？；]|\band\b|和")
_LEADS_TO_LIST = re.compile(r"^.{0,40}(?:[:：]|如下|below|follows?)\s*$", re.I)
_LINE_NOISE = re.compile(r"[\s\d.)、:：,，;；*•\-–—>#]*")
_ACCOUNT_CUE = re.compile(
    r"(?:UID|用户ID|用戶ID|ID|account|账户|账号|phone|手机|电话)\s*(?:is|是|为|[:：#])?\s*$", re.I
)


def _is_code(value: str) -> bool:
    compact = value.replace(" ", "").replace("-", "")
    if compact.isdigit():
        return len(compact) >= 8 and len(set(compact)) > 2
    if len(compact) >= 16 and not any(c.isdigit() for c in compact):
        # A base32 setup key without digits is rare but upper-case; lower-case words are prose.
        return compact.isupper()
    if "-" in value:
        return True  # xxxx-xxxx, the usual layout of backup codes
    return not compact.isalpha()  # a plain word is not a code


def code_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _OTPAUTH.finditer(text)] if "otpauth" in text else []
    for cue in _backup_cues(text):
        line_end = text.find("\n", cue.end())
        line_end = len(text) if line_end < 0 else line_end
        # On the cue's own line: codes up to the end of the sentence.
        rest = text[cue.end() : min(line_end, cue.end() + 160)]
        stop = _SENTENCE_STOP.search(rest)
        limit = cue.end() + (stop.start() if stop else len(rest))
        found = [m for m in _CODE.finditer(text, cue.end(), limit) if _is_code(m.group(0))]
        # Then the lines below that hold nothing but codes (and numbering), when the cue's
        # line leads into them ("backup codes I saved:", "备用码如下：").
        leads = _LEADS_TO_LIST.search(_CODE.sub(" ", text[cue.end() : line_end])) is not None
        pos, blank_allowed = (line_end + 1, 1) if leads else (len(text), 0)
        while pos < len(text):
            nxt = text.find("\n", pos)
            nxt = len(text) if nxt < 0 else nxt
            line = text[pos:nxt]
            if not line.strip():
                if found or blank_allowed == 0:
                    break
                blank_allowed -= 1
                pos = nxt + 1
                continue
            codes = [m for m in _CODE.finditer(text, pos, nxt) if _is_code(m.group(0))]
            leftover = _CODE.sub(" ", line)
            if not codes or _LINE_NOISE.fullmatch(leftover) is None:
                break
            found.extend(codes)
            pos = nxt + 1
        for m in found:
            if not _ACCOUNT_CUE.search(text[max(0, m.start() - 12) : m.start()]):
                spans.append(m.span())
    return spans
