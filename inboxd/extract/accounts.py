"""The customer's account identifiers written in the body: UID, registered e-mail, phone."""

from __future__ import annotations

import re

from inboxd.extract.context import may_hold
from inboxd.values import AccountId

_UID = re.compile(
    r"(?:\bUID|用户ID|用戶ID|用户编号|用戶編號|账户ID|帳戶ID|账号ID|帳號ID|account\s*id|user\s*id)"
    r"\s*(?:is|是|为|為|:|：|#)?\s*[:：]?\s*(\d{5,12})\b",
    re.I,
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(
    r"(?:手机号?|手機號?|电话|電話|phone|mobile|tel)\s*(?:number|号码|號碼|is|是|为|:|：)?\s*[:：]?\s*"
    r"(\+?\(?\d[\d\s()-]{6,18}\d)",
    re.I,
)


# A part that every match of each pattern has: the patterns start with a look-behind or a choice of
# words, which `re` tries at every position of the text; most texts have none of these.
_UID_WORDS = ("id", "用户编号", "用戶編號")
_PHONE_WORDS = ("手机", "手機", "电话", "電話", "phone", "mobile", "tel")


def account_ids(text: str, own_addresses: frozenset[str]) -> tuple[AccountId, ...]:
    found: dict[tuple[str, str], AccountId] = {}
    for m in _UID.finditer(text) if may_hold(text, _UID_WORDS) else ():
        found.setdefault(("uid", m.group(1)), AccountId("uid", m.group(1)))
    for m in _EMAIL.finditer(text) if "@" in text else ():
        value = m.group(0).lower().rstrip(".")
        if value not in own_addresses:
            found.setdefault(("email", value), AccountId("email", value))
    for m in _PHONE.finditer(text) if may_hold(text, _PHONE_WORDS) else ():
        value = re.sub(r"[\s()-]", "", m.group(1))
        found.setdefault(("phone", value), AccountId("phone", value))
    return tuple(found.values())
