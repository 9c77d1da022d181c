"""Shared fixtures: the repo's assets, a trained model, and real servers on loopback.

`dovecot` is one real Dovecot (Debian's dovecot-imapd) per test session; each test
gets a mailbox user of its own so tests do not see each other's mail. `smtp_sink`
is a real aiosmtpd server per test. Both are started here, on 127.0.0.1, with no
system service involved.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from inboxd.assets import Assets, load_assets
from inboxd.classifier import Classifier, parse_settings, save_model
from inboxd.classifier.training import train
from inboxd.compose import App, load_app, open_store, poll_once
from inboxd.config import Config, load_config
from inboxd.store import Store
from testbed.dovecot import Dovecot, free_port
from testbed.mx import AUTHSERV_ID, stamp
from testbed.postgres import Postgres
from testbed.postgres import bin_dir as pg_bin_dir
from testbed.smtpsink import SmtpSink

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "eml"
DATA_DIR = Path(os.environ.get("SUPPORT_TEST_DATA", ROOT.parent / "shared" / "data"))
USERS = 400
PASSWORD = "test-password-1"


def data_path(*parts: str) -> Path:
    """A path under ../shared/data, or a skip that says why the test cannot run."""
    path = DATA_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"external test data not available: {path} (set SUPPORT_TEST_DATA or place ../shared/data)")
    return path


def marks(flags: set[str]) -> set[str]:
    """The flags that someone set on purpose: \\Recent is the server's own bookkeeping."""
    return {f for f in flags if f != "\\Recent"}


def run_inboxd(config: Path, *args: str, wide: bool = False) -> subprocess.CompletedProcess[str]:
    """`python -m inboxd --config CONFIG ARGS…` as an operator runs it; `wide`: a 2000-column
    terminal, so that rich does not fold table cells across the strings a test looks for."""
    env = (os.environ | {"COLUMNS": "2000", "PYTHONIOENCODING": "utf-8"}) if wide else None
    return subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(config), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env=env,
    )


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def authenticated_fixture(name: str) -> bytes:
    """A fixture as the exchange's MX delivers it after DMARC passed for its sender."""
    return stamp(fixture_bytes(name))


@pytest.fixture(scope="session")
def assets() -> Assets:
    return load_assets(ROOT / "classifiers")


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory, assets: Assets) -> Path:
    """The repo's classifier, trained once per session into a temp file."""
    path = tmp_path_factory.mktemp("model") / "model.npz"
    settings = parse_settings(assets.model_settings, "model.toml")
    save_model(train(assets, settings), path)
    return path


def write_config(
    directory: Path,
    *,
    model_path: Path,
    imap_port: int = 10143,
    imap_user: str = "support@exchange.test",
    smtp_port: int = 10025,
    cert: Path | None = None,
    security: str = "none",
    extra: str = "",
    sections: dict[str, dict[str, object]] | None = None,
) -> Path:
    """A config.toml for tests; `sections` overrides keys, e.g. {"imap": {"batch_size": 3}} (None: leave out)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "imap-password").write_text(PASSWORD + "\n")
    values: dict[str, dict[str, object]] = {
        "imap": {
            "host": "127.0.0.1",
            "port": imap_port,
            "security": security,
            "username": imap_user,
            "password_file": "imap-password",
            "folder": "INBOX",
            "quarantine_folder": "Quarantine",
        },
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp_port,
            "security": "none",
            "from_address": "support@exchange.test",
            "from_name": "Exchange Support",
        },
        "store": {"path": "state/inboxd.sqlite3"},
        "schedule": {"interval_seconds": 1},
        "classifier": {"dir": str(ROOT / "classifiers"), "model_path": str(model_path)},
        "templates": {"dir": str(ROOT / "templates")},
        "ack": {"retry_base_seconds": 1},
        # The tests' mail arrives through a stand-in for the exchange's MX (testbed.mx).
        "trust": {"authserv_ids": [AUTHSERV_ID]},
    }
    if cert is not None:
        values["imap"]["ca_file"] = str(cert)
    for section, keys in (sections or {}).items():
        values.setdefault(section, {}).update(keys)
    lines: list[str] = []
    for section, keys in values.items():
        lines.append(f"[{section}]")
        for key, value in keys.items():
            if value is None:  # a key of the defaults left out
                continue
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, (int, float)):
                lines.append(f"{key} = {value}")
            elif isinstance(value, (list, tuple)):
                items = ", ".join(f'"{v}"' for v in value)
                lines.append(f"{key} = [{items}]")
            else:
                lines.append(f'{key} = "{value}"')
        lines.append("")
    path = directory / "config.toml"
    path.write_text("\n".join(lines) + extra)
    return path


@pytest.fixture
def offline_app(tmp_path: Path, model_path: Path) -> App:
    """The repo's assets and templates with a trained model; no servers."""
    return load_app(write_config(tmp_path / "cfg", model_path=model_path))


