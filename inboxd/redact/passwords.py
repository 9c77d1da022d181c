"""Passwords stated in a mail's text.

`my password is …`, `密码是…`, `资金密码：…`, `I use … as my password`, `pass: …`,
`login alice pass …`, `credentials: alice / …`, `密码用的是…`; not "password reset", "my
password is wrong" or "I cannot pass KYC".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from inboxd.redact.common import PLACEHOLDER_START, PLACEHOLDERS, lowered, matches_at

_PASSWORD_EN = re.compile(
    r"(?<![A-Za-z])(?:(?:login|log-in|account|fund|funds|trading|withdrawal|security|new|old|current|e-?mail|wallet|"
    r"app|exchange|anti-phishing)\s+)?(?P<word>password|passcode|passphrase|pass\s*word|pwd|pw|pin(?:\s*code)?|pass)"
    r"(?![A-Za-z])"
    r"(?:\s+(?:for|on|of)\s+(?:the\s+|my\s+)?\w+)?"
    r"(?P<link>\s*(?:is|was|=|:|：|-)\s*(?:still\s+|now\s+|just\s+)?|\s+(?:is|was)\s+set\s+to\s+|\s+)",
    re.I,
)
_PASSWORD_ZH = re.compile(
    r"(?:登录|登錄|资金|資金|交易|支付|提现|提現|提币|提幣|邮箱|郵箱|钱包|錢包|解锁|解鎖|旧|舊|新|原|账户|帳戶|账号|帳號)?"
    r"(?:密码|密碼|口令)"
    r"(?P<link>\s*(?:是|为|為|:|：|=|就是|设置的是|設置的是|设的是|設的是|改成了?|改为|改為|用的是|用的|是用的|用了|"
    r"设置为|設置為|设置成|設置成|设为|設為|设成|設成)\s*|\s+)"
)
_TOKEN_VALUE = re.compile(
    r"[\"'“‘「『]?(?P<value>[\x21-\x7e]{4,64}?)[\"'”’」』]?(?=[\s，。；、！？）)\]]|$|[^\x00-\x7f])"
)
_NOT_A_PASSWORD = frozenset(
    {
        "already",
        "also",
        "always",
        "and",
        "being",
        "blocked",
        "but",
        "case",
        "changed",
        "characters",
        "correct",
        "correctly",
        "definitely",
        "different",
        "digits",
        "empty",
        "encrypted",
        "expired",
        "fine",
        "forget",
        "forgot",
        "forgotten",
        "hidden",
        "incorrect",
        "invalid",
        "just",
        "letters",
        "locked",
        "long",
        "lost",
        "missing",
        "needed",
        "never",
        "none",
        "not",
        "now",
        "null",
        "numbers",
        "ok",
        "okay",
        "protected",
        "remember",
        "required",
        "reset",
        "right",
        "safe",
        "same",
        "secure",
        "sensitive",
        "short",
        "still",
        "strong",
        "the",
        "too",
        "unknown",
        "very",
        "weak",
        "working",
        "wrong",
    }
)


_JUDGEMENTS = frozenset({"correct", "right", "sure", "wrong", "incorrect", "certain", "accurate"})


_LINK_OR_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)|^[\w.+-]+@[\w-]+\.[\w.-]+>?$", re.I)


def _looks_like_password(value: str, explicit: bool) -> bool:
    if value.casefold().strip(".,!?") in _NOT_A_PASSWORD or len(set(value)) < 3:
        return False
    if _LINK_OR_ADDRESS.search(value):
        return False  # "reset your password: https://…" points somewhere, it is not one
    digits = any(c.isdigit() for c in value)
    symbols = any(not c.isalnum() for c in value)
    mixed = any(c.isupper() for c in value) and any(c.islower() for c in value)
    if digits or symbols or mixed:
        return True
    return explicit and len(value) >= 6  # "Password: sunshine" is labelled, so it is one


# Where a password word can start ("pass", "pw", "pin"; "密码", "口令"), or "credentials": the
# patterns are tried only near these, since scanning a whole text with them cost 0.5 ms. One
# character class first, so that `re` skips to it in C (an alternation of two was 3x slower).
_PASSWORD_EN_CORE = re.compile(r"[cCpP](?:(?<=[pP])(?:[aA][sS][sS]|[wW]|[iI][nN])|(?<=[cC])[rR][eE][dD])")
_PASSWORD_ZH_CORES = ("密码", "密碼", "口令")
# The same places, found with `str.find` in the lower-cased text: a search for a literal is
# several times faster than `re` trying a character class at every "c" and "p". Lower-casing
# keeps every position and makes no other character one of these letters, save for "İ"
# (it becomes two characters): such a text is searched with the pattern.
_PASSWORD_EN_CORES = ("pass", "pw", "pin", "cred")


def _occurrences(text: str, needles: tuple[str, ...]) -> list[int]:
    """Where each of `needles` starts in `text`, in order (none of them overlaps another or itself)."""
    found: list[int] = []
    for needle in needles:
        at = text.find(needle)
        while at >= 0:
            found.append(at)
            at = text.find(needle, at + len(needle))
    found.sort()
    return found


def _core_words(text: str) -> tuple[list[int], list[int]]:
    """Where the English (`_PASSWORD_EN_CORE`) and the Chinese password and credentials words start."""
    if "\u0130" in text:
        english = [m.start() for m in _PASSWORD_EN_CORE.finditer(text)]
    else:
        english = _occurrences(lowered(text), _PASSWORD_EN_CORES)
    return english, _occurrences(text, _PASSWORD_ZH_CORES)


_PASSWORD_PREFIX_MAX = 16  # the longest word before the English password word: "anti-phishing "


# Where a prefix word may start: after no letter (the pattern's own look-behind, which a letter
# before fails whatever `re.I` makes of it), on no space. Trying all 16 places before every
# password word was most of the scan: "never ask for your password" is in every acknowledgement.
_PREFIX_START = re.compile(r"(?<![A-Za-z])(?=\S)")


def _en_starts(text: str, core: int) -> list[int]:
    """Where an English match with its password word at `core` can start: there, or at a
    prefix word ("login", "anti-phishing") before the spaces in front of it."""
    space = core
    while space > 0 and text[space - 1].isspace():
        space -= 1
    if space == core:
        return [core]
    # A prefix word holds no space and ends where the spaces begin: "for" in "for your password" is none.
    first = max(0, space - _PASSWORD_PREFIX_MAX)
    first = max(first, text.rfind(" ", first, space) + 1)
    return [*(m.start() for m in _PREFIX_START.finditer(text, first, space)), core]


def _password_matches(text: str, english_words: list[int], chinese_words: list[int]) -> Iterator[re.Match[str]]:
    """The labelled passwords' patterns, tried where a password word is (`english_words`, `chinese_words`)."""
    yield from matches_at(_PASSWORD_EN, text, (p for at in english_words for p in _en_starts(text, at)))
    # Chinese: at most two characters (登录, 资金, 新) stand before the password word.
    yield from matches_at(_PASSWORD_ZH, text, (p for at in chinese_words for p in range(max(0, at - 2), at + 1)))


