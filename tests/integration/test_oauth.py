"""SASL XOAUTH2 on real servers: Dovecot with an oauth2 passdb asking a token-introspection
endpoint, and the SMTP sink requiring AUTH XOAUTH2 checked against the same endpoint's tokens.

A token is valid while the introspection server has granted it; a token the server does not
know stands for an expired or revoked one, and both servers reject it the way Gmail does.
"""

from __future__ import annotations

import itertools
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from testbed.dovecot import Dovecot, free_port
from testbed.oauth2server import AuthorizationServer
from testbed.smtpsink import SinkMode, SmtpSink
from tests.conftest import PASSWORD, ROOT, Servers, fixture_bytes, marks, write_config
from tests.integration.test_service import Running, wait_for

pytestmark = pytest.mark.integration

USERS = 40
_numbers = itertools.count()

# A token command for tests: prints the N-th of its arguments on its N-th run (the last one
# from then on), and counts its runs in a file: an "expired" first token, then a fresh one.
SEQUENCE = """
import pathlib, sys
state = pathlib.Path(sys.argv[1])
n = int(state.read_text()) + 1 if state.exists() else 1
state.write_text(str(n))
tokens = sys.argv[2:]
print(tokens[min(n, len(tokens)) - 1])
"""


@pytest.fixture(scope="module")
def authority() -> Iterator[AuthorizationServer]:
    server = AuthorizationServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def oauth_dovecot(tmp_path_factory: pytest.TempPathFactory, authority: AuthorizationServer) -> Iterator[Dovecot]:
    users = {f"oauth{i}@exchange.test": PASSWORD for i in range(USERS)}  # passwords: for loading mail only
    server = Dovecot(
        tmp_path_factory.mktemp("dovecot-oauth2"), users=users, oauth2_introspection_url=authority.introspection_url
    )
    server.start()
    yield server
    server.stop()


@dataclass
class OAuthServers:
    dovecot: Dovecot
    sink: SmtpSink
    authority: AuthorizationServer
    user: str
    dir: Path
    model_path: Path

    @property
    def tag(self) -> str:
        """Unique per test, and made of token characters (tokens cannot hold '@')."""
        return self.user.partition("@")[0]

    def token_command(self, *tokens: str, name: str = "imap") -> tuple[str, Path]:
        """A command printing `tokens` one per run; and the file counting its runs."""
        script = self.dir / "sequence.py"
        script.write_text(SEQUENCE)
        count = self.dir / f"{name}-runs"
        words = [sys.executable, str(script), str(count), *tokens]
        return " ".join(shlex.quote(w) for w in words), count

    def config(
        self, imap: dict[str, object], smtp: dict[str, object] | None = None, **sections: dict[str, object]
    ) -> Path:
        smtp = smtp if smtp is not None else imap
        return write_config(
            self.dir / "cfg",
            model_path=self.model_path,
            imap_port=self.dovecot.port,
            imap_user=self.user,
            smtp_port=self.sink.port,
            sections={
                "imap": {"auth": "xoauth2", "password_file": None} | imap,
                "smtp": {"auth": "xoauth2", "username": self.user} | smtp,
                **sections,
            },
        )

    def append(self, *names: str) -> None:
        self.dovecot.append_many([fixture_bytes(n) for n in names], user=self.user)

    def flags(self) -> list[set[str]]:
        return [marks(flags) for flags, _ in self.dovecot.messages(user=self.user).values()]


@pytest.fixture
def oauth(
    tmp_path: Path, oauth_dovecot: Dovecot, authority: AuthorizationServer, model_path: Path
) -> Iterator[OAuthServers]:
    sink = SmtpSink(tmp_path / "sink", free_port(), SinkMode(xoauth2=authority.user_of))
    sink.start()
    try:
        yield OAuthServers(oauth_dovecot, sink, authority, f"oauth{next(_numbers)}@exchange.test", tmp_path, model_path)
    finally:
        sink.stop()


