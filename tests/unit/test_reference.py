"""ticket_reference: the ticket in a reply's subject, however the customer's client mangled it."""

from __future__ import annotations

import pytest

from inboxd.reference import ticket_reference


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: USDT withdrawal not received [#INB-000123]", "INB-000123"),
        ("RE: [#INB-000123] still nothing", "INB-000123"),
        ("回复：提币没到账 【＃INB-000123】", "INB-000123"),
        ("答复: 充值问题 [＃ＩＮＢ－０００１２３]", "INB-000123"),
        ("Re: deposit [INB-000123]", "INB-000123"),
        ("Re: deposit [#inb-000123]", "INB-000123"),
        ("Re: deposit (#INB-123)", "INB-000123"),
        ("Re: deposit [# INB 000123 ]", "INB-000123"),
        ("Re: deposit INB-000123", "INB-000123"),
        ("Re: deposit #INB-1234567", "INB-1234567"),
        ("Re: Re: [#INB-000001] follow-up [#INB-000042]", "INB-000042"),
        ("deposit not credited", None),
        ("Re: INB-12 is my referral code", None),  # bare and short: not a ticket
        ("Re: MYINB-000123", None),
        ("Re: [#INB-000000]", None),
        ("Re: [#ABC-000123]", None),
    ],
)
def test_references(subject: str, expected: str | None) -> None:
    assert ticket_reference(subject, "INB") == expected


def test_prefix_is_configurable() -> None:
    assert ticket_reference("Re: withdrawal [#SUP2-000777]", "SUP2") == "SUP2-000777"
    assert ticket_reference("Re: withdrawal [#INB-000777]", "SUP2") is None