# A login named just before the password word makes its value a labelled one: "login alice
# pass Xy9!pq", "my login is bob and the password Qw3rty99".
_LOGIN_BEFORE = re.compile(
    r"(?<![A-Za-z])(?:user\s*name|user|login|log-in|account|e-?mail|id|uid)\s*(?:is\s+|[:：=]\s*)?"
    r"[^\s,;|/]{2,64}[\s,;|/]+(?:and\s+)?(?:(?:the|my)\s+)?\Z",
    re.I,
)
_PASSWORD_WORD = re.compile(
    r"(?<![A-Za-z])(?:password|passcode|passphrase|pass\s*word|pwd|pw|pin(?:\s*code)?|pass)(?![A-Za-z])", re.I
)
# A value named before the password word: "I use Hunter2024! as my password", "Qw3rty99 is my login pin".
_VALUE_BEFORE = re.compile(
    r"(?<![\x21-\x7e])[\"'“‘「『]?(?P<value>[\x21-\x7e]{4,64}?)[\"'”’」』]?\s+(?:as|for|is|was)\s+"
    r"(?:my|the|our)\s+(?:[A-Za-z-]+\s+)?\Z",
    re.I,
)
_OWNERS = frozenset({"my", "the", "our"})
_QUOTES = "\"'“”‘’「」『』"
_NAMED_AS = frozenset({"as", "for", "is", "was"})
# A login and its password given together: "credentials: user alice / Xy9!pq", "账号密码：alice / abc12345".
_CREDENTIALS_EN = re.compile(r"(?<![A-Za-z])(?:credentials?|creds)(?![A-Za-z])", re.I)
_CREDENTIALS_ZH = frozenset({"账号", "帐号", "账户", "帳號", "帳戶", "賬號", "賬戶"})  # before 密码
_CREDENTIALS = re.compile(
    r"\s*(?:are|is|were|was)?\s*[:：=\-]?\s*(?:(?:user\s*name|user|login|id|account|e-?mail|账号|帐号|用户名)\s*[:：=]?\s*)?"
    r"[^\s/|,;，、／]{2,64}\s*[/|,;，、／]\s*(?:(?:password|pass|pwd|pw|密码|密碼)\s*[:：=]?\s*)?",
    re.I,
)
# Before "pass", these make it a verb: "my account cannot pass KYC".
_VERB_MARKERS = frozenset(
    {"can", "cannot", "can't", "cant", "could", "couldn't", "not", "did", "didn't", "does", "doesn't", "don't", "do",
     "will", "won't", "would", "should", "must", "may", "might", "never", "to", "still", "fail", "fails", "failed"}
)  # fmt: skip
_NEXT_WORD = re.compile(r"[ \t]+([A-Za-z]+)")
_CLAUSE_GOES_ON = frozenset({"and", "but", "or"})


