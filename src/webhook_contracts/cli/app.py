"""The `webhook-contracts` command group: `--root`, `--version`, safe standard streams, and every command.

Exit codes: 0 clean, 1 findings (invalid payloads, stale files), 2 usage or
input error. Errors the toolkit foresees print one line on stderr, no traceback.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import ExitCode
from .terminal import prepare_std_streams

#: Every command: the module of this package that defines it, and its name there. A command's module (and
#: all it imports) is loaded when the command runs or a help page lists it, so `drift` does not start by
#: importing what `check` or `regen` need.
COMMANDS = {
    "check": ("check", "check"),
    "compare": ("diff", "compare"),
    "diff": ("diff", "diff"),
    "drift": ("drift", "drift"),
    "extract": ("contracts", "extract"),
    "reconcile": ("contracts", "reconcile_cmd"),
    "regen": ("contracts", "regen_cmd"),
    "validate": ("validate", "validate"),
}


class _Main(click.Group):
    """The command group; before anything runs, the standard streams are made safe to use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            # click (8.4 on) suggests close names ("Did you mean 'drift'?") from `self.commands`, which
            # stays empty here: the suggestions are made from the table instead.
            missing = getattr(click.exceptions, "NoSuchCommand", None)
            if missing is None or not isinstance(exc, missing):
                raise
            raise missing(exc.command_name, possibilities=self.list_commands(ctx), ctx=ctx) from None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = COMMANDS.get(cmd_name)
        if where is None:
            return None
        module, name = where
        command: click.Command = getattr(importlib.import_module(f".{module}", __package__), name)
        return command

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if not prepare_std_streams():
            click.echo("error: standard output is closed; nothing can be reported", err=True)
            sys.exit(ExitCode.ERROR)
        return super().main(*args, **kwargs)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Project folder. Default: the nearest folder above the working one with a "
    "[tool.webhook-contracts] table or webhook-contracts.toml, else the working folder.",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _, on: _version(ctx, on),
    help="Show the version and the drift engine, and exit.",
)
def main(root: Path | None) -> None:
    """Keep webhook consumers honest: contracts from doc pages, validation and drift."""


def _version(ctx: click.Context, value: bool) -> None:
    """`--version`: the installed version, and which drift engine runs (native or Python)."""
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    from ..drift.native import engine_name

    click.echo(f"webhook-contracts, version {version('webhook-contracts')}")
    click.echo(f"drift engine: {engine_name()}")
    ctx.exit()
