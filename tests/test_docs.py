"""The docs cannot fall behind: every command has help text and a README section."""

from __future__ import annotations

import click
import pytest
from conftest import REPO

from webhook_contracts.cli import main

README = (REPO / "README.md").read_text("utf-8")
CONTEXT = click.Context(main)
COMMANDS = main.list_commands(CONTEXT)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help(name: str) -> None:
    command = main.get_command(CONTEXT, name)
    assert command is not None and command.name == name
    assert command.help and command.help.strip()
    for param in command.params:
        if param.param_type_name == "option" and not getattr(param, "hidden", False):
            assert getattr(param, "help", None), f"{name} {param.name} has no help text"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_in_readme(name: str) -> None:
    assert f"### `{name}" in README, f"README has no section for `{name}`"


def test_quick_start_is_two_commands() -> None:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make demo", "make test"]


def test_cli_reference_in_readme_is_current() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("cli_reference", REPO / "tools" / "cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.updated(README) == README, "README.md's CLI reference is behind: run python tools/cli_reference.py"
