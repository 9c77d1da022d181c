"""Throughput, memory, store cost and latency of inboxd, against the I/O floor, on real servers.

    .venv/bin/python benchmarks/throughput.py           # N = 10,000 and 50,000, latency over 50 mails (~20 min)
    .venv/bin/python benchmarks/throughput.py --quick   # a few hundred mails, for CI (well under a minute)
    .venv/bin/python benchmarks/throughput.py --n 2000 --latency-mails 10   # any other sizes

For each N it generates N realistic support mails (benchmarks/mailgen.py), writes them
into the maildir of a fresh user of a private Dovecot (benchmarks do not APPEND 50,000
mails one by one: Dovecot indexes the new files on SELECT), starts the loopback SMTP
sink as a separate process (its CPU is not inboxd's) and measures, in the same run:

- the floor: the I/O the job cannot avoid for the same N mails, one phase after the
  other as inboxd does them: a bare imapclient FETCH BODY.PEEK[] in batches, mail-parser
  on each mail, one SMTP send per mail over one connection;
- inboxd: `inboxd poll --json` over the same mails with a fresh store, end to end; the
  SMTP sink's own record must hold exactly one acknowledgement per mail that is not an
  auto-reply; the per-stage seconds come from inboxd itself (`totals.stages`);
- peak memory: the poll process's ru_maxrss (os.wait4), and the whole process tree
  (worker processes included) sampled from /proc: RSS and PSS (shared pages counted once);
- CPU (user + system, from /proc) per mail of every process that does the work: for the
  floor its own process (the timed phases), the SMTP sink and Dovecot during the floor; for
  inboxd its main process (its own accounting, read when it has exited and before it is
  reaped, less the start-up of a poll of an empty mailbox), each worker (its last sample),
  the SMTP sink and Dovecot during the poll. On two cores every process competes with the
  others, so the total CPU per mail, not only the main process's serial path, sets the rate;
- the slowest single mail (inboxd's own `slowest_mail_seconds`, and `inboxd classify`'s
  `elapsed_ms` over ../shared/data/mime-corpus when it is there).

Then latency: a daemon (`inboxd run`) on an idle mailbox, one mail appended at a time,
the time until its acknowledgement reaches the SMTP sink: with IMAP IDLE (and a long
poll interval), and with polling alone (imap.idle = false, a short interval; each mail
arrives at a random point of the interval).

Prints every figure with its target, PASS or MISS, and exits 1 on a miss. With --quick it
exits 1 only when something does not run or a mail did not get exactly one
acknowledgement: a few hundred mails say nothing about throughput at 50,000.
"""

from __future__ import annotations

import argparse
import contextlib
import imaplib
import json
import multiprocessing
import os
import random
import shutil
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import mailparser
from imapclient import IMAPClient

from inboxd.stopwatch import STAGES

sys.path.insert(0, str(Path(__file__).resolve().parent))  # mailgen
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo's testbed package (not installed)
from mailgen import MailGenerator, message_id, wants_ack

from testbed.dovecot import Dovecot, free_port
from testbed.model import trained_model as testbed_model

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SUPPORT_TEST_DATA", ROOT.parent / "shared" / "data")) / "mime-corpus"
PASSWORD = "bench-password"
FETCH_BATCH = 200  # as imap.batch_size's default

# Targets (issues 7 and 18; docs/speed.md).
RATIO_TARGET = 0.8  # inboxd mails/s ≥ 0.8 × the floor's, at every N of the run
RSS_LIMIT_MIB = 250  # peak memory of the whole process tree at the largest N
SAMPLE_EVERY_S = 0.1  # the process tree's memory and CPU: a worker's last 0.1 s may go unseen
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
RSS_GROWTH = 1.2  # peak at the largest N within 20 % of the peak at the smallest
STORE_GROWTH = 1.3  # store time per mail at the largest N within 30 % of the smallest (O(1) per mail)
SLOWEST_MAIL_S = 1.0  # any single mail, generated or from the MIME corpus
IDLE_P95_S = 2.0  # with IDLE: acknowledged within seconds
POLL_SLACK_S = 2.0  # polling: within the interval plus this


# -- servers ----------------------------------------------------------------------------------------


