"""Reading `config.toml`: every problem of the file at once (file, dotted key, reason), then one
`Config` per mailbox, with relative paths resolved against the config file's folder and every
file and folder it names listed for `inboxd.config.paths`.

Loading reads no file but the config itself (the demo loads it to learn where to create the
files it names).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from inboxd.config.login import ImapConfig, SmtpConfig
from inboxd.config.mailboxes import Config, ConfigFile, MailboxSection, PathUse
from inboxd.config.running import TemplatesConfig
from inboxd.errors import ConfigError, Problem


def _location(loc: tuple[int | str, ...]) -> str:
    # pydantic reports model-level validators under the section name only.
    return ".".join(str(part) for part in loc if part not in ("function-after",))


def _reason(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def _resolve(base: Path, path: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else (base / path)


def _resolve_optional(base: Path, path: Path | None) -> Path | None:
    return None if path is None else _resolve(base, path)


_Login = TypeVar("_Login", ImapConfig, SmtpConfig)


def _resolved_files(base: Path, section: _Login) -> _Login:
    """The section with its file paths relative to the config file's folder."""
    return section.model_copy(
        update={
            "password_file": _resolve_optional(base, section.password_file),
            "oauth2_token_file": _resolve_optional(base, section.oauth2_token_file),
            "ca_file": _resolve_optional(base, section.ca_file),
        }
    )


def load_configs(path: Path) -> list[Config]:
    """Read and validate a config file: one Config per mailbox, or ConfigError listing every problem."""
    name = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([Problem(name, "", f"cannot read: {exc.strerror or exc}")]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(name, "", f"not valid TOML: {exc}")]) from exc
    for reserved in ("source", "name"):
        if reserved in data:
            raise ConfigError([Problem(name, reserved, "unknown key")])
    try:
        # Validated in pydantic's JSON mode: strict (a "143" is not a port, "yes" is
        # not a bool) while still taking strings for paths and arrays for tuples.
        file = ConfigFile.model_validate_json(json.dumps(data, default=str))
    except ValidationError as exc:
        problems = [Problem(name, _location(e["loc"]), _reason(e)) for e in exc.errors()]
        raise ConfigError(problems) from exc

    problems = []
    entries: list[tuple[str, str, MailboxSection | None, ImapConfig]] = []
    if file.imap is not None:
        entries.append(("default", "imap", None, file.imap))
    for index, entry in enumerate(file.mailbox):
        entries.append((entry.name, f"mailbox[{index}]", entry, entry.imap))
    if not entries:
        problems.append(Problem(name, "imap", "required key is missing (or define [[mailbox]] entries)"))
    seen_names: set[str] = set()
    seen_boxes: set[tuple[str, int, str, str]] = set()
    for box_name, key, own, imap in entries:
        if box_name in seen_names:
            problems.append(Problem(name, f"{key}.name", f"two mailboxes are called {box_name!r}"))
        seen_names.add(box_name)
        identity = (imap.host, imap.port, imap.username.lower(), imap.folder)
        if identity in seen_boxes:
            problems.append(Problem(name, f"{key}.imap", "the same server, user and folder as another mailbox"))
        seen_boxes.add(identity)
        if (own is None or own.smtp is None) and file.smtp is None:
            problems.append(Problem(name, "smtp" if own is None else f"{key}.smtp", "required key is missing"))
    if problems:
        raise ConfigError(problems)

    base = path.resolve().parent
    store = file.store.model_copy(
        update={
            "path": _resolve_optional(base, file.store.path),
            "password_file": _resolve_optional(base, file.store.password_file),
        }
    )
    classifier = file.classifier.model_copy(
        update={"dir": _resolve(base, file.classifier.dir), "model_path": _resolve(base, file.classifier.model_path)}
    )
    notify = tuple(n.model_copy(update={"secret_file": _resolve_optional(base, n.secret_file)}) for n in file.notify)
    console = file.console.model_copy(update={"token_file": _resolve_optional(base, file.console.token_file)})
    shared_paths: list[tuple[str, PathUse, Path | None]] = [
        ("store.path", "created", store.path),
        ("store.password_file", "file", store.password_file),
        ("classifier.dir", "folder", classifier.dir),
        ("classifier.model_path", "created", classifier.model_path),
        *((f"notify[{i}].secret_file", "file", n.secret_file) for i, n in enumerate(notify)),
        # Not console.token_file: only `inboxd console` needs it, and checks it when it starts
        # (inboxd.console.auth); the daemon and the other commands must not stop for it.
    ]
    configs = []
    for box_name, key, section, imap in entries:
        smtp = section.smtp if section and section.smtp else file.smtp
        templates = section.templates if section and section.templates else file.templates
        assert smtp is not None
        resolved_imap, resolved_smtp = _resolved_files(base, imap), _resolved_files(base, smtp)
        templates_dir = _resolve(base, templates.dir)
        # Keys as the operator finds them in the file: a [[mailbox]]'s own sections, or the shared ones.
        paths = [
            *shared_paths,
            *_login_paths("imap" if section is None else f"{key}.imap", resolved_imap),
            *_login_paths(f"{key}.smtp" if section and section.smtp else "smtp", resolved_smtp),
            (f"{key}.templates.dir" if section and section.templates else "templates.dir", "folder", templates_dir),
        ]
        configs.append(
            Config.model_construct(
                name=box_name,
                imap=resolved_imap,
                smtp=resolved_smtp,
                store=store,
                schedule=file.schedule,
                processing=file.processing,
                classifier=classifier,
                templates=TemplatesConfig.model_construct(dir=templates_dir),
                ack=section.ack if section and section.ack else file.ack,
                hours=section.hours if section and section.hours else file.hours,
                sla=file.sla,
                tickets=file.tickets,
                trust=file.trust,
                spam=file.spam,
                limits=section.limits if section and section.limits else file.limits,
                extract=file.extract,
                logging=file.logging,
                metrics=file.metrics,
                console=console,
                source=path,
                paths=tuple((k, use, p) for k, use, p in paths if p is not None),
                notify=notify,
            )
        )
    return configs


def _login_paths(key: str, section: ImapConfig | SmtpConfig) -> list[tuple[str, PathUse, Path | None]]:
    return [
        (f"{key}.password_file", "file", section.password_file),
        (f"{key}.oauth2_token_file", "token_file", section.oauth2_token_file),
        (f"{key}.ca_file", "ca_file", section.ca_file),
    ]


def load_config(path: Path) -> Config:
    """The first mailbox's Config (the only one in a single-mailbox file)."""
    return load_configs(path)[0]
