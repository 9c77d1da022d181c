"""OAuth2 token sources: file and command, the TTL cache, refresh on rejection, bounded commands,
and a secret that never reaches an error message."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import pytest

from inboxd.errors import TokenError
from inboxd.oauth import TokenSource, xoauth2_response

SECRET = "ya29.a0AfB_byC-SECRET-refresh-1//0gXyz"


def script(tmp_path: Path, body: str) -> str:
    """A token command: python running `body`, with a counter file it may use."""
    path = tmp_path / "token_command.py"
    path.write_text(body)
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(path))} {shlex.quote(str(tmp_path / 'count'))}"


# Prints token-N on its N-th run (counted in the file named by its argument).
COUNTING = """
import pathlib, sys
state = pathlib.Path(sys.argv[1])
n = int(state.read_text()) + 1 if state.exists() else 1
state.write_text(str(n))
print(f"token-{n}")
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_xoauth2_response_is_the_documented_format() -> None:
    assert xoauth2_response("support@exchange.test", "abc") == "user=support@exchange.test\x01auth=Bearer abc\x01\x01"


def test_command_token_is_cached_for_the_ttl_then_fetched_again(tmp_path: Path) -> None:
    clock = Clock()
    source = TokenSource("imap.oauth2_token_command", command=script(tmp_path, COUNTING), ttl_seconds=600, clock=clock)
    assert source.token() == "token-1"
    clock.now += 599
    assert source.token() == "token-1"  # still young: the command is not run again
    clock.now += 2
    assert source.token() == "token-2"
    assert source.refresh() == "token-3"  # a rejection forces a new one at once
    assert source.token() == "token-3"
    assert source.fetches == 3


def test_command_runs_in_the_given_folder(tmp_path: Path) -> None:
    (tmp_path / "current").write_text("from-the-config-folder\n")
    source = TokenSource("smtp.oauth2_token_command", command="cat current", cwd=tmp_path)
    assert source.token() == "from-the-config-folder"


def test_token_file_is_read_at_every_login(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("first\n")
    source = TokenSource("imap.oauth2_token_file", file=path)
    assert source.token() == "first"
    path.write_text("second")  # the operator's refresher wrote a new token
    assert source.token() == "second"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (f"import sys\nprint({SECRET!r})\nprint({SECRET!r}, file=sys.stderr)\nsys.exit(3)", "exited with status 3"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "was killed by signal 9"),
        ("print()", "gave no access token (empty)"),
        (f"import json\nprint(json.dumps({{'access_token': {SECRET!r}, 'expires_in': 3599}}))", "alone, on one line"),
        (f"print({SECRET!r})\nprint('refresh-' + {SECRET!r})", "alone, on one line"),
        ("import sys\nsys.stdout.buffer.write(b'\\xff\\xfe')", "not UTF-8"),
    ],
)
def test_a_failing_command_is_a_clear_error_that_never_shows_its_output(tmp_path: Path, body: str, words: str) -> None:
    source = TokenSource("imap.oauth2_token_command", command=script(tmp_path, body))
    with pytest.raises(TokenError) as info:
        source.token()
    assert info.value.where == "imap.oauth2_token_command"
    assert words in info.value.reason
    assert SECRET not in str(info.value) and "refresh-" not in str(info.value)


def test_a_command_that_hangs_is_stopped_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    body = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    source = TokenSource("imap.oauth2_token_command", command=script(tmp_path, body), timeout_seconds=1.5)
    started = time.monotonic()
    with pytest.raises(TokenError, match=r"did not finish within 1.5 s"):
        source.token()
    assert time.monotonic() - started < 10
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        # A killed child lingers as a zombie until its (also killed) parent is reaped by init.
        if "State:\tZ" in Path(f"/proc/{child}/status").read_text(errors="replace"):
            break
        time.sleep(0.05)
    status = Path(f"/proc/{child}/status")
    assert not status.exists() or "State:\tZ" in status.read_text(errors="replace")


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"command": "/nonexistent/token-helper --account support"}, "cannot run /nonexistent/token-helper"),
        ({"file": Path("/nonexistent/token")}, "cannot read /nonexistent/token"),
    ],
)
def test_missing_command_or_file(kwargs: dict[str, object], words: str) -> None:
    source = TokenSource("smtp.oauth2_token_x", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TokenError, match=words):
        source.token()


def test_failures_are_not_cached(tmp_path: Path) -> None:
    path = tmp_path / "token"
    source = TokenSource("imap.oauth2_token_file", file=path)
    with pytest.raises(TokenError):
        source.token()
    path.write_text("now-there")
    assert source.token() == "now-there"


class Rejected(Exception):
    pass


def test_authenticate_refreshes_once_when_the_server_rejects_the_token(tmp_path: Path) -> None:
    source = TokenSource("imap.oauth2_token_command", command=script(tmp_path, COUNTING))
    tried: list[str] = []

    def login(token: str) -> str:
        tried.append(token)
        if token == "token-1":  # expired at the server
            raise Rejected("[AUTHENTICATIONFAILED] Authentication failed.")
        return "OK"

    assert source.authenticate(login, (Rejected,)) == "OK"
    assert tried == ["token-1", "token-2"]
    assert source.authenticate(login, (Rejected,)) == "OK"  # the good token is cached now
    assert tried == ["token-1", "token-2", "token-2"]


def tokens_tried_when_always_rejected(source: TokenSource) -> list[str]:
    tried: list[str] = []

    def login(token: str) -> None:
        tried.append(token)
        raise Rejected("no")

    with pytest.raises(Rejected):
        source.authenticate(login, (Rejected,))
    return tried


def test_authenticate_gives_up_after_one_refresh(tmp_path: Path) -> None:
    source = TokenSource("imap.oauth2_token_command", command=script(tmp_path, COUNTING))
    assert tokens_tried_when_always_rejected(source) == ["token-1", "token-2"]


def test_authenticate_does_not_retry_the_same_token(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("stale")  # the external refresher has not written a new one yet
    source = TokenSource("imap.oauth2_token_file", file=path)
    assert tokens_tried_when_always_rejected(source) == ["stale"]


def test_other_errors_are_not_a_reason_to_refresh(tmp_path: Path) -> None:
    source = TokenSource("imap.oauth2_token_command", command=script(tmp_path, COUNTING))

    def login(token: str) -> None:
        raise OSError("connection reset")

    with pytest.raises(OSError):
        source.authenticate(login, (Rejected,))
    assert source.fetches == 1


def test_repr_never_shows_the_token(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(SECRET)
    source = TokenSource("imap.oauth2_token_file", file=path)
    source.token()
    assert SECRET not in repr(source)
