"""The state of inboxd: checkpoints, messages, tickets, acknowledgements, leases.

The only package that speaks SQL; SQLite by default (one file, no server). Every
state change is one transaction, committed before anything is done on a server,
which is what makes the state machine below crash-safe.

Message (one row per mailbox key; a row is never deleted):

    new ──decide──▶ decided(action = ack | followup | skip | quarantine) ──sync──▶ synced

Acknowledgement (at most one per message, enforced by a UNIQUE constraint; `kind` is
`ack` for a new ticket or `confirmation` when a reply completes the information):

    pending ──▶ sending ──▶ sent
       ▲           │ ├──▶ failed    (5xx: recorded, never retried)
       └─ retry ◀──┘ └──▶ unknown   (crash or broken connection after DATA:
         (4xx/down,                   a human decides with `inboxd acks`)
          backoff)

`sending` is committed *before* the SMTP transaction starts (durably, for a group of
acks, each then marked as attempted just before its transaction: see `acks`) and
`sent` right after it ends. A process that dies between the two leaves `sending`;
the next run turns it into `unknown` instead of sending again: a customer may miss
an acknowledgement (a human is told) but never gets two. That is the one window.

SQLite failures come out as StoreError (a damaged file, a newer schema: stop) or
its subclass StoreUnavailable (locked by another process, disk full, I/O error:
the transaction was rolled back, try again later).

Tickets: see `inboxd.tickets` for their states. Webhook events: see `events`.
"""

from __future__ import annotations

from inboxd.store.acks import ACK_TERMINAL, AckRow, AcksMixin
from inboxd.store.console import ConsoleMixin, DecisionFilter
from inboxd.store.decisions import DecisionsMixin, ReservedTicket
from inboxd.store.events import Delivery, EventsMixin
from inboxd.store.leases import LeasesMixin
from inboxd.store.messages import Claim, MessagesMixin, SyncRow
from inboxd.store.outcomes import OutcomesMixin
from inboxd.store.sla import Breach, SlaMixin
from inboxd.store.tickets import TicketsMixin

__all__ = [
    "ACK_TERMINAL",
    "AckRow",
    "Breach",
    "Claim",
    "DecisionFilter",
    "Delivery",
    "ReservedTicket",
    "Store",
    "SyncRow",
]


class Store(
    MessagesMixin,
    OutcomesMixin,
    DecisionsMixin,
    AcksMixin,
    TicketsMixin,
    LeasesMixin,
    EventsMixin,
    SlaMixin,
    ConsoleMixin,
):
    """SQLite-backed state. One instance per process; not shared between threads at once."""
