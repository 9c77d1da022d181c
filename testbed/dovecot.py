"""Start and stop a private Dovecot IMAP server on 127.0.0.1 (Debian's dovecot-imapd).

Learned the hard way (see ../shared/ENVIRONMENT.md): Dovecot keeps the caller's
stderr open for its whole life, so it is started with its output redirected to a
file; failed logins get a growing penalty unless anvil's penalty socket is
disabled; stale sockets in the run dir break a restart, so the run dir is wiped.
Messages are loaded with the standard library's imaplib, independent of the
imapclient code under test.
"""

from __future__ import annotations

import contextlib
import grp
import hashlib
import imaplib
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def _reachable_by_others(path: Path) -> bool:
    """True if every folder on the way to `path` lets other users through (o+x)."""
    return all(not (part.exists() and not part.stat().st_mode & stat.S_IXOTH) for part in [path, *path.parents])


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """`n` different free ports: bound together, so that the kernel cannot hand out one twice
    (two calls in a row can return the same port, and Dovecot then refuses a duplicate listener)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA: clients trust it via ca_file)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    if not cert.exists():
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "3650",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
    return cert, key


@dataclass
class Dovecot:
    """A Dovecot instance rooted at `root`. `start()`, then `stop()`."""

    root: Path
    users: dict[str, str] = field(default_factory=lambda: {"support@exchange.test": "support-password"})
    port: int = 0
    tls_port: int = 0
    # An OAuth2 token-introspection URL (RFC 7662, POST): when set, the instance also
    # takes SASL XOAUTH2 and OAUTHBEARER, and asks that URL whether a token is valid.
    oauth2_introspection_url: str = ""
    process_started: bool = False

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        plain, tls = free_ports(2)
        self.port = self.port or (tls if plain == self.tls_port else plain)
        self.tls_port = self.tls_port or (plain if tls == self.port else tls)

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def mail_dir(self) -> Path:
        wanted = self.root / "mail"
        if os.geteuid() != 0 or _reachable_by_others(self.root):
            return wanted
        # Running as root under a private parent (/root, pytest's 0700 tmp): the mail
        # processes (nobody) could not reach it, so the maildirs live in /tmp instead, at a
        # name derived from the root so that a restart finds the same mail.
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"inboxd-dovecot-mail-{digest}"

    @property
    def cert(self) -> Path:
        return self.root / "tls" / "cert.pem"

    @property
    def log_file(self) -> Path:
        return self.root / "dovecot.log"

    def _config(self) -> str:
        cert, key = make_certificate(self.root / "tls")
        root_only = ""
        if os.geteuid() == 0:
            # Dovecot refuses uid 0 for mail processes: they run as nobody, and the mail dir
            # is placed where nobody can reach it (see mail_dir). The passwd file may sit under
            # a 0700 parent (pytest's tmp), so the auth processes run as root.
            mail_user, mail_group = "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
            login_user, internal_user = "dovenull", "dovecot"
            root_only = "service auth {\n  user = root\n}\nservice auth-worker {\n  user = root\n}\n"
        else:
            me = pwd.getpwuid(os.geteuid()).pw_name
            mail_user, mail_group = me, grp.getgrgid(os.getegid()).gr_name
            login_user = internal_user = me
        passwd = self.root / "passwd"
        passwd.write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items()))
        uid, gid = pwd.getpwnam(mail_user).pw_uid, grp.getgrnam(mail_group).gr_gid
        return f"""
