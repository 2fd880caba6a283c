"""The CLI through Typer's runner: data status/sql/minerals, formats, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from friendshore.cli.main import app
from friendshore.data import schema

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_status_json_reports_every_table(store_path: Path) -> None:
    code, out, _ = run("data", "status", "--store", str(store_path), "--format", "json")
    assert code == 0
    payload = json.loads(out)
    tables = {t["table"]: t for t in payload["tables"]}
    assert set(tables) == set(schema.table_names())
    assert tables["trade"]["rows"] > 500_000
    assert "CEPII BACI V202401b" in tables["trade"]["releases"]
    assert "USGS MCS" in tables["production"]["sources"]


def test_store_from_environment(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRIENDSHORE_STORE", str(store_path))
    code, out, _ = run("sql", "SELECT count(*) AS n FROM countries", "--format", "json")
    assert code == 0
    assert json.loads(out)[0]["n"] > 200


def test_sql_json_is_a_list_of_records(store_path: Path) -> None:
    code, out, _ = run(
        "sql",
        "SELECT country, quantity_t FROM production_latest WHERE source = 'USGS MCS' "
        "AND mineral_id = 'rare_earths' AND year = 2023 AND stage = 'mining' "
        "ORDER BY quantity_t DESC NULLS LAST LIMIT 2",
        "--store",
        str(store_path),
        "--format",
        "json",
    )
    assert code == 0
    # MCS2025's figures for 2023 (MCS2024 estimated China 240,000 t, USA 43,000 t)
    assert json.loads(out) == [
        {"country": "CHN", "quantity_t": 255000.0},
        {"country": "MMR", "quantity_t": 43000.0},
    ]


def test_sql_csv(store_path: Path) -> None:
    code, out, _ = run(
        "sql", "SELECT 'JPN' AS iso3, 1.5 AS x", "--store", str(store_path), "--format", "csv"
    )
    assert code == 0
    assert out.splitlines() == ["iso3,x", "JPN,1.5"]


def test_bad_sql_exits_2(store_path: Path) -> None:
    code, _, err = run("sql", "SELECT * FROM no_such_table", "--store", str(store_path))
    assert code == 2
    assert "no_such_table" in err


def test_missing_store_exits_1_with_hint(tmp_path: Path) -> None:
    code, _, err = run("sql", "SELECT 1", "--store", str(tmp_path / "none.duckdb"))
    assert code == 1
    assert "friendshore data build" in err


def test_minerals_json_lists_the_catalog() -> None:
    code, out, _ = run("minerals", "--format", "json")
    assert code == 0
    ids = {m["mineral_id"] for m in json.loads(out)}
    assert {"rare_earths", "gallium", "germanium", "graphite", "lithium", "cobalt"} <= ids


def test_import_rejects_a_missing_file(store_path: Path, tmp_path: Path) -> None:
    code, _, err = run(
        "data", "import", "wgi", str(tmp_path / "nope.xlsx"), "--store", str(store_path)
    )
    assert code == 2
    assert "nope.xlsx" in err


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name, cmd in group.commands.items():
        found.append((f"{prefix}{name}", cmd))
        if hasattr(cmd, "commands"):
            found.extend(_commands(cmd, f"{prefix}{name} "))
    return found


def test_every_command_has_help_and_is_documented() -> None:
    root = typer.main.get_command(app)
    commands = _commands(root)
    assert len(commands) >= 6
    readme = (Path(__file__).parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    for name, cmd in commands:
        assert cmd.help, name
        assert f"friendshore {name}" in readme, f"`friendshore {name}` is not in docs/cli.md"


def test_error_messages_are_not_parsed_as_markup(store_path: Path) -> None:
    code, _, err = run("sql", "SELEC [/foo] [bold]", "--store", str(store_path))
    assert code == 2
    assert "[/foo]" in err


def test_a_file_that_is_not_a_store_exits_2() -> None:
    code, _, err = run("sql", "SELECT 1", "--store", "/etc/hostname")
    assert code == 2
    assert "not a friendshore store" in err


def test_build_prints_what_it_built(tmp_path: Path) -> None:
    store = tmp_path / "fresh.duckdb"
    result = runner.invoke(app, ["data", "build", "--store", str(store)])
    assert result.exit_code == 0, result.stderr
    assert "built" in result.stderr
    for table in ("production", "trade", "prices", "projections"):
        assert table in result.stdout
    assert "USGS MCS" in result.stdout
    assert "CEPII BACI" in result.stdout
