"""Customers with internationalised addresses (RFC 6530-6532): 张三@例子.测试, josé@example.com.

Against the real aiosmtpd sink, once offering SMTPUTF8 and once not (aiosmtpd's default, like
many relays): with it the acknowledgement goes to the address as the customer wrote it; without
it an ASCII local part still gets there through the IDNA form of its domain, and any other
address is a permanent failure with its reason, never a crash and never an `unknown` fate.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from inboxd.config import load_config
from inboxd.errors import SendPermanent
from inboxd.outbox import SmtpOutbox
from inboxd.store import Store
from inboxd.values import OutgoingMail
from testbed.dovecot import free_port
from testbed.smtpsink import SinkMode, SmtpSink
from tests.conftest import Servers, write_config

pytestmark = pytest.mark.integration

CHINESE = "张三@例子.测试"
IDNA_DOMAIN = "zhang.san@xn--fsqu00a.xn--0zwm56d"  # 例子.测试 in IDNA (A-labels)


@pytest.fixture(params=[True, False], ids=["smtputf8", "ascii-only"])
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SmtpSink]:
    server = SmtpSink(tmp_path / "sink", free_port(), SinkMode(smtputf8=request.param))
    server.start()
    yield server
    server.stop()


def outbox_for(sink: SmtpSink, tmp_path: Path, model_path: Path) -> SmtpOutbox:
    config = load_config(write_config(tmp_path / "cfg", model_path=model_path, smtp_port=sink.port))
    return SmtpOutbox(config.smtp, None)


def ack(to: str, n: int = 1) -> OutgoingMail:
    return OutgoingMail(
        to=to,
        subject="回复：提币没有到账 [#INB-000001]",
        body="您好，\n\n我们已收到您的邮件。\n",
        message_id=f"<ack-{n}@exchange.test>",
        in_reply_to=None,
        references=(),
    )


@pytest.mark.parametrize("address", [CHINESE, "josé@example.com", "zhang.san@例子.测试"])
def test_an_internationalised_address_gets_its_ack_or_a_clear_refusal(
    sink: SmtpSink, tmp_path: Path, model_path: Path, address: str
) -> None:
    with outbox_for(sink, tmp_path, model_path) as outbox:
        if sink.mode.smtputf8:
            outbox.send(ack(address))
            (record,) = sink.received()
            assert record["rcpt_tos"] == [address]
            assert "SMTPUTF8" in record["mail_options"]
            assert str(sink.message(record)["To"]) == address
        elif address.partition("@")[0].isascii():
            # Only the domain is non-ASCII: its IDNA form needs no extension.
            outbox.send(ack(address))
            (record,) = sink.received()
            assert record["rcpt_tos"] == [IDNA_DOMAIN]
            assert "SMTPUTF8" not in record["mail_options"]
            assert str(sink.message(record)["To"]) == IDNA_DOMAIN
        else:
            with pytest.raises(SendPermanent, match="does not offer SMTPUTF8"):
                outbox.send(ack(address))
            assert sink.received() == []
        # The connection is still usable, and an ASCII address goes out as it always did.
        outbox.send(ack("alice@example.com", 2))
    last = sink.received()[-1]
    assert last["rcpt_tos"] == ["alice@example.com"] and "SMTPUTF8" not in last["mail_options"]


@pytest.mark.parametrize(
    "address",
    [
        "zhang@" + "例" * 70 + ".测试",  # a label longer than 63 octets
        "hans@straße.de",  # IDNA 2003 (the stdlib's) would send it to strasse.de, another domain
    ],
)
def test_a_domain_without_a_faithful_idna_form_is_refused(tmp_path: Path, model_path: Path, address: str) -> None:
    sink = SmtpSink(tmp_path / "sink", free_port(), SinkMode(smtputf8=False))
    sink.start()
    try:
        with outbox_for(sink, tmp_path, model_path) as outbox, pytest.raises(SendPermanent, match="no IDNA form"):
            outbox.send(ack(address))
        assert sink.received() == []
    finally:
        sink.stop()


FROM_CHINESE = (
    "From: =?utf-8?b?5byg5LiJ?= <张三@例子.测试>\r\n"
    "To: support@exchange.test\r\n"
    "Subject: 提币没有到账\r\n"
    "Message-ID: <idn-1@例子.测试>\r\n"
    "Date: Sun, 22 Nov 2026 09:30:00 +0800\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "你好，我昨天提币 500 USDT，到现在还没有到账，请帮我查一下。\r\n"
).encode()


def test_a_poll_of_a_mail_from_an_internationalised_address(
    sink: SmtpSink, tmp_path: Path, servers: Servers, model_path: Path
) -> None:
    # The fixture's mailbox user, with this test's sink instead of the fixture's.
    config = write_config(
        tmp_path / "idn", model_path=model_path, imap_port=servers.dovecot.port, imap_user=servers.user,
        smtp_port=sink.port,
    )  # fmt: skip
    servers.append(FROM_CHINESE)
    result = subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(config), "poll", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    (row,) = Store(load_config(config).store.path, readonly=True).acks()
    assert row.mail.to == CHINESE
    if sink.mode.smtputf8:
        assert row.state == "sent"
        (record,) = sink.received()
        assert record["rcpt_tos"] == [CHINESE]
    else:
        assert row.state == "failed"
        assert row.last_error is not None and "SMTPUTF8" in row.last_error
        assert sink.received() == []


def test_a_non_ascii_message_id_of_the_customer(sink: SmtpSink, tmp_path: Path, model_path: Path) -> None:
    """RFC 6532 allows UTF-8 message IDs: kept with SMTPUTF8, left out of the threading headers without."""
    mail = replace(
        ack("alice@example.com"), in_reply_to="<idn-1@例子.测试>", references=("<a@b.test>", "<idn-1@例子.测试>")
    )
    with outbox_for(sink, tmp_path, model_path) as outbox:
        outbox.send(mail)
    (record,) = sink.received()
    raw = (sink.directory / record["file"]).read_bytes()
    head = raw.partition(b"\r\n\r\n")[0]
    message = sink.message(record)
    if sink.mode.smtputf8:
        assert "SMTPUTF8" in record["mail_options"]
        assert message["In-Reply-To"] == "<idn-1@例子.测试>"
        assert str(message["References"]).split() == ["<a@b.test>", "<idn-1@例子.测试>"]
    else:
        assert "SMTPUTF8" not in record["mail_options"]
        assert head.isascii()
        assert message["In-Reply-To"] is None and str(message["References"]) == "<a@b.test>"
