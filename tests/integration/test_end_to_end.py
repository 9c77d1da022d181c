"""The whole pipeline against a real Dovecot and a real SMTP server on loopback.

Acknowledgements are counted from the SMTP server's own record of what it
accepted, and mailbox state is read back from Dovecot with the standard
library's imaplib — not from inboxd's own store.
"""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from inboxd import pipeline
from inboxd.compose import open_store, poll_once
from inboxd.store import Store
from tests.conftest import Servers, marks, write_config

pytestmark = pytest.mark.integration

ACKED = {
    "en_withdrawal_complete.eml": ("<CAF8q2vXk3m0Jw9hQ1pZr7Lq8@mail.gmail.com>", "en"),
    "en_deposit_incomplete.eml": ("<5E0C1B7A-3D2F-4B8E-9A61-2C7F0D4E8B11@outlook.com>", "en"),
    "zh_gbk_deposit.eml": ("<202611211021330265918@qq.com>", "zh"),
    "zh_qp_account.eml": ("<6a1f2e3d.4b5c.18f2a9c3d7e.Coremail.wangqiang_1990@163.com>", "zh"),
    "zh_html_only.eml": ("<tencent_8F3A2B1C0D9E8F7A6B5C4D3E2F1A0B9C8D07@qq.com>", "zh"),
    "en_html_only_trade.eml": (
        "<AM0PR02MB5603C1D2E3F4A5B6C7D8E9F0A1B2@AM0PR02MB5603.eurprd02.prod.outlook.com>",
        "en",
    ),
    "en_account_2fa.eml": ("<0a1b2c3d4e5f@naver.example>", "en"),
    "zh_complaint.eml": ("<3b5e9a1c.2c4d.18f2b0e1a9c.Coremail.zhoulei_sz@126.com>", "zh"),
}
SKIPPED = ["auto_reply.eml", "bounce.eml", "newsletter.eml", "noreply.eml"]
BROKEN = ["hostile_nested.eml"]


def acks_by_original(servers: Servers) -> Counter[str]:
    return Counter(r["in_reply_to"] for r in servers.sink.received())


