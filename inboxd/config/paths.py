"""Whether every file and folder a mailbox's config names can be used as it must be.

`inboxd check` and start-up (inboxd.compose.load_apps) ask: a CA file that is missing or not
PEM is a config problem at start, not a traceback at the first connection.
"""

from __future__ import annotations

import errno
import os
import re
import ssl
import stat
from collections.abc import Callable
from pathlib import Path

from inboxd.config.mailboxes import Config
from inboxd.errors import Problem


def _file_problem(path: Path) -> str | None:
    """Why `path` is not a readable file (worded as `read_secret` words it), or None."""
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            return f"cannot read {path}: {os.strerror(errno.EISDIR)}"
        if not stat.S_ISREG(mode):  # a FIFO would block the reader
            return f"cannot read {path}: not a regular file"
        with path.open("rb"):
            return None
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"


def _ca_file_problem(path: Path) -> str | None:
    """Why `path` cannot verify a server: unreadable, or no PEM certificate in it (DER, a key, junk)."""
    problem = _file_problem(path)
    if problem is not None:
        return problem
    try:
        ssl.create_default_context(cafile=str(path))  # as inboxd.mailbox.tls_context loads it
    except (ssl.SSLError, ValueError) as exc:
        detail = re.sub(r"\s*\(_ssl\.c:\d+\)$", "", str(exc))  # where in CPython's source: no help
        return f"{path} is not a PEM certificate file ({detail})"
    return None


def _token_file_problem(path: Path) -> str | None:
    """A token file is read at every login and may be written after start-up by a refresher
    (`inboxd check` fetches it): only an unreadable file or a missing folder is a problem now."""
    if path.exists() or path.is_symlink():
        return _file_problem(path)
    if _folder_problem(path.parent) is not None:  # worded as the login's own reading words it
        return f"cannot read {path}: {os.strerror(errno.ENOENT)}"
    return None


def _folder_problem(path: Path) -> str | None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot read the folder {path}: {exc.strerror or exc}"
    if not stat.S_ISDIR(mode):
        return f"{path} is not a folder"
    if not os.access(path, os.R_OK | os.X_OK):
        return f"cannot read the folder {path}: {os.strerror(errno.EACCES)}"
    return None


def _created_problem(path: Path) -> str | None:
    """A file inboxd creates (the store, the model) with its folders: it is a file, or can be made."""
    try:
        return None if stat.S_ISREG(path.stat().st_mode) else f"{path} is not a file"
    except (FileNotFoundError, NotADirectoryError):
        pass  # to be created: can its folder be?
    except OSError as exc:
        return f"cannot use {path}: {exc.strerror or exc}"
    folder = path.parent
    while True:  # the nearest folder that exists: the others are created
        try:
            mode = folder.stat().st_mode
            break
        except FileNotFoundError:
            folder = folder.parent  # "/" exists: this ends
        except OSError as exc:  # a file on the way (ENOTDIR), a folder that cannot be searched
            return f"cannot create {path}: {exc.strerror or exc}"
    if not stat.S_ISDIR(mode):
        return f"cannot create {path}: {folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot create {path}: {folder}: {os.strerror(errno.EACCES)}"
    return None


_PATH_CHECKS: dict[str, Callable[[Path], str | None]] = {
    "file": _file_problem,
    "ca_file": _ca_file_problem,
    "token_file": _token_file_problem,
    "folder": _folder_problem,
    "created": _created_problem,
}


def path_problems(config: Config) -> list[Problem]:
    """Every file and folder the mailbox's config names that cannot be used as it must be."""
    found = []
    for key, use, path in config.paths:
        reason = _PATH_CHECKS[use](path)
        if reason is not None:
            found.append(Problem(str(config.source), key, reason))
    return found
