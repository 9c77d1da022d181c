"""new_text on replies as mail clients write them, and on the labelled extraction corpus."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import pytest

from inboxd.parse import parse_message
from inboxd.quotes import new_text
from tests.conftest import ROOT

CASES = tomllib.loads((ROOT / "tests" / "fixtures" / "replies.toml").read_text(encoding="utf-8"))["case"]
EXTRACTION = ROOT / "benchmarks" / "data" / "extraction"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_client_reply(case: dict[str, Any]) -> None:
    out = new_text(str(case["text"]))
    for keep in case["keep"]:
        assert keep in out, f"{case['client']}: lost {keep!r}"
    for drop in case["drop"]:
        assert drop not in out, f"{case['client']}: kept {drop!r}"


@pytest.mark.parametrize(
    "line",
    ["来自手机端的提币失败了", "Sent from my Binance account 500 USDT to my wallet", "From: Binance"],
)
def test_customer_lines_that_look_like_footers_are_kept(line: str) -> None:
    assert line in new_text(f"Hello,\n{line}\nplease check.")


def _labelled_values(label: dict[str, list[dict[str, str] | str]]) -> list[str]:
    return [
        item if isinstance(item, str) else item["value"]
        for key in ("tx_ids", "order_ids", "addresses", "account_ids")
        for item in label[key]
    ]


def test_quoted_values_do_not_leak_on_the_extraction_corpus() -> None:
    """Mails with quoted history hold unlabelled values in the quote: none may reach new_text."""
    token = re.compile(r"[A-Za-z0-9]{20,}")
    checked = 0
    for line in (EXTRACTION / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        if not label["has_quoted_history"]:
            continue
        mail = parse_message((EXTRACTION / "mails" / label["file"]).read_bytes())
        values = _labelled_values(label)
        assert all(v in mail.new_text for v in values), label["file"]
        if "negative: nothing to extract" in label["notes"]:
            continue  # look-alike values in the customer's own words, unlabelled on purpose
        labelled = "\n".join(values + [s["text"] for s in label["secrets"]])
        leaked = [t for t in token.findall(mail.new_text) if t not in labelled]
        assert not leaked, f"{label['file']} ({label['notes'][:40]}): {leaked}"
        checked += 1
    assert checked >= 60


def test_quoted_lines_go_but_a_forwarded_message_keeps_its_own() -> None:
    """The ">" lines of the reply are dropped, those of the message it forwards kept as they are,
    and the lines between two quote headers stay new text."""
    text = (
        "Hi,\n> your last answer\nsee below\n  > indented quote\n"
        "On Mon, 1 Dec 2026 Support <support@exchange.example> wrote:\n> quoted 1\n> quoted 2\nmy answer\n"
        "---------- Forwarded message ---------\nFrom: x@phish.example\n> their quote\nclick here"
    )
    out = new_text(text)
    assert out == (
        "Hi,\nsee below\nmy answer\n---------- Forwarded message ---------\n"
        "From: x@phish.example\n> their quote\nclick here"
    )
