"""The README's `comply check` examples run as documented: shipped declarations by id."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from friendshore.cli.main import app

runner = CliRunner()


def test_the_shipped_example_passes_on_its_date_by_id() -> None:
    result = runner.invoke(app, ["comply", "check", "cathode-nmc811-illustrative"])
    assert result.exit_code == 0, result.stderr
    assert "DEC-ILLUSTRATIVE-NMC811-0001 on 2025-03-01: pass" in result.stdout


def test_the_readme_later_date_fails_for_the_expired_audit() -> None:
    result = runner.invoke(
        app,
        [
            "comply",
            "check",
            "cathode-nmc811-illustrative",
            "--date",
            "2026-01-15",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["status"] == "fail"
    assert "expired on 2026-01-14" in result.stdout


def test_an_unknown_id_lists_the_shipped_examples() -> None:
    result = runner.invoke(app, ["comply", "check", "cathode-unknown"])
    assert result.exit_code == 2
    assert "cathode-nmc811-illustrative" in result.stderr
    assert "magnet-ndfeb-feoc-illustrative" in result.stderr
