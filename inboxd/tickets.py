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
from typing import TypeVar

from inboxd.assets import Category
from inboxd.checks import missing_for_kinds
from inboxd.escalation import PHISHING_REPORT, Escalation, EscalationRules, higher
from inboxd.values import PASS, Decision, EventTime, Facts, Secret

_KIND_OF_KEY = {
    "tx_ids": "tx_id",
    "order_ids": "order_id",
    "amounts": "amount",
    "times": "time",
    "account_ids": "account_id",
    "addresses": "address",
}
_Fact = TypeVar("_Fact")
SECURITY_REASON = "customer secret in the mail (security incident)"
_TICKET_TAG = re.compile(r"\[#[A-Z][A-Z0-9]{1,9}-\d+\]")
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
    facts: Facts  # as the store keeps them: a secret by its kind only
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
    facts: Facts  # the ticket's, after this mail
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
    text = _TICKET_TAG.sub(" ", subject)
    text = _REPLY_PREFIX.sub("", text)
    return " ".join(text.lower().split())


def _same(item: object) -> object:
    """What makes two facts of a kind the same: the fact itself, but a time by its wording, its
    moment as written (offset included) and precision: two mails that put one instant in two
    zones gave two values, kept side by side as the ticket has always kept them."""
    if isinstance(item, EventTime):
        return (item.text, item.value.isoformat() if item.value else None, item.precision)
    return item


def _union(*groups: Sequence[_Fact]) -> tuple[_Fact, ...]:
    """The facts of all groups, in order of arrival, without repeats."""
    seen: set[object] = set()
    items: list[_Fact] = []
    for item in (item for group in groups for item in group):
        key = _same(item)
        if key not in seen:
            seen.add(key)
            items.append(item)
    return tuple(items)


def merge_facts(old: Facts, new: Facts) -> Facts:
    """Union of two fact sets, in order of arrival, without repeats. A ticket keeps a secret's
    kind only (never its place in one mail), so secrets are merged by kind."""
    return Facts(
        tx_ids=_union(old.tx_ids, new.tx_ids),
        order_ids=_union(old.order_ids, new.order_ids),
        amounts=_union(old.amounts, new.amounts),
        times=_union(old.times, new.times),
        account_ids=_union(old.account_ids, new.account_ids),
        addresses=_union(old.addresses, new.addresses),
        secrets=_union(tuple(Secret(s.kind, 0, 0) for s in (*old.secrets, *new.secrets))),
    )


def kinds_in(facts: Facts) -> frozenset[str]:
    """The fact kinds a ticket's facts supply, as named in the required-field config."""
    return facts.kinds_present()


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
        facts=decision.facts,
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


def _conflicts(old: Facts, new: Facts, authenticated: bool) -> tuple[list[str], bool]:
    """Notes on values a follow-up gives that differ from the ticket's, and whether a wallet
    address is at stake (a different one, or any new one from a sender we cannot authenticate)."""
    notes: list[str] = []
    risky = False
    for key, kind in _KIND_OF_KEY.items():
        before = {_same(item) for item in getattr(old, key) if item}
        added = [item for item in getattr(new, key) if item and _same(item) not in before]
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
    facts = merge_facts(ticket.facts, decision.facts)
    notes, payout_risk = _conflicts(ticket.facts, decision.facts, decision.sender.verdict == PASS)
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
