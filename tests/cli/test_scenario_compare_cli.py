"""`friendshore scenario compare` and `scenario sensitivity` through the CLI runner."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from friendshore.cli.main import app
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone
from friendshore.scenarios.model import load_scenario
from friendshore.scenarios.run import run_scenario

runner = CliRunner()
GA_GE = "cn-gallium-germanium-2023"
US_BAN = "cn-us-ga-ge-sb-2024"
GRAPHITE = "cn-graphite-2023"


def run(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--store", str(store)], env={"COLUMNS": "100"})
    return result.exit_code, result.stdout, result.stderr


def test_compare_json_equals_each_run_alone(store_path: Path) -> None:
    code, out, err = run(store_path, "scenario", "compare", GA_GE, US_BAN, "--format", "json")
    assert code == 0, err
    payload = json.loads(out)
    assert [s["id"] for s in payload["scenarios"]] == [GA_GE, US_BAN]
    supply = SupplyNetwork.from_store(store_path)
    for sid in (GA_GE, US_BAN):
        alone = run_scenario(supply, load_scenario(sid), default_zone()).records
        own = alone.set_index(["member", "mineral", "stage"])["shortfall_share"]
        for row in payload["rows"]:
            if row["member"] == "zone":
                continue
            value = row["shortfall_share"][sid]
            expected = own.get((row["member"], row["mineral"], row["stage"]))
            assert (value is None) == (expected is None)
            if value is not None:
                assert abs(value - expected) < 1e-9
    usa = next(
        r
        for r in payload["rows"]
        if (r["member"], r["mineral"], r["stage"]) == ("USA", "gallium", "processing")
    )
    assert usa["shortfall_share"][GA_GE] > 0.9  # the 2023 controls: 99% short after response


def test_compare_table_names_every_column_and_fits(store_path: Path) -> None:
    code, out, err = run(store_path, "scenario", "compare", GA_GE, US_BAN, GRAPHITE)
    assert code == 0, err
    assert f"(1) {GA_GE}:" in out
    assert f"(3) {GRAPHITE}:" in out
    assert "zone total" in out
    assert "Gallium" in out  # names, not ids
    assert max(len(line) for line in out.splitlines()) <= 100
    assert not re.search(r"\d[eE][+-]\d", out)  # no scientific notation


def test_compare_csv_has_a_column_per_scenario(store_path: Path) -> None:
    code, out, err = run(store_path, "scenario", "compare", GA_GE, GRAPHITE, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert set(rows[0]) == {
        "member",
        "mineral",
        "stage",
        f"{GA_GE}_shortfall_share",
        f"{GA_GE}_shortfall_t",
        f"{GRAPHITE}_shortfall_share",
        f"{GRAPHITE}_shortfall_t",
    }
    graphite = [r for r in rows if r["mineral"] == "graphite" and r["member"] == "zone"]
    assert graphite
    assert float(graphite[0][f"{GRAPHITE}_shortfall_share"]) > 0
    assert float(graphite[0][f"{GA_GE}_shortfall_share"]) == 0.0


def test_compare_bad_input_exits_2(store_path: Path, tmp_path: Path) -> None:
    code, _, err = run(store_path, "scenario", "compare", GA_GE, "cn-nothing-2030")
    assert code == 2
    assert "cn-nothing-2030" in err
    code, _, err = run(store_path, "scenario", "compare", GA_GE, GA_GE)
    assert code == 2
    assert "twice" in err
    code, _, err = run(store_path, "scenario", "compare", GA_GE, "--spare", "1.5")
    assert code == 2
    assert "--spare" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: y\n", encoding="utf-8")
    code, _, err = run(store_path, "scenario", "compare", GA_GE, str(bad))
    assert code == 2
    assert "bad.yaml" in err


def test_sensitivity_json_and_table(store_path: Path) -> None:
    code, out, err = run(store_path, "scenario", "sensitivity", GRAPHITE, "--format", "json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["scenario"] == GRAPHITE
    spare = next(r for r in payload["rows"] if r["assumption"] == "spare_fraction")
    # no spare capacity never leaves less shortfall than a quarter of it
    assert spare["zone_shortfall_low_t"] >= spare["zone_shortfall_high_t"]
    assert spare["change_t"] < 0
    code, out, err = run(store_path, "scenario", "sensitivity", GRAPHITE)
    assert code == 0, err
    assert "re-routing" in out
    assert "0% → 25%" in out
    assert "JOGMEC" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_sensitivity_unknown_scenario_exits_2(store_path: Path) -> None:
    code, _, err = run(store_path, "scenario", "sensitivity", "nope")
    assert code == 2
    assert "nope" in err