class Sink:
    """The loopback SMTP sink in a process of its own, so that its CPU is not counted as inboxd's."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        directory.mkdir(parents=True, exist_ok=True)
        self.log = open(directory.parent / f"{directory.name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "testbed.smtpsink", "--port", str(self.port), "--dir", str(directory)],
            cwd=ROOT,  # where `-m` finds the repo's testbed package, which is not installed
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.05)
        raise RuntimeError(f"the SMTP sink did not start; see {self.log.name}")

    def received(self) -> Iterator[dict[str, Any]]:
        path = self.directory / "received.jsonl"
        if not path.exists():
            return
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield json.loads(line)

    def cpu(self) -> float:
        """CPU seconds the sink has used so far (read while it is idle, before and after a phase)."""
        return tree_cpu(self.process.pid)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def load_maildir(dovecot: Dovecot, user: str, raws: Iterable[bytes]) -> set[str]:
    """Write the mails straight into the user's maildir (new/); Dovecot indexes them on SELECT.

    Returns the Message-IDs of the mails that must get an acknowledgement (all but the
    automatic replies).
    """
    client = dovecot.connect(user)  # the first login creates the maildir, owned by the mail user
    client.select("INBOX")
    client.logout()
    new = dovecot.mail_dir / user / "new"
    owner = new.stat()
    stamp = int(time.time())
    expected = set()
    for index, raw in enumerate(raws):
        path = new / f"{stamp}.M{index}P{os.getpid()}.bench"
        path.write_bytes(raw)
        os.chown(path, owner.st_uid, owner.st_gid)
        if wants_ack(raw):
            expected.add(message_id(raw))
    return expected


def imap_client(port: int, user: str) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=120)
    client.login(user, PASSWORD)
    return client


T = TypeVar("T")


def in_child(function: Callable[..., T], *args: Any) -> T:
    """Run in a fresh process: the benchmark's own memory must stay small, because a child's
    ru_maxrss starts from its parent's peak (Linux keeps it across fork and exec)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def warm_up(port: int, user: str) -> int:
    """Let Dovecot index the new mail and read every file once, so both measurements find warm caches."""
    client = imap_client(port, user)
    try:
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        for chunk in _chunks(uids, 1000):
            client.fetch(chunk, ["RFC822.SIZE", "BODY.PEEK[]"])
        return len(uids)
    finally:
        client.logout()


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- the floor ----------------------------------------------------------------------------------------

ACK_TEMPLATE = (
    "From: Exchange Support <support@exchange.test>\r\nTo: {to}\r\nSubject: Re: your request [#INB-{n:06d}]\r\n"
    "Date: Fri, 20 Nov 2026 08:00:00 +0000\r\nMessage-ID: <inboxd.INB-{n:06d}.floor@exchange.test>\r\n"
    "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n\r\n"
    + "Thank you for contacting us. We have received your request and opened ticket INB-{n:06d}.\r\n"
    * 12
)


@dataclass
class Floor:
    n: int
    fetch_s: float
    parse_s: float
    smtp_s: float
    cpu_s: float  # its own process's CPU in the three timed phases

    @property
    def seconds(self) -> float:
        return self.fetch_s + self.parse_s + self.smtp_s

    @property
    def rate(self) -> float:
        return self.n / self.seconds


def measure_floor(port: int, user: str, smtp_port: int) -> Floor:
    """In a child process (see `in_child`): it holds all N mails at once."""
    client = imap_client(port, user)
    cpu_started = time.process_time()
    started = time.perf_counter()
    client.select_folder("INBOX", readonly=True)
    uids = client.search(["ALL"])
    raws: list[bytes] = []
    for chunk in _chunks(uids, FETCH_BATCH):
        raws.extend(item[b"BODY[]"] for item in client.fetch(chunk, ["BODY.PEEK[]"]).values())
    fetch_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    client.logout()

    cpu_started = time.process_time()
    started = time.perf_counter()
    for raw in raws:
        mailparser.parse_from_bytes(raw)
    parse_s = time.perf_counter() - started
    cpu_s += time.process_time() - cpu_started

    messages = [ACK_TEMPLATE.format(to=f"customer{i}@example.test", n=i).encode() for i in range(len(raws))]
    del raws
    smtp = smtplib.SMTP("127.0.0.1", smtp_port, timeout=60)
    cpu_started = time.process_time()
    started = time.perf_counter()
    for i, data in enumerate(messages):
        smtp.sendmail("support@exchange.test", [f"customer{i}@example.test"], data)
    smtp_s = time.perf_counter() - started
    cpu_s += time.process_time() - cpu_started
    smtp.quit()
    return Floor(len(messages), fetch_s, parse_s, smtp_s, cpu_s)


# -- inboxd ---------------------------------------------------------------------------------------------


def trained_model(cache: Path) -> Path:
    """The repo's classifier, trained once into `cache` and reused while it is current."""
    return testbed_model(cache, ROOT / "classifiers")


