"""Reading the TOML files of `classifiers/`: each problem collected with its file and key, never raised."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from inboxd.errors import Problem

# The names operators give fields, categories, templates and mail clients.
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def read_toml(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem(str(path), "", "file is missing"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), "", f"cannot read: {exc}"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(str(path), "", f"not valid TOML: {exc}"))
    return None


def string_list(value: Any, file: str, key: str, problems: list[Problem]) -> list[str] | None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(Problem(file, key, "must be a non-empty list of non-empty strings"))
        return None
    return [str(v) for v in value]
