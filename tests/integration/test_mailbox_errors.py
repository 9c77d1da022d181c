"""Every connection, protocol and TLS failure of the IMAP edge reaches the daemon as MailboxError,
with the command that failed and the cause in its message (mailbox.py maps them in one place)."""

from __future__ import annotations

import socket

import pytest

from inboxd.credentials import load_credentials
from inboxd.errors import MailboxError
from inboxd.mailbox import ImapMailbox
from testbed.dovecot import free_port
from tests.conftest import Servers


def test_a_server_that_is_not_there_is_a_mailbox_error(servers: Servers) -> None:
    config = servers.config()
    imap = config.imap.model_copy(update={"port": free_port()})
    with pytest.raises(MailboxError, match=rf"^cannot connect to IMAP {imap.host}:{imap.port}: "):
        ImapMailbox(imap, load_credentials(config).imap).connect()


def test_a_connection_lost_mid_session_is_a_mailbox_error_naming_the_command(servers: Servers) -> None:
    config = servers.config()
    with ImapMailbox(config.imap, load_credentials(config).imap) as box:
        box.select()
        box.client.socket().shutdown(socket.SHUT_RDWR)  # the server (or the network) is gone
        with pytest.raises(MailboxError, match=r"^UID SEARCH failed: ") as lost:
            box.uids_after(0)
        assert lost.value.__cause__ is not None  # the imapclient/socket error is kept as the cause
        with pytest.raises(MailboxError, match=r"^STORE \+FLAGS failed: "):
            box.add_keywords([1], ["$Seen-By-Test"])
        with pytest.raises(MailboxError, match=r"^FETCH FLAGS failed: "):
            box.flags([1])
