"""Missing information, decisions and rendered acknowledgements from fixtures."""

from __future__ import annotations

from inboxd.acknowledge import build_ack
from inboxd.checks import missing_fields
from inboxd.compose import App
from inboxd.parse import parse_message
from inboxd.values import Action, Classification, Facts, TxId
from tests.conftest import authenticated_fixture, fixture_bytes
from tests.triage_helpers import decide_mail, redacted


def test_missing_fields_follow_the_category_config(offline_app: App) -> None:
    assets = offline_app.assets
    dw = assets.categories["deposit_withdrawal"]
    assert missing_fields(dw, assets.fields, Facts()) == ("tx_or_order_id", "amount", "time")
    # Either a hash or an order ID satisfies tx_or_order_id.
    assert missing_fields(dw, assets.fields, Facts(tx_ids=(TxId("ab" * 32, "unknown"),))) == ("amount", "time")
    assert missing_fields(dw, assets.fields, Facts(order_ids=("W1234567",))) == ("amount", "time")
    assert missing_fields(assets.categories["platform_usage"], assets.fields, Facts()) == ()


def _decide(app: App, name: str, category: str) -> tuple[object, object]:
    mail = redacted(parse_message(authenticated_fixture(name)))
    decision = decide_mail(mail, None, Classification(category, 0.9, category), app.policy)
    return mail, decision


def test_complete_english_withdrawal(offline_app: App) -> None:
    mail, decision = _decide(offline_app, "en_withdrawal_complete.eml", "deposit_withdrawal")
    assert decision.action == Action.ACK
    assert decision.language == "en"
    assert decision.missing == ()
    ack = build_ack(redacted(mail), decision, "INB-000123", offline_app.renderer, offline_app.policy)
    assert ack.subject == "Re: USDT withdrawal not received [#INB-000123]"
    assert ack.to == "dan.whitaker84@gmail.com"
    assert ack.in_reply_to == "<CAF8q2vXk3m0Jw9hQ1pZr7Lq8@mail.gmail.com>"
    assert ack.message_id.startswith("<inboxd.INB-000123.") and ack.message_id.endswith("@exchange.test>")
    assert "4f1c1e0b6f0a7d3f6b5c2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c" in ack.body
    assert "1250.5 USDT (TRC20)" in ack.body
    assert "58213904" in ack.body
    assert "we still need" not in ack.body
    assert "never ask for your password" in ack.body
    assert "within 24 hours" in ack.body


def test_incomplete_chinese_account_mail_asks_for_the_account_in_chinese(offline_app: App) -> None:
    mail, decision = _decide(offline_app, "zh_qp_account.eml", "account")
    assert decision.language == "zh"
    assert decision.missing == ("account_id",)
    ack = build_ack(redacted(mail), decision, "INB-000007", offline_app.renderer, offline_app.policy)
    assert ack.subject == "Re: 账户被冻结 [#INB-000007]"
    assert "王强，您好" in ack.body
    assert "1. 账户信息：您的 UID" in ack.body
    assert "绝不会" in ack.body and "助记词" in ack.body
    assert "[#INB-000007]" in ack.body


def test_incomplete_english_deposit_asks_for_each_missing_item(offline_app: App) -> None:
    mail, decision = _decide(offline_app, "en_deposit_incomplete.eml", "deposit_withdrawal")
    assert decision.missing == ("tx_or_order_id", "amount")  # "this morning" is a time
    ack = build_ack(redacted(mail), decision, "INB-000002", offline_app.renderer, offline_app.policy)
    assert "1. Transaction hash or order ID:" in ack.body
    assert "2. Amount and coin:" in ack.body
    assert "Assets > History" in ack.body  # where to find the TXID


def test_quoted_history_is_not_extracted(offline_app: App) -> None:
    _, decision = _decide(offline_app, "en_reply_quoted.eml", "deposit_withdrawal")
    facts = decision.facts
    assert facts.order_ids == ("W20261120143255781",)
    assert facts.tx_ids == ()  # the hash is only in the quoted acknowledgement
    assert facts.amounts == ()


def test_screened_mail_is_skipped_without_classification(offline_app: App) -> None:
    mail = parse_message(fixture_bytes("auto_reply.eml"))
    decision = decide_mail(mail, None, None, offline_app.policy)
    assert decision.action == Action.SKIP
    assert decision.skip_reason is not None
    assert decision.classification is None


def test_ack_never_asks_for_secrets(offline_app: App) -> None:
    forbidden = ["send us your password", "your seed phrase:", "provide your private key", "请提供助记词", "请提供密码"]
    for name, category in [
        ("en_deposit_incomplete.eml", "deposit_withdrawal"),
        ("zh_qp_account.eml", "account"),
        ("en_html_only_trade.eml", "transaction"),
    ]:
        mail, decision = _decide(offline_app, name, category)
        body = build_ack(redacted(mail), decision, "INB-000001", offline_app.renderer, offline_app.policy).body.lower()
        assert not any(f.lower() in body for f in forbidden)
