"""Pure ticket logic: threading keys, fact merging, follow-up plans, escalation rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from inboxd.assets import Category
from inboxd.errors import ConfigError
from inboxd.escalation import EscalationRules, load_escalation
from inboxd.tickets import (
    TicketPolicy,
    TicketView,
    merge_facts,
    normalise_subject,
    plan_followup,
    plan_new,
)
from inboxd.values import Action, Amount, Classification, Decision, EventTime, Facts, Secret, TxId, WalletAddress
from tests.conftest import ROOT

FIELDS = {"tx_or_order_id": ("tx_id", "order_id"), "amount": ("amount",), "time": ("time",)}
DW = Category("deposit_withdrawal", {"en": "D", "zh": "D"}, ("tx_or_order_id", "amount", "time"), "dw", "$K", "")
RULES = load_escalation(ROOT / "classifiers" / "escalation.toml", ["complaint_suggestion", "account", "other"])
POLICY = TicketPolicy(confirm_when_complete=True, escalate_after_followups=3, rules=RULES)


def ticket(**kw: object) -> TicketView:
    base = dict(
        id=1, ref="INB-000001", customer="c@x", category="deposit_withdrawal", language="en", state="waiting",
        priority="normal", escalated=False, missing=("tx_or_order_id", "amount", "time"), facts=Facts(),
        followups_in_window=0, security_incident=False,
    )  # fmt: skip
    base.update(kw)
    return TicketView(**base)  # type: ignore[arg-type]


def decision(facts: Facts | None = None, category: str = "deposit_withdrawal") -> Decision:
    return Decision(Action.ACK, "en", Classification(category, 0.9, category), facts or Facts())


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Re: RE: Withdrawal missing", "withdrawal missing"),
        ("回复：提币未到账 [#INB-000001]", "提币未到账"),
        ("Fwd: AW:  Deposit   not credited", "deposit not credited"),
    ],
)
def test_normalise_subject(a: str, b: str) -> None:
    assert normalise_subject(a) == b


def test_facts_merge() -> None:
    one = Facts(tx_ids=(TxId("ab" * 32, "tron"),), amounts=(Amount("5", "USDT", "TRC20"),))
    two = Facts(tx_ids=(TxId("ab" * 32, "tron"),), order_ids=("W123456",))
    merged = merge_facts(one, two)
    assert merged.tx_ids == (TxId("ab" * 32, "tron"),)
    assert merged.order_ids == ("W123456",) and merged.amounts == one.amounts
    assert merge_facts(Facts(), one) == one


def test_merged_secrets_are_kinds_once_and_times_are_kept_as_written() -> None:
    # A ticket keeps a secret's kind, never its place in one mail: the same kind twice is one.
    old = Facts(secrets=(Secret("seed_phrase", 0, 0),))
    new = Facts(secrets=(Secret("seed_phrase", 5, 90, "subject"), Secret("password", 3, 9)))
    assert merge_facts(old, new).secrets == (Secret("seed_phrase", 0, 0), Secret("password", 0, 0))
    # One instant written in two zones: two values side by side, as the stored JSON kept them.
    utc = EventTime("10:00", datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    east = EventTime("10:00", datetime(2026, 12, 7, 18, 0, tzinfo=timezone(timedelta(hours=8))))
    assert merge_facts(Facts(times=(utc,)), Facts(times=(east, utc))).times == (utc, east)


def test_a_followup_with_another_address_or_time_is_noted_and_risky() -> None:
    before = Facts(addresses=(WalletAddress("T" + "a" * 33, "tron", True),), times=(EventTime("x", None, "day"),))
    t = ticket(facts=before, missing=())
    again = plan_followup(t, decision(before), "same", DW, FIELDS, POLICY)
    assert again.notes == () and again.escalation is None and again.facts == before
    other = Facts(addresses=(WalletAddress("T" + "b" * 33, "tron", True),), times=(EventTime("y", None, "day"),))
    changed = plan_followup(t, decision(other), "new one", DW, FIELDS, POLICY)
    assert changed.facts.addresses == (*before.addresses, *other.addresses)
    assert changed.notes[0] == "time: a value that differs from the one given before; both kept"
    assert len(changed.notes) == 2 and changed.notes[1].startswith("wallet address differs from the one given before")
    assert changed.escalation is not None and changed.priority == "high"


def test_followup_that_completes_the_ticket_is_confirmed() -> None:
    given = Facts(tx_ids=(TxId("ab" * 32, "unknown"),), amounts=(Amount("5", "USDT"),))
    partial = plan_followup(ticket(), decision(given), "here you go", DW, FIELDS, POLICY)
    assert partial.missing == ("time",) and partial.send is None and partial.state == "waiting"
    t = ticket(missing=("time",), facts=partial.facts)
    done = plan_followup(
        t, decision(Facts(times=(EventTime("yesterday", None, "day"),))), "yesterday", DW, FIELDS, POLICY
    )
    assert done.missing == () and done.send == "confirmation" and done.state == "open"
    quiet = plan_followup(t, decision(Facts(times=(EventTime("x", None, "day"),))), "x", DW, FIELDS,
                          TicketPolicy(False, 3, RULES))  # fmt: skip
    assert quiet.send is None


def test_reopen_and_followup_escalation() -> None:
    reopened = plan_followup(ticket(state="resolved", missing=()), decision(), "still broken", DW, FIELDS, POLICY)
    assert reopened.reopened and reopened.state == "open" and reopened.priority == "high" and reopened.send is None
    third = plan_followup(ticket(followups_in_window=2), decision(), "??", DW, FIELDS, POLICY)
    assert third.escalation is not None and "3 follow-ups" in third.escalation.reason
    second = plan_followup(ticket(followups_in_window=1), decision(), "??", DW, FIELDS, POLICY)
    assert second.escalation is None


def test_new_ticket_escalation_and_security_incident() -> None:
    complaint = plan_new(decision(category="complaint_suggestion"), "worst service ever", POLICY)
    assert complaint.priority == "high" and complaint.escalation is not None
    takeover = plan_new(decision(category="account"), "my account was hacked and someone withdrew everything", POLICY)
    assert takeover.priority == "urgent"
    plain = plan_new(decision(category="account"), "how do I change my email", POLICY)
    assert plain.escalation is None and plain.priority == "normal"
    leaked = replace(decision(Facts(secrets=(Secret("seed_phrase", 0, 10),)), "account"), security_incident=True)
    secret = plan_new(leaked, "help", POLICY)
    assert secret.security_incident and secret.priority == "urgent"


@pytest.mark.parametrize(
    ("text", "escalates"),
    [
        ("my account was hacked", True),
        ("账户被盗了，资产全没了", True),
        ("有一笔提币不是我操作的", True),
        ("I see a withdrawal I did not make yesterday", True),
        ("there is an unauthorized withdrawal on my account", True),
        ("I did not make a mistake with the address, the deposit is missing", False),
        ("how do I withdraw to my own wallet?", False),
    ],
)
def test_escalation_triggers(text: str, escalates: bool) -> None:
    assert (RULES.match(text, "account") is not None) == escalates


def test_escalation_file_problems(tmp_path: Path) -> None:
    path = tmp_path / "escalation.toml"
    path.write_text(
        '[categories]\ncomplaints = "high"\n[[trigger]]\nname = "x"\npattern = "("\n[[trigger]]\npattern = "a"\n'
    )
    with pytest.raises(ConfigError) as info:
        load_escalation(path, ["complaint_suggestion"])
    found = [str(p) for p in info.value.problems]
    assert f"{path}: categories.complaints: unknown category" in found
    assert any(p.startswith(f"{path}: trigger[0].pattern: not a valid regular expression") for p in found)
    assert f"{path}: trigger[1].name: every trigger needs a name" in found
    assert load_escalation(tmp_path / "absent.toml", []) == EscalationRules({}, ())
