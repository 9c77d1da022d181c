"""new_text judges only the lines one scan of the text finds (inboxd.quotes._CANDIDATE): the
lines it must not miss, wherever and however they are written."""

from __future__ import annotations

import pytest

from inboxd.quotes import new_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The first line is a candidate too.
        ("-- \nsignature only\n", "-- \nsignature only"),
        ("Sent from my iPhone\nhi", "Sent from my iPhone\nhi"),
        # Every line separator str.splitlines knows ends a line, not only "\n".
        ("I sent 5 BTC\x85Sent from my iPhone\x85old", "I sent 5 BTC"),
        ("I sent 5 BTC\u2028-- \u2028Li Ming", "I sent 5 BTC"),
        ("I sent 5 BTC\r-----Original Message-----\rFrom: us", "I sent 5 BTC"),
        # Leading white space of any kind, and letters the patterns' case-folding matches.
        ("I sent 5 BTC\n\u3000CONFIDENTIALITY NOTICE: x", "I sent 5 BTC"),
        ("I sent 5 BTC\n\u017fent from my iPhone", "I sent 5 BTC"),  # ſ folds to s
        ("I sent 5 BTC\n\tON Mon, Support WROTE:\nour answer", "I sent 5 BTC"),
        # A Chinese "wrote" anywhere in the line ("… 于 … 写道："), and a header over ">" lines.
        ("提币没到账\n张三 于 2026年11月1日 写道：\n我们的回复", "提币没到账"),
        ("提币没到账\n在 2026年11月1日，客服 写道：\n> 我们的回复\n补充：TXID abc", "提币没到账\n补充：TXID abc"),
        # A forwarded message is kept with everything after it.
        (
            "see below\n---------- Forwarded message ---------\nFrom: wallet\n> x",
            "see below\n---------- Forwarded message ---------\nFrom: wallet\n> x",
        ),
    ],
)
def test_marker_lines_are_found(text: str, expected: str) -> None:
    assert new_text(text) == expected


def test_interleaved_quotes_are_dropped_and_answers_kept() -> None:
    text = "On Mon, Support wrote:\n> question one\nanswer one\n  > question two\nanswer two\n--\nLi"
    assert new_text(text) == "answer one\nanswer two"
