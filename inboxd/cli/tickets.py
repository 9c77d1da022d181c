"""`ticket`: list tickets, show one with its mails and history, resolve one."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import click

from inboxd.cli.common import EXIT_FAILED, Ctx, fail, out, pass_ctx, store_of, when
from inboxd.terminal import Table, json_text, styled


def sla_state(ticket: dict[str, Any], at: float) -> str:
    """A ticket's SLA in words: not tracked, on time (what is due when), overdue, breached or met."""
    first, resolution = ticket.get("first_response_due"), ticket.get("resolution_due")
    if first is None and resolution is None:
        return "not tracked"
    if ticket.get("sla_breach"):
        return f"breached: {str(ticket['sla_breach']).replace('_', ' ')} ({when(ticket.get('sla_breached_at'))})"
    if ticket.get("state") == "resolved":
        return "met"
    if first is not None and ticket.get("first_response_at") is None:
        what, due = "first response", float(first)
    elif resolution is not None:
        what, due = "resolution", float(resolution)
    else:
        return "met"
    # Overdue but not yet escalated: the next poll does it.
    return f"{'overdue' if due <= at else 'on time'}: {what} due {when(due)}"


@click.group()
def ticket() -> None:
    """Tickets: list them, show one with its mails and history, resolve one."""


@ticket.command("list")
@click.option(
    "--state", type=click.Choice(["open", "waiting", "resolved", "closed"]), help="Only tickets in this state."
)
@click.option("--escalated", is_flag=True, help="Only escalated tickets.")
@click.option("--breached", is_flag=True, help="Only tickets whose SLA was breached ([sla]).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@pass_ctx
def ticket_list(ctx: Ctx, state: str | None, escalated: bool, breached: bool, as_json: bool) -> None:
    """List tickets, most urgent first."""
    store = store_of(ctx, readonly=True)
    rows = store.tickets(state=state, escalated=True if escalated else None, breached=breached)
    if as_json:
        for r in rows:
            r["missing"] = json.loads(r["missing"])
            r["facts"] = json.loads(r["facts"])
            r["sla"] = sla_state(r, time.time())
            print(json_text(r))
        return
    table = Table(title="Tickets")
    for column in (
        "Ticket",
        "State",
        "Priority",
        "Customer",
        "Category",
        "Subject",
        "Missing",
        "Escalation",
        "SLA",
        "Updated",
    ):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r["ref"], r["state"], r["priority"], r["customer"], r["category"], r["subject"][:50],
            ", ".join(json.loads(r["missing"])), r["escalation_reason"] or "", sla_state(r, time.time()),
            when(r["updated_at"]),
        )  # fmt: skip
    out.print(table)


@ticket.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
def ticket_show(ctx: Ctx, ref: str, as_json: bool) -> None:
    """One ticket: its state, facts, missing items, mails, acknowledgements and history."""
    store = store_of(ctx, readonly=True)
    data = store.ticket(ref)
    if data is None:
        fail(EXIT_FAILED, f"no ticket {ref}")
    data["missing"] = json.loads(data["missing"])
    data["facts"] = json.loads(data["facts"])
    data["sla"] = sla_state(data, time.time())
    if as_json:
        print(json_text(data))
        return
    out.print(styled(data["ref"], "bold"), f" {data['state']}  priority {data['priority']}  {data['category']}")
    out.print(f"customer {data['customer']}  subject {data['subject']!r}")
    if data["escalated"]:
        out.print(styled("escalated:", "red"), data["escalation_reason"])
    if data["security_incident"]:
        out.print(
            styled("security incident:", "red"),
            "the customer sent a secret (redacted; the mail is in the restricted folder)",
        )
    out.print(f"missing: {', '.join(data['missing']) or '-'}")
    if data.get("first_response_due") or data.get("resolution_due"):
        out.print(f"first response due {when(data['first_response_due']) or '-'}"
                  f"{'  (answered ' + when(data['first_response_at']) + ')' if data['first_response_at'] else ''}"
                  f"  resolution due {when(data['resolution_due']) or '-'}")  # fmt: skip
    out.print(f"SLA: {data['sla']}")
    for key, values in data["facts"].items():
        if values:
            out.print(f"  {key}: {json_text(values)}")
    mails = Table("row", "UID", "From", "Sender", "Subject", "Role", "Action", "Escalation", "At", title="Mails")
    for m in data["messages"]:
        mails.add_row(str(m["id"]), str(m["uid"]), m["sender"] or "", m["sender_verdict"] or "",
                      (m["subject"] or "")[:50], m["role"] or "", m["action"] or "", m["escalation"] or "",
                      when(m["created_at"]))  # fmt: skip
    out.print(mails)
    for m in data["messages"]:  # what the verdict rests on, and the Reply-To that was not used
        extra = f"  reply-to {m['reply_to']} (recorded, never answered)" if m["reply_to"] else ""
        out.print(f"row {m['id']}: sender {m['sender_verdict'] or '-'}: {m['sender_evidence'] or '-'}{extra}")
    acks_table = Table("ID", "Kind", "To", "State", "Attempts", "Sent", title="Acknowledgements")
    for a in data["acks"]:
        acks_table.add_row(str(a["id"]), a["kind"], a["to_addr"], a["state"], str(a["attempts"]), when(a["sent_at"]))
    out.print(acks_table)
    events = Table("At", "Event", "Detail", title="History")
    for e in data["events"]:
        events.add_row(when(e["at"]), e["kind"], e["detail"])
    out.print(events)


@ticket.command("resolve")
@click.argument("ref")
@pass_ctx
def ticket_resolve(ctx: Ctx, ref: str) -> None:
    """Mark a ticket resolved: the customer gets one notice on the next poll, and a reply within
    [tickets] reopen_within_days reopens and escalates it (else it is closed after them)."""
    store = store_of(ctx)
    if not store.resolve_ticket(ref, f"inboxd ticket resolve (by {os.environ.get('USER', 'an operator')})"):
        fail(EXIT_FAILED, f"no open ticket {ref} (see `inboxd ticket list`)")
    out.print(f"{ref}: resolved")
