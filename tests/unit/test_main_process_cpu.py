"""The main process's work per mail outside the store and the model, made cheaper without
changing a result: unpickling what a worker sends back, rendering an acknowledgement,
matching the escalation triggers."""

from __future__ import annotations

import dataclasses
import functools
import pickle
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from inboxd import values
from inboxd.errors import MessageError
from inboxd.parse import parse_message
from inboxd.redact import redact_mail
from inboxd.values import (
    AccountId,
    Amount,
    Bounce,
    Classification,
    Decision,
    EventTime,
    Facts,
    Forwarded,
    ParsedEmail,
    Secret,
    TxId,
    WalletAddress,
)
from tests.conftest import FIXTURES, fixture_bytes

# -- unpickling -----------------------------------------------------------------------------------


def _value_classes() -> list[type]:
    return [c for c in vars(values).values() if isinstance(c, type) and dataclasses.is_dataclass(c)]


@functools.cache
def _mails() -> tuple[ParsedEmail, ...]:
    mails = []
    for path in sorted(FIXTURES.glob("*.eml")):
        try:
            mails.append(redact_mail(parse_message(fixture_bytes(path.name)))[0])
        except MessageError:  # the hostile ones
            continue
    # Every optional part set: a bounce, a forward, secrets, attachments' text, a zone.
    extra = dataclasses.replace(
        mails[0],
        bounce=Bounce(("<a@x>",), ("b@y.example",), (), True),
        forwarded=(Forwarded("c@z.example", "C", "Fwd", "text"),),
        secrets=(Secret("password", 1, 5, "subject"),),
        attachment_text=("", "some text"),
        date=datetime(2026, 11, 20, 14, 30, tzinfo=timezone(timedelta(hours=8))),
    )
    return (*mails, extra)


def test_every_value_pickles_as_its_constructor_and_its_fields_in_order() -> None:
    facts = Facts(
        tx_ids=(TxId("ab" * 32, "evm"),),
        order_ids=("123456",),
        amounts=(Amount("0.5", "BTC"), Amount("500", "USDT", "TRC20")),
        times=(EventTime("yesterday", datetime(2026, 1, 1, tzinfo=UTC), "day"), EventTime("soon", None)),
        account_ids=(AccountId("uid", "40918273"),),
        addresses=(WalletAddress("0x" + "ab" * 20, "evm", False),),
        secrets=(Secret("seed_phrase", 0, 10),),
    )
    decision = Decision(values.Action.ACK, "zh", Classification("account", 0.9, "account", intent="x"), facts)
    for value in [*_mails(), facts, decision, values.UNCHECKED, values.Screening(values.SkipReason.LIST, "list")]:
        again = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        assert again == value and type(again) is type(value)
    for cls in _value_classes():
        reduced = cls.__reduce__  # every one of them: a new one must not fall back to the slow way
        assert reduced is not object.__reduce__, cls.__name__


def test_unpickling_a_mail_looks_up_no_dataclass_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    """`dataclasses._dataclass_setstate` calls `fields()` for every object, which was most of what
    unpickling a worker's result cost; the values are rebuilt by their constructors instead."""
    blobs = [pickle.dumps(mail, protocol=pickle.HIGHEST_PROTOCOL) for mail in _mails()]

    def refused(*args: Any) -> Any:
        raise AssertionError("dataclasses.fields() called while unpickling")

    monkeypatch.setattr(dataclasses, "fields", refused)
    assert all(isinstance(pickle.loads(blob), ParsedEmail) for blob in blobs)