def inboxd(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(config), "--log-level", "DEBUG", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def runs(count: Path) -> int:
    return int(count.read_text()) if count.exists() else 0


def test_poll_with_a_token_command_on_imap_and_smtp(oauth: OAuthServers) -> None:
    token = f"tok-{oauth.tag}-good"
    oauth.authority.grant(token, oauth.user)
    command, count = oauth.token_command(token)
    config = oauth.config({"oauth2_token_command": command})
    oauth.append("en_account_2fa.eml", "zh_complaint.eml")
    result = inboxd(config, "poll", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["acks_sent"] == 2
    received = oauth.sink.received()
    assert [r["auth_user"] for r in received] == [oauth.user, oauth.user]
    assert all("$Inboxd-Acked" in flags for flags in oauth.flags())
    assert runs(count) == 1  # one token for IMAP and SMTP, fetched once
    assert oauth.sink.logins == [(oauth.user, True)]
    assert token not in result.stdout + result.stderr  # not even at DEBUG


def test_poll_with_a_token_file_written_by_an_external_refresher(oauth: OAuthServers) -> None:
    old, new = f"tok-{oauth.tag}-old", f"tok-{oauth.tag}-new"
    (oauth.dir / "cfg").mkdir(parents=True, exist_ok=True)
    token_file = oauth.dir / "cfg" / "access-token"
    token_file.write_text(old + "\n")
    oauth.authority.grant(old, oauth.user)
    config = oauth.config({"oauth2_token_file": "access-token"})  # relative to the config file
    oauth.append("en_account_2fa.eml")
    first = inboxd(config, "poll", "--json")
    assert first.returncode == 0, first.stderr
    assert len(oauth.sink.received()) == 1

    oauth.authority.revoke(old)  # the token expired ...
    oauth.append("zh_complaint.eml")
    failed = inboxd(config, "poll")
    assert failed.returncode == 1
    assert "poll failed, nothing was lost" in failed.stderr and "AUTHENTICATIONFAILED" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert len(oauth.sink.received()) == 1

    token_file.write_text(new + "\n")  # ... and the operator's refresher wrote a new one
    oauth.authority.grant(new, oauth.user)
    again = inboxd(config, "poll", "--json")
    assert again.returncode == 0, again.stderr
    assert len(oauth.sink.received()) == 2
    assert all("$Inboxd-Acked" in flags for flags in oauth.flags())
    for result in (first, failed, again):
        assert old not in result.stdout + result.stderr and new not in result.stdout + result.stderr


@pytest.mark.parametrize(("security", "port"), [("starttls", "port"), ("tls", "tls_port")])
def test_xoauth2_over_tls(oauth: OAuthServers, security: str, port: str) -> None:
    """As Gmail and Microsoft 365 are reached: the mechanism is looked for after STARTTLS too."""
    token = f"tok-{oauth.tag}-tls"
    oauth.authority.grant(token, oauth.user)
    (oauth.dir / "cfg").mkdir(parents=True, exist_ok=True)
    (oauth.dir / "cfg" / "token").write_text(token)
    imap = {"oauth2_token_file": "token", "security": security, "port": getattr(oauth.dovecot, port),
            "ca_file": str(oauth.dovecot.cert)}  # fmt: skip
    config = oauth.config(imap, {"oauth2_token_file": "token"})
    oauth.append("en_account_2fa.eml")
    result = inboxd(config, "poll", "--json")
    assert result.returncode == 0, result.stderr
    assert [r["auth_user"] for r in oauth.sink.received()] == [oauth.user]
    assert f"Login: user=<{oauth.user}>, method=XOAUTH2" in oauth.dovecot.log_file.read_text()


def test_an_expired_token_is_refreshed_through_the_command(oauth: OAuthServers) -> None:
    """Both servers reject the first token of their command; inboxd runs the command again and goes on."""
    imap_fresh, smtp_fresh = f"tok-{oauth.tag}-imap", f"tok-{oauth.tag}-smtp"
    oauth.authority.grant(imap_fresh, oauth.user)
    oauth.authority.grant(smtp_fresh, oauth.user)
    imap_command, imap_runs = oauth.token_command(f"tok-{oauth.tag}-imap-expired", imap_fresh, name="imap")
    smtp_command, smtp_runs = oauth.token_command(f"tok-{oauth.tag}-smtp-expired", smtp_fresh, name="smtp")
    config = oauth.config({"oauth2_token_command": imap_command}, {"oauth2_token_command": smtp_command})
    oauth.append("en_account_2fa.eml")
    result = inboxd(config, "poll", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["acks_sent"] == 1
    assert (runs(imap_runs), runs(smtp_runs)) == (2, 2)
    assert oauth.sink.logins == [(oauth.user, False), (oauth.user, True)]
    assert oauth.sink.received()[0]["auth_user"] == oauth.user
    assert f"tok-{oauth.tag}-imap-expired" in oauth.authority.asked  # Dovecot did ask, and was told no
    assert "rejected the access token; logging in with a new one" in result.stderr
    assert imap_fresh not in result.stderr and smtp_fresh not in result.stderr
    assert f"tok-{oauth.tag}-imap-expired" not in result.stderr


def test_a_failing_token_command_fails_the_poll_cleanly(oauth: OAuthServers) -> None:
    secret = f"tok-{oauth.tag}-secret"
    helper = oauth.dir / "helper.py"
    helper.write_text(
        f"import sys\nprint({secret!r})\nprint('invalid_grant: {secret}', file=sys.stderr)\nsys.exit(4)\n"
    )
    config = oauth.config({"oauth2_token_command": f"{shlex.quote(sys.executable)} {shlex.quote(str(helper))}"})
    oauth.append("en_account_2fa.eml")
    result = inboxd(config, "poll")
    assert result.returncode == 1
    assert "no access token: imap.oauth2_token_command:" in result.stderr
    assert "exited with status 4" in result.stderr
    assert "Traceback" not in result.stderr
    assert secret not in result.stdout + result.stderr
    assert oauth.sink.received() == [] and all(not flags for flags in oauth.flags())  # untouched


def test_run_idle_watcher_and_poller_log_in_with_xoauth2(oauth: OAuthServers) -> None:
    """`inboxd run`: the IDLE watcher logs in with XOAUTH2 too (mail is answered within seconds
    with a 300 s poll interval)."""
    token = f"tok-{oauth.tag}-run"
    oauth.authority.grant(token, oauth.user)
    (oauth.dir / "cfg").mkdir(parents=True, exist_ok=True)
    (oauth.dir / "cfg" / "token").write_text(token)
    config = oauth.config({"oauth2_token_command": "cat token"}, schedule={"interval_seconds": 300})
    run = Running(config)
    try:
        assert run.wait_log("IDLE, waiting for new mail") and run.wait_log("tick done")
        appended = time.time()
        oauth.append("en_account_2fa.eml")
        assert wait_for(lambda: len(oauth.sink.received()) == 1, timeout=20), "IDLE did not wake"
        assert oauth.sink.received()[0]["time"] - appended < 10
        assert oauth.sink.received()[0]["auth_user"] == oauth.user
    finally:
        assert run.stop() == 0, run.stderr
    assert "IDLE on" not in run.stderr and "Traceback" not in run.stderr
    assert token not in run.stderr
    log = oauth.dovecot.log_file.read_text()
    assert log.count(f"Login: user=<{oauth.user}>, method=XOAUTH2") >= 2  # the poller and the watcher


def test_run_retries_a_failing_token_command_with_backoff(oauth: OAuthServers) -> None:
    token = f"tok-{oauth.tag}-late"
    oauth.authority.grant(token, oauth.user)
    config = oauth.config({"oauth2_token_command": "cat token"}, schedule={"interval_seconds": 1})
    oauth.append("en_account_2fa.eml")
    failure = "no access token: imap.oauth2_token_command: cat exited with status 1"
    run = Running(config)
    try:
        # The poller's tick (the IDLE watcher fails the same way, and may say so first).
        assert wait_for(lambda: any("tick failed, retrying in" in line and failure in line
                                    for line in run.stderr.splitlines()), timeout=60)  # fmt: skip
        assert run.process.poll() is None, "the daemon died on a failing token command"
        (oauth.dir / "cfg" / "token").write_text(token)  # the operator fixes the helper
        assert wait_for(lambda: len(oauth.sink.received()) == 1, timeout=45)
    finally:
        assert run.stop() == 0, run.stderr
    assert "Traceback" not in run.stderr


def test_quarantine_retry_logs_in_with_xoauth2(oauth: OAuthServers) -> None:
    token = f"tok-{oauth.tag}-q"
    oauth.authority.grant(token, oauth.user)
    (oauth.dir / "cfg").mkdir(parents=True, exist_ok=True)
    (oauth.dir / "cfg" / "token").write_text(token)
    config = oauth.config({"oauth2_token_file": "token"}, limits={"max_mime_depth": 20})
    oauth.append("hostile_nested.eml")
    assert inboxd(config, "poll").returncode == 0
    listed = inboxd(config, "quarantine", "list", "--json").stdout.splitlines()
    assert len(listed) == 1
    config.write_text(config.read_text().replace("max_mime_depth = 20", "max_mime_depth = 100"))
    retried = inboxd(config, "quarantine", "retry", "--all")
    assert retried.returncode == 0, retried.stderr
    assert inboxd(config, "poll").returncode == 0
    assert len(oauth.sink.received()) == 1
    assert token not in retried.stdout + retried.stderr


def token_script_config(oauth: OAuthServers, refresh_token: str) -> Path:
    """scripts/oauth2_token.py's settings in the config folder, against the test's token endpoint."""
    folder = oauth.dir / "cfg"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "client-secret").write_text("client-secret-for-tests\n")
    (folder / "refresh-token").write_text(refresh_token + "\n")
    settings = folder / "oauth2.toml"
    settings.write_text(
        f'token_url = "{oauth.authority.token_url}"\nclient_id = "inboxd-tests"\n'
        'client_secret_file = "client-secret"\nrefresh_token_file = "refresh-token"\n'
        'scope = "https://mail.google.com/"\n'
    )
    return settings


def test_the_shipped_token_script_refreshes_an_expired_token_under_a_running_daemon(oauth: OAuthServers) -> None:
    """scripts/oauth2_token.py as the token command of `inboxd run`: a refresh-token grant at the
    token endpoint; the access token expires while the daemon runs and is refreshed on rejection."""
    oauth.authority.register_client("inboxd-tests", "client-secret-for-tests")
    first_refresh = oauth.authority.refresh_token_for(oauth.user)
    token_script_config(oauth, first_refresh)
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(ROOT / 'scripts' / 'oauth2_token.py'))} oauth2.toml"
    source = {"oauth2_token_command": command}
    config = oauth.config(source | {"idle": False}, source, schedule={"interval_seconds": 1})
    before = len(oauth.authority.issued)
    oauth.append("en_account_2fa.eml")
    run = Running(config)
    try:
        assert wait_for(lambda: len(oauth.sink.received()) == 1, timeout=45)
        assert len(oauth.authority.issued) == before + 1  # one token for IMAP and SMTP, kept between ticks
        oauth.authority.revoke(oauth.authority.issued[-1])  # it expires under the running daemon
        oauth.append("zh_complaint.eml")
        assert wait_for(lambda: len(oauth.sink.received()) == 2, timeout=45)
    finally:
        assert run.stop() == 0, run.stderr
    assert len(oauth.authority.issued) == before + 2
    assert "rejected the access token; logging in with a new one" in run.stderr
    assert "tick failed" not in run.stderr and "Traceback" not in run.stderr
    assert all(token not in run.stderr for token in oauth.authority.issued)
    rotated = (oauth.dir / "cfg" / "refresh-token").read_text().strip()
    assert rotated != first_refresh and rotated.startswith("rt-")  # written back, as Microsoft requires
    assert (oauth.dir / "cfg" / "refresh-token").stat().st_mode & 0o777 == 0o600


