"""What a mail does to a ticket: open one, or update, reopen and escalate an existing one. Pure.

A ticket is one customer request. Its state:

    open ──(information missing)──▶ waiting ──(customer supplies it)──▶ open
      └──────────────── resolved (agent: IMAP keyword or `inboxd ticket resolve`) ◀┘
    resolved ──(customer replies within [tickets] reopen_within_days)──▶ open, priority
                raised, escalated ("reopened"; the escalation webhook fires once)
    resolved ──(no reply within reopen_within_days; on the poll tick)──▶ closed

Resolving sends the customer one resolution notice ("if this is not solved, just
reply": inboxd.resolution). A closed ticket is joined by nothing: a later mail opens
a new one.

A reply gets no second generic acknowledgement: it adds its facts to the ticket and
clears the missing items it supplies; when that completes the information, the
customer gets a short confirmation instead (configurable). Repeated follow-ups
within a window escalate, as do complaints and the patterns of escalation.toml.

Only the ticket's owner (the From address that opened it) can add to it (the store
finds the ticket; inboxd.trust says who sent the mail). A follow-up adds facts, never
replaces them: values that differ from earlier ones stay side by side with a note for
the agent, and a wallet address that differs from an earlier one, or comes from a
sender we cannot authenticate, is a payout risk: the ticket is escalated and nothing
is confirmed to anyone. A mail whose sender is proven forged opens a ticket of its own
for a human, escalated, and is never answered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inboxd.assets import Category
from inboxd.checks import missing_for_kinds
from inboxd.escalation import PHISHING_REPORT, Escalation, EscalationRules, higher
from inboxd.models import PASS, AccountId, Amount, Decision, EventTime, Facts, TxId, WalletAddress

_FACT_KEYS = ("tx_ids", "order_ids", "amounts", "times", "account_ids", "addresses", "secrets")
_KIND_OF_KEY = {
    "tx_ids": "tx_id",
    "order_ids": "order_id",
    "amounts": "amount",
    "times": "time",
    "account_ids": "account_id",
    "addresses": "address",
}
SECURITY_REASON = "customer secret in the mail (security incident)"
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|antw|答复|回复|回覆|转发|轉寄|转寄)\s*[:：]\s*)+", re.I)


@dataclass(frozen=True, slots=True)
class TicketView:
    """An existing ticket, as the pipeline needs it to decide about a reply."""

    id: int
    ref: str
    customer: str
    category: str
    language: str
    state: str  # open | waiting | resolved (closed tickets are never joined)
    priority: str  # normal | high | urgent
    escalated: bool
    missing: tuple[str, ...]
    facts: Mapping[str, Any]
    followups_in_window: int  # customer mails on this ticket within the follow-up window, before this one
    security_incident: bool


@dataclass(frozen=True, slots=True)
class NoticeDue:
    """A resolved ticket whose customer has not been sent the resolution notice yet."""

    ticket_id: int
    ref: str
    customer: str
    language: str
    category: str
    # The ticket's mails and our acks, oldest first: the notice threads under them.
    message_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TicketPlan:
    """What to commit for one mail: the ticket's new state, and what (if anything) to send."""

    ticket_id: int | None  # None: open a new ticket
    state: str
    priority: str
    missing: tuple[str, ...]
    facts: dict[str, Any]
    escalation: Escalation | None  # why this mail escalates its ticket
    reopened: bool
    send: str | None  # "ack" | "confirmation" | None
    security_incident: bool
    notes: tuple[str, ...] = ()  # for the agent, in the ticket's history
    # A new ticket's SLA due times (Unix time; None: not tracked), counted on the [hours] calendar.
    first_response_due: float | None = None
    resolution_due: float | None = None


@dataclass(frozen=True, slots=True)
class TicketPolicy:
    confirm_when_complete: bool
    escalate_after_followups: int
    rules: EscalationRules


def normalise_subject(subject: str) -> str:
    """The subject without Re:/Fwd:/回复: prefixes and ticket references, for thread matching."""
    text = re.sub(r"\[#[A-Z][A-Z0-9]{1,9}-\d+\]", " ", subject)
    text = _REPLY_PREFIX.sub("", text)
    return " ".join(text.lower().split())


def facts_dict(facts: Facts) -> dict[str, Any]:
    """Facts as JSON-ready data (secrets as kinds only: their text is never kept)."""
    return {
        "tx_ids": [{"value": t.value, "chain": t.chain} for t in facts.tx_ids],
        "order_ids": list(facts.order_ids),
        "amounts": [{"value": a.value, "asset": a.asset, "network": a.network} for a in facts.amounts],
        "times": [
            {"text": t.text, "value": t.value.isoformat() if t.value else None, "precision": t.precision}
            for t in facts.times
        ],
        "account_ids": [{"kind": a.kind, "value": a.value} for a in facts.account_ids],
        "addresses": [{"value": a.value, "chain": a.chain, "valid": a.valid} for a in facts.addresses],
        "secrets": [{"kind": s.kind} for s in facts.secrets],
    }


def facts_from_dict(data: Mapping[str, Any]) -> Facts:
    """The inverse of facts_dict, for facts merged across a ticket's mails."""
    return Facts(
        tx_ids=tuple(TxId(t["value"], t["chain"]) for t in data.get("tx_ids", [])),
        order_ids=tuple(data.get("order_ids", [])),
        amounts=tuple(Amount(a["value"], a["asset"], a.get("network")) for a in data.get("amounts", [])),
        times=tuple(
            EventTime(
                t["text"], datetime.fromisoformat(t["value"]) if t.get("value") else None, t.get("precision", "minute")
            )
            for t in data.get("times", [])
        ),
        account_ids=tuple(AccountId(a["kind"], a["value"]) for a in data.get("account_ids", [])),
        addresses=tuple(WalletAddress(a["value"], a["chain"], a["valid"]) for a in data.get("addresses", [])),
    )


