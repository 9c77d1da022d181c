"""The `--json` output of the commands that read the store: the keys (in order) and value types
that scripts rely on, kept as they were when the store began to return typed rows."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from inboxd.cli import main
from inboxd.config import load_config
from inboxd.store import Store
from tests.conftest import write_config
from tests.unit.test_store_rows import STORED_FACTS, seed

# The columns of the tickets table, in its order: `ticket list --json` has always printed them all.
TICKET_KEYS = [
    "id", "ref", "customer", "subject", "category", "language", "state", "priority", "missing", "created_at",
    "updated_at", "subject_key", "facts", "escalated", "escalation_reason", "security_incident", "resolved_at",
    "last_customer_at", "sender_verdict", "notice", "closed_at", "first_response_due", "resolution_due",
    "first_response_at", "sla_due", "sla_breach", "sla_breached_at",
]  # fmt: skip


def _config(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    path = write_config(
        tmp_path / "cfg", model_path=tmp_path / "no-model.npz", sections={"schedule": {"interval_seconds": 3600}}
    )
    config = load_config(path)
    assert config.store.path is not None
    config.store.path.parent.mkdir(parents=True)
    store = Store(config.store.path)
    try:
        ids = seed(store, config.account)
    finally:
        store.close()
    return path, ids


def _run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    return result.exit_code, result.output


def test_ticket_list_and_show_json(tmp_path: Path) -> None:
    config, ids = _config(tmp_path)
    code, output = _run(config, "ticket", "list", "--json")
    assert code == 0, output
    (line,) = output.splitlines()
    listed = json.loads(line)
    assert list(listed) == [*TICKET_KEYS, "sla"]
    # Flags as 0 and 1, lists as lists, the facts as the store keeps them.
    assert listed["escalated"] == 1 and listed["security_incident"] == 1 and listed["notice"] is None
    assert listed["missing"] == ["tx_id", "amount"] and listed["facts"] == json.loads(STORED_FACTS)
    assert listed["facts"]["secrets"] == [{"kind": "seed_phrase"}]
    assert f'"facts": {STORED_FACTS}, ' in line  # byte for byte, keys in their order
    assert listed["sla"].startswith("overdue: first response due ")

    code, output = _run(config, "ticket", "show", "INB-000001", "--json")
    assert code == 0, output
    shown = json.loads(output)
    assert list(shown) == [*TICKET_KEYS, "messages", "acks", "events", "sla"]
    assert {k: shown[k] for k in TICKET_KEYS} == {k: listed[k] for k in TICKET_KEYS}
    (mail,) = shown["messages"]
    assert list(mail) == ["id", "folder", "uid", "message_id", "sender", "reply_to", "sender_verdict",
                          "sender_evidence", "subject", "action", "role", "category", "escalation", "created_at"]  # fmt: skip
    assert mail["id"] == ids["mail"] and mail["uid"] == 7 and mail["role"] == "new"
    (ack,) = shown["acks"]
    assert list(ack) == ["id", "kind", "to_addr", "subject", "state", "attempts", "last_error", "created_at", "sent_at"]
    assert ack["id"] == ids["ack"] and ack["attempts"] == 0
    assert shown["events"] == [
        {"at": 110.0, "kind": "opened", "detail": "deposit_withdrawal", "message_row": ids["mail"]},
        {"at": 130.0, "kind": "note", "detail": "checked", "message_row": None},
    ]
    assert _run(config, "ticket", "show", "INB-404", "--json")[0] == 1


def test_quarantine_list_json(tmp_path: Path) -> None:
    config, ids = _config(tmp_path)
    code, output = _run(config, "quarantine", "list", "--json")
    assert code == 0, output
    (line,) = output.splitlines()
    assert json.loads(line) == {
        "id": ids["quarantined"], "account": load_config(config).account, "folder": "INBOX", "uidvalidity": 1,
        "uid": 8, "message_id": None, "content_hash": "h8", "size": 9000000, "sender": None, "subject": None,
        "reason": "too large", "created_at": 120.0,
    }  # fmt: skip
    assert list(json.loads(line))[:3] == ["id", "account", "folder"]


def test_status_json(tmp_path: Path) -> None:
    config, _ = _config(tmp_path)
    code, output = _run(config, "status", "--json")
    assert code == 0, output
    (mailbox,) = json.loads(output)["mailboxes"]
    assert list(mailbox) == ["mailbox", "account", "folder", "last_poll_at", "last_success_at", "last_error",
                             "backlog", "lease_holder", "healthy", "acks_pending", "quarantined"]  # fmt: skip
    assert (mailbox["backlog"], mailbox["healthy"], mailbox["acks_pending"], mailbox["quarantined"]) == (4, True, 1, 1)
