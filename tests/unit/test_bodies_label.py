"""bodies remembers set_param's and get_content_charset's results by Content-Type value: the same results."""

from __future__ import annotations

import email
import email.message
import email.policy

import pytest

from inboxd.bodies import _label_utf8, charset_of

HEADS = [
    "Content-Type: text/plain; charset=gb2312\n",
    'Content-Type: text/plain; charset="utf-8"\n',
    "Content-Type: text/html; format=flowed; CHARSET=us-ascii; delsp=yes\n",
    "Content-Type: text/plain\n",
    "Content-Type: \n",
    "",  # no Content-Type: text/plain by default
    "Content-Type: text/plain; charset=big5\nContent-Type: text/html\n",  # two of them
    "Content-Type: text/plain; charset*=utf-8''%E4%B8%AD; name=\"a b\"\n",
    "Content-Type: text/plain; charset=\xe4\xb8\xad\n",  # raw 8-bit: a Header, not cached
]


def _part(head: str) -> email.message.Message:
    raw = ("Subject: x\n" + head + "X-After: 1\n\nbody\n").encode("utf-8")
    return email.message_from_bytes(raw, policy=email.policy.compat32)


@pytest.mark.parametrize("head", HEADS)
def test_same_headers_as_set_param_twice_over(head: str) -> None:
    for _ in range(2):  # the first call fills the memo, the second reads it
        expected = _part(head)
        expected.set_param("charset", "utf-8")
        labelled = _part(head)
        _label_utf8(labelled)
        assert [(k, str(v)) for k, v in labelled.raw_items()] == [(k, str(v)) for k, v in expected.raw_items()]


@pytest.mark.parametrize("head", [*HEADS, "Content-Type: text/plain; charset*=x-unknown''abc\n"])
def test_same_charset_as_get_content_charset_twice_over(head: str) -> None:
    for _ in range(2):
        try:
            expected = _part(head).get_content_charset()
        except LookupError:
            expected = None
        assert charset_of(_part(head)) == expected