def test_each_mail_gets_exactly_one_ack_in_its_language(servers: Servers) -> None:
    names = list(ACKED) + SKIPPED + BROKEN
    servers.append(*names)
    servers.poll()

    received = servers.sink.received()
    counts = acks_by_original(servers)
    assert counts == Counter({mid: 1 for mid, _ in ACKED.values()})
    refs = {r["in_reply_to"]: r for r in received}
    for name, (message_id, language) in ACKED.items():
        record = refs[message_id]
        message = servers.sink.message(record)
        body = message.get_content()
        assert "[#INB-" in record["subject"], name
        assert message["Auto-Submitted"] == "auto-replied"
        assert message["X-Auto-Response-Suppress"] == "All"
        assert message_id in message["References"]
        assert message["Message-ID"].startswith("<inboxd.INB-")
        if language == "zh":
            assert "您好" in body and "助记词" in body, name
        else:
            assert "Hello" in body and "seed phrase" in body, name

    # Missing information is asked for, in the customer's language.
    zh_account = servers.sink.message(refs[ACKED["zh_qp_account.eml"][0]]).get_content()
    assert "账户信息：您的 UID" in zh_account
    en_deposit = servers.sink.message(refs[ACKED["en_deposit_incomplete.eml"][0]]).get_content()
    assert "Transaction hash or order ID:" in en_deposit and "Amount and coin:" in en_deposit
    complete = servers.sink.message(refs[ACKED["en_withdrawal_complete.eml"][0]]).get_content()
    assert "we still need" not in complete

    # Server state: keywords on every handled mail, the broken one quarantined, nothing lost.
    inbox = servers.messages("INBOX")
    quarantine = servers.messages("Quarantine")
    assert len(inbox) + len(quarantine) == len(names)
    assert len(quarantine) == 1
    (q_flags, q_raw) = next(iter(quarantine.values()))
    assert "$Inboxd-Quarantined" in q_flags and b"nested-60@evil.example" in q_raw
    by_id = {
        email.message_from_bytes(raw, policy=email.policy.compat32)["Message-ID"]: flags
        for flags, raw in inbox.values()
    }
    for name, (message_id, _) in ACKED.items():
        assert "$Inboxd-Acked" in by_id[message_id], name
    assert "$Inboxd-MissingInfo" in by_id[ACKED["zh_qp_account.eml"][0]]
    assert "$Inboxd-MissingInfo" not in by_id[ACKED["en_withdrawal_complete.eml"][0]]
    assert "$Inboxd-Account" in by_id[ACKED["en_account_2fa.eml"][0]]
    skipped = [flags for flags in by_id.values() if "$Inboxd-Skipped" in flags]
    assert len(skipped) == len(SKIPPED)
    for flags, _ in [*inbox.values(), *quarantine.values()]:
        assert "\\Deleted" not in flags
        assert "\\Seen" not in flags  # fetched with BODY.PEEK[]

    # A second poll sends nothing and changes nothing.
    servers.poll()
    assert len(servers.sink.received()) == len(received)


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing in inboxd catches it."""


def test_crash_between_send_and_commit_never_sends_twice(servers: Servers, monkeypatch: pytest.MonkeyPatch) -> None:
    servers.append("en_withdrawal_complete.eml", "zh_gbk_deposit.eml")
    app = servers.app()
    store = open_store(app.config)

    def die(ack_id: int, then_attempt: int | None = None) -> bool:
        raise Crash

    monkeypatch.setattr(store, "mark_sent", die)
    with pytest.raises(Crash):
        poll_once(app, store)
    store.close()
    assert len(servers.sink.received()) == 1  # the first ack went out, then the "crash"

    servers.poll()  # restart: a new process, a new store connection
    servers.poll()
    counts = acks_by_original(servers)
    assert set(counts.values()) == {1}
    assert len(counts) == 2  # the second mail was acknowledged after the restart

    # The crashed one is listed for a human, and flagged on the server.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "inboxd",
            "--config",
            str(servers.config_path),
            "acks",
            "list",
            "--state",
            "unknown",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    (unknown,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert unknown["to"] == "dan.whitaker84@gmail.com"
    flags = [f for f, _ in servers.messages().values()]
    assert sum("$Inboxd-AckUnknown" in f for f in flags) == 1
    assert sum("$Inboxd-Acked" in f for f in flags) == 1


def test_crash_after_decision_before_send_sends_once_after_restart(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    servers.append("en_account_2fa.eml")
    app = servers.app()
    store = open_store(app.config)

    def die(ack_ids: list[int]) -> list[int]:
        raise Crash

    monkeypatch.setattr(store, "reserve_sending", die)
    with pytest.raises(Crash):
        poll_once(app, store)
    store.close()
    assert servers.sink.received() == []
    assert not any(marks(flags) for flags, _ in servers.messages().values())  # not marked before it is handled

    servers.poll()
    assert len(servers.sink.received()) == 1
    (flags,) = [f for f, _ in servers.messages().values()]
    assert "$Inboxd-Acked" in flags


def test_a_crash_in_a_reserved_group_leaves_only_the_ack_in_flight_unknown(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three acks are reserved in one durable commit; the process dies as it hands the second to
    SMTP. The first went out; the second may have (unknown, for a human); the third never did
    and is sent after the restart. Nothing twice."""
    servers.append("en_withdrawal_complete.eml", "zh_gbk_deposit.eml", "en_account_2fa.eml")
    app = servers.app()
    store = open_store(app.config)
    passes = {"before_send": 0}

    def point(name: str) -> None:
        if name == "before_send":
            passes[name] += 1
            if passes[name] == 2:
                raise Crash

    monkeypatch.setattr(pipeline.faults, "point", point)
    with pytest.raises(Crash):
        poll_once(app, store)
    store.close()
    assert len(servers.sink.received()) == 1

    servers.poll()
    servers.poll()
    counts = acks_by_original(servers)
    assert len(counts) == 2 and set(counts.values()) == {1}
    flags = [f for f, _ in servers.messages().values()]
    assert sum("$Inboxd-Acked" in f for f in flags) == 2
    assert sum("$Inboxd-AckUnknown" in f for f in flags) == 1