def test_the_token_script_reports_a_revoked_refresh_token_without_secrets(oauth: OAuthServers) -> None:
    oauth.authority.register_client("inboxd-tests", "client-secret-for-tests")
    settings = token_script_config(oauth, "rt-revoked-long-ago")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "oauth2_token.py"), str(settings)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert "answered 400 invalid_grant Token has been expired or revoked." in result.stderr
    assert "rt-revoked-long-ago" not in result.stderr and "client-secret-for-tests" not in result.stderr


def test_a_server_without_xoauth2_is_named_in_the_error(servers: Servers, tmp_path: Path, model_path: Path) -> None:
    """The session's password-only Dovecot: the operator learns that the server lacks XOAUTH2."""
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "token").write_text("tok-never-sent")
    config = write_config(tmp_path / "x", model_path=model_path, imap_port=servers.dovecot.port,
                          imap_user=servers.user, smtp_port=servers.sink.port,
                          sections={"imap": {"auth": "xoauth2", "password_file": None, "oauth2_token_file": "token"}})  # fmt: skip
    servers.append("en_account_2fa.eml")
    result = inboxd(config, "poll")
    assert result.returncode == 1
    assert "(XOAUTH2) failed: the server does not offer AUTHENTICATE XOAUTH2" in result.stderr
    assert "tok-never-sent" not in result.stderr
