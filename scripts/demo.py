#!/usr/bin/env python3
"""The local demo: a real Dovecot and SMTP sink on 127.0.0.1, sample mail, one poll.

Uses the repo's config.toml unchanged (it points at these ports). Resets var/demo/ and
the demo store, loads the sample mails of tests/fixtures/eml/ (Chinese and English,
complete and incomplete requests, an auto-reply, a bounce, a newsletter, a hostile
message), trains the model if needed, runs `inboxd poll` and prints every
acknowledgement the SMTP server received. `--keep` leaves both servers running so
that you can try `inboxd poll --dry-run`, `inboxd run` or a mail client against them, and
starts the operator console (`inboxd console`) on the demo's store, printing its URL and how
to log in.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inboxd.config import load_config  # noqa: E402
from testbed.dovecot import Dovecot  # noqa: E402
from testbed.mx import stamp  # noqa: E402

DEMO = ROOT / "var" / "demo"
INBOXD = [sys.executable, "-m", "inboxd", "--config", str(ROOT / "config.toml")]


def stop_previous() -> None:
    """Stop the servers a previous `--keep` run left behind."""
    old = Dovecot(DEMO / "dovecot", port=1, tls_port=1)
    old.stop()
    for pid_file in (DEMO / "sink" / "sink.pid", DEMO / "console.pid"):
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
                time.sleep(0.5)
            except (ProcessLookupError, ValueError):
                pass


def start_console(listen: str, token_file: Path) -> None:
    """`inboxd console` on the demo's store, left running; prints where and how to log in."""
    log = open(DEMO / "console.log", "wb")  # noqa: SIM115 - lives as long as the console process
    console = subprocess.Popen(
        [*INBOXD, "console", "--listen", listen], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        start_new_session=True,
    )  # fmt: skip
    (DEMO / "console.pid").write_text(str(console.pid))
    host, _, port = listen.rpartition(":")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and console.poll() is None:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    if console.poll() is not None:
        print(f"\nThe console did not start: see {DEMO / 'console.log'}")
        return
    print(f"\nOperator console: http://{listen}/")
    print(f"  log in with any name and the token in {token_file}  (cat {token_file})")
    print(f'  scripts: curl -H "Authorization: Bearer $(cat {token_file})" http://{listen}/')
    print(f"  stop it: kill $(cat {DEMO / 'console.pid'})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave Dovecot and the SMTP sink running afterwards")
    args = parser.parse_args()
    config = load_config(ROOT / "config.toml")

    stop_previous()
    shutil.rmtree(DEMO, ignore_errors=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{config.store.path}{suffix}").unlink(missing_ok=True)
    DEMO.mkdir(parents=True)
    password = secrets.token_urlsafe(16)
    assert config.imap.password_file is not None
    config.imap.password_file.write_text(password + "\n")
    config.imap.password_file.chmod(0o600)
    assert config.console.token_file is not None
    config.console.token_file.write_text(secrets.token_urlsafe(24) + "\n")
    config.console.token_file.chmod(0o600)

    dovecot = Dovecot(DEMO / "dovecot", users={config.imap.username: password}, port=config.imap.port, tls_port=10993)
    dovecot.start()
    sink_log = open(DEMO / "sink.log", "wb")  # noqa: SIM115 - lives as long as the sink process
    sink = subprocess.Popen(
        [sys.executable, "-m", "testbed.smtpsink", "--port", str(config.smtp.port), "--dir", str(DEMO / "sink")],
        cwd=ROOT,  # where `-m` finds the repo's testbed package, which is not installed
        stdin=subprocess.DEVNULL,
        stdout=sink_log,
        stderr=sink_log,
    )
    try:
        deadline = time.monotonic() + 10
        while not (DEMO / "sink" / "sink.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)

        mails = sorted((ROOT / "tests" / "fixtures" / "eml").glob("*.eml"))
        # As the exchange's receiving server delivers them: with its Authentication-Results
        # (config.toml trusts that server), so inboxd may quote each sender's facts back.
        dovecot.append_many([stamp(m.read_bytes()) for m in mails], user=config.imap.username)
        print(f"Loaded {len(mails)} sample mails into {config.imap.username} on 127.0.0.1:{config.imap.port}\n")

        check = subprocess.run([*INBOXD, "check"], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            print("Training the classifier (first run, or the examples changed)…")
            subprocess.run([*INBOXD, "train"], check=True)
        print("\n$ inboxd poll")
        subprocess.run([*INBOXD, "poll"], check=True)

        received = sorted((DEMO / "sink").glob("*.eml"))
        print(f"\nThe SMTP server received {len(received)} acknowledgement(s):")
        for path in received:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            print("\n" + "=" * 78)
            for header in ("To", "Subject", "In-Reply-To", "Auto-Submitted"):
                print(f"{header}: {message[header]}")
            print()
            print(message.get_content().rstrip())  # type: ignore[union-attr]
        print("\n" + "=" * 78)
        print("Mailbox state on the server (IMAP keywords):")
        for folder in dovecot.folders(config.imap.username):
            for uid, (flags, _) in sorted(dovecot.messages(folder, config.imap.username).items()):
                print(f"  {folder} UID {uid}: {' '.join(sorted(f for f in flags if f != chr(92) + 'Recent'))}")
        if args.keep:
            start_console(config.console.listen, config.console.token_file)
    finally:
        if args.keep:
            print(f"\nServers left running (IMAP 127.0.0.1:{config.imap.port}, SMTP 127.0.0.1:{config.smtp.port}).")
            print("Run `bash scripts/demo.sh` again to reset, or kill them with scripts/demo.py's stop_previous().")
        else:
            sink.send_signal(signal.SIGTERM)
            sink.wait(timeout=10)
            dovecot.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
