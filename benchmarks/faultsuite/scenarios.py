"""The faults. Each scenario runs once in a fresh world and returns its Tally.

A scenario breaks something while `inboxd run` works through the mailbox, lets the
daemon (or a restarted one) finish, and then hands the servers' state to `verify`.
Besides the invariants, each checks what its fault must look like from outside:
exit codes, the daemon staying alive through a transient failure, clear messages.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from inboxd import faults, webhooks
from inboxd.config.login import SmtpConfig
from testbed.dovecot import free_port
from testbed.hookreceiver import HookReceiver

from .mailgen import Mail
from .verify import Tally, check, listed_unknown
from .world import ROOT, GarbageServer, World, wait_for

SETTLE_TIMEOUT = 600.0

# How often each point is passed, per mail: kill probabilities are set from it so that a
# restart usually dies somewhere inside a wave of mail, not at its first step nor never.
PASSES_PER_MAIL = {
    "fetched": 1.0,
    "claimed": 1.0,
    "before_decision": 1.0,
    "after_decision": 1.0,
    "reserved": 0.05,  # once per group of up to 16 acks committed as `sending`
    "before_send": 0.8,
    "after_send": 0.8,
    "keywords": 0.15,  # once per keyword set per batch of 25
    "before_move": 0.04,  # once per batch that holds quarantined or secret-bearing mail
    "after_move": 0.04,
    "before_checkpoint": 0.04,  # once per batch
}
# The stages the issue names; a kill run that missed one of them is extended until it has one.
REQUIRED_STAGES = ("fetched", "before_decision", "after_send", "keywords")


class Skip(Exception):
    """The scenario cannot run here (e.g. no permission to mount a tmpfs)."""


@dataclass
class Suite:
    root: Path
    model: Path
    mails: list[Mail]
    seed: int
    quick: bool
    baseline: dict[str, str] | None = None
    stages: Counter[str] = field(default_factory=Counter)

    def world(self, name: str, **kwargs: object) -> World:
        return World(self.root / name, self.model, **kwargs).start()  # type: ignore[arg-type]

    def rng(self, name: str, run: int) -> random.Random:
        return random.Random(f"{self.seed}/{name}/{run}")


# -- shared steps --------------------------------------------------------------------------------


def settle(world: World, name: str, timeout: float = SETTLE_TIMEOUT) -> list[str]:
    """Let the running daemons (or a fresh one) finish everything, then stop them with SIGTERM."""
    problems = []
    alive = [d for d in world.daemons if d.alive()]
    if not alive and not world.settled():
        alive = [world.daemon(name)]
    if alive:
        if not wait_for(lambda: world.settled() or not any(d.alive() for d in alive), timeout, step=0.5):
            problems.append(f"not settled after {timeout:.0f} s: {world.store_progress()}")
        for daemon in alive:
            if not daemon.alive():
                problems.append(f"{daemon.name}: exited on its own with {daemon.process.returncode}")
                continue
            # SIGTERM before start-up completes kills Python outright: wait until it is running.
            wait_for(daemon.running, 120, step=0.2)
            code = daemon.terminate()
            if code != 0:
                problems.append(f"{daemon.name}: exit code {code} after SIGTERM (want 0)")
    return problems


def finish(
    suite: Suite,
    world: World,
    faults_made: int,
    mails: list[Mail],
    problems: list[str],
    expected_errors: str | None = None,
) -> Tally:
    """Settle, stop everything, and check the invariants for `mails`."""
    problems = list(problems)
    problems += settle(world, "final")
    for daemon in world.daemons:
        daemon.kill()
        problems += [p for p in daemon.problems() if not (expected_errors and expected_errors in p)]
    listed = world.cli("acks", "list", "--state", "unknown", "--json")
    if listed.returncode != 0:
        problems.append(f"inboxd acks list: exit {listed.returncode}: {listed.stderr.strip()[-300:]}")
    tally = check(
        {m.identity: m.raw for m in mails},
        world.sink.received(),  # type: ignore[arg-type]
        world.server_mail(),
        world.store_path,
        listed_unknown(listed.stdout) if listed.returncode == 0 else [],
        suite.baseline,
    )
    tally.faults = faults_made
    tally.violations = problems + tally.violations
    return tally


def wait_progress(world: World, decided: int, timeout: float = 300.0) -> bool:
    """Until the store has at least `decided` decided messages (or everything is done)."""

    def reached() -> bool:
        p = world.store_progress()
        return p is not None and p["decided"] >= decided

    return wait_for(lambda: reached() or world.settled(), timeout, step=0.05)


def started(daemon_alive: Callable[[], bool], running: Callable[[], bool], timeout: float = 120.0) -> bool:
    return wait_for(lambda: running() or not daemon_alive(), timeout, step=0.1) and daemon_alive()


def logged_at(event: dict[str, object]) -> float:
    """The time of a JSON log line (second precision, as inboxd writes it)."""
    return datetime.strptime(str(event["time"]), "%Y-%m-%dT%H:%M:%S%z").timestamp()


def logged(world: World, pattern: str) -> bool:
    regex = re.compile(pattern)
    return any(regex.search(d.log_path.read_text(errors="replace")) for d in world.daemons)


def during(
    suite: Suite,
    world: World,
    fault: Callable[[World, int], int],
    cuts: int,
    check: Callable[[World, Tally], None] | None = None,
    early: bool = False,
    at: float = 0.0,
) -> Tally:
    """Run one daemon while mail arrives in waves; hit it with `fault(world, i)` inside each wave.

    Each fault lands while the daemon is busy with fresh mail: a few mails into the wave, or
    the fraction `at` of it (the SMTP sink answers in 50 ms, as a real relay does, so a wave
    takes a while).
    `early` calls it as soon as the wave is delivered instead (it waits for its moment itself).
    `fault` returns how many faults it caused; the daemon must survive every one of them.
    `check` adds the scenario's own findings; then the world is closed.
    """
    try:
        world.sink.mode.delay_seconds = max(world.sink.mode.delay_seconds, 0.05)
        daemon = world.daemon(f"{world.root.name}-daemon")
        problems: list[str] = []
        if not started(daemon.alive, daemon.running):
            problems.append(f"{daemon.name}: did not start: {daemon.log_path.read_text()[-500:]}")
        waves = max(1, cuts)
        size = -(-len(suite.mails) // waves)
        count = delivered = 0
        for i in range(waves):
            wave = suite.mails[i * size : (i + 1) * size]
            world.deliver(m.raw for m in wave)
            if i < cuts:
                if not early:
                    wait_progress(world, delivered + max(min(5, len(wave) // 4), int(len(wave) * at)))
                ticks = daemon.ticks()
                count += fault(world, i)
                # It must get over it: a whole tick done after the fault (the backoff reset).
                if not wait_for(lambda n=ticks: daemon.ticks() > n or not daemon.alive(), 180, step=0.2):  # type: ignore[misc]
                    problems.append(f"{daemon.name}: no tick completed within 180 s of fault {i + 1}")
            delivered += len(wave)
            if not daemon.alive():
                problems.append(f"{daemon.name}: died of the fault (exit {daemon.process.returncode})")
                break
        tally = finish(suite, world, count, suite.mails, problems)
        if check is not None:
            check(world, tally)
        return tally
    finally:
        world.close()


def count_rows(world: World, sql: str) -> int:
    conn = sqlite3.connect(f"file:{world.store_path}?mode=ro", uri=True)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def expect_logged(pattern: str, missing: str) -> Callable[[World, Tally], None]:
    def check(world: World, tally: Tally) -> None:
        if tally.faults and not logged(world, pattern):
            tally.notes.append(missing)

    return check


# -- the scenarios -------------------------------------------------------------------------------


def baseline(suite: Suite, run: int) -> Tally:
    """No fault at all: the reference every other run is compared with."""
    world = suite.world(f"baseline-{run}")
    try:
        world.deliver(m.raw for m in suite.mails)
        saved, suite.baseline = suite.baseline, None
        tally = finish(suite, world, 0, suite.mails, [])
        suite.baseline = saved if saved is not None else dict(tally.intents)
        return tally
    finally:
        world.close()


def kills(suite: Suite, run: int) -> Tally:
    """SIGKILL at random times and at named points (fetch, decision, send, keywords, move...).

    Mail arrives in small waves, each restart is set to die a few mails into its wave, and
    once the run has its kills (every required stage among them) the rest of the mail
    arrives at once for a clean daemon: the kill count does not hang on luck.
    """
    world = suite.world(f"kills-{run}")
    rng = suite.rng("kills", run)
    target = 6 if suite.quick else 24
    size = -(-len(suite.mails) // target)
    chunks = [suite.mails[i : i + size] for i in range(0, len(suite.mails), size)]
    kill_log = world.root / "kills.log"
    problems: list[str] = []
    random_kills = attempt = 0
    rotation = list(REQUIRED_STAGES) + rng.sample(
        [p for p in faults.POINTS if p not in REQUIRED_STAGES], len(faults.POINTS) - len(REQUIRED_STAGES)
    )

    def stage_kills() -> Counter[str]:
        return Counter(kill_log.read_text().split()) if kill_log.exists() else Counter()

    def missing_stages() -> list[str]:
        done = stage_kills()
        return [s for s in REQUIRED_STAGES if not done[s]]

    def enough() -> bool:
        return sum(stage_kills().values()) + random_kills >= target and not missing_stages()

    try:
        for index, chunk in enumerate(chunks):
            world.deliver(m.raw for m in chunk)
            while not world.settled() and not enough():
                attempt += 1
                if attempt % 3 == 0:
                    daemon = world.daemon(f"d{attempt}")
                    if started(daemon.alive, daemon.running):
                        time.sleep(rng.uniform(0.0, 0.8))
                        if not world.settled() and daemon.kill():
                            random_kills += 1
                    else:
                        problems.append(f"{daemon.name}: did not start")
                    daemon.kill()
                    continue
                todo = missing_stages()
                point = todo[0] if todo and attempt % 2 else rotation[attempt % len(rotation)]
                # About three kills' worth of chances per wave: it dies a few mails in.
                rate = round(min(1.0, 3 / (len(chunk) * PASSES_PER_MAIL[point])), 4)
                spec = f"{point}={rate},seed={suite.seed * 1000 + run * 100 + attempt},log={kill_log}"
                daemon = world.daemon(f"d{attempt}", faults=spec)
                wait_for(lambda d=daemon: not d.alive() or world.settled(), SETTLE_TIMEOUT, step=0.2)  # type: ignore[misc]
                if daemon.alive():
                    daemon.terminate()
                elif daemon.process.returncode != -signal.SIGKILL:
                    problems.append(f"{daemon.name}: exited with {daemon.process.returncode}, not by the fault")
            if enough():
                world.deliver(m.raw for rest in chunks[index + 1 :] for m in rest)
                break
        if not enough():
            problems.append(
                f"only {sum(stage_kills().values()) + random_kills} kills, stages missing: {missing_stages()}"
            )
        problems += settle(world, "after-kills")
        stages = stage_kills()
        stages["random time"] += random_kills
        suite.stages.update(stages)
        return finish(suite, world, sum(stages.values()), suite.mails, problems)
    finally:
        world.close()


def imap_restart(suite: Suite, run: int) -> Tally:
    """Dovecot is stopped while inboxd works (mid-fetch, mid-sync), then started again."""
    rng = suite.rng("imap-restart", run)

    def outage(w: World, i: int) -> int:
        w.dovecot.stop(sessions=True)
        time.sleep(rng.uniform(1.0, 4.0))
        w.dovecot.start()
        return 1

    def check(w: World, tally: Tally) -> None:
        if not logged(w, "tick failed, retrying"):
            tally.violations.append("no 'tick failed, retrying' in the log: did the outage happen?")

    return during(suite, suite.world(f"imap-restart-{run}"), outage, 1 if suite.quick else 4, check)


def imap_drops(suite: Suite, run: int) -> Tally:
    """The connection drops during FETCH, STORE, MOVE, SEARCH, SELECT, login; garbage mid-FETCH."""
    rng = suite.rng("imap-drops", run)
    plan: list[tuple[bytes, dict[str, object]]] = [
        (b"UID MOVE", {}),  # first: the first wave holds mail to quarantine (moved)
        (b"UID FETCH", {"after_bytes": rng.randint(0, 40_000)}),
        (b"UID STORE", {}),
        (b"LOGIN", {}),
        (b"UID FETCH", {"after_bytes": rng.randint(0, 2_000), "garbage": True}),
        (b"SELECT", {"after_bytes": 10}),
        (b"UID SEARCH", {}),
        (b"UID FETCH", {"after_bytes": rng.randint(40_000, 200_000)}),
        (b"", {}),  # no command: a cut of every open connection (as during IDLE)
    ]
    if suite.quick:
        plan = plan[:6] + plan[-1:]
    fired: list[str] = []

    def cut(w: World, i: int) -> int:
        assert w.tcp is not None
        token, options = plan[i]
        before = w.tcp.cuts
        if not token:
            wait_progress(w, (w.store_progress() or {}).get("decided", 0) + 2)  # in the middle of the work
            w.tcp.cut_all()
        else:
            w.tcp.arm(token, **options)  # type: ignore[arg-type]
            wait_for(lambda: w.tcp is not None and w.tcp.armed() == 0, 20)
            w.tcp.disarm()
        if w.tcp.cuts > before:
            fired.append(
                (token or b"every open connection").decode() + (" + garbage" if options.get("garbage") else "")
            )
        return w.tcp.cuts - before

    def check(w: World, tally: Tally) -> None:
        tally.notes.append(f"connections cut at: {', '.join(fired)}")

    # Armed as the wave arrives: the cut fires at the daemon's next such command.
    return during(suite, suite.world(f"imap-drops-{run}", proxy=True), cut, len(plan), check, early=True)


def imap_login(suite: Suite, run: int) -> Tally:
    """Login fails for a while (the password was changed on the server, then changed back)."""

    def refuse(w: World, i: int) -> int:
        passwd = w.dovecot.root / "passwd"
        good = passwd.read_text()
        failed_before = sum(d.log_path.read_text().count("failed: b'[AUTHENTICATIONFAILED]") for d in w.daemons)
        passwd.write_text(re.sub(r"\{PLAIN\}[^:]*", "{PLAIN}changed-by-an-admin", good))
        # Wrong until inboxd has met it (a tick that starts meanwhile), at least 3 s.
        time.sleep(3.0)
        wait_for(
            lambda: (
                sum(d.log_path.read_text().count("failed: b'[AUTHENTICATIONFAILED]") for d in w.daemons) > failed_before
            ),
            30,
        )
        passwd.write_text(good)
        time.sleep(1.5)  # Dovecot looks at the file at most once a second
        return 1

    missing = "no failed login in the log (no tick started while the password was wrong)"
    world = suite.world(f"imap-login-{run}")
    return during(suite, world, refuse, 1 if suite.quick else 3, expect_logged("login to .* failed", missing))


def uidvalidity(suite: Suite, run: int) -> Tally:
    """The folder is rebuilt under the running daemon: new UIDVALIDITY, new UIDs for every mail."""

    def rebuild(w: World, i: int) -> int:
        before = w.uidvalidity()
        w.dovecot.stop(sessions=True)
        for path in (w.dovecot.mail_dir / "support@exchange.test").iterdir():
            if path.name == "dovecot-uidlist" or path.name.startswith("dovecot.index"):
                path.unlink()
        time.sleep(1.1)
        w.dovecot.start()
        if w.uidvalidity() == before:
            raise RuntimeError(f"UIDVALIDITY did not change ({before}): the rebuild did not happen")
        return 1

    def check(w: World, tally: Tally) -> None:
        seen_again = count_rows(w, "SELECT count(*) FROM messages WHERE skip_reason = 'duplicate'")
        tally.notes.append(f"{seen_again} mails seen again under new UIDs and recognised")
        if not seen_again:
            tally.violations.append("no mail was recognised under its new UID: did the rebuild happen?")

    # Half-way: some mail handled and synced, some with acks in flight, some not fetched yet.
    return during(suite, suite.world(f"uidvalidity-{run}"), rebuild, 1, check, at=0.5)


def smtp_down(suite: Suite, run: int) -> Tally:
    """The SMTP server is down for a while: acks stay pending and go out once it is back."""

    def down(w: World, i: int) -> int:
        w.sink.stop()
        time.sleep(3.0)
        w.sink.start()
        return 1

    return during(suite, suite.world(f"smtp-down-{run}"), down, 1 if suite.quick else 3)


def smtp_4xx(suite: Suite, run: int) -> Tally:
    """The SMTP server answers 451 for a while: retried with backoff, never given up or doubled."""

    def tempfail(w: World, i: int) -> int:
        w.sink.mode.tempfail = True
        time.sleep(3.0)
        w.sink.mode.tempfail = False
        return 1

    def check(w: World, tally: Tally) -> None:
        retried = count_rows(w, "SELECT count(*) FROM acks WHERE attempts > 1 AND state = 'sent'")
        tally.notes.append(f"{retried} acknowledgements sent after a 4xx retry")

    return during(suite, suite.world(f"smtp-4xx-{run}"), tempfail, 1 if suite.quick else 3, check)


def smtp_5xx(suite: Suite, run: int) -> Tally:
    """550 for a few recipients: recorded as failed, not retried, everyone else answered."""
    rng = suite.rng("smtp-5xx", run)
    customers = sorted({_sender(m.raw) for m in suite.mails if _intent(suite, m) == "ack"} - {""})
    refused = set(rng.sample(customers, min(len(customers), 3 if suite.quick else 8)))
    world = suite.world(f"smtp-5xx-{run}")
    world.sink.mode.reject.update(refused)

    def check(w: World, tally: Tally) -> None:
        tally.faults = len(refused)
        if not tally.outcomes["failed"]:
            tally.violations.append("no acknowledgement ended failed although recipients were refused")
        leaked = [r for r in w.sink.received() if set(map(str.lower, r["rcpt_tos"])) & refused]
        if leaked:
            tally.violations.append(f"{len(leaked)} acks reached refused recipients")

    return during(suite, world, lambda w, i: 0, 0, check)


def smtp_drop(suite: Suite, run: int) -> Tally:
    """The connection drops right after DATA: the fate is unknown, listed for a human, never re-sent."""
    drops = 2 if suite.quick else 5
    world = suite.world(f"smtp-drop-{run}")
    world.sink.mode.drop_after_data = drops

    def check(w: World, tally: Tally) -> None:
        tally.faults = drops
        if tally.outcomes["unknown"] != drops:
            tally.violations.append(f"{tally.outcomes['unknown']} unknown acks, want {drops} (one per drop)")

    return during(suite, world, lambda w, i: 0, 0, check)


def store_locked(suite: Suite, run: int) -> Tally:
    """Another process holds the SQLite file locked longer than inboxd's busy timeout."""
    hold = 13.0  # inboxd waits 10 s for a lock before giving up on the transaction
    script = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "time.sleep(float(sys.argv[2]))\n"
        "c.execute('COMMIT')\n"
    )

    def lock(w: World, i: int) -> int:
        subprocess.run([sys.executable, "-c", script, str(w.store_path), str(hold)], check=True, timeout=hold + 30)
        return 1

    missing = "the lock never made a transaction fail (inboxd was between transactions)"
    world = suite.world(f"store-locked-{run}")
    return during(suite, world, lock, 1 if suite.quick else 2, expect_logged("database is locked", missing))


