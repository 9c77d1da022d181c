"""`ticket`: list tickets, show one with its mails and history, resolve one."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import click

from inboxd.cli.common import EXIT_FAILED, Ctx, facts_record, fail, out, pass_ctx, record, store_of
from inboxd.health import local_time as when
from inboxd.health import sla_state
from inboxd.terminal import Table, json_text, styled

if TYPE_CHECKING:
    from inboxd.store.rows import TicketRow


def _ticket_record(t: TicketRow, at: float) -> dict[str, Any]:
    """A ticket as `--json` prints it: its columns (flags as 0 and 1, as they always were), the
    facts as they always printed, and its SLA in words."""
    from inboxd.store.rows import TicketDetail

    data = record(t) | {
        "missing": list(t.missing),
        "facts": facts_record(t.facts),
        "escalated": int(t.escalated),
        "security_incident": int(t.security_incident),
    }
    if isinstance(t, TicketDetail):
        for key in ("messages", "acks", "events"):
            data[key] = [record(item) for item in getattr(t, key)]
    return data | {"sla": sla_state(t, at)}


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
            print(json_text(_ticket_record(r, time.time())))
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
            r.ref, r.state, r.priority, r.customer, r.category, r.subject[:50], ", ".join(r.missing),
            r.escalation_reason or "", sla_state(r, time.time()), when(r.updated_at),
        )  # fmt: skip
    out.print(table)


@ticket.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
def ticket_show(ctx: Ctx, ref: str, as_json: bool) -> None:
    """One ticket: its state, facts, missing items, mails, acknowledgements and history."""
    store = store_of(ctx, readonly=True)
    t = store.ticket(ref)
    if t is None:
        fail(EXIT_FAILED, f"no ticket {ref}")
    if as_json:
        print(json_text(_ticket_record(t, time.time())))
        return
    out.print(styled(t.ref, "bold"), f" {t.state}  priority {t.priority}  {t.category}")
    out.print(f"customer {t.customer}  subject {t.subject!r}")
    if t.escalated:
        out.print(styled("escalated:", "red"), t.escalation_reason)
    if t.security_incident:
        out.print(
            styled("security incident:", "red"),
            "the customer sent a secret (redacted; the mail is in the restricted folder)",
        )
    out.print(f"missing: {', '.join(t.missing) or '-'}")
    if t.first_response_due or t.resolution_due:
        out.print(f"first response due {when(t.first_response_due) or '-'}"
                  f"{'  (answered ' + when(t.first_response_at) + ')' if t.first_response_at else ''}"
                  f"  resolution due {when(t.resolution_due) or '-'}")  # fmt: skip
    out.print(f"SLA: {sla_state(t, time.time())}")
    for key, values in facts_record(t.facts).items():
        if values:
            out.print(f"  {key}: {json_text(values)}")
    mails = Table("row", "UID", "From", "Sender", "Subject", "Role", "Action", "Escalation", "At", title="Mails")
    for m in t.messages:
        mails.add_row(str(m.id), str(m.uid), m.sender or "", m.sender_verdict or "", (m.subject or "")[:50],
                      m.role or "", m.action or "", m.escalation or "", when(m.created_at))  # fmt: skip
    out.print(mails)
    for m in t.messages:  # what the verdict rests on, and the Reply-To that was not used
        extra = f"  reply-to {m.reply_to} (recorded, never answered)" if m.reply_to else ""
        out.print(f"row {m.id}: sender {m.sender_verdict or '-'}: {m.sender_evidence or '-'}{extra}")
    acks_table = Table("ID", "Kind", "To", "State", "Attempts", "Sent", title="Acknowledgements")
    for a in t.acks:
        acks_table.add_row(str(a.id), a.kind, a.to_addr, a.state, str(a.attempts), when(a.sent_at))
    out.print(acks_table)
    events = Table("At", "Event", "Detail", title="History")
    for e in t.events:
        events.add_row(when(e.at), e.kind, e.detail)
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