def merge_facts(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Union of two fact sets, in order of arrival, without repeats."""
    merged: dict[str, Any] = {}
    for key in _FACT_KEYS:
        items: list[Any] = []
        for item in [*old.get(key, []), *new.get(key, [])]:
            if item not in items:
                items.append(item)
        merged[key] = items
    return merged


def kinds_in(facts: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(kind for key, kind in _KIND_OF_KEY.items() if facts.get(key))


def plan_new(decision: Decision, text: str, policy: TicketPolicy) -> TicketPlan:
    """A mail that starts a request: a new ticket, acknowledged."""
    assert decision.classification is not None
    category = decision.classification.category
    escalation = policy.rules.match(text, category)
    incident = decision.security_incident
    # A phishing report is for the security team (a lookalike link in any mail is flagged by
    # the store and the sync: $Inboxd-Lookalike).
    if decision.phishing_report:
        reason = f"{PHISHING_REPORT}; {escalation.reason}" if escalation else PHISHING_REPORT
        escalation = Escalation(reason, higher(escalation.priority if escalation else "high", "high"))
    priority = escalation.priority if escalation else "normal"
    if incident:
        priority = "urgent"
        escalation = escalation or Escalation(SECURITY_REASON, "urgent")
    return TicketPlan(
        ticket_id=None,
        state="waiting" if decision.missing else "open",
        priority=priority,
        missing=decision.missing,
        facts=facts_dict(decision.facts),
        escalation=escalation,
        reopened=False,
        send="ack",
        security_incident=incident,
    )


def plan_forged(decision: Decision, text: str, policy: TicketPolicy) -> TicketPlan:
    """A mail whose From is proven forged: a ticket of its own for a human, escalated, no mail sent."""
    plan = plan_new(decision, text, policy)
    reason = f"forged sender, not answered ({decision.sender.evidence})"
    return TicketPlan(
        ticket_id=None,
        state="open",
        priority=higher(plan.priority, "high"),
        missing=plan.missing,
        facts=plan.facts,
        escalation=Escalation(reason, higher(plan.priority, "high")),
        reopened=False,
        send=None,
        security_incident=plan.security_incident,
    )


def _conflicts(old: Mapping[str, Any], new: Mapping[str, Any], authenticated: bool) -> tuple[list[str], bool]:
    """Notes on values a follow-up gives that differ from the ticket's, and whether a wallet
    address is at stake (a different one, or any new one from a sender we cannot authenticate)."""
    notes: list[str] = []
    risky = False
    for key, kind in _KIND_OF_KEY.items():
        before = [item for item in old.get(key, []) if item]
        added = [item for item in new.get(key, []) if item and item not in before]
        if not added:
            continue
        if kind == "address":
            if before or not authenticated:
                risky = True
                notes.append(
                    "wallet address "
                    + ("differs from the one given before" if before else "from a sender we cannot authenticate")
                    + ": both kept; confirm with the customer before any payout or refund"
                )
        elif before:
            notes.append(f"{kind}: a value that differs from the one given before; both kept")
    return notes, risky


def plan_followup(
    ticket: TicketView,
    decision: Decision,
    text: str,
    category: Category | None,
    fields: Mapping[str, Sequence[str]],
    policy: TicketPolicy,
) -> TicketPlan:
    """A mail on an existing ticket: merge its facts, reopen or escalate, maybe confirm."""
    new_facts = facts_dict(decision.facts)
    facts = merge_facts(ticket.facts, new_facts)
    notes, payout_risk = _conflicts(ticket.facts, new_facts, decision.sender.verdict == PASS)
    missing = missing_for_kinds(category, fields, kinds_in(facts)) if category else ()
    incident = ticket.security_incident or decision.security_incident
    escalation: Escalation | None = None
    reopened = ticket.state == "resolved"
    if reopened:
        escalation = Escalation("the customer replied to a resolved ticket", "high")
    elif ticket.followups_in_window + 1 >= policy.escalate_after_followups:
        escalation = Escalation(f"{ticket.followups_in_window + 1} follow-ups without an answer", "high")
    matched = policy.rules.match(text, None)
    if matched and (escalation is None or higher(matched.priority, escalation.priority) == matched.priority):
        escalation = matched
    if payout_risk and (escalation is None or higher("high", escalation.priority) == "high"):
        escalation = Escalation("a follow-up brought a wallet address to confirm", "high")
    if decision.security_incident:
        escalation = Escalation(SECURITY_REASON, "urgent")
    priority = ticket.priority
    if escalation:
        priority = higher(priority, escalation.priority)
    completed = bool(ticket.missing) and not missing and not reopened
    # Nothing is confirmed while a wallet address is in doubt: a human looks first.
    send = "confirmation" if completed and policy.confirm_when_complete and not payout_risk else None
    return TicketPlan(
        ticket_id=ticket.id,
        state="waiting" if missing and not reopened else "open",
        priority=priority,
        missing=missing,
        facts=facts,
        escalation=escalation,
        reopened=reopened,
        send=send,
        security_incident=incident,
        notes=tuple(notes),
    )
