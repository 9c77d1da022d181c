"""The exception tree, and what each branch means for the daemon.

InboxdError
├── ConfigError        bad config, template or classifier asset: refuse to start;
│                      carries every problem found (file, key, reason)
├── StoreError         the state database cannot be used (corrupt, wrong schema):
│   │                  refuse to start / stop the daemon
│   └── StoreUnavailable  also a TransientError: locked by another process, disk
│                      full, I/O error; at start-up refuse to start, at run time
│                      the transaction is rolled back and the tick retried
├── TransientError     a server is unreachable or answered "try later": the tick
│   │                  stops, mail stays untouched on the server, retried next tick
│   ├── MailboxError   IMAP connection, login or protocol failure
│   │   └── FolderMissing  the polled folder does not exist: a configuration
│   │                  mistake, so the daemon stops instead of retrying for ever
│   ├── LeaseLost      another inboxd took the mailbox over during a tick
│   ├── SendTemporary  SMTP 4xx: the acknowledgement stays pending
│   │   └── SmtpUnavailable  no connection at all: stop sending this tick
│   └── TokenError     no OAuth2 access token could be had (command failed, file
│                      missing): the edges report it as their own connection error
├── SendPermanent      SMTP 5xx for the recipient: recorded, never retried
├── SendUnknown        the connection dropped after DATA was sent: the fate of the
│                      acknowledgement is unknown and a human must decide
└── MessageError       this one mail cannot be handled (unparseable, over a limit):
                       quarantine it with the reason and go on with the next
"""

from __future__ import annotations

from dataclasses import dataclass


class InboxdError(Exception):
    """Base class of every error inboxd raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in an operator-edited file: where it is and what is wrong."""

    file: str
    key: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return f"{where}: {self.reason}"


class ConfigError(InboxdError):
    """The configuration, a template or a classifier asset is invalid."""

    def __init__(self, problems: list[Problem]) -> None:
        # Once each: a shared section is checked for every mailbox, and `inboxd check` reads
        # a password file both as a credential and as a path of the config.
        self.problems = list(dict.fromkeys(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class StoreError(InboxdError):
    """The state store cannot be opened or used."""


class TransientError(InboxdError):
    """A server failed in a way that may pass; retry on the next tick."""


class StoreUnavailable(StoreError, TransientError):
    """The store is locked by another process, or the disk is full or failing: it may pass.

    Whatever the failed transaction was doing was rolled back; nothing is half-done.
    """


class MailboxError(TransientError):
    """IMAP connection, login or protocol failure."""


class FolderMissing(MailboxError):
    """The folder to poll does not exist on the server."""


class LeaseLost(TransientError):
    """Another inboxd holds the mailbox lease now: stop working on it at once."""


class SendTemporary(TransientError):
    """SMTP refused for now (server down, 4xx): keep the acknowledgement pending."""


class SmtpUnavailable(SendTemporary):
    """No usable SMTP connection: stop sending for this tick, every ack stays pending."""


class TokenError(TransientError):
    """No OAuth2 access token: the token command failed or timed out, the token file is unreadable."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where  # the config key of the token source, e.g. "imap.oauth2_token_command"
        self.reason = reason
        super().__init__(f"{where}: {reason}")


class SendPermanent(InboxdError):
    """SMTP refused for good (5xx): record it, do not retry."""


class SendUnknown(InboxdError):
    """The connection broke after the message data was sent: it may have been delivered."""


class MessageError(InboxdError):
    """This mail cannot be handled; it is quarantined with this reason."""