def test_crash_before_the_decision_is_committed_handles_the_mail_on_restart(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    servers.append("zh_qp_account.eml", "en_html_only_trade.eml")
    app = servers.app()
    store = open_store(app.config)
    real = store.record_decision
    calls = {"n": 0}

    def die_on_second(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "record_decision", die_on_second)
    with pytest.raises(Crash):
        poll_once(app, store)
    store.close()
    # Each decision is its own commit: the first mail's was committed, and its ack may have
    # gone out before the "crash"; the second mail's was not, and nothing went to its sender.
    assert len(servers.sink.received()) <= 1
    assert all(m["rcpt_tos"] != ["m.kovac@outlook.com"] for m in servers.sink.received())

    servers.poll()
    assert len(acks_by_original(servers)) == 2
    assert set(acks_by_original(servers).values()) == {1}


def test_smtp_down_then_back(servers: Servers) -> None:
    servers.append("en_account_2fa.eml", "zh_complaint.eml")
    servers.sink.stop()
    servers.poll()  # decisions are committed, acks stay pending
    assert not any(marks(flags) for flags, _ in servers.messages().values())
    store = Store(servers.config().store.path)
    assert {a.state for a in store.acks()} == {"pending"}
    with store._db.conn:  # make the retry due now instead of after the backoff
        store._db.conn.execute("UPDATE acks SET next_attempt_at = 0")
    store.close()

    servers.sink.start()
    servers.poll()
    assert len(acks_by_original(servers)) == 2
    assert all("$Inboxd-Acked" in flags for flags, _ in servers.messages().values())


def test_permanent_rejection_is_recorded_and_others_go_out(servers: Servers) -> None:
    servers.sink.mode.reject.add("sooah.kim@naver.example")
    servers.append("en_account_2fa.eml", "zh_complaint.eml")
    servers.poll()
    servers.poll()
    assert [r["rcpt_tos"] for r in servers.sink.received()] == [["zhoulei_sz@126.com"]]
    store = Store(servers.config().store.path, readonly=True)
    states = sorted(a.state for a in store.acks())
    assert states == ["failed", "sent"]
    (failed,) = store.acks("failed")
    assert failed.last_error is not None and "550" in failed.last_error
    # One mail each: refused for good, acknowledged (other keywords, e.g. $Inboxd-Escalated, may be there too).
    outcomes = sorted(("$Inboxd-AckFailed" in f, "$Inboxd-Acked" in f) for f, _ in servers.messages().values())
    assert outcomes == [(False, True), (True, False)]


def test_connection_dropped_after_data_is_unknown_not_resent(servers: Servers) -> None:
    servers.sink.mode.drop_after_data = 1
    servers.append("en_account_2fa.eml")
    servers.poll()
    servers.poll()
    assert len(servers.sink.received()) == 1  # the server has it; inboxd cannot know
    store = Store(servers.config().store.path, readonly=True)
    assert [a.state for a in store.acks()] == ["unknown"]


def test_cli_poll_dry_run_then_poll(servers: Servers) -> None:
    servers.append("en_deposit_incomplete.eml", "auto_reply.eml")
    base = [sys.executable, "-m", "inboxd", "--config", str(servers.config_path)]
    dry = subprocess.run([*base, "poll", "--dry-run", "--json"], capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0, dry.stderr
    preview = json.loads(dry.stdout)
    assert preview["dry_run"] is True
    actions = sorted((m["ack"] is not None, m["skip_reason"]) for m in preview["messages"])
    assert actions == [(False, "auto_reply"), (True, None)]
    assert servers.sink.received() == []
    assert not servers.config().store.path.exists()
    assert not any(marks(flags) for flags, _ in servers.messages().values())

    real = subprocess.run([*base, "poll", "--json"], capture_output=True, text=True, timeout=120)
    assert real.returncode == 0, real.stderr
    summary = json.loads(real.stdout)
    assert summary["totals"]["acks_sent"] == 1
    assert sorted(m["action"] for m in summary["messages"]) == ["ack", "skip"]
    # inboxd's own account of where the time went: every stage a mail passed through took some.
    stages = summary["totals"]["stages"]
    assert {"fetch", "parse", "redact", "classify", "decide", "render", "store", "send", "sync"} <= set(stages)
    assert all(stages[name] > 0 for name in ("fetch", "parse", "redact", "classify", "render", "store", "send"))
    assert sum(stages.values()) < summary["totals"]["seconds"]
    assert 0 < summary["totals"]["slowest_mail_seconds"] < stages["parse"] + stages["redact"] + stages["decide"]
    table = subprocess.run([*base, "poll"], capture_output=True, text=True, timeout=120)
    assert table.returncode == 0 and "No new messages." in table.stdout


def test_unreachable_imap_is_a_clean_failure(tmp_path: Path, model_path: Path, servers: Servers) -> None:
    from testbed.dovecot import free_port

    config = write_config(tmp_path / "down", model_path=model_path, imap_port=free_port())
    result = subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(config), "poll"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "cannot connect to IMAP" in result.stderr and "Traceback" not in result.stderr


def test_wrong_password_is_a_clean_failure(servers: Servers) -> None:
    (servers.config_path.parent / "imap-password").write_text("wrong\n")
    result = subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(servers.config_path), "poll"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "login" in result.stderr and "wrong" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_tls_and_starttls(servers: Servers, tmp_path: Path, model_path: Path, security: str) -> None:
    port = servers.dovecot.tls_port if security == "tls" else servers.dovecot.port
    config = write_config(
        tmp_path / security,
        model_path=model_path,
        imap_port=port,
        imap_user=servers.user,
        smtp_port=servers.sink.port,
        security=security,
        cert=servers.dovecot.cert,
    )
    servers.append("zh_html_only.eml")
    servers.config_path = config
    servers.poll()
    assert len(servers.sink.received()) == 1


def test_lease_blocks_a_second_poller(servers: Servers) -> None:
    from inboxd.compose import lease_name

    servers.append("zh_html_only.eml")
    store = open_store(servers.config())
    assert store.acquire_lease(lease_name(servers.config()), "other-host:1:abc", 300)
    store.close()
    result = subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(servers.config_path), "poll"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    assert "other-host:1:abc" in result.stderr
    assert servers.sink.received() == []


def test_move_to_category_folders(servers: Servers, tmp_path: Path, model_path: Path) -> None:
    config = write_config(
        tmp_path / "move",
        model_path=model_path,
        imap_port=servers.dovecot.port,
        imap_user=servers.user,
        smtp_port=servers.sink.port,
        sections={"imap": {"move_to_category_folders": True}},
    )
    servers.config_path = config
    servers.append("en_account_2fa.eml", "auto_reply.eml")
    servers.poll()
    moved = servers.messages("Support/Account")
    assert len(moved) == 1
    ((flags, _),) = moved.values()
    assert {"$Inboxd-Acked", "$Inboxd-Account"} <= flags
    (left,) = servers.messages("INBOX").values()
    assert "$Inboxd-Skipped" in left[0]
