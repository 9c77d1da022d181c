"""The acknowledgement's bytes, written by hand for speed, read back by the stdlib parser.

Every case compares with what `email.message.EmailMessage` (policy SMTP) would have
written for the same acknowledgement: same headers once decoded, same body text.
"""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import formataddr

import pytest

from inboxd.outbox import _dot_stuff, build_message
from inboxd.values import OutgoingMail

LONG_REFERENCES = tuple(f"<{i:04d}.customer-thread-reference@mail.example.com>" for i in range(12))

CASES = {
    "english": OutgoingMail(
        to="alice@example.com",
        subject="Re: Withdrawal of 0.5 BTC still pending [EX-20261126-0042]",
        body="Hello,\n\nWe received your message about a withdrawal.\n.\nA line starting with a dot.\n",
        message_id="<ack-1@inboxd.exchange.test>",
        in_reply_to="<c1@example.com>",
        references=("<c0@example.com>", "<c1@example.com>"),
    ),
    "chinese": OutgoingMail(
        to="wang@example.cn",
        subject="回复：提币一直没有到账，请尽快处理 [EX-20261126-0043]",
        body="您好，\n\n我们已收到您关于提币的邮件。请提供交易哈希（TxID）、时间和金额。\n\n客服团队\n",
        message_id="<ack-2@inboxd.exchange.test>",
        in_reply_to=None,
        references=(),
    ),
    "long lines and emoji": OutgoingMail(
        to="bob@example.org",
        subject="Re: " + "very long subject about my account being locked after the update " * 3 + "🙏",
        body="A" * 200 + "\n" + "naïve café — “quotes” and 🚀 in a long English line " * 4 + "\n\n-- \nSupport\n",
        message_id="<ack-3@inboxd.exchange.test>",
        in_reply_to="<c3@example.org>",
        references=LONG_REFERENCES,
    ),
    "looks encoded": OutgoingMail(
        to="carol@example.com",
        subject="=?utf-8?b?dGVzdA==?= is not an encoded word here",
        body="short\n",
        message_id="<ack-4@inboxd.exchange.test>",
        in_reply_to=None,
        references=(),
    ),
}


def _stdlib(mail: OutgoingMail, from_address: str, from_name: str, ticket: str | None) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr((from_name, from_address))
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    if mail.in_reply_to:
        message["In-Reply-To"] = mail.in_reply_to
    if mail.references:
        message["References"] = " ".join(mail.references)
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    if ticket:
        message["X-Inboxd-Ticket"] = ticket
    message.set_content(mail.body, charset="utf-8")
    return message.as_bytes()


HEADERS = ("from", "to", "subject", "message-id", "in-reply-to", "references", "auto-submitted",
           "x-auto-response-suppress", "x-inboxd-ticket", "content-type")  # fmt: skip


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("from_name", ["Exchange Support", "交易所客服", "Support, Exchange (24/7)"])
def test_reads_back_as_the_stdlib_would_have_written_it(name: str, from_name: str) -> None:
    mail = CASES[name]
    ours = email.message_from_bytes(build_message(mail, "support@exchange.test", from_name, "EX-1"), policy=default)
    theirs = email.message_from_bytes(_stdlib(mail, "support@exchange.test", from_name, "EX-1"), policy=default)
    for header in HEADERS:
        if header == "subject":
            # The stdlib lets a literal "=?...?=" through, which readers then decode; ours encodes it.
            assert str(ours[header]) == " ".join(mail.subject.split())
        else:
            assert str(ours[header]) == str(theirs[header]), header
    assert ours["date"] is not None and ours["mime-version"] == "1.0"
    assert ours.get_content() == theirs.get_content()
    assert not ours.defects


@pytest.mark.parametrize("name", CASES)
def test_lines_are_crlf_short_and_ascii_in_the_header(name: str) -> None:
    data = build_message(CASES[name], "support@exchange.test", "交易所客服", None)
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert head.isascii()
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert all(len(line) <= 998 for line in body.split(b"\r\n"))
    # SMTP's dot-stuffing keeps a body line that starts with "." intact.
    assert _dot_stuff(data).endswith(b"\r\n.\r\n")


@pytest.mark.parametrize("field", ["to", "message_id", "in_reply_to"])
def test_a_line_break_in_a_header_value_is_refused(field: str) -> None:
    values = {"to": "x@example.com", "message_id": "<a@b>", "in_reply_to": "<c@d>"}
    values[field] += "\r\nBcc: victim@example.com"
    mail = OutgoingMail(subject="s", body="b\n", references=(), **values)
    with pytest.raises(ValueError, match="line break"):
        build_message(mail, "support@exchange.test", "Support", None)


def test_a_subject_with_line_breaks_stays_one_header() -> None:
    mail = CASES["english"]
    hostile = OutgoingMail(mail.to, "Re: hi\r\nBcc: victim@example.com", mail.body, mail.message_id, None, ())
    parsed = email.message_from_bytes(build_message(hostile, "support@exchange.test", "Support", None), policy=default)
    assert parsed["bcc"] is None
    assert str(parsed["subject"]) == "Re: hi Bcc: victim@example.com"


@pytest.mark.parametrize("from_name", ["Exchange Support", "交易所客服"])
def test_an_internationalised_sender_address(from_name: str) -> None:
    """RFC 6532: the address as it is, in UTF-8 (sent only with SMTPUTF8); formataddr refuses it."""
    data = build_message(CASES["chinese"], "客服@交易所.测试", from_name, None)
    parsed = email.message_from_string(data.decode("utf-8"), policy=default)
    assert parsed["from"].addresses[0].addr_spec == "客服@交易所.测试"
    assert parsed["from"].addresses[0].display_name == from_name
