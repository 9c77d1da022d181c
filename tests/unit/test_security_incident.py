"""A mail holding a customer secret: redacted first, decided as an incident, answered with care."""

from __future__ import annotations

import json

import pytest

from inboxd.acknowledge import build_ack
from inboxd.checks import missing_fields, missing_for_kinds
from inboxd.compose import App
from inboxd.offline import OfflineDecider
from inboxd.parse import parse_message
from inboxd.redact import redact_mail
from inboxd.tickets import kinds_in, merge_facts
from inboxd.triage import classifier_text
from inboxd.values import Action, Classification, Facts, ParsedEmail, Screening, SkipReason, TxId
from testbed.mx import stamp
from tests.triage_helpers import decide_mail, redacted

EN12 = "legal winner thank year wave sausage worth useful legal winner thank yellow"
ZH12 = "的雄粗尺载属海酸柯沙赶艇"
TX = "9a3f5e7c1b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d2f4a"


def raw_mail(subject: str, body: str, sender: str = "Dan Whitaker <dan@example.org>") -> bytes:
    return (
        f"From: {sender}\r\nTo: support@exchange.test\r\nSubject: {subject}\r\n"
        "Message-ID: <case-1@example.org>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0800\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    ).encode()


def _decide(app: App, raw: bytes, category: str) -> tuple[ParsedEmail, object]:
    mail = redacted(parse_message(stamp(raw)))  # as the MX delivers it: DMARC passed, so facts are quoted
    decision = decide_mail(mail, Screening(None), Classification(category, 0.9, category), app.policy)
    return mail, decision


@pytest.mark.parametrize(
    ("mail", "language", "kinds", "must_say"),
    [
        (
            raw_mail(
                "Wallet drained",
                f"All my USDT is gone. Here is my recovery phrase so you can check:\n\n{EN12}\n\n"
                "My password is Xy7!kQ2#pL9. Please help!",
            ),
            "en",
            ("seed_phrase", "password"),
            ["move all your funds", "Change your password", "Reset your two-factor", "never ask for your seed"],
        ),
        (
            raw_mail("钱包被盗", f"我的钱包被盗了，里面的2万U全被转走了。\n我的助记词是：{ZH12}\n你们帮我查一下。"),
            "zh",
            ("seed_phrase",),
            ["创建一个新钱包", "转入新钱包", "重置二次验证", "绝不会向您索要助记词"],
        ),
    ],
)
def test_a_mail_with_a_secret_is_a_security_incident(
    offline_app: App, mail: bytes, language: str, kinds: tuple[str, ...], must_say: list[str]
) -> None:
    parsed, decision = _decide(offline_app, mail, "account")
    assert decision.action == Action.ACK and decision.security_incident
    assert decision.language == language
    assert tuple(sorted({s.kind for s in decision.facts.secrets})) == tuple(sorted(kinds))
    ack = build_ack(redacted(parsed), decision, "INB-000042", offline_app.renderer, offline_app.policy)
    for phrase in must_say:
        assert phrase in ack.body
    for secret in (EN12, ZH12, "sausage", "Xy7!kQ2#pL9", "雄粗尺"):
        assert secret not in ack.body and secret not in ack.subject
    assert "[#INB-000042]" in ack.subject


def test_a_secret_in_the_subject_is_not_quoted_back(offline_app: App) -> None:
    mail, decision = _decide(offline_app, raw_mail("my password is Xy7!kQ2#pL9", "I cannot log in."), "account")
    assert decision.security_incident
    ack = build_ack(redacted(mail), decision, "INB-000043", offline_app.renderer, offline_app.policy)
    assert "Xy7!kQ2#pL9" not in ack.subject + ack.body
    assert "[REDACTED PASSWORD]" in ack.subject


def test_the_classifier_and_extraction_never_read_the_secret(offline_app: App) -> None:
    key = "ab" * 32
    raw = raw_mail("Import failed", f"I exported the private key:\n\n{key}\n\nand the import fails. UID 58213904")
    mail, _ = redact_mail(parse_message(raw))
    assert key not in classifier_text(mail)
    _, decision = _decide(offline_app, raw, "account")
    assert decision.facts.tx_ids == ()  # a key is never taken for a transaction
    assert [s.kind for s in decision.facts.secrets] == ["private_key"]


def test_a_skipped_mail_with_a_secret_is_still_an_incident(offline_app: App) -> None:
    mail = parse_message(raw_mail("Auto: out of office", f"my seed phrase is {EN12}"))
    decision = decide_mail(mail, Screening(SkipReason.AUTO_REPLY, "auto"), None, offline_app.policy)
    assert decision.action == Action.SKIP and decision.security_incident
    assert [s.kind for s in decision.facts.secrets] == ["seed_phrase"]


def test_an_ordinary_mail_is_no_incident(offline_app: App) -> None:
    _, decision = _decide(offline_app, raw_mail("USDT", f"I sent 500 USDT via TRC20, txid {TX}"), "deposit_withdrawal")
    assert not decision.security_incident and decision.facts.secrets == ()


def test_the_ack_lists_what_it_understood_and_flags_a_mistyped_address(offline_app: App) -> None:
    body = "I sent 0.5 BTC to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb yesterday around 3pm, it never arrived."
    mail, decision = _decide(offline_app, raw_mail("BTC withdrawal", body), "deposit_withdrawal")
    assert decision.missing == ("tx_or_order_id",)
    ack = build_ack(redacted(mail), decision, "INB-000044", offline_app.renderer, offline_app.policy)
    assert "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb (the checksum does not match" in ack.body
    assert "0.5 BTC" in ack.body
    assert "1. Transaction hash or order ID: the TxID or the order/withdrawal ID: in the app" in ack.body


def test_a_follow_up_clears_what_it_supplies(offline_app: App) -> None:
    fields = offline_app.assets.fields
    first = missing_fields(offline_app.assets.categories["deposit_withdrawal"], fields, Facts())
    assert first == ("tx_or_order_id", "amount", "time")
    category = offline_app.assets.categories["deposit_withdrawal"]
    for given in (Facts(tx_ids=(TxId(TX, "tron"),)), Facts(order_ids=("W20261120143255781",))):
        merged = merge_facts(Facts(), given)
        assert missing_for_kinds(category, fields, kinds_in(merged)) == ("amount", "time")


def test_classify_json_shows_addresses_secrets_and_missing(offline_app: App) -> None:
    assert offline_app.classifier is not None
    decider = OfflineDecider(
        offline_app.classifier, offline_app.renderer, offline_app.policy, offline_app.config.limits, "INB"
    )
    body = (
        "Hello, my withdrawal of 1,200.50 USDT (TRC20) to TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj7t never arrived.\n"
        f"Here are my recovery words:\n{EN12}\n"
    )
    record = decider.record("case.eml", raw_mail("Withdrawal missing", body))
    assert record["error"] is None
    assert record["addresses"] == [{"value": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj7t", "chain": "tron", "valid": False}]
    assert record["secrets"] == ["seed_phrase"]
    assert record["security_incident"] is True
    assert "tx_or_order_id" in record["missing"]
    assert record["amounts"] == [{"value": "1200.5", "asset": "USDT", "network": "TRC20"}]
    assert EN12 not in json.dumps(record, ensure_ascii=False) and "sausage" not in json.dumps(record)


def test_an_acknowledgement_is_never_built_from_a_mail_that_was_not_redacted(offline_app: App) -> None:
    # Redaction happens once, in the worker: build_ack refuses a mail that skipped it rather than
    # quote its subject and name back with a secret in them.
    mail, decision = _decide(offline_app, raw_mail("my password is Xy7!kQ2#pL9", "I cannot log in."), "account")
    unredacted = parse_message(stamp(raw_mail("my password is Xy7!kQ2#pL9", "I cannot log in.")))
    with pytest.raises(ValueError, match="redacted"):
        build_ack(unredacted, decision, "INB-000045", offline_app.renderer, offline_app.policy)
    assert (
        "Xy7!kQ2#pL9" not in build_ack(mail, decision, "INB-000045", offline_app.renderer, offline_app.policy).subject
    )