def write_config(directory: Path, dovecot: Dovecot, user: str, smtp_port: int, model: Path, **extra: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "imap-password").write_text(PASSWORD + "\n")
    sections: dict[str, dict[str, Any]] = {
        "imap": {"host": "127.0.0.1", "port": dovecot.port, "security": "none", "username": user,
                 "password_file": "imap-password", "idle": False},
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                 "from_address": "support@exchange.test", "from_name": "Exchange Support"},
        "store": {"path": "inboxd.sqlite3"},
        "classifier": {"dir": str(ROOT / "classifiers"), "model_path": str(model)},
        "templates": {"dir": str(ROOT / "templates")},
        "logging": {"level": "WARNING"},
        # A burst from one domain is this benchmark's workload, not a flood to hold back.
        "ack": {"max_per_sender_domain": 10_000_000, "max_per_hour": 10_000_000},
        # The mail is drawn from the benchmark sets, sales pitches included: answer every one,
        # so that the figures stay comparable with the runs before pitches were skipped.
        "spam": {"unsolicited_confidence": 0},
    }  # fmt: skip
    for section, keys in extra.items():
        sections.setdefault(section, {}).update(keys)
    lines = []
    for section, keys in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in keys.items())
    path = directory / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _tree(pid: int) -> list[int]:
    """The process and its descendants, less any child caught between fork and exec.

    Starting a worker forks the main process and then executes a new interpreter; in
    between, the child maps every page of its parent and /proc counts them again in its
    RSS. Such a child still has its parent's command line.
    """
    out, todo = [], [(pid, b"")]
    while todo:
        current, parent_cmdline = todo.pop()
        cmdline = _cmdline(current)
        if parent_cmdline and cmdline == parent_cmdline:
            continue
        out.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend((int(c), cmdline) for c in children)
    return out


def _memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; zeros when it is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    values = {}
    for line in text.splitlines()[1:]:
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0]) if rest.split() else 0
    return values.get("Rss", 0), values.get("Pss", 0)


def _cpu(pid: int) -> tuple[float, float] | None:
    """(CPU seconds of the process itself, of its children that it has reaped), user + system;
    None when it is gone. Readable while the process is a zombie, i.e. exited but not yet reaped."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may hold spaces; fields[0] is field 3
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime) / CLOCK_TICKS, (cutime + cstime) / CLOCK_TICKS


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return out


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process tree so far: each live process's own, and that of the children it
    reaped (an IMAP session that ended is in its Dovecot master's). A difference of two readings
    is the tree's CPU between them, as long as the root lives."""
    return sum(sum(cpu) for cpu in map(_cpu, _descendants(pid)) if cpu is not None)


def _label(cmdline: bytes, workers: int) -> str:
    if b"spawn_main" in cmdline:
        return f"worker {workers + 1}"
    if b"resource_tracker" in cmdline:
        return "resource tracker"
    argv = cmdline.decode(errors="replace").split("\0")
    return "other: " + " ".join([Path(argv[0]).name, *argv[1:]])[:40]


class TreeSampler(threading.Thread):
    """Samples a process tree until it ends: the peaks of its RSS and PSS, and the last CPU
    reading of each process (named: main, worker 1..n, ...). A process that exits between two
    samples loses at most `every` seconds of CPU: its last reading is kept."""

    def __init__(self, pid: int, every: float = SAMPLE_EVERY_S):
        super().__init__(daemon=True)
        self.pid = pid
        self.every = every
        self.peak_rss = 0
        self.peak_pss = 0
        self.processes = 0
        self.labels: dict[int, str] = {pid: "main"}
        self.cpu: dict[int, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.every)

    def sample(self) -> None:
        pids = _tree(self.pid)
        samples = [_memory_kib(p) for p in pids]
        self.processes = max(self.processes, sum(1 for s in samples if s[0]))
        self.peak_rss = max(self.peak_rss, sum(s[0] for s in samples))
        self.peak_pss = max(self.peak_pss, sum(s[1] for s in samples))
        for pid in pids:
            cpu = _cpu(pid)
            if cpu is None:
                continue
            if pid not in self.labels:
                cmdline = _cmdline(pid)
                if not cmdline:  # in the middle of its exec: named at the next sample
                    continue
                workers = sum(1 for label in self.labels.values() if label.startswith("worker "))
                self.labels[pid] = _label(cmdline, workers)
            self.cpu[pid] = cpu[0]

    def cpu_by_label(self) -> dict[str, float]:
        """CPU seconds per named process, main first, then in the order they appeared."""
        out: dict[str, float] = {}
        for pid, label in self.labels.items():
            out[label] = out.get(label, 0.0) + self.cpu.get(pid, 0.0)
        return out


