"""The JSON the store's columns hold, and only here: facts, lists of field names, event payloads.

Outside the store a mail's and a ticket's facts are `Facts` values and a webhook payload is a
dict; the store writes them as JSON text and reads them back. The format is the one every
earlier version wrote (rows written then still read), so it is spelled out here field by
field rather than derived from the dataclasses: renaming a field of `Facts` must not change
what is stored. A secret's text and place are never stored, only its kind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from inboxd.values import AccountId, Amount, EventTime, Facts, Secret, TxId, WalletAddress


def _facts_data(facts: Facts) -> dict[str, Any]:
    return {
        "tx_ids": [{"value": t.value, "chain": t.chain} for t in facts.tx_ids],
        "order_ids": list(facts.order_ids),
        "amounts": [{"value": a.value, "asset": a.asset, "network": a.network} for a in facts.amounts],
        "times": [
            {"text": t.text, "value": t.value.isoformat() if t.value else None, "precision": t.precision}
            for t in facts.times
        ],
        "account_ids": [{"kind": a.kind, "value": a.value} for a in facts.account_ids],
        "addresses": [{"value": a.value, "chain": a.chain, "valid": a.valid} for a in facts.addresses],
        "secrets": [{"kind": s.kind} for s in facts.secrets],
    }


def facts_json(facts: Facts, lookalikes: Sequence[str] = ()) -> str:
    """A `facts` column: the facts, and for a mail the look-alike domains it links to (the server
    sync flags the mail by them; a ticket's facts have none)."""
    data = _facts_data(facts)
    if lookalikes:
        data["lookalikes"] = list(lookalikes)
    return json.dumps(data, ensure_ascii=False)


def _facts_of_data(data: Mapping[str, Any]) -> Facts:
    # `.get` with defaults: rows written before a key or a field existed still read.
    return Facts(
        tx_ids=tuple(TxId(t["value"], t["chain"]) for t in data.get("tx_ids", [])),
        order_ids=tuple(data.get("order_ids", [])),
        amounts=tuple(Amount(a["value"], a["asset"], a.get("network")) for a in data.get("amounts", [])),
        times=tuple(
            EventTime(
                t["text"], datetime.fromisoformat(t["value"]) if t.get("value") else None, t.get("precision", "minute")
            )
            for t in data.get("times", [])
        ),
        account_ids=tuple(AccountId(a["kind"], a["value"]) for a in data.get("account_ids", [])),
        addresses=tuple(WalletAddress(a["value"], a["chain"], a["valid"]) for a in data.get("addresses", [])),
        # Only the kind was stored: the secret comes back with an empty place (0, 0).
        secrets=tuple(Secret(str(s["kind"]), 0, 0) for s in data.get("secrets", [])),
    )


def facts_of(text: str | None) -> Facts:
    """A `facts` column as Facts (an empty or NULL column: no facts)."""
    return _facts_of_data(json.loads(text or "{}"))


def mail_flags(text: str | None) -> tuple[bool, bool]:
    """A mail's `facts` column read for the server sync: whether the mail carried a customer secret,
    and whether it links to a look-alike domain."""
    data = json.loads(text or "{}")
    return bool(data.get("secrets")), bool(data.get("lookalikes"))


def missing_json(missing: Sequence[str]) -> str:
    """A `missing` column: the field names, as a JSON list."""
    return json.dumps(list(missing))


def missing_of(text: str | None) -> tuple[str, ...]:
    """A `missing` column (a JSON list of field names) as a tuple."""
    return tuple(json.loads(text or "[]"))


def payload_of(text: str) -> dict[str, Any]:
    """A webhook event's stored payload (inboxd.webhooks.encode's text) as the dict it was built from."""
    data: dict[str, Any] = json.loads(text)
    return data
