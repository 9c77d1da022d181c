"""mail-parser, handed the message with only the top-level fields inboxd needs of it
(`parse.for_mailparser`), with its address fields read by `parse.mailparser_addresses`, gives
inboxd what it gives for the whole message.

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

from inboxd import parse
from inboxd.parse import ADDRESS_FIELDS, MAILPARSER_FIELDS, for_mailparser, mailparser_addresses
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
    """What inboxd takes of mail-parser's reading of the whole message."""
    parser = mailparser.MailParser(message)
    mail = parser.mail
    return (
        [mail.get(name) or [] for name in _USED],
        parser.text_plain,
        parser.text_html,
        parser.text_not_managed,
        # Less the names mail-parser makes up (at random) for unnamed attachments.
        [{k: v for k, v in a.items() if k not in ("filename", "safe_filename")} for a in parser.attachments],
        sorted(parser.defects_categories),
    )


def _taken_by_inboxd(message: email.message.Message) -> tuple[object, ...]:
    """The same, as parse_message reads it: the address fields here, the rest from the view."""
    known, flawed = mailparser_addresses(message)
    parser = mailparser.MailParser(for_mailparser(message))
    return (
        [list(known.get(name, ())) for name in _USED],
        parser.text_plain,
        parser.text_html,
        parser.text_not_managed,
        [{k: v for k, v in a.items() if k not in ("filename", "safe_filename")} for a in parser.attachments],
        sorted(parser.defects_categories | ({"AddressHeaderDefect"} if flawed else set())),
    )


def _message(raw: bytes) -> email.message.Message:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.epilogue is None:
        message.epilogue = ""
    return message


@pytest.mark.parametrize("raw", [m.encode("latin-1") for m in MAILS])
def test_mailparser_gives_the_same_for_the_view(raw: bytes) -> None:
    assert _taken_by_inboxd(_message(raw)) == _taken(_message(raw))


def test_mailparser_gives_the_same_for_the_view_of_every_fixture() -> None:
    for path in sorted(FIXTURES.glob("*.eml")):
        raw = path.read_bytes()
        assert _taken_by_inboxd(_message(raw)) == _taken(_message(raw)), path.name


ADDRESS_MAILS = [
    # Repeated fields, each name's first occurrence counts; a defect in a later one still counts.
    "From: A <a@x.test>\r\nFrom: B <b@x.test>\r\nTo: s@x.test\r\nTo: a@@b\r\n\r\nbody\r\n",
    # Raw 8-bit display names, and the same value under names of other lengths and cases (a
    # Header made of a raw 8-bit value folds by its field name's length).
    "From: \xe5\xae\xa2\xe6\x88\xb7 <k@qq.com>\r\nReply-To: \xe5\xae\xa2\xe6\x88\xb7 <k@qq.com>\r\n"
    "DELIVERED-TO: \xe5\xae\xa2\xe6\x88\xb7 <k@qq.com>\r\nTo: s@x.test\r\n\r\nbody\r\n",
    # A display name that is the address, an empty field, a group, and a quoted encoded word.
    "From: a@x.test <a@x.test>\r\nCc:\r\nTo: team: a@x.test, b@x.test;\r\n"
    'Reply-To: "=?utf-8?B?5rWL?=" <r@x.test>\r\n\r\nbody\r\n',
]


@pytest.mark.parametrize("raw", [m.encode("latin-1") for m in ADDRESS_MAILS])
def test_the_address_fields_read_here_are_what_mailparser_reads(raw: bytes) -> None:
    parse._read_addresses.clear()
    first = _taken_by_inboxd(_message(raw))
    assert first == _taken(_message(raw))
    assert _taken_by_inboxd(_message(raw)) == first  # read again: from what was kept


def test_the_view_leaves_the_address_fields_to_inboxd_and_the_message_alone() -> None:
    assert frozenset(ADDRESSES_HEADERS) == frozenset(ADDRESS_FIELDS)
    assert not MAILPARSER_FIELDS & frozenset(ADDRESSES_HEADERS)
    message = _message(MAILS[0].encode("latin-1"))
    before = message.items()
    view = for_mailparser(message)
    assert message.items() == before  # the message keeps all its fields
    assert "subject" not in view and "x-mailer" not in view
    assert view.get_all("received") == message.get_all("received")
    assert view.get_payload() is message.get_payload()


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_mailparser_reads_from_the_fields_is_found(defect: str) -> None:
    raw = f"From: a@x.test\r\n{defect}{OTHER_FIELDS}\r\nbody\r\n".encode("latin-1")
    assert set(_taken_by_inboxd(_message(raw))[-1]) - {"MimeHeaderDefect"}
