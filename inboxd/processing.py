"""What a mailbox's tick works with and gives back: its settings, its servers, its report.

`ProcessorSettings` holds the configuration keys the tick reads (`Processor`, its sending
and its server sync), as plain values built in the composition root (`daemon.make_processor`):
the tick never sees the whole `Config`. `Mailbox` and `Outbox` are what it needs of the IMAP
and SMTP clients; `TickReport` is what one tick did.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from inboxd.hours import Span
from inboxd.stopwatch import STAGES
from inboxd.values import OutgoingMail, ParseLimits

if TYPE_CHECKING:
    from inboxd.mailbox import Fetched


@dataclass(frozen=True, slots=True)
class AckLimits:
    """[ack]'s limits on automatic mail: per sender, per sender domain, per hour."""

    sender_window_minutes: float
    max_per_sender: int
    max_per_sender_domain: int
    domain_limit_exempt: tuple[str, ...]
    max_per_hour: int


@dataclass(frozen=True, slots=True)
class ProcessorSettings:
    """The configuration one mailbox's tick reads, and nothing else."""

    account: str
    folder: str  # [imap] folder: the one polled
    batch_size: int  # [imap] batch_size
    limits: ParseLimits  # [limits]: parsing, and max_message_bytes for what is downloaded at all
    quarantine_folder: str  # [imap]; "" keeps quarantined mail in place
    restricted_folder: str  # [imap]; "" keeps mail with a customer secret in place
    move_to_category_folders: bool  # [imap]
    spam_folder: str  # [spam] folder; "" keeps spam in place (it is never deleted)
    ticket_prefix: str  # [ack]
    max_send_attempts: int  # [ack]
    retry_base_seconds: float  # [ack]
    ack_limits: AckLimits
    keep_text_days: float  # [console]: how long the text the model read is kept (0: not at all)
    resolved_keyword: str  # [tickets]
    reopen_within_days: float  # [tickets]
    subject_window_hours: float  # [tickets]
    followup_window_hours: float  # [tickets]
    sla_first_response: Span | None  # [sla], on the [hours] calendar; None: not tracked
    sla_resolution: Span | None
    smtp_connections: int = 1  # [smtp] connections: acks sent side by side


class Mailbox(Protocol):
    uidvalidity: int

    def select(self, folder: str | None = None, readonly: bool = False) -> int: ...
    def uids_after(self, last_uid: int) -> list[int]: ...
    def sizes(self, uids: Sequence[int]) -> dict[int, int]: ...
    def fetch(self, uids: Sequence[int], sizes: dict[int, int], max_batch_bytes: int = ...) -> Iterable[Fetched]: ...
    def add_keywords(self, uids: Sequence[int], keywords: Iterable[str]) -> None: ...
    def move(self, uids: Sequence[int], folder: str) -> None: ...
    def uids_with_keyword(self, keyword: str) -> list[int]: ...
    def answered(self, uids: Sequence[int]) -> list[int]: ...


class Outbox(Protocol):
    def send(self, mail: OutgoingMail, ticket: str | None = None) -> None: ...


@dataclass
class TickReport:
    """What one tick did; `rows` are the store ids of the messages it decided."""

    # Per-mail bookkeeping stays small however long the tick: ids as an int64 array, the
    # (category, outcome) pairs as counts (a list of each cost 5 MiB at 50,000 mails).
    rows: array[int] = field(default_factory=lambda: array("q"))
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown: int = 0
    recovered_unknown: int = 0
    synced: int = 0
    backlog: int = 0  # new or pending UIDs this tick found
    quarantined: int = 0
    escalations: int = 0
    spoofed: int = 0  # mails whose From is proven forged (for a human, never answered)
    phishing_reports: int = 0  # mails asking whether something is ours: handed to the security team
    lookalikes: int = 0  # mails that link to a look-alike of an official domain
    notices: int = 0  # resolution notices queued (sent like acks)
    closed: int = 0  # resolved tickets closed: no reply within [tickets] reopen_within_days
    # Webhook deliveries this tick: delivered, to be retried, given up (inboxd.webhook_delivery).
    webhooks: Counter[str] = field(default_factory=Counter)
    sla_breaches: int = 0  # tickets escalated this tick because an SLA due time passed
    # Per category of the tickets opened this tick: the queue's estimate of the reply time
    # (business seconds, 0: none) and the unresolved tickets, as the last promise saw them.
    estimates: dict[str, float] = field(default_factory=dict)
    open_tickets: dict[str, int] = field(default_factory=dict)
    withheld: Counter[str] = field(default_factory=Counter)  # acks not sent by the limits, by skip reason
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # decided mails by (category, outcome)
    error: str | None = None
    # Seconds per stage (inboxd.stopwatch.STAGES), and the most one mail took to parse,
    # redact, screen and decide (hostile input must stay bounded).
    stages: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    slowest_mail_seconds: float = 0.0
