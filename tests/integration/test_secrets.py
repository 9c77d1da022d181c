"""Customer secrets end to end: redacted before the store, the logs and the acks; the mail moved aside.

Runs the 182 labelled support mails of benchmarks/data/extraction (seed phrases in
English and Chinese, private keys, passwords, 2FA backup codes, in every layout
customers paste them) through a real poll, then greps the SQLite files, the JSON
logs, the command output and every acknowledgement the SMTP server received for
each secret — the whole text, and for seed phrases every run of four words.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from inboxd.store import Store
from tests.conftest import ROOT, Servers

pytestmark = pytest.mark.integration

CORPUS = ROOT / "benchmarks" / "data" / "extraction"


def needles(secret: dict[str, str]) -> list[str]:
    text = secret["text"]
    found = [text]
    if secret["kind"] == "seed_phrase":
        words = re.findall(r"[^\W\d_]+", text)
        # Chinese wordlists have one-character words: a run of four is still specific.
        found += [" ".join(words[i : i + 4]) for i in range(len(words) - 3)]
        found += [
            "".join(words[i : i + 4]) for i in range(len(words) - 3) if all(len(w) == 1 for w in words[i : i + 4])
        ]
    return found


def test_no_secret_reaches_the_store_the_logs_or_a_customer(servers: Servers) -> None:
    labels = [json.loads(line) for line in (CORPUS / "labels.jsonl").read_text().splitlines()]
    servers.append(*[(CORPUS / "mails" / label["file"]).read_bytes() for label in labels])
    result = subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(servers.config_path), "--log-format", "json", "poll"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]

    store_path = servers.config().store.path
    stored = "".join(p.read_bytes().decode("utf-8", "replace") for p in store_path.parent.glob(store_path.name + "*"))
    sent = "".join(p.read_bytes().decode("utf-8", "replace") for p in (servers.sink.directory).glob("*.eml"))
    sent += "".join(servers.sink.message(r).get_content() for r in servers.sink.received())
    places = {"store": stored, "logs": result.stderr, "output": result.stdout, "acknowledgements": sent}
    secrets = [s for label in labels for s in label["secrets"]]
    assert len(secrets) >= 40
    leaks = [
        (where, secret["kind"], needle)
        for secret in secrets
        for needle in needles(secret)
        for where, text in places.items()
        if len(needle) >= 6 and needle in text
    ]
    assert leaks == []

    # Each mail with a secret: a security incident, urgent, moved out of the shared inbox, kept.
    with_secrets = {label["file"] for label in labels if label["secrets"]}
    restricted = servers.messages("Restricted")
    assert len(restricted) >= len(with_secrets) - 2  # a bounce or robot mail is not answered but still moved
    assert all("$Inboxd-Secret" in flags for flags, _ in restricted.values())
    total = sum(len(servers.messages(f)) for f in servers.dovecot.folders(servers.user))
    assert total == len(labels)  # nothing deleted
    store = Store(store_path, readonly=True)
    incidents = [t for t in store.tickets() if t.security_incident]
    assert incidents and all(t.priority == "urgent" and t.escalated for t in incidents)
    for ack in store.acks():
        if ack.ticket_ref in {t.ref for t in incidents} and ack.kind == "ack":
            # The incident variant: what to do now, in the customer's language.
            assert "IMPORTANT: your message contained" in ack.mail.body or "重要提醒" in ack.mail.body


def test_secret_in_a_followup_is_redacted_and_escalates(servers: Servers, tmp_path: Path) -> None:
    servers.append("en_withdrawal_complete.eml")
    result = subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(servers.config_path), "poll"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    (ack,) = servers.sink.received()
    phrase = "abandon ability able about above absent absorb abstract absurd abuse access accident"
    reply = (
        f"From: Daniel Whitaker <dan.whitaker84@gmail.com>\r\nTo: support@exchange.test\r\n"
        f"Subject: Re: {ack['subject']}\r\nMessage-ID: <r1@gmail.com>\r\nIn-Reply-To: {ack['message_id']}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nHere is my wallet recovery phrase so you can check: {phrase}\r\n"
    ).encode()
    servers.append(reply)
    result = subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(servers.config_path), "--log-format", "json", "poll"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    store_path = servers.config().store.path
    stored = "".join(p.read_bytes().decode("utf-8", "replace") for p in store_path.parent.glob(store_path.name + "*"))
    assert "absorb abstract absurd" not in stored and "absorb abstract absurd" not in result.stderr
    (ticket,) = Store(store_path, readonly=True).tickets()
    assert ticket.security_incident and ticket.priority == "urgent"
    (flags, _) = next(iter(servers.messages("Restricted").values()))
    assert {"$Inboxd-Secret", "$Inboxd-FollowUp", "$Inboxd-Escalated"} <= flags
