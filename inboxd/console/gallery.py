"""Every category's acknowledgement in every language, rendered from a sample mail.

The same code path as a real acknowledgement (parse → redact → decide → `build_ack`), with
the category set instead of predicted and every required field missing, so that the
operators read each question a customer may be asked before a customer does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from inboxd.acknowledge import build_ack
from inboxd.assets import LANGUAGES
from inboxd.compose import App
from inboxd.parse import parse_message
from inboxd.redact import redact_mail
from inboxd.triage import decide, examine
from inboxd.values import PASS, Classification, ParseLimits, SenderAuth

SAMPLE_REF = "INB-000123"
_SAMPLES = {
    "en": (
        "From: Alice Example <alice@example.com>\r\nTo: support@exchange.test\r\n"
        "Subject: My USDT deposit has not arrived\r\nMessage-ID: <sample-en@example.com>\r\n"
        "Date: Mon, 07 Dec 2026 08:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hello, I sent 250 USDT yesterday and it is not in my account yet. Please help.\r\n"
    ),
    "zh": (
        "From: =?utf-8?b?5byg5LiJ?= <zhangsan@example.com>\r\nTo: support@exchange.test\r\n"
        "Subject: =?utf-8?b?5YWF5YC85rKh5pyJ5Yiw6LSm?=\r\nMessage-ID: <sample-zh@example.com>\r\n"
        "Date: Mon, 07 Dec 2026 08:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "你好，我昨天充值了250 USDT，到现在还没有到账，请帮忙处理。\r\n"
    ),
}


@dataclass(frozen=True, slots=True)
class Sample:
    category: str
    language: str
    to: str
    subject: str
    body: str
    error: str = ""


def samples(app: App) -> list[Sample]:
    out = []
    for category in app.assets.categories.values():
        for language in LANGUAGES:
            raw = _SAMPLES[language].encode()
            mail, _ = redact_mail(parse_message(raw, ParseLimits.of(app.config.limits)))
            found = examine(mail, app.policy.triage, sender=SenderAuth(PASS, "sample"))
            decision = decide(found, Classification(category.name, 1.0, category.name, rule="sample"), app.policy)
            decision = replace(decision, language=language, missing=category.required)
            try:
                ack = build_ack(found.mail, decision, SAMPLE_REF, app.renderer, app.policy)
            except Exception as exc:  # a template may fail on real data: show it, not a 500
                out.append(Sample(category.name, language, "", "", "", f"{type(exc).__name__}: {exc}"))
                continue
            out.append(Sample(category.name, language, ack.to, ack.subject, ack.body))
    return out