def disk_full(suite: Suite, run: int) -> Tally:
    """The disk holding the store fills up, then space comes back."""
    mount = suite.root / f"disk-full-{run}" / "tmpfs"
    mount.mkdir(parents=True, exist_ok=True)
    mounting = ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)]
    result = subprocess.run(mounting, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise Skip(f"cannot mount a tmpfs for the store ({result.stderr.strip() or 'not permitted'})")
    filler = mount / "filler"

    def fill(w: World, i: int) -> int:
        # Unbuffered, and the error suppressed around the close too: a buffered file that
        # met ENOSPC in a flush raised it again when closed, outside the suppress.
        with contextlib.suppress(OSError), open(filler, "wb", buffering=0) as f:
            while True:
                f.write(b"\0" * 65536)
        time.sleep(5.0)
        filler.unlink()
        return 1

    missing = "the full disk never made a transaction fail"
    try:
        world = suite.world(f"disk-full-{run}", store_dir=mount / "state")
        check = expect_logged("database or disk is full|disk I/O error", missing)
        return during(suite, world, fill, 1 if suite.quick else 2, check)
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def store_corrupt(suite: Suite, run: int) -> Tally:
    """A damaged store at start-up: exit 4 with a clear message, the file left exactly as it was."""
    world = suite.world(f"store-corrupt-{run}")
    rng = suite.rng("store-corrupt", run)
    part = len(suite.mails) // 2
    try:
        world.deliver(m.raw for m in suite.mails[:part])
        problems = settle(world, "first")
        backup = world.root / "backup.sqlite3"
        shutil.copy2(world.store_path, backup)
        for suffix in ("-wal", "-shm"):
            Path(f"{world.store_path}{suffix}").unlink(missing_ok=True)
        sent = len(world.sink.received())
        world.deliver(m.raw for m in suite.mails[part:])
        damages = 0
        for how in ("header", "table page", "truncated"):
            shutil.copy2(backup, world.store_path)
            _damage(world.store_path, how, rng)
            digest = hashlib.sha256(world.store_path.read_bytes()).hexdigest()
            damages += 1
            daemon = world.daemon(f"corrupt-{how.replace(' ', '-')}")
            try:
                code = daemon.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                daemon.kill()
                problems.append(f"{how}: inboxd run kept running on a damaged store")
                continue
            text = daemon.log_path.read_text(errors="replace")
            if code != 4:
                problems.append(f"{how}: exit {code}, want 4: {text[-300:]}")
            if "left untouched" not in text or "Traceback" in text:
                problems.append(f"{how}: unclear message: {text[-300:]}")
            if hashlib.sha256(world.store_path.read_bytes()).hexdigest() != digest:
                problems.append(f"{how}: the damaged file was changed")
            if len(world.sink.received()) != sent:
                problems.append(f"{how}: acknowledgements were sent from a damaged store")
        world.daemons = [d for d in world.daemons if d.name.startswith("first")]
        # The operator restores the backup; the daemon goes on from there.
        shutil.copy2(backup, world.store_path)
        for suffix in ("-wal", "-shm"):
            Path(f"{world.store_path}{suffix}").unlink(missing_ok=True)
        return finish(suite, world, damages, suite.mails, problems)
    finally:
        world.close()


def _damage(path: Path, how: str, rng: random.Random) -> None:
    data = bytearray(path.read_bytes())
    if how == "header":
        data[:16] = b"not a database!\0"
    elif how == "truncated":
        data = data[: len(data) // 2 + 100]
    else:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'messages'").fetchone()[0]
        conn.close()
        start = (root - 1) * page_size
        data[start : start + page_size] = rng.randbytes(page_size)
    path.write_bytes(bytes(data))


# The daemons' [smtp] connections: the default, which the suite's config keeps.
SMTP_CONNECTIONS: int = SmtpConfig.model_fields["connections"].default


def two_daemons(suite: Suite, run: int) -> Tally:
    """Two daemons on one mailbox: one works, the other waits, and takes over when the first is killed."""
    world = suite.world(f"two-daemons-{run}")
    lease = 10.0
    problems: list[str] = []
    # A slow SMTP server makes the first daemon's tick outlast the lease: it must renew it. Its
    # acks go out over `[smtp] connections` (2 by default) side by side: each answer waits that
    # many times longer, so that the sending still takes three leases.
    world.sink.mode.delay_seconds = 3 * lease * SMTP_CONNECTIONS / max(1, len(suite.mails))
    try:
        world.deliver(m.raw for m in suite.mails)
        first = world.daemon("first")
        if not started(first.alive, first.running):
            problems.append("first: did not start")
        wait_progress(world, 1)
        second = world.daemon("second")
        started(second.alive, second.running)
        # Longer than the lease: without renewal during its long tick, the first would lose it.
        wait_for(world.settled, lease * 1.5, step=0.5)
        if not logged(world, r"another inboxd holds \S+; waiting"):
            problems.append("second: never reported that it waits for the lease")
        killed_at = time.time()
        first_killed = not world.settled() and first.kill()
        if not first_killed:
            problems.append("first finished before it could be killed: takeover not exercised (more mail needed)")
        if not wait_for(lambda: world.settled() or not second.alive(), SETTLE_TIMEOUT, step=0.5):
            problems.append(f"second: not settled after the takeover: {world.store_progress()}")
        took_over_after = None
        for event in second.events():
            if event.get("event") == "decided":
                at = logged_at(event)
                if at + 1 < killed_at:
                    problems.append(f"second decided {event.get('message_id')} while the first held the lease")
                    break
                took_over_after = at - killed_at if took_over_after is None else took_over_after
        for event in first.events():
            if event.get("event") == "decided":
                at = logged_at(event)
                if at > killed_at + 1:
                    problems.append("first decided after it was killed?")
                    break
        if first_killed and took_over_after is None and not world.settled():
            problems.append("second never took over")
        tally = finish(suite, world, 1 if first_killed else 0, suite.mails, problems)
        if took_over_after is not None:
            tally.notes.append(
                f"second's first decision {took_over_after:.0f} s after the kill (lease {lease:.0f} s; "
                "it first sends what the first left pending)"
            )
        return tally
    finally:
        world.close()


def garbage_in(suite: Suite, run: int) -> Tally:
    """Bad config, a template that raises, a folder that does not exist, a server that speaks garbage."""
    world = suite.world(f"garbage-{run}")
    problems: list[str] = []
    checks = 0
    mails = suite.mails[: min(len(suite.mails), 40)]
    try:
        world.deliver(m.raw for m in mails)
        good = world.config_path.read_text()

        def expect(label: str, args: tuple[str, ...], code: int, needles: tuple[str, ...], store: bool = False) -> str:
            """Run inboxd; a config error must create nothing, a server error may leave an empty store."""
            nonlocal checks
            checks += 1
            result = world.cli(*args)
            output = result.stdout + result.stderr
            if result.returncode != code:
                problems.append(f"{label}: exit {result.returncode}, want {code}: {output.strip()[-400:]}")
            for needle in needles:
                if needle not in output:
                    problems.append(f"{label}: {needle!r} not in the output: {output.strip()[-400:]}")
            if "Traceback" in output:
                problems.append(f"{label}: a traceback instead of a clear error")
            if world.store_path.exists():
                conn = sqlite3.connect(f"file:{world.store_path}?mode=ro", uri=True)
                rows = conn.execute("SELECT count(*) FROM messages").fetchone()[0] if store else None
                conn.close()
                if not store or rows:
                    problems.append(f"{label}: a store file was created ({rows} messages in it)")
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{world.store_path}{suffix}").unlink(missing_ok=True)
            return output

        # 1. A config with every kind of wrong value: every problem listed, nothing created.
        world.config_path.write_text(_bad_config(good))
        output = expect("bad config", ("run",), 2, _BAD_KEYS)
        listed = re.search(r"(\d+) problem\(s\) found", output)
        if not listed or int(listed.group(1)) < len(_BAD_KEYS):
            problems.append(f"bad config: {listed.group(0) if listed else 'no count'}, want >= {len(_BAD_KEYS)}")
        world.config_path.write_text("[imap\nhost = ")
        expect("not TOML", ("run",), 2, ("not valid TOML",))

        # 2. A template that raises whenever it is rendered: caught by the start-up check.
        templates = world.root / "templates"
        shutil.copytree(ROOT / "templates", templates)
        ack = templates / "en" / "ack.txt.j2"
        ack.write_text(ack.read_text() + "\n{{ (1 / 0) if team else '' }}\n")
        world.config_path.write_text(good.replace(str(ROOT / "templates"), str(templates)))
        expect("raising template", ("run",), 2, ("ack.txt.j2", "fails to render"))
        expect("raising template (check)", ("check",), 2, ("ack.txt.j2",))

        # 3. The polled folder does not exist: a clear error and exit 1, not a retry loop.
        world.config_path.write_text(good.replace("[imap]", '[imap]\nfolder = "Support/NoSuchFolder"'))
        expect("missing folder (poll)", ("poll",), 1, ("NoSuchFolder", "does not exist"), store=True)
        daemon = world.daemon("missing-folder")
        checks += 1
        try:
            code = daemon.process.wait(timeout=120)
            text = daemon.log_path.read_text(errors="replace")
            if code != 1 or "does not exist" not in text:
                problems.append(f"missing folder (run): exit {code}, want 1 with a clear message: {text[-300:]}")
        except subprocess.TimeoutExpired:
            daemon.kill()
            problems.append("missing folder (run): still retrying after 120 s instead of stopping")
        world.daemons.remove(daemon)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{world.store_path}{suffix}").unlink(missing_ok=True)

        # 4. Something that is not an IMAP server on the IMAP port.
        for label, payload in list(_GARBAGE.items())[: 2 if suite.quick else None]:
            server = GarbageServer(payload)
            server.start()
            try:
                cfg = re.sub(r"(\[imap\][^\[]*?port = )\d+", rf"\g<1>{server.port}", good, count=1)
                world.config_path.write_text(cfg.replace("timeout_seconds = 10", "timeout_seconds = 3", 1))
                expect(f"garbage server ({label})", ("poll",), 1, ("IMAP",), store=True)
            finally:
                server.stop()
        world.config_path.write_text(good)

        # Nothing above may have touched the mailbox or sent anything.
        if world.sink.received():
            problems.append(f"{len(world.sink.received())} acknowledgements sent during the garbage checks")
        marked = [u for f in world.server_mail().values() for u, (flags, _) in f.items() if flags - {"\\Recent"}]
        if marked:
            problems.append(f"{len(marked)} mails were marked during the garbage checks")

        # 5. A template that raises only for some mails (passes the start-up trial render):
        # those mails are quarantined with the reason, the others answered, nothing half-done.
        ack.write_text((ROOT / "templates" / "en" / "ack.txt.j2").read_text())
        subject = templates / "en" / "subject.txt.j2"
        subject.write_text(subject.read_text() + "{{ (1 / 0) if customer_name[:1] == 'T' else '' }}")
        world.config_path.write_text(good.replace(str(ROOT / "templates"), str(templates)))
        checks += 1
        saved, suite.baseline = suite.baseline, None
        try:
            tally = finish(suite, world, checks, mails, problems, expected_errors="ZeroDivisionError")
        finally:
            suite.baseline = saved
        conn = sqlite3.connect(f"file:{world.store_path}?mode=ro", uri=True)
        orphans = conn.execute(
            "SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id)"
        ).fetchone()[0]
        raised = conn.execute(
            "SELECT count(*) FROM messages WHERE action = 'quarantine' AND reason LIKE '%ZeroDivisionError%'"
        ).fetchone()[0]
        conn.close()
        if orphans:
            tally.violations.append(f"{orphans} tickets without a mail: a failed render left half a decision")
        if not raised:
            tally.notes.append("no mail hit the raising template branch")
        tally.notes.append(f"{raised} mails quarantined because their template raised")
        return tally
    finally:
        world.close()


HOOK_SECRET = "faults-webhook-secret"


def _hooks_done(world: World) -> bool:
    """Every webhook event recorded and delivered (or given up): nothing pending, nothing unfanned."""
    if not world.store_path.exists():
        return False
    try:
        left = count_rows(
            world,
            "SELECT (SELECT count(*) FROM notify_events WHERE fanned = 0) "
            "+ (SELECT count(*) FROM notify_deliveries WHERE state = 'pending')",
        )
    except sqlite3.Error:
        return False
    return left == 0


def webhook_kills(suite: Suite, run: int) -> Tally:
    """SIGKILL around webhook delivery: before the request, and after a 2xx before `delivered` is
    committed. Every event the store recorded must reach the receiver (none lost), a repeat
    only under the same Idempotency-Key with the same body, each one signed; and each
    quarantined mail and security incident must have its event."""
    world = suite.world(f"webhooks-{run}")
    log = world.root / "hooks.jsonl"
    receiver = HookReceiver(free_port(), log).start()
    (world.root / "hook-secret").write_text(HOOK_SECRET + "\n")
    with world.config_path.open("a") as f:
        f.write(
            f'\n[[notify]]\nurl = "{receiver.url}"\nsecret_file = "hook-secret"\nretry_base_seconds = 0.5\n'
            f"events = {json.dumps(list(webhooks.EVENTS))}\n"
        )
    kill_log = world.root / "kills.log"
    target = 2 if suite.quick else 12  # each kill costs a daemon start (the model load)
    problems: list[str] = []
    kills_made = attempt = 0
    try:
        world.deliver(m.raw for m in suite.mails)
        while kills_made < target and attempt < target * 4:
            attempt += 1
            point = faults.WEBHOOK_POINTS[attempt % 2]
            spec = f"{point}=1,seed={suite.seed * 1000 + run * 100 + attempt},log={kill_log}"
            daemon = world.daemon(f"d{attempt}", faults=spec)
            wait_for(lambda d=daemon: not d.alive() or (world.settled() and _hooks_done(world)), SETTLE_TIMEOUT, 0.2)  # type: ignore[misc]
            if daemon.alive():
                daemon.terminate()
                break  # nothing left to deliver: no kill point will be passed again
            if daemon.process.returncode != -signal.SIGKILL:
                problems.append(f"{daemon.name}: exited with {daemon.process.returncode}, not by the fault")
            kills_made += 1
        if kills_made < target:
            problems.append(f"only {kills_made} kills around webhook delivery (wanted {target})")
        final = world.daemon("final")
        if not wait_for(lambda: world.settled() and _hooks_done(world), SETTLE_TIMEOUT, step=0.5):
            problems.append(f"webhooks not all delivered after {SETTLE_TIMEOUT:.0f} s")
        del final
        stages = Counter(kill_log.read_text().split()) if kill_log.exists() else Counter()
        suite.stages.update(stages)
        tally = finish(suite, world, kills_made, suite.mails, problems)
        _check_hooks(world, HookReceiver.read(log), tally)
        return tally
    finally:
        receiver.stop()
        world.close()


def _check_hooks(world: World, requests: list[dict[str, object]], tally: Tally) -> None:
    conn = sqlite3.connect(f"file:{world.store_path}?mode=ro", uri=True)
    try:
        events = {str(k): (str(kind), str(state)) for k, kind, state in conn.execute(
            "SELECT e.key, e.kind, d.state FROM notify_events e LEFT JOIN notify_deliveries d ON d.event_id = e.id"
        )}  # fmt: skip
        quarantined = conn.execute("SELECT count(*) FROM messages WHERE action = 'quarantine'").fetchone()[0]
        incidents = conn.execute("SELECT count(*) FROM tickets WHERE security_incident = 1").fetchone()[0]
    finally:
        conn.close()
    kinds = Counter(kind for kind, _ in events.values())
    bodies: dict[str, set[str]] = {}
    for r in requests:
        headers = r["headers"]
        assert isinstance(headers, dict)
        key, body = str(headers.get("idempotency-key")), str(r["body"])
        bodies.setdefault(key, set()).add(body)
        if not webhooks.verify(
            HOOK_SECRET, str(headers.get("x-inboxd-signature")), body.encode(), float(str(r["time"]))
        ):
            tally.violations.append(f"webhook {key}: the signature does not verify")
    lost = sorted(set(events) - set(bodies))
    strangers = sorted(set(bodies) - set(events))
    undelivered = sorted(k for k, (_, state) in events.items() if state != "delivered")
    changed = sorted(k for k, b in bodies.items() if len(b) > 1)
    checks = {
        "never received": lost,
        "received but never recorded": strangers,
        "not delivered in the store": undelivered,
        "repeated with another body": changed,
    }
    for what, keys in checks.items():
        if keys:
            tally.violations.append(f"webhook events {what}: {keys[:5]} ({len(keys)})")
    if kinds["quarantine"] != quarantined:
        tally.violations.append(f"{quarantined} mails quarantined but {kinds['quarantine']} quarantine events")
    if kinds["security_incident"] < incidents:
        tally.violations.append(f"{incidents} security incidents but {kinds['security_incident']} events")
    repeats = len(requests) - len(bodies)
    tally.lost += len(lost)
    tally.notes.append(
        f"webhooks: {len(events)} events ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}), "
        f"{len(requests)} requests, {repeats} repeats (each under its event's key), {len(lost)} lost"
    )
    tally.extra.update(webhook_events=len(events), webhook_requests=len(requests), webhook_repeats=repeats,
                       webhook_lost=len(lost))  # fmt: skip


_BAD_KEYS = (
    "imap.port",
    "imap.security",
    "imap.colour",
    "smtp.from_address",
    "schedule.interval_seconds",
    "ack.ticket_prefix",
    "extract.default_timezone",
    "limits.max_mime_depth",
    "logging.level",
    "nonsense",
)


def _bad_config(good: str) -> str:
    """The working config with one wrong value of each kind (type, range, choice, key, format...)."""
    bad = good.replace('security = "none"', 'security = "ssl"', 1)
    bad = re.sub(r"(\[imap\][^\[]*?port = )\d+", r'\g<1>"143"', bad, count=1)
    bad = bad.replace("[imap]", '[imap]\ncolour = "blue"\npassword_env = "INBOXD_IMAP_PASSWORD"', 1)
    bad = bad.replace('from_address = "support@exchange.test"', 'from_address = "support"', 1)
    bad = bad.replace("interval_seconds = 1", "interval_seconds = -5", 1)
    bad = bad.replace("[ack]", '[ack]\nticket_prefix = "inb-"', 1)
    bad = bad.replace("[limits]", "[limits]\nmax_mime_depth = 0", 1)
    return bad + '\n[extract]\ndefault_timezone = "Mars/Olympus"\n[logging]\nlevel = "LOUD"\n[nonsense]\nx = 1\n'


_GARBAGE = {
    "random bytes": random.Random(7).randbytes(300),
    "greeting then garbage": b"* OK IMAP4rev1 ready\r\n" + b"\x00\xff\xfe garbage \r\n" * 4,
    "HTTP": b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
    "silent": b"",
}


def _sender(raw: bytes) -> str:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = re.search(rb"^(?:reply-to|from):.*?<?([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+)>?", head, re.I | re.M)
    return match.group(1).decode().lower() if match else ""


def _intent(suite: Suite, mail: Mail) -> str | None:
    return suite.baseline.get(mail.identity) if suite.baseline else None


SCENARIOS: dict[str, Callable[[Suite, int], Tally]] = {
    "baseline (no fault)": baseline,
    "SIGKILL at random points": kills,
    "IMAP server restarted": imap_restart,
    "IMAP connection drops": imap_drops,
    "IMAP login fails": imap_login,
    "UIDVALIDITY changes": uidvalidity,
    "SMTP down": smtp_down,
    "SMTP 4xx": smtp_4xx,
    "SMTP 5xx for some": smtp_5xx,
    "SMTP drop after DATA": smtp_drop,
    "SQLite locked": store_locked,
    "disk full": disk_full,
    "SQLite corrupt at start": store_corrupt,
    "two daemons, one lease": two_daemons,
    "garbage in": garbage_in,
    "SIGKILL around webhook delivery": webhook_kills,
}
QUICK_RUNS = dict.fromkeys(SCENARIOS, 1)
FULL_RUNS = dict.fromkeys(SCENARIOS, 2) | {"baseline (no fault)": 1}
