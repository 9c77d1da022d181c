"""Start and stop a private PostgreSQL server on 127.0.0.1 (Debian's postgresql package).

For the tests of the PostgreSQL store: `initdb` into a temp dir, `pg_ctl start` on a
free port with the socket in the same dir, trust authentication on loopback only,
no system service involved. PostgreSQL refuses to run as root, so as root the data
dir is given to the `postgres` user and the server runs as that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from testbed.dovecot import free_port


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin dir, or None when PostgreSQL is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


@dataclass
class Postgres:
    root: Path
    port: int = 0
    database: str = "inboxd"

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.port = self.port or free_port()
        self._bin = bin_dir()

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} dbname={self.database} user=postgres"

    def url(self, database: str | None = None) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database or self.database}"

    def new_database(self, name: str) -> str:
        """A fresh, empty database on this server; its postgresql:// URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def _run(self, *args: str) -> None:
        if self._bin is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (see scripts/setup-system.sh)")
        command = [str(self._bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        with open(self.root / "postgres.log", "ab") as log:
            # Like Dovecot, postgres keeps the caller's output open: never give it a pipe.
            subprocess.run(command, check=True, stdin=subprocess.DEVNULL, stdout=log, stderr=log)

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        data = self.root / "data"
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.root, pg.pw_uid, pg.pw_gid)
            self.root.chmod(0o755)
            for parent in self.root.parents:  # the postgres user must be able to reach its data dir
                if parent.stat().st_mode & 0o001 == 0 and parent != Path("/"):
                    raise RuntimeError(f"{parent} is not reachable by the postgres user; use a dir under /tmp")
        if not data.exists():
            self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(data), "-o", options, "-w", "-t", "30", "-l", log, "start")
        deadline = time.monotonic() + 15
        while True:
            try:
                self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.database)
                return
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        data = self.root / "data"
        if (data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