@dataclass
class Run:
    n: int
    floor: Floor
    totals: dict[str, Any]
    wall_s: float
    maxrss_mib: float
    tree_rss_mib: float
    tree_pss_mib: float
    processes: int
    acks: int
    expected_acks: int
    duplicates: int
    missing: int
    exit_code: int
    floor_cpu: dict[str, float]  # CPU seconds during the floor: its own process, the SMTP sink, Dovecot
    cpu: dict[str, float]  # during inboxd poll: main (less its start-up), worker 1..n, ..., SMTP sink, Dovecot
    startup_cpu: dict[str, float]  # CPU seconds per process of a poll of an empty mailbox, taken off `cpu`
    reaped_cpu_s: float  # its children's (the workers) by the main process's own accounting
    problems: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return float(self.totals.get("seconds") or self.wall_s)

    @property
    def rate(self) -> float:
        return self.n / self.seconds

    @property
    def ratio(self) -> float:
        return self.rate / self.floor.rate

    @property
    def decided(self) -> int:
        return int(self.totals.get("decided", 0))

    @property
    def store_ms(self) -> float:
        return 1000 * float(self.totals.get("stages", {}).get("store", 0.0)) / max(1, self.decided)

    @property
    def exactly_once(self) -> bool:
        return self.acks == self.expected_acks and self.duplicates == 0 and self.missing == 0

    def cpu_ms(self, seconds: dict[str, float]) -> dict[str, float]:
        """ms of CPU per mail for each process, and their total."""
        per_mail = {name: 1000 * value / self.n for name, value in seconds.items()}
        return per_mail | {"total": sum(per_mail.values())}


@dataclass
class Poll:
    totals: dict[str, Any]  # poll's JSON totals
    wall_s: float
    maxrss_kib: int  # the poll process's ru_maxrss
    tree: TreeSampler
    main_cpu_s: float  # the poll process's own CPU, by its own accounting
    reaped_cpu_s: float  # that of the children it reaped (its workers), by its own accounting
    exit_code: int


def run_poll(config: Path, workdir: Path) -> Poll:
    """`inboxd poll --json` as a child process, its process tree sampled until it exits."""
    out, err = workdir / "poll.json", workdir / "poll.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "inboxd", "--config", str(config), "--log-level", "WARNING", "poll", "--json"],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            cwd=workdir,
        )
        tree = TreeSampler(process.pid)
        tree.start()
        # Wait for the exit without reaping: until it is reaped, the exited process's /proc stat
        # holds its own CPU and that of the workers it reaped, complete.
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
        wall = time.monotonic() - started
        tree.done.set()
        tree.join()
        main_cpu, reaped_cpu = _cpu(process.pid) or (0.0, 0.0)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    totals: dict[str, Any] = {}
    with contextlib.suppress(ValueError, OSError):
        totals = _totals(out)
    return Poll(totals, wall, usage.ru_maxrss, tree, main_cpu, reaped_cpu, process.returncode)


def measure_startup(dovecot: Dovecot, model: Path, workdir: Path) -> dict[str, float]:
    """CPU seconds per process of a poll of an empty mailbox (start-up, the model read by its child
    process, log-in, an empty tick, exit): taken off each run's figures, as start-up is off its rate."""
    sink = Sink(workdir / "startup-sink")
    run_dir = workdir / "startup"
    try:
        poll = run_poll(write_config(run_dir, dovecot, "n0@exchange.test", sink.port, model), run_dir)
    finally:
        sink.stop()
    if poll.exit_code != 0 or poll.totals.get("decided") != 0:
        raise RuntimeError(f"inboxd poll of an empty mailbox failed; see {run_dir / 'poll.log'}")
    return poll.tree.cpu_by_label() | {"main": poll.main_cpu_s}


