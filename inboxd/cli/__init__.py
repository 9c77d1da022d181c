"""The command line: thin commands over the daemon's parts (click + rich), one module per group.

Exit codes, for scripts:
  0  success
  1  the work failed at run time (a server unreachable, the daemon stopped on an error)
  2  bad usage, or an invalid config / template / classifier asset (every problem listed)
  3  another inboxd holds this mailbox's lease (poll)
  4  the store cannot be used (damaged, locked, newer schema)

`main` is the click group, `entry` the console script (and `python -m inboxd`). The groups:
`polling` (run, poll), `shadow` (poll --dry-run, classify: deciding without acting), `model`
(check, train, evaluate, correct), `acks`, `tickets`, `quarantine`, `status` (status, console);
`common` holds what they share. Each command imports what it needs when it runs, so that
`--help` stays fast.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from inboxd import __version__
from inboxd.cli import acks, model, polling, quarantine, shadow, status, tickets
from inboxd.cli.common import EXIT_FAILED, Ctx, fail
from inboxd.errors import InboxdError

__all__ = ["entry", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=lambda: os.environ.get("INBOXD_CONFIG", "config.toml"),
    show_default="$INBOXD_CONFIG or config.toml",
    help="The configuration file.",
)
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), help="Override logging.level.")
@click.option("--log-format", type=click.Choice(["text", "json"]), help="Override logging.format.")
@click.version_option(__version__, prog_name="inboxd")
@click.pass_context
def main(ctx: click.Context, config: Path, log_level: str | None, log_format: str | None) -> None:
    """inboxd: poll a support mailbox, classify each mail, extract what it says and acknowledge it.

    Exit codes: 0 success, 1 failed at run time, 2 invalid usage or configuration,
    3 another inboxd holds the mailbox, 4 the store cannot be used.
    """
    ctx.obj = Ctx(config, log_level, log_format)


for command in (
    polling.run,
    polling.poll,
    shadow.classify,
    model.check,
    model.train,
    model.evaluate,
    model.correct,
    acks.acks,
    tickets.ticket,
    quarantine.quarantine,
    status.console,
    status.status,
):
    main.add_command(command)


def entry() -> None:
    try:
        main()
    except InboxdError as exc:  # anything that escaped a command: still one clear line
        logging.getLogger("inboxd").debug("fatal", exc_info=True)
        fail(EXIT_FAILED, str(exc))
