"""Parsing and redaction in worker processes give what they give in place, in order; the pool is
only started for a burst, and is shut down when the tick's `with` ends."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from inboxd import faults
from inboxd.compose import App
from inboxd.config import LimitsConfig
from inboxd.extract import facts_of_mail
from inboxd.parse import parse_message
from inboxd.redact import redact_mail
from inboxd.triage import examine
from inboxd.values import MailSummary, ParseLimits
from inboxd.workers import MIN_BACKLOG_FOR_POOL, InProcess, WorkerPool, for_the_tick, prepare, preparer

EML = Path(__file__).resolve().parents[1] / "fixtures" / "eml"
SECRET = (
    b"From: Customer <c@example.com>\r\nTo: support@exchange.test\r\nSubject: help\r\n"
    b"Message-ID: <s1@example.com>\r\n\r\nMy login password is Hunter2!xyz and I cannot log in.\r\n"
)


def hashed(raw: bytes) -> tuple[bytes, str]:
    return raw, hashlib.sha256(raw).hexdigest()


def raws() -> list[tuple[bytes, str]]:
    mails = [path.read_bytes() for path in sorted(EML.glob("*.eml"))]
    return [hashed(m) for m in [*mails, SECRET, b"\x00\xff not a mail at all", *mails]]


def test_workers_give_what_the_main_process_gives_in_order() -> None:
    limits = LimitsConfig()
    mails = raws()
    here = InProcess(limits).start(mails)()
    pool = WorkerPool(2, limits)
    try:
        there = pool.start(mails)()
    finally:
        pool.close()
    assert [(r.mail, r.error, r.internal) for r in there] == [(r.mail, r.error, r.internal) for r in here]
    secret = there[mails.index(hashed(SECRET))]
    assert secret.mail is not None and "Hunter2" not in secret.mail.text and secret.mail.redacted


def test_chunks_no_worker_has_started_are_prepared_here_in_order(offline_app: App) -> None:
    """The tick does not wait idle for a worker: the chunks of a batch that no worker has started
    when their results are asked for are taken back and prepared in this process. One worker takes
    at most two chunks ahead (the running one and one queued), so of the six chunks asked for at
    once most are taken back; the results are those of preparing every mail here, in order."""
    settings = offline_app.policy.triage
    mails = (raws() * 6)[:60]
    here = InProcess(LimitsConfig(), settings).start(mails)()
    pool = WorkerPool(1, LimitsConfig(), settings)
    try:
        there = pool.start(mails)()
        assert pool.taken_back >= 60 - 2 * 15 and pool.taken_back % 15 == 0  # 60 // 4: chunks of 15
        again = pool.start(mails)()  # the worker, started now, takes part
    finally:
        pool.close()
    # Taken back or from a worker, a mail comes as the pool gives it to the tick: findings, no whole mail.
    given = [for_the_tick(r) for r in here]
    assert [(r.mail, r.error, r.found) for r in there] == [(r.mail, r.error, r.found) for r in given]
    assert [(r.mail, r.error, r.found) for r in again] == [(r.mail, r.error, r.found) for r in given]
    isolated = WorkerPool(1, LimitsConfig(), settings, take_back=False)
    try:
        alone = isolated.start(mails)()
    finally:
        isolated.close()
    assert isolated.taken_back == 0
    assert [(r.mail, r.error, r.found) for r in alone] == [(r.mail, r.error, r.found) for r in given]


def test_a_mail_read_in_a_worker_is_read_as_in_place(offline_app: App) -> None:
    # Facts, language, links, phishing cues and screening are computed once, in the worker: what
    # comes back is what reading the redacted mail in this process gives.
    settings = offline_app.policy.triage
    mails = raws()
    pool = WorkerPool(2, LimitsConfig(), settings)
    try:
        there = pool.start(mails)()
    finally:
        pool.close()
    here = InProcess(LimitsConfig(), settings).start(mails)()
    read = [(r.found, mail) for r, mail in zip(there, [r.mail for r in here], strict=True) if r.found is not None]
    assert read and all(mail is not None and found == examine(mail, settings) for found, mail in read)
    assert all(
        mail is not None and found.facts == facts_of_mail(mail, settings.facts)
        for found, mail in read
        if not found.screening.skip_reason
    )
    read_only = [found for found, _ in read]
    assert any(found.facts.tx_ids or found.facts.amounts for found in read_only)
    assert any(found.links for found in read_only) and any(found.language == "zh" for found in read_only)
    assert all(r.found is None for r in InProcess(LimitsConfig()).start(mails)())  # not asked for: parsed only


def test_the_tick_gets_what_it_reads_of_a_mail_not_the_whole_mail(offline_app: App) -> None:
    """What the pool sends back carries the mail's summary (every field deciding, storing and answering
    read, with the mail's values), not its text, headers, hrefs, attachments or forwarded parts; in
    place, the whole mail is there too."""
    settings = offline_app.policy.triage
    mails = raws()
    here = InProcess(LimitsConfig(), settings).start(mails)()
    pool = WorkerPool(1, LimitsConfig(), settings, take_back=False)
    try:
        there = pool.start(mails)()
    finally:
        pool.close()
    names = [f.name for f in dataclasses.fields(MailSummary)]
    for mine, theirs in zip(here, there, strict=True):
        assert theirs.mail is None and (theirs.found is None) == (theirs.error is not None)
        if mine.mail is None:
            continue
        assert mine.found is not None and theirs.found is not None and theirs.found == mine.found
        assert isinstance(theirs.found.mail, MailSummary)
        assert [getattr(theirs.found.mail, n) for n in names] == [getattr(mine.mail, n) for n in names]
    slim = pickle.dumps([r.found for r in there])
    whole = pickle.dumps([(r.mail, r.found) for r in here])
    assert len(slim) < len(whole) / 2


def test_reading_refuses_a_mail_that_was_not_redacted(offline_app: App) -> None:
    mail = parse_message(SECRET)
    with pytest.raises(ValueError, match="redacted"):
        examine(mail, offline_app.policy.triage)
    found = examine(redact_mail(mail)[0], offline_app.policy.triage)
    assert "Hunter2" not in found.text and found.mail.secrets


def test_a_parse_error_is_reported_not_raised() -> None:
    result = prepare(b"", LimitsConfig(max_text_chars=1000))
    assert (result.mail is None) == (result.error is not None)


def test_the_workers_limits_are_all_of_the_limits_section() -> None:
    assert set(ParseLimits.__dataclass_fields__) == set(LimitsConfig.model_fields)
    assert ParseLimits.of(LimitsConfig(max_headers=42)).max_headers == 42


def test_a_worker_loads_no_config_schema() -> None:
    """What a worker unpickles and imports leaves pydantic out (~13 MiB per worker), and dkimpy with
    dnspython (~5 MiB; only the main process verifies DKIM, and only when asked to)."""
    limits = pickle.dumps(ParseLimits.of(LimitsConfig(max_mime_parts=77)))
    code = (
        "import pickle, sys; import inboxd.workers; "
        f"limits = pickle.loads({limits!r}); assert limits.max_mime_parts == 77; "
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'inboxd.config', 'sklearn', 'dkim', 'dns'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_pool_only_for_a_burst_and_closed_afterwards() -> None:
    limits = LimitsConfig()
    with preparer(2, limits, MIN_BACKLOG_FOR_POOL - 1) as small:
        assert isinstance(small, InProcess)
    with preparer(0, limits, 10_000) as none:
        assert isinstance(none, InProcess)
    with preparer(1, limits, MIN_BACKLOG_FOR_POOL) as one:
        assert isinstance(one, WorkerPool) and one.take_back
        assert len(one._executor._processes) <= 1
    with preparer(1, limits, MIN_BACKLOG_FOR_POOL, take_back=False) as isolated:
        assert isinstance(isolated, WorkerPool) and not isolated.take_back
    with preparer(2, limits, MIN_BACKLOG_FOR_POOL) as burst:
        assert isinstance(burst, WorkerPool)
        assert len(burst.start([hashed(SECRET)])()) == 1
        processes = list(burst._executor._processes.values())  # type: ignore[union-attr]
        assert processes and all(p.is_alive() for p in processes)
    assert not any(p.is_alive() for p in processes)  # shut down when the tick ends


def test_a_mail_that_kills_its_worker_is_quarantined_and_the_pool_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker dying (here: SIGKILL at the `parsing` point, as the OOM killer would) breaks the
    pool; each mail of the batch is parsed again alone, and the one that kills again is refused
    with that reason instead of failing every tick for ever."""
    limits = LimitsConfig()
    pool = WorkerPool(2, limits, take_back=False)  # every mail in a worker: what dies is a worker
    try:
        monkeypatch.setenv(faults.ENV, "parsing=1")  # spawned processes inherit it
        dead = pool.start([hashed(SECRET), hashed(SECRET)])()
        assert [(r.mail, r.internal) for r in dead] == [(None, False), (None, False)]
        assert all(r.error and "killed the process" in r.error for r in dead)
        monkeypatch.delenv(faults.ENV)
        alive = pool.start([hashed(SECRET)])()  # a new pool took the broken one's place
        assert alive[0].mail is not None and alive[0].mail.redacted
    finally:
        pool.close()


def test_the_claims_hash_is_the_parsed_mails_hash_not_a_second_one() -> None:
    """The pipeline hashes each mail to claim it; the parse takes that digest instead of hashing again."""
    digest = "ab" * 32
    no_id = b"From: c@example.com\r\nTo: support@exchange.test\r\nSubject: hi\r\n\r\nhello\r\n"
    (here,) = InProcess(LimitsConfig()).start([(no_id, digest)])()
    assert here.mail is not None and here.mail.content_hash == digest
    assert here.mail.message_id == f"<{digest[:32]}@inboxd.invalid>"
    alone = prepare(no_id, ParseLimits.of(LimitsConfig()))
    assert alone.mail is not None and alone.mail.content_hash == hashlib.sha256(no_id).hexdigest()