base_dir = {self.run_dir}
state_dir = {self.root / "state"}
instance_name = inboxd-test-{self.port}
listen = 127.0.0.1
protocols = imap
log_path = {self.log_file}
info_log_path = {self.log_file}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = {self._mechanisms()}
default_login_user = {login_user}
default_internal_user = {internal_user}
mail_location = maildir:{self.mail_dir}/%u
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 0
namespace inbox {{
  inbox = yes
  separator = /
}}
{self._oauth2_passdb()}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}{self._password_mechanisms()}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={self.mail_dir}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
{root_only}service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
protocol imap {{
  mail_max_userip_connections = 200
}}
"""

    def _mechanisms(self) -> str:
        return "plain login xoauth2 oauthbearer" if self.oauth2_introspection_url else "plain login"

    def _password_mechanisms(self) -> str:
        # A rejected token must not be tried as a password against the passwd file.
        return "\n  mechanisms = plain login" if self.oauth2_introspection_url else ""

    def _oauth2_passdb(self) -> str:
        if not self.oauth2_introspection_url:
            return ""
        conf = self.root / "dovecot-oauth2.conf.ext"
        conf.write_text(
            f"introspection_mode = post\n"
            f"introspection_url = {self.oauth2_introspection_url}\n"
            "force_introspection = yes\n"
            "username_attribute = username\n"
            "active_attribute = active\n"
            "active_value = true\n"
            "timeout_msecs = 5000\n"
        )
        return f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {conf}\n}}\n"

    def start(self, timeout: float = 15.0) -> None:
        if not Path(DOVECOT).exists():
            raise RuntimeError("dovecot is not installed: apt-get install dovecot-imapd (see scripts/setup-system.sh)")
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)  # stale sockets break a restart
        self.run_dir.mkdir(parents=True)
        (self.root / "state").mkdir(exist_ok=True)
        self.mail_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.mail_dir.chmod(0o755)
            for path in [self.mail_dir, *self.mail_dir.rglob("*")]:
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
        conf = self.root / "dovecot.conf"
        conf.write_text(self._config())
        with open(self.root / "startup.log", "wb") as err:
            # Dovecot holds on to the stderr it was given: never a pipe of ours.
            subprocess.run([DOVECOT, "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=err, stderr=err, check=True)
        self.process_started = True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not listen on {self.port}; see {self.log_file}")

    def pid(self) -> int | None:
        try:
            return int((self.run_dir / "master.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def sessions(self) -> list[int]:
        """Pids of this instance's processes (titled dovecot-<instance>/...), master excluded."""
        title = f"dovecot-inboxd-test-{self.port}/".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if (entry / "cmdline").read_bytes().startswith(title):
                        found.append(int(entry.name))
                except OSError:
                    continue  # gone meanwhile
        return found

    def stop(self, timeout: float = 10.0, sessions: bool = False) -> None:
        """Stop the master. Logged-in IMAP sessions outlive it; `sessions=True` kills them too
        (after the master, so that no new one starts), as a crash or a reboot of the server would."""
        self._stop_master(timeout)
        if sessions:
            for pid in self.sessions():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def _stop_master(self, timeout: float) -> None:
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
        self.process_started = False

    # -- helpers for tests and the demo (standard library imaplib, not the code under test) --

    def connect(self, user: str | None = None) -> imaplib.IMAP4:
        user = user or next(iter(self.users))
        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(user, self.users[user])
        return client

    def append(self, raw: bytes, folder: str = "INBOX", user: str | None = None, flags: str = "") -> None:
        client = self.connect(user)
        try:
            if folder != "INBOX":
                client.create(folder)
            typ, data = client.append(folder, flags or None, None, raw)
            if typ != "OK":
                raise RuntimeError(f"APPEND failed: {data}")
        finally:
            client.logout()

    def append_many(self, messages: list[bytes], folder: str = "INBOX", user: str | None = None) -> None:
        client = self.connect(user)
        try:
            for raw in messages:
                typ, data = client.append(folder, None, None, raw)
                if typ != "OK":
                    raise RuntimeError(f"APPEND failed: {data}")
        finally:
            client.logout()

    def messages(self, folder: str = "INBOX", user: str | None = None) -> dict[int, tuple[set[str], bytes]]:
        """{uid: (flags, raw)} of every message in `folder`, read-only."""
        client = self.connect(user)
        out: dict[int, tuple[set[str], bytes]] = {}
        try:
            typ, _ = client.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return out
            typ, data = client.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])")
            for item in data:
                if not isinstance(item, tuple):
                    continue
                head = bytes(item[0]).decode()
                uid = int(head.split("UID ")[1].split()[0])
                flags = set(head.split("FLAGS (")[1].split(")")[0].split()) if "FLAGS (" in head else set()
                out[uid] = (flags, item[1])
        finally:
            client.logout()
        return out

    def folders(self, user: str | None = None) -> list[str]:
        client = self.connect(user)
        try:
            _typ, data = client.list()
            return [bytes(line).decode().rsplit(' "/" ', 1)[-1].strip('"') for line in data if isinstance(line, bytes)]
        finally:
            client.logout()
