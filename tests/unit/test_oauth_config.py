"""auth = "xoauth2" in config.toml: every mistake named with file, key and reason, and `inboxd check`
fetching each token once without ever printing it."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from inboxd.config import load_config, load_configs
from inboxd.credentials import load_credentials
from tests.conftest import write_config
from tests.unit.test_config_check import problems, run_check

SECRET = "ya29.a0AfB_byC-SECRET-0gXyz"
TOKEN_FILE = {"auth": "xoauth2", "password_file": None, "oauth2_token_file": "token"}


def oauth_config(
    tmp_path: Path, model_path: Path, imap: dict[str, object], smtp: dict[str, object] | None = None
) -> Path:
    return write_config(tmp_path, model_path=model_path, sections={"imap": imap, "smtp": smtp or {}})


@pytest.mark.parametrize(
    ("imap", "smtp", "key", "words"),
    [
        ({"auth": "xoauth2", "password_file": None}, {}, "imap", "needs oauth2_token_file or oauth2_token_command"),
        (TOKEN_FILE | {"oauth2_token_command": "get-token"}, {}, "imap", "not both"),
        (TOKEN_FILE | {"password_file": "imap-password"}, {}, "imap", "remove password_env/password_file"),
        ({"oauth2_token_file": "token"}, {}, "imap", 'oauth2_token_file need(s) auth = "xoauth2"'),
        ({"oauth2_token_ttl_seconds": 600.0}, {}, "imap", "oauth2_token_ttl_seconds need(s)"),
        ({"auth": "oauth"}, {}, "imap.auth", "'password' or 'xoauth2'"),
        (TOKEN_FILE | {"oauth2_token_ttl_seconds": 5}, {}, "imap.oauth2_token_ttl_seconds", "greater than or equal"),
        (TOKEN_FILE | {"oauth2_token_file": None, "oauth2_token_command": "get-token 'unclosed"}, {},
         "imap.oauth2_token_command", "cannot split the command line"),
        (TOKEN_FILE | {"oauth2_token_file": None, "oauth2_token_command": "  "}, {},
         "imap.oauth2_token_command", "the command line is empty"),
        ({}, {"auth": "xoauth2", "oauth2_token_file": "token"}, "smtp", "also set username"),
        ({}, {"auth": "xoauth2", "username": "u@exchange.test"}, "smtp", "needs oauth2_token_file or"),
        ({}, {"username": "u@exchange.test", "oauth2_token_file": "token"}, "smtp", "need(s) auth"),
    ],
)  # fmt: skip
def test_bad_oauth2_settings(
    tmp_path: Path, model_path: Path, imap: dict[str, object], smtp: dict[str, object], key: str, words: str
) -> None:
    path = oauth_config(tmp_path, model_path, imap, smtp)
    found = problems(path)
    assert any(p.startswith(f"{path}: {key}: ") and words in p for p in found), found


def test_a_valid_xoauth2_config(tmp_path: Path, model_path: Path) -> None:
    command = "bin/get-token --account 'support desk'"
    path = oauth_config(
        tmp_path,
        model_path,
        TOKEN_FILE,
        {"auth": "xoauth2", "username": "support@exchange.test", "oauth2_token_command": command,
         "oauth2_token_ttl_seconds": 1800.0},
    )  # fmt: skip
    config = load_config(path)
    assert config.imap.auth == "xoauth2" and config.imap.oauth2_token_file == tmp_path / "token"
    assert config.smtp.oauth2_token_command == command and config.smtp.oauth2_token_ttl_seconds == 1800
    credentials = load_credentials(config)  # nothing is fetched yet: a missing token is not fatal
    assert credentials.imap.mechanism == "XOAUTH2" and credentials.smtp is not None
    assert credentials.imap.tokens is not credentials.smtp.tokens


def test_one_source_for_imap_and_smtp_is_shared(tmp_path: Path, model_path: Path) -> None:
    path = oauth_config(tmp_path, model_path, TOKEN_FILE, TOKEN_FILE | {"username": "support@exchange.test"})
    credentials = load_credentials(load_config(path))
    assert credentials.smtp is not None and credentials.smtp.tokens is credentials.imap.tokens


def test_password_auth_is_unchanged(tmp_path: Path, model_path: Path) -> None:
    config = load_config(write_config(tmp_path, model_path=model_path))
    assert config.imap.auth == "password"
    credentials = load_credentials(config)
    assert credentials.imap.password == "test-password-1" and credentials.imap.tokens is None
    assert credentials.smtp is None  # no SMTP username: no SMTP login, as before
    assert "test-password-1" not in repr(credentials)


def test_mailbox_sections_take_xoauth2_too(tmp_path: Path, model_path: Path) -> None:
    extra = """
[[mailbox]]
name = "gmail"
[mailbox.imap]
host = "imap.gmail.com"
port = 993
username = "support@exchange.test"
auth = "xoauth2"
oauth2_token_command = "cat missing-token"
"""
    path = write_config(tmp_path, model_path=model_path, extra=extra)
    configs = load_configs(path)
    assert [c.name for c in configs] == ["default", "gmail"]
    assert configs[1].imap.auth == "xoauth2"
    result = run_check(path, "--no-model")
    assert result.returncode == 2
    assert f"{path}: mailbox[gmail].imap.oauth2_token_command: cat exited with status 1" in result.stderr


def test_check_reports_a_missing_token_file_and_a_failing_command(tmp_path: Path, model_path: Path) -> None:
    helper = tmp_path / "token-helper.py"
    helper.write_text(f"import sys\nprint({SECRET!r})\nprint('invalid_grant {SECRET}', file=sys.stderr)\nsys.exit(2)\n")
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(helper))}"
    path = oauth_config(
        tmp_path,
        model_path,
        TOKEN_FILE,
        {"auth": "xoauth2", "username": "support@exchange.test", "oauth2_token_command": command},
    )
    result = run_check(path, "--no-model")
    assert result.returncode == 2
    assert (
        f"{path}: imap.oauth2_token_file: cannot read {tmp_path / 'token'}: No such file or directory" in result.stderr
    )
    assert f"{path}: smtp.oauth2_token_command: {sys.executable} exited with status 2" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_check_passes_when_the_tokens_can_be_had(tmp_path: Path, model_path: Path) -> None:
    (tmp_path / "token").write_text(SECRET + "\n")
    path = oauth_config(
        tmp_path, model_path, TOKEN_FILE | {"oauth2_token_file": None, "oauth2_token_command": "cat token"}
    )
    result = run_check(path, "--no-model")
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stderr + result.stdout
