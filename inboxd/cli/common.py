"""What every command shares: the exit codes, printing, failing, the command context and the store.

Everything printed goes through `out` and `err`: a mail's text (subjects, names, errors quoting
it) is shown, never read as markup or control characters (inboxd.terminal).
"""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from inboxd.errors import ConfigError, StoreError, TransientError
from inboxd.terminal import Terminal, styled

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from inboxd.store import Store
    from inboxd.values import Facts

EXIT_FAILED, EXIT_CONFIG, EXIT_LEASE, EXIT_STORE = 1, 2, 3, 4

out = Terminal()
err = Terminal(stderr=True)


def fail(code: int, message: str) -> NoReturn:
    err.print(styled("error:", "bold red"), message)
    sys.exit(code)


def config_fail(exc: ConfigError) -> NoReturn:
    err.print(styled(f"{len(exc.problems)} problem(s) found:", "bold red"))
    for problem in exc.problems:
        err.print(f"  {problem}")
    sys.exit(EXIT_CONFIG)


class Ctx:
    def __init__(self, config: Path, log_level: str | None, log_format: str | None):
        self.config_path = config
        self.log_level = log_level
        self.log_format = log_format

    def setup_logging(self, level: str, fmt: str) -> None:
        from inboxd.logs import setup_logging

        setup_logging(self.log_level or level, self.log_format or fmt)

    def apps(self, with_model: bool = True, mailbox: str | None = None) -> list[Any]:
        """One App per mailbox (or only `mailbox`); exits 2 with every problem on a bad config."""
        from inboxd.compose import load_apps

        try:
            apps = load_apps(self.config_path, with_model=with_model)
        except ConfigError as exc:
            config_fail(exc)
        self.setup_logging(apps[0].config.logging.level, apps[0].config.logging.format)
        if mailbox is not None:
            apps = [a for a in apps if a.config.name == mailbox]
            if not apps:
                fail(EXIT_CONFIG, f"no mailbox named {mailbox!r} in {self.config_path}")
        return apps

    def app(self, with_model: bool = True) -> Any:
        return self.apps(with_model)[0]


pass_ctx = click.make_pass_decorator(Ctx)


def store_of(ctx: Ctx, readonly: bool = False) -> Store:
    """The store of the configuration's first mailbox; exits 2, 4 or 1 when it cannot be opened."""
    from inboxd.compose import open_store
    from inboxd.config import load_config

    try:
        config = load_config(ctx.config_path)
        return open_store(config, readonly=readonly)
    except ConfigError as exc:
        config_fail(exc)
    except StoreError as exc:
        fail(EXIT_STORE, str(exc))
    except TransientError as exc:
        fail(EXIT_FAILED, str(exc))


def record(row: DataclassInstance) -> dict[str, Any]:
    """A store row as the JSON object a command prints: its fields, in order (tuples print as lists)."""
    return {f.name: getattr(row, f.name) for f in fields(row)}


def facts_record(facts: Facts) -> dict[str, Any]:
    """A ticket's facts as `ticket list/show --json` prints them: the keys and shapes scripts have
    always read (those of the stored JSON when the command printed that), secrets as kinds only.
    Output, not storage: the store's format is inboxd.store.codec's and may not follow this."""
    return {
        "tx_ids": [{"value": t.value, "chain": t.chain} for t in facts.tx_ids],
        "order_ids": list(facts.order_ids),
        "amounts": [{"value": a.value, "asset": a.asset, "network": a.network} for a in facts.amounts],
        "times": [
            {"text": t.text, "value": t.value.isoformat() if t.value else None, "precision": t.precision}
            for t in facts.times
        ],
        "account_ids": [{"kind": a.kind, "value": a.value} for a in facts.account_ids],
        "addresses": [{"value": a.value, "chain": a.chain, "valid": a.valid} for a in facts.addresses],
        "secrets": [{"kind": s.kind} for s in facts.secrets],
    }
