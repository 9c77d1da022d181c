"""`config.toml` as a whole: the shared sections, the [[mailbox]] entries that may override some
of them, and `Config`, everything one mailbox runs with."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from inboxd.config.answering import AckConfig, HoursConfig, SlaConfig, TicketsConfig
from inboxd.config.fields import Section
from inboxd.config.login import ImapConfig, SmtpConfig
from inboxd.config.reading import ExtractConfig, LimitsConfig, SpamConfig, TrustConfig
from inboxd.config.running import (
    ClassifierConfig,
    ConsoleConfig,
    LoggingConfig,
    MetricsConfig,
    NotifyConfig,
    ProcessingConfig,
    ScheduleConfig,
    StoreConfig,
    TemplatesConfig,
)


class MailboxSection(Section):
    """One of several mailboxes ([[mailbox]]): its own IMAP, and optionally its own SMTP,
    templates, acknowledgement settings (sender name, ticket prefix, limits) and mail limits."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    imap: ImapConfig
    smtp: SmtpConfig | None = None
    templates: TemplatesConfig | None = None
    ack: AckConfig | None = None
    limits: LimitsConfig | None = None
    hours: HoursConfig | None = None


class Sections(Section):
    """The sections every mailbox has; a [[mailbox]] may override templates, ack and limits."""

    store: StoreConfig
    schedule: ScheduleConfig = ScheduleConfig()
    processing: ProcessingConfig = ProcessingConfig()
    classifier: ClassifierConfig = ClassifierConfig()
    templates: TemplatesConfig = TemplatesConfig()
    ack: AckConfig = AckConfig()
    hours: HoursConfig = HoursConfig()
    sla: SlaConfig = SlaConfig()
    tickets: TicketsConfig = TicketsConfig()
    trust: TrustConfig = TrustConfig()
    spam: SpamConfig = SpamConfig()
    limits: LimitsConfig = LimitsConfig()
    extract: ExtractConfig = ExtractConfig()
    logging: LoggingConfig = LoggingConfig()
    metrics: MetricsConfig = MetricsConfig()
    console: ConsoleConfig = ConsoleConfig()


class ConfigFile(Sections):
    """config.toml as written: a single [imap] mailbox, [[mailbox]] entries, or both."""

    imap: ImapConfig | None = None
    mailbox: tuple[MailboxSection, ...] = ()
    smtp: SmtpConfig | None = None
    notify: tuple[NotifyConfig, ...] = ()


# What a path of the config must be (see `path_problems`).
PathUse = Literal["file", "ca_file", "token_file", "folder", "created"]


class Config(Sections):
    """Everything one mailbox runs with (the shared sections plus its own)."""

    name: str = "default"  # the mailbox's name: "default" for [imap], else [[mailbox]] name
    imap: ImapConfig
    smtp: SmtpConfig
    source: Path = Path("config.toml")  # set by load_config, not read from the file
    # Every file and folder this mailbox uses: (key as written in the file, what it must be,
    # resolved path). Set by load_configs, which knows which sections are shared.
    paths: tuple[tuple[str, PathUse, Path], ...] = ()
    notify: tuple[NotifyConfig, ...] = ()  # shared by every mailbox

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset({self.smtp.from_address, self.imap.username.lower(), *self.ack.own_addresses})

    @property
    def message_id_domain(self) -> str:
        return self.ack.message_id_domain or self.smtp.from_address.rpartition("@")[2]

    @property
    def account(self) -> str:
        """The mailbox identity used in message keys and checkpoints."""
        return f"{self.imap.username}@{self.imap.host}:{self.imap.port}"
