"""`inboxd check` and the loaders: every problem named with file, key and reason."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inboxd.config import load_config
from inboxd.errors import ConfigError
from tests.conftest import ROOT, write_config


def run_check(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(config), "check", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


def test_repo_config_is_valid() -> None:
    config = load_config(ROOT / "config.toml")
    assert config.imap.port == 10143
    assert config.store.path == ROOT / "var" / "inboxd.sqlite3"  # relative to the config file
    assert "support@exchange.test" in config.own_addresses


def test_unknown_key_wrong_type_and_missing_key_all_reported(tmp_path: Path, model_path: Path) -> None:
    path = write_config(tmp_path, model_path=model_path, sections={"imap": {"prot": 993, "batch_size": "many"}})
    text = path.read_text().replace('host = "127.0.0.1"\n', "", 1)
    path.write_text(text)
    found = problems(path)
    assert f"{path}: imap.prot: unknown key" in found
    assert any(p.startswith(f"{path}: imap.batch_size: ") and "integer" in p for p in found)
    assert f"{path}: imap.host: required key is missing" in found


@pytest.mark.parametrize(
    ("sections", "key", "words"),
    [
        ({"imap": {"port": "143"}}, "imap.port", "integer"),
        ({"imap": {"port": 70000}}, "imap.port", "less than or equal to 65535"),
        ({"imap": {"security": "ssl"}}, "imap.security", "'tls', 'starttls' or 'none'"),
        ({"imap": {"move_to_category_folders": "yes"}}, "imap.move_to_category_folders", "boolean"),
        ({"smtp": {"from_address": "support"}}, "smtp.from_address", "not an e-mail address"),
        ({"smtp": {"username": "u"}}, "smtp", "also set password_env or password_file"),
        ({"ack": {"ticket_prefix": "inb"}}, "ack.ticket_prefix", "pattern"),
        ({"extract": {"default_timezone": "Mars/Olympus"}}, "extract.default_timezone", "unknown time zone"),
        ({"imap": {"password_env": "X"}}, "imap", "not both"),
        ({"processing": {"workers": -1}}, "processing.workers", "greater than or equal to 0"),
        ({"processing": {"workers": "2"}}, "processing.workers", "integer"),
        ({"processing": {"take_back": "sometimes"}}, "processing.take_back", "boolean"),
    ],
)
def test_bad_values(tmp_path: Path, model_path: Path, sections: dict, key: str, words: str) -> None:
    path = write_config(tmp_path, model_path=model_path, sections=sections)
    found = problems(path)
    assert any(p.startswith(f"{path}: {key}") and words in p for p in found), found


def test_password_is_never_read_from_the_config(tmp_path: Path, model_path: Path) -> None:
    path = write_config(tmp_path, model_path=model_path, sections={"imap": {"password": "hunter2"}})
    assert f"{path}: imap.password: unknown key" in problems(path)


def test_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[imap\nhost = 1")
    (found,) = problems(path)
    assert found.startswith(f"{path}: not valid TOML")


def _copy_assets(tmp_path: Path) -> tuple[Path, Path]:
    classifiers, templates = tmp_path / "classifiers", tmp_path / "templates"
    shutil.copytree(ROOT / "classifiers", classifiers)
    shutil.copytree(ROOT / "templates", templates)
    return classifiers, templates


def check_errors(tmp_path: Path, model_path: Path, classifiers: Path, templates: Path) -> str:
    """`inboxd check --no-model` on copied assets: it must fail; its problem list."""
    config = write_config(
        tmp_path,
        model_path=model_path,
        sections={"classifier": {"dir": str(classifiers)}, "templates": {"dir": str(templates)}},
    )
    result = run_check(config, "--no-model")
    assert result.returncode == 2
    return result.stderr


def test_check_passes_on_the_repo_assets(tmp_path: Path, model_path: Path) -> None:
    result = run_check(write_config(tmp_path, model_path=model_path))
    assert result.returncode == 0, result.stderr
    assert "OK:" in result.stdout and "model up to date" in result.stdout


def test_check_lists_template_problems(tmp_path: Path, model_path: Path) -> None:
    classifiers, templates = _copy_assets(tmp_path)
    (templates / "zh" / "transaction.txt.j2").unlink()
    (templates / "en" / "account.txt.j2").write_text("Hello {{ customer_nmae }}, ticket {{ ticket }}\n")
    (templates / "en" / "other.txt.j2").write_text("{% if missing %}unclosed\n")
    err = check_errors(tmp_path, model_path, classifiers, templates)
    assert f"{templates / 'zh' / 'transaction.txt.j2'}: template is missing" in err
    assert f"{templates / 'en' / 'account.txt.j2'}: customer_nmae: unknown template variable" in err
    assert f"{templates / 'en' / 'other.txt.j2'}: line " in err and "syntax error" in err


def test_check_lists_classifier_problems(tmp_path: Path, model_path: Path) -> None:
    classifiers, templates = _copy_assets(tmp_path)
    cats = classifiers / "categories.toml"
    cats.write_text(cats.read_text().replace('required = ["account_id"]', 'required = ["acount_id"]'))
    model = classifiers / "model.toml"
    model.write_text(
        model.read_text().replace("sublinear_tf = true", "sublinear = true", 1).replace("C = 0.5", "C = -1.0")
    )
    (classifiers / "examples" / "bad.csv").write_text("text,category\nhello,acount\n,other\n")
    err = check_errors(tmp_path, model_path, classifiers, templates)
    assert f"{cats}: categories.account.required: unknown field 'acount_id'" in err
    assert f"{classifiers / 'examples' / 'bad.csv'}: line 2: unknown category 'acount'" in err
    assert f"{classifiers / 'examples' / 'bad.csv'}: line 3: empty text" in err
    assert f"{model}: features.word.sublinear: unknown parameter of TfidfVectorizer" in err
    assert f"{model}: estimator.params: invalid value" in err and "'C'" in err


def test_check_reports_a_stale_model(tmp_path: Path, model_path: Path) -> None:
    classifiers, templates = _copy_assets(tmp_path)
    with (classifiers / "examples" / "crypto_en.csv").open("a") as handle:
        handle.write("my withdrawal is stuck for two days now,deposit_withdrawal\n")
    config = write_config(
        tmp_path,
        model_path=model_path,
        sections={"classifier": {"dir": str(classifiers)}, "templates": {"dir": str(templates)}},
    )
    result = run_check(config)
    assert result.returncode == 2
    assert "stale model (the examples or categories changed since it was trained): run `inboxd train`" in result.stderr


def test_check_reports_a_missing_password_file(tmp_path: Path, model_path: Path) -> None:
    config = write_config(tmp_path, model_path=model_path)
    (tmp_path / "imap-password").unlink()
    result = run_check(config)
    assert result.returncode == 2
    assert "imap.password_file: cannot read" in result.stderr


def test_check_lists_extraction_rule_problems(tmp_path: Path, model_path: Path) -> None:
    classifiers, templates = _copy_assets(tmp_path)
    rules = classifiers / "extraction.toml"
    rules.write_text(
        "[order_ids]\ncues = []\npatterns = ['(unclosed', '.*']\nexclude = ['INB-\\d+']\nlimit = 3\n[orders]\n"
    )
    err = check_errors(tmp_path, model_path, classifiers, templates)
    assert f"{rules}: order_ids.cues: must be a non-empty list" in err
    assert f"{rules}: order_ids.patterns[0]: not a valid regular expression" in err
    assert f"{rules}: order_ids.patterns[1]: matches the empty value" in err
    assert f"{rules}: order_ids.limit: unknown key" in err
    assert f"{rules}: orders: unknown key" in err


def test_the_shipped_extraction_rules_are_the_built_in_ones() -> None:
    """Operators see the lists inboxd uses: the file and the built-in fallback must not drift apart."""
    import tomllib

    from inboxd.extract.orders import BUILTIN_CUES, BUILTIN_EXCLUDE, BUILTIN_PATTERNS

    data = tomllib.loads((ROOT / "classifiers" / "extraction.toml").read_text(encoding="utf-8"))["order_ids"]
    assert tuple(data["cues"]) == BUILTIN_CUES
    assert tuple(data["patterns"]) == BUILTIN_PATTERNS
    assert tuple(data["exclude"]) == BUILTIN_EXCLUDE


# -- every path the config names -------------------------------------------------------------------

NOT_PEM = "-----BEGIN PRIVATE KEY-----\nnot a certificate\n-----END PRIVATE KEY-----\n"


def _bad_path_cases(tmp_path: Path) -> dict[str, tuple[dict[str, dict[str, object]], str, str]]:
    """name -> (config sections, key, reason) for a config whose one path cannot be used."""
    missing = tmp_path / "missing"
    return {
        "imap ca_file missing": (
            {"imap": {"ca_file": str(missing / "ca.pem")}},
            "imap.ca_file",
            f"cannot read {missing / 'ca.pem'}: No such file or directory",
        ),
        "imap ca_file not PEM": (
            {"imap": {"ca_file": "not-pem.crt"}},  # relative to the config file
            "imap.ca_file",
            f"{tmp_path / 'not-pem.crt'} is not a PEM certificate file ([X509] PEM lib)",
        ),
        "smtp ca_file not a certificate": (
            {"smtp": {"ca_file": "a-file"}},
            "smtp.ca_file",
            f"{tmp_path / 'a-file'} is not a PEM certificate file ([X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found)",
        ),
        "smtp ca_file a folder": (
            {"smtp": {"ca_file": str(tmp_path / "a-folder")}},
            "smtp.ca_file",
            f"cannot read {tmp_path / 'a-folder'}: Is a directory",
        ),
        "password_file a folder": (
            {"imap": {"password_file": "a-folder"}},
            "imap.password_file",
            f"cannot read {tmp_path / 'a-folder'}: Is a directory",
        ),
        "token file in a missing folder": (
            {"imap": {"auth": "xoauth2", "password_file": None, "oauth2_token_file": str(missing / "token")}},
            "imap.oauth2_token_file",
            f"cannot read {missing / 'token'}: No such file or directory",
        ),
        "classifier dir missing": (
            {"classifier": {"dir": str(missing / "classifiers")}},
            "classifier.dir",
            f"cannot read the folder {missing / 'classifiers'}: No such file or directory",
        ),
        "templates dir a file": (
            {"templates": {"dir": str(tmp_path / "a-file")}},
            "templates.dir",
            f"{tmp_path / 'a-file'} is not a folder",
        ),
        "model under a file": (
            {"classifier": {"model_path": str(tmp_path / "a-file" / "model.npz")}},
            "classifier.model_path",
            f"cannot create {tmp_path / 'a-file' / 'model.npz'}: {tmp_path / 'a-file'} is not a folder",
        ),
        "store under a file": (
            {"store": {"path": "a-file/state/inboxd.sqlite3"}},
            "store.path",
            f"cannot create {tmp_path / 'a-file' / 'state' / 'inboxd.sqlite3'}: Not a directory",
        ),
        "store a folder": (
            {"store": {"path": "a-folder"}},
            "store.path",
            f"{tmp_path / 'a-folder'} is not a file",
        ),
    }


CASE_NAMES = list(_bad_path_cases(Path("/unused")))


@pytest.mark.parametrize("case", CASE_NAMES)
@pytest.mark.parametrize("command", ["check", "poll", "run"])
def test_every_path_is_checked_at_check_and_start_up(tmp_path: Path, model_path: Path, case: str, command: str) -> None:
    (tmp_path / "a-file").write_text("x\n")
    (tmp_path / "not-pem.crt").write_text(NOT_PEM)
    (tmp_path / "a-folder").mkdir()
    sections, key, reason = _bad_path_cases(tmp_path)[case]
    config = write_config(tmp_path, model_path=model_path, sections=sections)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "inboxd", "--config", str(config), command],
            capture_output=True,
            text=True,
            timeout=60,  # `run` refuses to start at once; a daemon that started is a failure
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"`inboxd {command}` did not stop: {exc.stderr!r}"[-2000:])
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "1 problem(s) found" in result.stderr, result.stderr
    assert f"{config}: {key}: {reason}" in result.stderr


def test_a_mailbox_s_own_paths_are_named_by_its_key(tmp_path: Path, model_path: Path) -> None:
    extra = f"""
