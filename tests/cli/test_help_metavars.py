"""Every command's --help shows no ``<bool>`` beside a flag and no ``<list[str]>`` type."""

from __future__ import annotations

from typing import Any

import typer
from typer.testing import CliRunner

from friendshore.cli.main import app


def command_paths() -> list[list[str]]:
    """Every command and group of the CLI, as the words that name it."""
    root = typer.main.get_command(app)
    found: list[list[str]] = [[]]
    stack: list[tuple[list[str], Any]] = [([], root)]
    while stack:
        words, command = stack.pop()
        if hasattr(command, "commands"):  # a group
            for name, sub in command.commands.items():
                found.append([*words, name])
                stack.append(([*words, name], sub))
    return found


def test_help_has_no_type_metavars_for_flags_and_lists() -> None:
    runner = CliRunner()
    paths = command_paths()
    assert ["metrics", "concentration"] in paths
    assert ["data", "gaps"] in paths
    for words in paths:
        result = runner.invoke(app, [*words, "--help"], env={"COLUMNS": "100"})
        assert result.exit_code == 0, (words, result.output)
        assert "<bool>" not in result.output, words
        assert "<list[" not in result.output, words
    gaps = runner.invoke(app, ["data", "gaps", "--help"], env={"COLUMNS": "100"}).output
    flag = next(line for line in gaps.splitlines() if "--all-minerals" in line)
    assert "Every mineral" in flag
    assert "<" not in flag
