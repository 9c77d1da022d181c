#!/usr/bin/env python3
"""Print a fresh OAuth2 access token: a token command for inboxd's `auth = "xoauth2"`.

Reads a small TOML file (its relative paths resolve against its own folder):

    token_url = "https://oauth2.googleapis.com/token"
    client_id = "1234-abc.apps.googleusercontent.com"
    client_secret_file = "client-secret"   # or client_secret_env = "OAUTH2_CLIENT_SECRET"
    refresh_token_file = "refresh-token"   # from the one-time consent; not for client_credentials
    scope = "https://mail.google.com/"     # optional for a refresh
    grant = "refresh_token"                # or "client_credentials" (Microsoft app-only)

POSTs the grant to the token endpoint (RFC 6749 section 6, or 4.4) and prints the
`access_token` of the answer alone on one line. When the answer carries a new refresh token
(Microsoft rotates them) it replaces the file's, atomically and readable by its owner only.
On failure it exits 1 with the endpoint's error code (e.g. `invalid_grant`: consent again);
no token or secret is ever printed to standard error. Standard library only.

    oauth2_token_command = "python3 /etc/inboxd/oauth2_token.py /etc/inboxd/google.toml"
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

TIMEOUT_SECONDS = 20  # inboxd stops a token command after 30 s


class Failure(Exception):
    pass


def _secret(settings: dict[str, Any], key: str, base: Path) -> str:
    if f"{key}_env" in settings:
        value = os.environ.get(str(settings[f"{key}_env"]), "")
        if not value:
            raise Failure(f"{key}_env: environment variable {settings[f'{key}_env']} is not set")
        return value
    if f"{key}_file" not in settings:
        raise Failure(f"set {key}_file or {key}_env")
    path = base / str(settings[f"{key}_file"])
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise Failure(f"{key}_file: cannot read {path}: {exc.strerror}") from None
    if not value:
        raise Failure(f"{key}_file: {path} is empty")
    return value


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, mode 0600: a crash leaves the old or the new token."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        os.chmod(name, 0o600)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def fetch(config: Path) -> str:
    try:
        settings = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise Failure(f"cannot read {config}: {exc}") from None
    base = config.resolve().parent
    grant = settings.get("grant", "refresh_token")
    if grant not in ("refresh_token", "client_credentials"):
        raise Failure(f"grant: {grant!r} is not refresh_token or client_credentials")
    for key in ("token_url", "client_id"):
        if not settings.get(key):
            raise Failure(f"{key}: required")
    form = {"grant_type": grant, "client_id": str(settings["client_id"])}
    form["client_secret"] = _secret(settings, "client_secret", base)
    if settings.get("scope"):
        form["scope"] = str(settings["scope"])
    if grant == "refresh_token":
        form["refresh_token"] = _secret(settings, "refresh_token", base)
    request = urllib.request.Request(
        str(settings["token_url"]),
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            error = json.load(exc)
        except ValueError:
            error = {}
        # The error code and description are the provider's words, never a token.
        code, text = error.get("error", ""), error.get("error_description", "")
        raise Failure(f"the token endpoint answered {exc.code} {code} {text}".rstrip()) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Failure(f"cannot reach the token endpoint: {getattr(exc, 'reason', exc)}") from None
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise Failure("the token endpoint's answer has no access_token")
    rotated = answer.get("refresh_token")
    if "refresh_token_file" in settings and isinstance(rotated, str) and rotated != form.get("refresh_token"):
        _replace(base / str(settings["refresh_token_file"]), rotated)
    return token


def main() -> int:
    parser = argparse.ArgumentParser(description="Print a fresh OAuth2 access token (see the module docstring).")
    parser.add_argument("config", type=Path, help="the TOML file naming the endpoint, client and secrets")
    args = parser.parse_args()
    try:
        print(fetch(args.config))
    except Failure as exc:
        print(f"oauth2_token: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