[[mailbox]]
name = "zh"
templates = {{ dir = "{tmp_path / "no-templates"}" }}
[mailbox.imap]
host = "127.0.0.1"
port = 10143
username = "kefu@exchange.test"
password_file = "imap-password"
ca_file = "kefu-ca.pem"
"""
    config = write_config(tmp_path, model_path=model_path, extra=extra)
    result = run_check(config)
    assert result.returncode == 2
    assert f"{config}: mailbox[0].templates.dir: cannot read the folder {tmp_path / 'no-templates'}" in result.stderr
    assert f"{config}: mailbox[0].imap.ca_file: cannot read {tmp_path / 'kefu-ca.pem'}" in result.stderr
    assert "2 problem(s) found" in result.stderr  # the shared sections once, not once per mailbox


def test_a_pem_ca_file_and_a_store_folder_still_to_create_pass(tmp_path: Path, model_path: Path) -> None:
    import ssl

    bundle = ssl.get_default_verify_paths().cafile
    if bundle is None:
        pytest.skip("no system CA bundle to use as a PEM file")
    sections: dict[str, dict[str, object]] = {
        "imap": {"ca_file": bundle},
        "smtp": {"ca_file": bundle},
        "store": {"path": "var/new/inboxd.sqlite3"},  # created by the store when first opened
    }
    result = run_check(write_config(tmp_path, model_path=model_path, sections=sections))
    assert result.returncode == 0, result.stderr


def test_a_missing_console_token_file_stops_only_the_console(tmp_path: Path, model_path: Path) -> None:
    config = write_config(tmp_path / "cfg", model_path=model_path, sections={"console": {"token_file": "no-token"}})
    loaded = load_config(config)  # the daemon and the other commands are not held up by it
    from inboxd.console.auth import load_token

    with pytest.raises(ConfigError) as info:
        load_token(loaded)
    assert "console.token_file" in str(info.value) and "no-token" in str(info.value)
