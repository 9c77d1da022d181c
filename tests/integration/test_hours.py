"""Business hours on real servers: the sent acknowledgement carries the promise, and an overdue
first response escalates the ticket once (keyword on the mail, `ticket list --breached`)."""

from __future__ import annotations

import json
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inboxd.compose import make_processor, open_store
from inboxd.sync import KW_ESCALATED, KW_SLA_BREACHED
from tests.conftest import Servers, run_inboxd, write_config

pytestmark = pytest.mark.integration

SH = ZoneInfo("Asia/Shanghai")


def chinese_mail(sender: str = "wang.qiang@qq.com", subject: str = "提币没有到账") -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = f"王强 <{sender}>"
    message["To"] = "support@exchange.test"
    message["Subject"] = subject
    message["Date"] = "Fri, 13 Feb 2026 22:00:00 +0800"
    message["Message-ID"] = make_msgid(domain="qq.com")
    message.set_content("你好，我昨天提币 500 USDT，到现在还没有到账，请帮忙查一下。")
    return message.as_bytes()


def test_the_sent_ack_promises_business_time_and_an_overdue_ticket_escalates_once(
    servers: Servers, model_path: Path
) -> None:
    servers.config_path = write_config(
        servers.config_path.parent,
        model_path=model_path,
        imap_port=servers.dovecot.port,
        imap_user=servers.user,
        smtp_port=servers.sink.port,
        sections={
            "hours": {"timezone": "Asia/Shanghai", "weekly": ["mon-fri 09:00-18:00"], "holidays": ["CN"]},
            "ack": {"reply_within": "8 business hours"},
            "sla": {"first_response": "4 business hours", "resolution": "40 business hours"},
        },
    )
    servers.append(chinese_mail())
    app = servers.app()
    store = open_store(app.config)
    clock = [datetime(2026, 2, 13, 22, 0, tzinfo=SH).timestamp()]  # Friday night before Spring Festival
    processor = make_processor(app, store)
    processor.clock = lambda: clock[0]
    try:
        processor.tick()
        (record,) = servers.sink.received()
        body = servers.sink.message(record).get_body(("plain",))
        assert body is not None
        # Saturday 14 February is a working day in China (调休): 09:00 + 8 business hours.
        assert "将于2月14日（周六）17:00（北京时间）前回复您" in body.get_content()
        ref = record["subject"].rsplit("[#", 1)[1].rstrip("]")
        shown = json.loads(run_inboxd(servers.config_path, "ticket", "show", ref, "--json").stdout)
        assert shown["first_response_due"] == datetime(2026, 2, 14, 13, 0, tzinfo=SH).timestamp()
        # The command's clock is the real one, long after February: overdue, for the next poll to escalate.
        assert shown["sla"].startswith("overdue: first response due")

        # A second request, which an agent answers from a mail client (\Answered on the mail).
        servers.append(chinese_mail("li.na@163.com", "充值未到账"))
        processor.tick()
        answered = next(uid for uid, (_, raw) in servers.messages().items() if b"li.na@163.com" in raw)
        imap = servers.dovecot.connect(servers.user)
        imap.select("INBOX")
        imap.uid("STORE", str(answered), "+FLAGS", "(\\Answered)")
        imap.logout()

        clock[0] = datetime(2026, 2, 14, 13, 30, tzinfo=SH).timestamp()  # the first responses are overdue
        assert processor.tick().sla_breaches == 1  # the unanswered one only
        assert processor.tick().sla_breaches == 0  # once
        flags = {uid: f for uid, (f, _) in servers.messages().items()}
        assert {KW_ESCALATED, KW_SLA_BREACHED} <= flags[min(flags)]
        assert KW_SLA_BREACHED not in flags[answered]
    finally:
        store.close()
    listed = run_inboxd(servers.config_path, "ticket", "list", "--breached", "--json")
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["ref"] == ref and row["escalated"] == 1 and row["sla_breach"] == "first_response"
    assert row["sla"].startswith("breached: first response")