def _ends_its_clause(text: str, end: int) -> bool:
    """No other word follows on the line, save "and", "or", "but": "Password: forgot it" goes on."""
    nxt = _NEXT_WORD.match(text, end)
    return nxt is None or nxt.group(1).casefold() in _CLAUSE_GOES_ON


def _a_verb(text: str, at: int) -> bool:
    """The word before `at` makes the word at `at` a verb ("cannot pass")."""
    before = text[max(0, at - 12) : at].split()
    return bool(before) and before[-1].casefold().replace("’", "'") in _VERB_MARKERS


def _strong(value: str) -> bool:
    """Digits, a symbol, or a capital inside: not a word of the sentence ("What is my password?")."""
    core = value.rstrip(".,;:!?")
    return any(c.isdigit() or not c.isalnum() for c in core) or any(c.isupper() for c in core[1:])


def _password_value(text: str, at: int, explicit: bool, *, need_digit: bool = False) -> tuple[int, int] | None:
    """The span of the password written at `at`, if what is there looks like one."""
    v = _TOKEN_VALUE.match(text, at)
    if v is None or text.startswith(PLACEHOLDER_START, v.start()):
        return None  # nothing, or already redacted: "my password is [REDACTED PASSWORD]"
    value = v.group("value").rstrip(".,;:")
    if need_digit and not any(c.isdigit() for c in value):
        return None  # "password reset" — no link word and nothing password-like
    after = text[v.end() : v.end() + 12].strip().split(" ")[0].casefold().strip(".,!")
    if after in _JUDGEMENTS:
        return None  # "my password is 100% correct"
    end = v.start("value") + len(value)
    if value.isalpha() and not _ends_its_clause(text, end):
        return None  # a word a sentence goes on from: "Password: forgot it"
    if not _looks_like_password(value, explicit):
        return None
    return v.start("value"), end


def _value_before(text: str, at: int) -> tuple[int, int] | None:
    """The password named before the password word at `at`: "I use Hunter2024! as my password"."""
    # A cheap look at the last words first: "we never ask for your password" is in every
    # acknowledgement quoted back.
    words = text[max(0, at - 40) : at].split()
    owner = next((i for i in (len(words) - 1, len(words) - 2) if i >= 2 and words[i].casefold() in _OWNERS), None)
    if owner is None or words[owner - 1].casefold() not in _NAMED_AS or not _strong(words[owner - 2].strip(_QUOTES)):
        return None  # not "… X as my [login] password"
    v = _VALUE_BEFORE.search(text, max(0, at - 100), at)
    if v is None or not _strong(v.group("value")) or not _looks_like_password(v.group("value"), False):
        return None
    if text.endswith(PLACEHOLDERS, 0, v.end("value")):
        return None  # already redacted: "I use [REDACTED PASSWORD] as my password"
    return v.span("value")


def password_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    english, chinese = _core_words(text)
    if not english and not chinese:
        return spans
    words = [at for at in english if text[at] in "pP"]
    for m in _password_matches(text, words, chinese):
        link = m.group("link")
        # "Password: sunshine" labels a value; "password was denied" describes one.
        explicit = bool(re.search(r"[:：=]|[^\x00-\x7f]", link))
        if not explicit and _LOGIN_BEFORE.search(text, max(0, m.start() - 100), m.start()):
            explicit = True  # "login alice pass Xy9!pq": a login, then its password
        if (m.groupdict().get("word") or "").casefold() == "pass" and (not explicit or _a_verb(text, m.start())):
            continue  # unlabelled, or after "cannot", "to" …, "pass" is a verb: "I cannot pass 2FA"
        span = _password_value(text, m.end(), explicit, need_digit=not link.strip() and not explicit)
        if span:
            spans.append(span)
    for at in words:
        if _PASSWORD_WORD.match(text, at):
            span = _value_before(text, at)
            if span:
                spans.append(span)
    credentials = [cue.end() for at in english if text[at] in "cC" and (cue := _CREDENTIALS_EN.match(text, at))]
    credentials += [at + 2 for at in chinese if text[max(0, at - 2) : at] in _CREDENTIALS_ZH]
    for at in credentials:
        c = _CREDENTIALS.match(text, at)
        if c:
            span = _password_value(text, c.end(), True)
            if span:
                spans.append(span)
    return spans