def _totals(path: Path) -> dict[str, Any]:
    """The "totals" object of poll's JSON (read without keeping 50,000 message records)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    totals: dict[str, Any] = data["totals"]
    totals["messages"] = len(data.get("messages", []))
    return totals


def measure(
    n: int,
    dovecot: Dovecot,
    model: Path,
    workdir: Path,
    seed: int,
    startup_cpu: dict[str, float],
    log: Any,
    settings: dict[str, Any] | None = None,
) -> Run:
    user = f"n{n}@exchange.test"
    log(f"N = {n:,}: generating and loading the mail")
    expected = load_maildir(dovecot, user, MailGenerator(seed=seed).mails(n))
    found = in_child(warm_up, dovecot.port, user)
    if found != n:
        raise RuntimeError(f"Dovecot shows {found} mails for {user}, {n} were written")
    dovecot_pid = dovecot.pid()
    if dovecot_pid is None:
        raise RuntimeError("Dovecot's master.pid is gone")

    log(f"N = {n:,}: the floor (fetch, mail-parser, SMTP)")
    floor_sink = Sink(workdir / f"n{n}-floor-sink")
    try:
        dovecot_before, sink_before = tree_cpu(dovecot_pid), floor_sink.cpu()
        floor = in_child(measure_floor, dovecot.port, user, floor_sink.port)
        floor_cpu = {
            "own process": floor.cpu_s,
            "SMTP sink": floor_sink.cpu() - sink_before,
            "Dovecot": tree_cpu(dovecot_pid) - dovecot_before,
        }
    finally:
        floor_sink.stop()

    log(f"N = {n:,}: inboxd poll")
    sink = Sink(workdir / f"n{n}-sink")
    run_dir = workdir / f"n{n}-inboxd"
    try:
        config = write_config(run_dir, dovecot, user, sink.port, model, **(settings or {}))
        dovecot_before, sink_before = tree_cpu(dovecot_pid), sink.cpu()
        poll = run_poll(config, run_dir)
        sink_cpu, dovecot_cpu = sink.cpu() - sink_before, tree_cpu(dovecot_pid) - dovecot_before
        replies = Counter(r["in_reply_to"] for r in sink.received())
    finally:
        sink.stop()
    problems = []
    if poll.exit_code != 0:
        problems.append(f"inboxd poll exited {poll.exit_code}; see {run_dir / 'poll.log'}")
    # The main process's own figure is exact; the others are their last samples.
    lives = poll.tree.cpu_by_label() | {"main": poll.main_cpu_s}
    cpu = {name: max(0.0, seconds - startup_cpu.get(name, 0.0)) for name, seconds in lives.items()}
    return Run(
        n=n,
        floor=floor,
        totals=poll.totals,
        wall_s=poll.wall_s,
        maxrss_mib=poll.maxrss_kib / 1024,
        tree_rss_mib=poll.tree.peak_rss / 1024,
        tree_pss_mib=poll.tree.peak_pss / 1024,
        processes=poll.tree.processes,
        acks=sum(replies.values()),
        expected_acks=len(expected),
        duplicates=sum(count - 1 for count in replies.values() if count > 1),
        missing=len(expected - set(replies)),
        exit_code=poll.exit_code,
        floor_cpu=floor_cpu,
        cpu=cpu | {"SMTP sink": sink_cpu, "Dovecot": dovecot_cpu},
        startup_cpu=startup_cpu,
        reaped_cpu_s=poll.reaped_cpu_s,
        problems=problems,
    )


# -- latency ----------------------------------------------------------------------------------------------


@dataclass
class Latency:
    mode: str
    interval: float
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _wait_for_ack(sink: Sink, message_id: str, timeout: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in sink.received():
            if record["in_reply_to"] == message_id:
                return record
        time.sleep(0.02)
    return None


def measure_latency(
    mode: str, count: int, interval: float, dovecot: Dovecot, model: Path, workdir: Path, seed: int
) -> Latency:
    """One mail at a time into an idle mailbox; seconds from APPEND to the acknowledgement at the sink."""
    user = f"latency-{mode}@exchange.test"
    rng = random.Random(seed)
    gen = MailGenerator(seed=seed)
    mails = (raw for raw in gen.mails(10 * count + 10) if wants_ack(raw))
    sink = Sink(workdir / f"latency-{mode}-sink")
    run_dir = workdir / f"latency-{mode}"
    idle = mode == "idle"
    config = write_config(
        run_dir, dovecot, user, sink.port, model, imap={"idle": idle}, schedule={"interval_seconds": interval}
    )
    log = (run_dir / "daemon.log").open("wb")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "inboxd", "--config", str(config), "run"],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        cwd=run_dir,
    )
    client = dovecot.connect(user)
    seconds: list[float] = []
    try:
        # A first mail, not counted: the daemon is up, has polled once and is idle.
        first = next(mails)
        client.append("INBOX", None, None, first)
        if _wait_for_ack(sink, message_id(first), 120 + interval) is None:
            raise RuntimeError(f"the daemon acknowledged nothing; see {run_dir / 'daemon.log'}")
        for _ in range(count):
            # Polling: the mail arrives at a random point of the interval. IDLE: the mailbox rests a moment.
            time.sleep(rng.uniform(0, interval) if not idle else rng.uniform(0.3, 1.0))
            raw = next(mails)
            appended = time.time()
            typ, data = client.append("INBOX", None, None, raw)
            if typ != "OK":
                raise RuntimeError(f"APPEND failed: {data}")
            record = _wait_for_ack(sink, message_id(raw), 60 + 2 * interval)
            if record is None:
                raise RuntimeError(f"no acknowledgement within {60 + 2 * interval:.0f} s; see {run_dir}")
            seconds.append(float(record["time"]) - appended)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()
        sink.stop()
    return Latency(mode, interval, seconds)


# -- hostile input: the MIME corpus -----------------------------------------------------------------------


def corpus_slowest(model: Path, workdir: Path, dovecot: Dovecot) -> tuple[float, str, int] | None:
    """The slowest message of the shared MIME corpus by `inboxd classify`'s own elapsed_ms (parse to ack)."""
    if not CORPUS.is_dir():
        return None
    skip = {"SOURCES.md", "MANIFEST.csv", "COPYING", ".gitattributes", "README.md"}
    files = sorted(
        str(p)
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name not in skip and not p.name.startswith(("LICENSE", "NOTICE")) and p.suffix != ".json"
    )
    run_dir = workdir / "corpus"
    config = write_config(run_dir, dovecot, "n0@exchange.test", free_port(), model)  # classify connects to nothing
    result = subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(config), "classify", "--json", *files],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=run_dir,
        check=False,
    )
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    if not records:
        raise RuntimeError(f"inboxd classify printed nothing: {result.stderr[-2000:]}")
    worst = max(records, key=lambda r: r["elapsed_ms"])
    return worst["elapsed_ms"] / 1000, str(Path(worst["source"]).relative_to(CORPUS)), len(records)


