"""`friendshore data gaps` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from friendshore.cli.main import app

runner = CliRunner()


def test_gaps_json_ranks_inputs_and_gives_member_widths(store_path: Path) -> None:
    result = runner.invoke(
        app, ["data", "gaps", "--format", "json", "--top", "5", "--store", str(store_path)]
    )
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    gaps = payload["gaps"]
    assert len(gaps) == 5
    narrowing = [g["narrowing"] for g in gaps]
    assert narrowing == sorted(narrowing, reverse=True)
    assert all("narrows zone import reliance from" in g["description"] for g in gaps)
    members = {w["member"] for w in payload["member_widths"]}
    assert members == {"USA", "MEX", "EU27", "JPN", "zone"}


def test_gaps_table_fits_100_columns(store_path: Path) -> None:
    result = runner.invoke(app, ["data", "gaps", "--store", str(store_path)])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "10 of" in result.stdout
    assert "median width" in result.stdout


def test_gaps_csv_for_one_mineral(store_path: Path) -> None:
    args = ["data", "gaps", "--mineral", "cobalt", "--top", "0", "--format", "csv"]
    result = runner.invoke(app, [*args, "--store", str(store_path)])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("mineral,stage,year,input,kind")
    assert all(line.startswith("cobalt,") for line in lines[1:])
