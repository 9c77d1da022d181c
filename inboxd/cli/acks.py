"""`acks`: acknowledgements, and the resolution of those whose fate a human must decide."""

from __future__ import annotations

import click

from inboxd.cli.common import EXIT_CONFIG, EXIT_FAILED, Ctx, fail, out, pass_ctx, store_of
from inboxd.terminal import Table, json_text


@click.group()
def acks() -> None:
    """Acknowledgements: list them, and resolve those whose fate is unknown."""


@acks.command("list")
@click.option("--state", type=click.Choice(["pending", "sending", "sent", "failed", "unknown", "cancelled"]))
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@pass_ctx
def acks_list(ctx: Ctx, state: str | None, as_json: bool) -> None:
    """List acknowledgements (e.g. --state unknown: a crash left their delivery unknown)."""
    store = store_of(ctx, readonly=True)
    rows = store.acks(state)
    if as_json:
        for a in rows:
            print(
                json_text(
                    {
                        "id": a.id,
                        "ticket": a.ticket_ref,
                        "to": a.mail.to,
                        "subject": a.mail.subject,
                        "state": a.state,
                        "attempts": a.attempts,
                        "error": a.last_error,
                    }
                )
            )
        return
    table = Table(title=f"Acknowledgements{f' ({state})' if state else ''}")
    for column in ("ID", "Ticket", "To", "Subject", "State", "Attempts", "Last error"):
        table.add_column(column, overflow="fold")
    for a in rows:
        table.add_row(
            str(a.id),
            a.ticket_ref or "",
            a.mail.to,
            a.mail.subject,
            a.state,
            str(a.attempts),
            a.last_error or "",
        )
    out.print(table)


@acks.command("resolve")
@click.argument("ack_id", type=int)
@click.option("--sent", "resolution", flag_value="sent", help="It did reach the customer: record it as sent.")
@click.option("--resend", "resolution", flag_value="resend", help="It did not: send it again on the next tick.")
@click.option("--cancel", "resolution", flag_value="cancel", help="Do not send it at all.")
@pass_ctx
def acks_resolve(ctx: Ctx, ack_id: int, resolution: str | None) -> None:
    """Decide the fate of an unknown or failed acknowledgement."""
    if resolution is None:
        fail(EXIT_CONFIG, "say --sent, --resend or --cancel")
    store = store_of(ctx)
    if not store.resolve_unknown(ack_id, resolution):
        fail(EXIT_FAILED, f"acknowledgement {ack_id} is not unknown or failed (see `inboxd acks list`)")
    out.print(f"acknowledgement {ack_id}: {resolution}")