# -- report -------------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def cpu_table(runs: list[Run]) -> list[str]:
    """ms of CPU (user + system) per mail of each process, for the floor and for inboxd, one column per N."""
    if not runs:
        return []
    sides = {
        "floor": [r.cpu_ms(r.floor_cpu) for r in runs],
        "inboxd": [r.cpu_ms(r.cpu) for r in runs],
    }
    rows: list[tuple[str, str, list[str]]] = []
    for side, tables in sides.items():
        # The union of the runs' processes (a run may have started a worker more), the total last.
        names = [*dict.fromkeys(name for table in tables for name in table if name != "total"), "total"]
        for name in names:
            rows.append((side, name, [f"{table[name]:.3f}" if name in table else "-" for table in tables]))
    ratios = zip(sides["floor"], sides["inboxd"], strict=True)
    rows.append(("ratio", "floor / inboxd total", [f"{f['total'] / max(1e-9, i['total']):.2f}" for f, i in ratios]))
    width = max(len(name) for _, name, _ in rows)
    lines = [
        "",
        "CPU (ms per mail, user + system; the floor: its timed phases; inboxd: whole lives less those of a poll of",
        "an empty mailbox (start-up); the main process by its own accounting, the others by their last sample)",
        "  " + f"{'':>6}  {'process':<{width}}" + "".join(f"  {r.n:>9,}" for r in runs),
    ]
    lines += [f"  {side:>6}  {name:<{width}}" + "".join(f"  {cell:>9}" for cell in cells) for side, name, cells in rows]
    startup = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in runs[0].startup_cpu.items())
    lines.append(f"  start-up, taken off: {startup}")
    reaped = ", ".join(f"{r.reaped_cpu_s:.2f} s at {r.n:,}" for r in runs)
    lines.append(f"  the children's CPU by the main process's own accounting of those it reaped: {reaped}")
    return lines