@pytest.fixture
def classifier(offline_app: App) -> Classifier:
    assert offline_app.classifier is not None
    return offline_app.classifier


# -- real servers ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists():
        pytest.fail("dovecot is not installed: run scripts/setup-system.sh (the integration tests need it)")
    users = {f"user{i}@exchange.test": PASSWORD for i in range(USERS)}
    users["support@exchange.test"] = PASSWORD
    server = Dovecot(tmp_path_factory.mktemp("dovecot"), users=users)
    server.start()
    yield server
    server.stop()


_user_numbers = itertools.count()


@dataclass
class Servers:
    dovecot: Dovecot
    sink: SmtpSink
    user: str
    config_path: Path

    def config(self) -> Config:
        return load_config(self.config_path)

    def app(self) -> App:
        return load_app(self.config_path)

    def append(self, *names_or_bytes: str | bytes, folder: str = "INBOX", authenticated: bool = True) -> None:
        """Deliver mail to the user's folder; as through the exchange's MX, which found each
        sender authentic (DMARC pass), unless `authenticated` is False (the mail as given)."""
        raws = [fixture_bytes(x) if isinstance(x, str) else x for x in names_or_bytes]
        if authenticated:
            raws = [stamp(raw) for raw in raws]
        self.dovecot.append_many(raws, folder=folder, user=self.user)

    def messages(self, folder: str = "INBOX") -> dict[int, tuple[set[str], bytes]]:
        return self.dovecot.messages(folder, user=self.user)

    def poll(self) -> None:
        """One tick, as `inboxd poll` runs it, with the store opened and closed around it."""
        app = self.app()
        store = open_store(app.config)
        try:
            poll_once(app, store)
        finally:
            store.close()


@pytest.fixture
def smtp_sink(tmp_path: Path) -> Iterator[SmtpSink]:
    sink = SmtpSink(tmp_path / "sink", free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def servers(tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink, model_path: Path) -> Servers:
    """A fresh mailbox user on the session's Dovecot, an SMTP sink, and a config for both."""
    user = f"user{next(_user_numbers)}@exchange.test"
    config_path = write_config(
        tmp_path / "cfg", model_path=model_path, imap_port=dovecot.port, imap_user=user, smtp_port=smtp_sink.port
    )
    return Servers(dovecot, smtp_sink, user, config_path)


# -- PostgreSQL (the shared store for two hosts) ----------------------------------------------------


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    """A real PostgreSQL from Debian's packages, on loopback, for the session."""
    if pg_bin_dir() is None:
        pytest.fail("PostgreSQL is not installed: run scripts/setup-system.sh (the store tests need it)")
    import tempfile

    # The server runs as the postgres user: its dir must not sit under a private parent.
    root = Path(tempfile.mkdtemp(prefix="inboxd-pg-"))
    root.chmod(0o755)
    server = Postgres(root / "pg")
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


_databases = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a Store lives: a SQLite file, or a fresh PostgreSQL database (both backends run each test)."""
    if request.param == "sqlite":
        return tmp_path / "store.sqlite3"
    server: Postgres = request.getfixturevalue("postgres")
    return server.new_database(f"test_{next(_databases)}")


@pytest.fixture
def make_store(store_target: str | Path) -> Iterator[Callable[[], Store]]:
    """Opens Stores on `store_target` (a new connection each call); all are closed afterwards."""
    opened: list[Store] = []

    def make() -> Store:
        opened.append(Store(store_target))
        return opened[-1]

    yield make
    for store in opened:
        store.close()
