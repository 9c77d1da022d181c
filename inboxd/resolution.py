"""The resolution notice: the one mail a customer gets when their ticket is resolved. Pure.

Resolving a ticket (the agent's keyword, `inboxd ticket resolve`, the console) commits
the resolution with `notice = 'due'` (inboxd.store.tickets). The mailbox's next tick
renders the notice here and queues it as an acknowledgement of kind `resolution`, in
the transaction that sets `notice = 'queued'`: from there the acknowledgement machinery
sends it at most once, and a crash at any point neither loses it nor sends it twice.

The notice says the ticket is resolved and that a reply is all it takes if it is not
(templates `resolution.txt.j2`, en and zh). A reply within `[tickets] reopen_within_days`
reopens the ticket and escalates it (inboxd.tickets.plan_followup, which pages through
the escalation webhook); without one the tick closes the ticket after that many days,
and a later mail opens a new ticket.
"""

from __future__ import annotations

from inboxd.acknowledge import Policy, threadable
from inboxd.render import Renderer, sample_context
from inboxd.tickets import NoticeDue
from inboxd.triage import OWN_ID_PREFIX
from inboxd.values import OutgoingMail

TEMPLATE = "resolution"


def build_notice(due: NoticeDue, serial: int, renderer: Renderer, policy: Policy) -> OutgoingMail:
    """The notice for one resolution (`serial` tells a ticket's resolutions apart)."""
    language = due.language if due.language in renderer.field_text else policy.default_language
    category = policy.categories.get(due.category) or policy.categories["other"]
    # Nothing the customer wrote is quoted: the notice is ours alone (no name, no subject).
    context = sample_context(language, [])
    context.update(
        ticket=due.ref,
        subject="",
        reply_subject="",
        customer_name="",
        category=category.name,
        category_name=category.display[language],
        understood=[],
        understood_kinds=[],
        secret_kinds=[],
        reply_within_hours=policy.reply_within_hours,
        team=policy.team,
    )
    rendered = renderer.render(language, TEMPLATE, context)
    thread = tuple(m for m in due.message_ids if threadable(m))[-20:]
    return OutgoingMail(
        to=due.customer,
        subject=rendered.subject,
        body=rendered.body,
        message_id=f"{OWN_ID_PREFIX}{due.ref}.resolved-{serial}@{policy.message_id_domain}>",
        in_reply_to=thread[-1] if thread else None,
        references=thread,
    )
