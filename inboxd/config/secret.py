"""Secrets are never in `config.toml`: it names an environment variable or a file, read here."""

from __future__ import annotations

import os
from pathlib import Path

from inboxd.errors import ConfigError, Problem


def read_secret(section: str, env: str | None, file: Path | None, config_file: Path, prefix: str = "password") -> str:
    """Return a password from the environment or a file; ConfigError when unavailable.

    `prefix` names the two keys in the file: `password` for password_env/password_file,
    `secret` for a webhook's. The value is never logged and never part of an error message.
    """
    if env:
        value = os.environ.get(env)
        if not value:
            raise ConfigError(
                [Problem(str(config_file), f"{section}.{prefix}_env", f"environment variable {env} is not set")]
            )
        return value
    if file:
        try:
            value = file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                [Problem(str(config_file), f"{section}.{prefix}_file", f"cannot read {file}: {exc.strerror}")]
            ) from exc
        if not value:
            raise ConfigError([Problem(str(config_file), f"{section}.{prefix}_file", f"{file} is empty")])
        return value
    return ""
