"""mail-parser, handed the message with only the top-level fields inboxd needs of it
(`parse.for_mailparser`), gives inboxd what it gives for the whole message.

inboxd takes from mail-parser the address fields, the bodies, the attachments and the defect
categories: each is compared, on mails whose other fields are many, raw 8-bit, malformed or
named like mail-parser's own keys, and on mails with address, date and Received defects.
"""

from __future__ import annotations

import email
import email.policy

import mailparser
import pytest
from mailparser.const import ADDRESSES_HEADERS

from inboxd.parse import MAILPARSER_FIELDS, for_mailparser
from tests.conftest import FIXTURES

_USED = ("from", "reply-to", "to", "cc")

OTHER_FIELDS = (
    "Subject: =?utf-8?B?5rWL6K+V?= \xe6\xb5\x8b\r\n"
    "Message-ID: <a@b>\r\nMIME-Version: 1.0\r\nX-Mailer: \xff\xfe odd\r\n"
    "Attachments: x\r\nBody: y\r\nDefects: z\r\nHas_defects: 1\r\nTo_domains: q\r\n"
    "Subject_json: s\r\nX-Broken: =?unknown-8bit?Q?=FF?=\r\nDKIM-Signature: v=1; a=rsa-sha256; b=abc\r\n"
)
# Each the one source of a defect category mail-parser reports (categories are a set).
DEFECTS = (
    "Delivered-To: a@@b\r\n",
    'Bcc: a@b@c, "unterminated <x@y>\r\n',
    "Date: not a date\r\n",
    "Resent-Date: yesterday\r\n",
    "Received: from a by b; Mon, 32 Foo 2026\r\n",
)
BODIES = (
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    "hello\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--b\r\nContent-Type: application/pdf; name=a.pdf\r\n"
    'Content-Disposition: attachment; filename="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n'
    "--b--\r\nepilogue\r\n"
)
MAILS = [
    "From: A <a@example.com>\r\nTo: s@x.test, B <b@y.test>\r\nCc: c@z.test\r\nReply-To: r@x.test\r\n"
    + OTHER_FIELDS
    + BODIES,
    *(f"From: a@x.test\r\n{defect}{OTHER_FIELDS}\r\nbody\r\n" for defect in DEFECTS),
    "From: =?gb2312?B?1uzOxA==?= <a@qq.com>\r\nTo: s@x.test\r\n" + OTHER_FIELDS + "\r\nplain body\r\n",
    "from: a@x.test\r\nTO: s@x.test\r\nCONTENT-TYPE: text/html; charset=latin-1\r\n"
    + OTHER_FIELDS
    + "\r\n<b>\xe9</b>\r\n",
    OTHER_FIELDS + "Content-Type: multipart/alternative; boundary=q\r\n\r\n--q\r\n\r\nno end boundary",
]


def _taken(message: email.message.Message) -> tuple[object, ...]:
    parser = mailparser.MailParser(message)
    mail = parser.mail
    return (
        [mail.get(name) for name in _USED],
        parser.text_plain,
        parser.text_html,
        parser.text_not_managed,
        # Less the names mail-parser makes up (at random) for unnamed attachments.
        [{k: v for k, v in a.items() if k not in ("filename", "safe_filename")} for a in parser.attachments],
        sorted(parser.defects_categories),
    )


def _message(raw: bytes) -> email.message.Message:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.epilogue is None:
        message.epilogue = ""
    return message


@pytest.mark.parametrize("raw", [m.encode("latin-1") for m in MAILS])
def test_mailparser_gives_the_same_for_the_view(raw: bytes) -> None:
    assert _taken(for_mailparser(_message(raw))) == _taken(_message(raw))


def test_mailparser_gives_the_same_for_the_view_of_every_fixture() -> None:
    for path in sorted(FIXTURES.glob("*.eml")):
        raw = path.read_bytes()
        assert _taken(for_mailparser(_message(raw))) == _taken(_message(raw)), path.name


def test_the_view_keeps_every_address_field_and_leaves_the_message_alone() -> None:
    assert frozenset(ADDRESSES_HEADERS) <= MAILPARSER_FIELDS
    message = _message(MAILS[0].encode("latin-1"))
    before = message.items()
    view = for_mailparser(message)
    assert message.items() == before  # the message keeps all its fields
    assert "subject" not in view and "x-mailer" not in view
    assert view.get_all("received") == message.get_all("received")
    assert view.get_payload() is message.get_payload()


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_mailparser_reads_from_the_fields_is_in_the_view(defect: str) -> None:
    raw = f"From: a@x.test\r\n{defect}{OTHER_FIELDS}\r\nbody\r\n".encode("latin-1")
    assert mailparser.MailParser(for_mailparser(_message(raw))).defects_categories - {"MimeHeaderDefect"}
