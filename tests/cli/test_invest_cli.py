"""`friendshore invest validate|optimize|frontier` through the CLI runner."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from friendshore.cli.main import app
from friendshore.invest.pipeline import PROJECT_COLUMNS

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["invest", *args])
    return result.exit_code, result.stdout, " ".join(result.stderr.split())


def test_validate_the_shipped_example() -> None:
    code, out, err = _run("validate", "example-illustrative", "--format", "json")
    assert code == 0, err
    projects = json.loads(out)
    assert len(projects) == 26
    assert list(projects[0]) == PROJECT_COLUMNS
    code, out, _ = _run("validate", "example-illustrative")
    assert code == 0
    assert "26 projects, valid" in out
    assert "ILLUSTRATIVE EXAMPLE PIPELINE" in out


def test_a_bad_pipeline_exits_2_naming_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    good = "P1,Mine,USA,graphite,mining,100,gross weight,1e8,1e7,2026,3,10,5,announced,,test source"
    path.write_text(
        ",".join(PROJECT_COLUMNS)
        + "\n"
        + good
        + "\n"
        + good.replace("P1,", "P2,").replace(",1e8,", ",-1e8,")
        + "\n",
        encoding="utf-8",
    )
    for command in ("validate", "optimize"):
        code, _, err = _run(command, str(path))
        assert code == 2, err
        assert "bad.csv" in err
        assert "line 3" in err
        assert "field 'capex_usd'" in err


def test_optimize_json(store_path: Path) -> None:
    code, out, err = _run(
        "optimize",
        "example-illustrative",
        "--budget",
        "1e9",
        "--budget-per-year",
        "4e8",
        "--format",
        "json",
        "--store",
        str(store_path),
    )
    assert code == 0, err
    body = json.loads(out)
    assert body["objective"] == "dependence"
    assert body["year"] == 2030
    assert body["status"] == "optimal"
    assert body["objective_after"] < body["objective_before"]
    assert body["model"]["variables"] > 26
    ids = {p["id"] for p in body["chosen"]}
    assert {"ILL-GR-USA-2", "ILL-GR-MEX-1", "ILL-GR-SWE-1", "ILL-GR-DEU-1"} <= ids
    assert sum(p["capex_usd"] for p in body["chosen"]) <= 1e9
    assert {m["member"] for m in body["by_member"]} == {"USA", "MEX", "EU27", "JPN"}
    graphite = next(
        m for m in body["metrics"] if m["mineral"] == "graphite" and m["stage"] == "mining"
    )
    assert graphite["china_zone_supply_share_after"] < graphite["china_zone_supply_share_before"]
    assert body["budget_marginal_value_per_musd"] is not None


def test_infeasible_requirements_exit_1_naming_the_constraints(store_path: Path) -> None:
    code, _, err = _run(
        "optimize",
        "example-illustrative",
        "--budget",
        "1e9",
        "--require",
        "ILL-GR-USA-1",
        "--store",
        str(store_path),
    )
    assert code == 1
    assert "binding constraints are lead_time" in err
    assert "required" in err
    assert "ILL-GR-USA-1 produces in 2031" in err


def test_frontier_csv_is_monotone_and_writes_the_plot(store_path: Path, tmp_path: Path) -> None:
    html = tmp_path / "frontier.html"
    code, out, err = _run(
        "frontier",
        "example-illustrative",
        "--budgets",
        "5e8,0,2e8",
        "--format",
        "csv",
        "--out",
        str(html),
        "--store",
        str(store_path),
    )
    assert code == 0, err
    rows = [line.split(",") for line in out.strip().splitlines()]
    header, body = rows[0], rows[1:]
    budgets = [float(r[header.index("budget_usd")]) for r in body]
    objective = [float(r[header.index("objective")]) for r in body]
    assert budgets == [0.0, 2e8, 5e8]
    assert objective[0] > objective[1] >= objective[2]
    text = html.read_text(encoding="utf-8")
    assert "fig-frontier" in text
    assert "Content-Security-Policy" in text
    assert not re.search(r"<script[^>]+src=", text)


def test_shortfall_needs_a_scenario_and_bad_budgets_exit_2(store_path: Path) -> None:
    code, _, err = _run(
        "optimize", "example-illustrative", "--objective", "shortfall", "--store", str(store_path)
    )
    assert code == 2
    assert "--scenario" in err
    code, _, err = _run(
        "frontier", "example-illustrative", "--budgets", "1e8,lots", "--store", str(store_path)
    )
    assert code == 2
    assert "--budgets" in err