def report(
    runs: list[Run], latencies: list[Latency], corpus: tuple[float, str, int] | None, quick: bool
) -> tuple[list[str], bool]:
    lines: list[str] = []
    misses: list[str] = []

    def check(name: str, ok: bool, detail: str) -> None:
        lines.append(f"  {verdict(ok)}  {name}: {detail}")
        if not ok:
            misses.append(name)

    lines.append("")
    lines.append("Throughput (mails/s; inboxd: its tick, from after start-up to the last acknowledgement)")
    header = f"  {'N':>7}  {'fetch':>7}  {'parse':>7}  {'SMTP':>7}  {'floor':>7}  {'inboxd':>7}  {'ratio':>6}"
    lines.append(header + f"  {'start-up':>8}  {'acks':>13}  {'dup':>4}  {'lost':>4}")
    for r in runs:
        f = r.floor
        lines.append(
            f"  {r.n:>7,}  {f.n / f.fetch_s:>7.0f}  {f.n / f.parse_s:>7.0f}  {f.n / f.smtp_s:>7.0f}  {f.rate:>7.0f}  "
            f"{r.rate:>7.0f}  {r.ratio:>6.2f}  {r.wall_s - r.seconds:>7.1f}s  "
            f"{r.acks:>6}/{r.expected_acks:<6}  {r.duplicates:>4}  {r.missing:>4}"
        )
    lines.append("")
    lines.append("Memory (MiB): the poll process's peak RSS (ru_maxrss), and its whole process tree's peaks (sampled)")
    lines.append(f"  {'N':>7}  {'main RSS':>9}  {'tree RSS':>9}  {'tree PSS':>9}  {'processes':>9}")
    for r in runs:
        lines.append(
            f"  {r.n:>7,}  {r.maxrss_mib:>9.0f}  {r.tree_rss_mib:>9.0f}  {r.tree_pss_mib:>9.0f}  {r.processes:>9}"
        )
    lines.extend(cpu_table(runs))
    lines.append("")
    lines.append("Stages (inboxd's own totals.stages: ms per decided mail; worker stages are the workers' time)")
    lines.append("  " + f"{'stage':>9}" + "".join(f"  {r.n:>9,}" for r in runs))
    for name in STAGES:
        cells = "".join(
            f"  {1000 * float(r.totals.get('stages', {}).get(name, 0.0)) / max(1, r.decided):>9.3f}" for r in runs
        )
        lines.append(f"  {name:>9}{cells}")
    lines.append("  " + f"{'tick':>9}" + "".join(f"  {1000 * r.seconds / max(1, r.decided):>9.3f}" for r in runs))
    lines.append(
        "  " + f"{'slowest':>9}" + "".join(f"  {r.totals.get('slowest_mail_seconds', 0):>8.3f}s" for r in runs)
    )
    if latencies:
        lines.append("")
        lines.append("Latency: one mail appended to an idle mailbox → its acknowledgement at the SMTP sink (seconds)")
        lines.append(f"  {'mode':>28}  {'mails':>5}  {'median':>6}  {'p95':>6}  {'max':>6}")
        for lat in latencies:
            name = "IDLE (interval 600 s)" if lat.mode == "idle" else f"polling every {lat.interval:g} s"
            lines.append(
                f"  {name:>28}  {len(lat.seconds):>5}  {lat.median:>6.2f}  {lat.p95:>6.2f}  {max(lat.seconds):>6.2f}"
            )
    lines.append("")
    lines.append("Targets")
    for r in runs:
        check(
            f"exactly one acknowledgement per mail, N = {r.n:,}",
            r.exactly_once and not r.problems,
            f"{r.acks} acks for {r.expected_acks} mails that want one, {r.duplicates} twice, {r.missing} without"
            + (f"; {'; '.join(r.problems)}" if r.problems else ""),
        )
    if not quick:
        for r in runs:
            check(
                f"throughput, N = {r.n:,}",
                r.ratio >= RATIO_TARGET,
                f"{r.rate:.0f} mails/s = {r.ratio:.2f} × the floor's {r.floor.rate:.0f} (target ≥ {RATIO_TARGET})",
            )
        if runs:
            big, small = runs[-1], runs[0]
            check(
                "memory",
                big.tree_rss_mib < RSS_LIMIT_MIB
                and (len(runs) < 2 or big.tree_rss_mib <= RSS_GROWTH * small.tree_rss_mib),
                f"peak RSS of the process tree {big.tree_rss_mib:.0f} MiB at {big.n:,} (target < {RSS_LIMIT_MIB}), "
                f"{small.tree_rss_mib:.0f} MiB at {small.n:,} (target: within {RSS_GROWTH - 1:.0%})",
            )
            check(
                "store O(1) per mail",
                len(runs) < 2 or big.store_ms <= STORE_GROWTH * small.store_ms,
                f"{small.store_ms:.3f} ms per mail at {small.n:,}, {big.store_ms:.3f} at {big.n:,} "
                f"(target: within {STORE_GROWTH - 1:.0%})",
            )
        slowest = max((float(r.totals.get("slowest_mail_seconds", 0.0)), r.n) for r in runs) if runs else (0.0, 0)
        check(
            "slowest generated mail",
            slowest[0] < SLOWEST_MAIL_S,
            f"{slowest[0]:.3f} s (target < {SLOWEST_MAIL_S:g} s)",
        )
        if corpus is not None:
            check(
                "slowest MIME-corpus mail",
                corpus[0] < SLOWEST_MAIL_S,
                f"{corpus[0]:.3f} s, {corpus[1]} (of {corpus[2]}; target < {SLOWEST_MAIL_S:g} s)",
            )
        else:
            lines.append(f"  ----  slowest MIME-corpus mail: {CORPUS} not found (set SUPPORT_TEST_DATA)")
        for lat in latencies:
            limit = IDLE_P95_S if lat.mode == "idle" else lat.interval + POLL_SLACK_S
            check(
                f"latency, {lat.mode}",
                lat.p95 < limit,
                f"p95 {lat.p95:.2f} s, median {lat.median:.2f} s (target p95 < {limit:g} s)",
            )
    return lines, not misses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few hundred mails, for CI: checks that it runs")
    parser.add_argument("--n", type=int, nargs="+", help="mailbox sizes (default 10000 50000; --quick: 300)")
    parser.add_argument("--latency-mails", type=int, help="mails per latency mode (default 50; --quick: 3)")
    parser.add_argument("--poll-interval", type=float, help="the polling mode's interval (default 5 s; --quick: 2)")
    parser.add_argument("--no-corpus", action="store_true", help="skip the MIME corpus")
    parser.add_argument("--workdir", type=Path, help="keep servers' files and logs here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, help="[processing] workers for inboxd (default: inboxd's own default)")
    args = parser.parse_args()
    settings = {"processing": {"workers": args.workers}} if args.workers is not None else {}
    sizes = args.n or ([300] if args.quick else [10_000, 50_000])
    latency_mails = args.latency_mails if args.latency_mails is not None else (3 if args.quick else 50)
    interval = args.poll_interval or (2.0 if args.quick else 5.0)

    began = time.monotonic()

    def log(text: str) -> None:
        print(f"[{time.monotonic() - began:7.1f}s] {text}", flush=True)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="inboxd-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    model = in_child(trained_model, ROOT / "var" / "bench")
    users = [f"n{n}@exchange.test" for n in sizes] + ["latency-idle@exchange.test", "latency-poll@exchange.test"]
    users.append("n0@exchange.test")
    dovecot = Dovecot(workdir / "dovecot", users=dict.fromkeys(users, PASSWORD))
    dovecot.start()
    runs: list[Run] = []
    latencies: list[Latency] = []
    corpus = None
    try:
        log("inboxd's start-up: a poll of an empty mailbox")
        startup_cpu = measure_startup(dovecot, model, workdir)
        for n in sizes:
            runs.append(measure(n, dovecot, model, workdir, args.seed, startup_cpu, log, settings))
            r = runs[-1]
            log(f"N = {n:,}: floor {r.floor.rate:.0f}/s, inboxd {r.rate:.0f}/s, {r.acks} acks")
        if latency_mails:
            log(f"latency with IDLE, {latency_mails} mails")
            latencies.append(measure_latency("idle", latency_mails, 600, dovecot, model, workdir, args.seed))
            log(f"latency with polling every {interval:g} s, {latency_mails} mails")
            latencies.append(measure_latency("poll", latency_mails, interval, dovecot, model, workdir, args.seed))
        if not args.quick and not args.no_corpus:
            log("the MIME corpus through inboxd classify")
            corpus = corpus_slowest(model, workdir, dovecot)
    finally:
        dovecot.stop()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
            shutil.rmtree(dovecot.mail_dir, ignore_errors=True)
    lines, ok = report(runs, latencies, corpus, args.quick)
    print("\n".join(lines))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "runs": [
                        {"n": r.n, "floor": vars(r.floor), "floor_rate": r.floor.rate, "rate": r.rate,
                         "ratio": r.ratio, "totals": r.totals, "wall_s": r.wall_s, "maxrss_mib": r.maxrss_mib,
                         "tree_rss_mib": r.tree_rss_mib, "tree_pss_mib": r.tree_pss_mib, "acks": r.acks,
                         "expected_acks": r.expected_acks, "duplicates": r.duplicates, "missing": r.missing,
                         "store_ms": r.store_ms, "exit_code": r.exit_code,
                         "cpu_s": {"floor": r.floor_cpu, "inboxd": r.cpu},
                         "cpu_ms_per_mail": {"floor": r.cpu_ms(r.floor_cpu), "inboxd": r.cpu_ms(r.cpu)},
                         "startup_cpu_s": r.startup_cpu, "reaped_cpu_s": r.reaped_cpu_s}
                        for r in runs
                    ],
                    "latency": [
                        {"mode": lat.mode, "interval": lat.interval, "seconds": lat.seconds, "median": lat.median,
                         "p95": lat.p95}
                        for lat in latencies
                    ],
                    "corpus": corpus,
                    "ok": ok,
                },
                indent=1,
            )
        )  # fmt: skip
    if args.quick:
        good = all(r.exactly_once and not r.problems for r in runs) and all(lat.seconds for lat in latencies)
        print(f"\nquick run: {'PASS' if good else 'FAIL'} (figures above are not checked against the targets)")
        return 0 if good else 1
    print(f"\n{'all targets met' if ok else 'some targets missed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
