"""Load and validate `config.toml` into frozen objects.

Every problem in the file is reported at once, each with the file, the dotted key and the
reason, so an operator fixes the file in one pass. Relative paths are resolved against the
folder that holds the config file. Secrets are never read from this file: only the name of an
environment variable or of a file that holds them (see `read_secret`).

- `fields`: the strict base of every section and the value checks sections share;
- `login`: [imap] and [smtp], the servers inboxd logs in to;
- `answering`: [ack], [hours], [sla], [tickets];
- `reading`: [trust], [spam], [limits], [extract];
- `running`: [store], [schedule], [processing], [classifier], [templates], [logging],
  [metrics], [[notify]], [console];
- `mailboxes`: the file as a whole, [[mailbox]], and `Config` (one mailbox's settings);
- `load`: reading the file (`load_configs`, `load_config`);
- `paths`: whether the files and folders it names can be used (`path_problems`);
- `secret`: passwords and keys from the environment or a file (`read_secret`).
"""

from inboxd.config.answering import AckConfig, HoursConfig, SlaConfig, TicketsConfig
from inboxd.config.fields import Security
from inboxd.config.load import load_config, load_configs
from inboxd.config.login import Auth, ImapConfig, SmtpConfig
from inboxd.config.mailboxes import Config, MailboxSection, PathUse
from inboxd.config.paths import path_problems
from inboxd.config.reading import ExtractConfig, LimitsConfig, SpamConfig, SpamHeaderRule, TrustConfig
from inboxd.config.running import (
    ClassifierConfig,
    ConsoleConfig,
    LoggingConfig,
    MetricsConfig,
    NotifyConfig,
    NotifyEvent,
    ProcessingConfig,
    ScheduleConfig,
    StoreConfig,
    TemplatesConfig,
)
from inboxd.config.secret import read_secret

__all__ = [
    "AckConfig",
    "Auth",
    "ClassifierConfig",
    "Config",
    "ConsoleConfig",
    "ExtractConfig",
    "HoursConfig",
    "ImapConfig",
    "LimitsConfig",
    "LoggingConfig",
    "MailboxSection",
    "MetricsConfig",
    "NotifyConfig",
    "NotifyEvent",
    "PathUse",
    "ProcessingConfig",
    "ScheduleConfig",
    "Security",
    "SlaConfig",
    "SmtpConfig",
    "SpamConfig",
    "SpamHeaderRule",
    "StoreConfig",
    "TemplatesConfig",
    "TicketsConfig",
    "TrustConfig",
    "load_config",
    "load_configs",
    "path_problems",
    "read_secret",
]
