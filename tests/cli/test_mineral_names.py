"""Names a person types, through the CLI runner: minerals, stages, members."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import friendshore as fs
from friendshore.cli.main import app
from friendshore.data.names import (
    UnknownNameError,
    read_mineral_synonyms,
    resolve_member,
    resolve_mineral,
    resolve_stage,
)

runner = CliRunner()


def run(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--store", str(store)])
    return result.exit_code, result.stdout, result.stderr


def supply_risk(store: Path, mineral: str) -> list[dict[str, object]]:
    code, out, err = run(store, "metrics", "supply-risk", "--mineral", mineral, "-f", "json")
    assert code == 0, err
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def test_names_synonyms_and_case_give_the_catalog_id(store_path: Path) -> None:
    by_id = supply_risk(store_path, "rare_earths")
    assert {r["mineral_id"] for r in by_id} == {"rare_earths"}
    assert {r["mineral_name"] for r in by_id} == {"Rare earths"}
    for typed in ("Rare earths", "REE", "RARE-EARTHS"):
        assert supply_risk(store_path, typed) == by_id, typed


def test_an_element_of_a_group_resolves_with_a_note(store_path: Path) -> None:
    code, out, err = run(store_path, "metrics", "supply-risk", "--mineral", "neodymium")
    assert code == 0, err
    assert "Rare earths: supply risk" in out
    assert "'neodymium' is read as rare_earths" in err
    assert "group level" in err


def test_a_typo_exits_2_with_a_suggestion(store_path: Path) -> None:
    code, out, err = run(store_path, "metrics", "concentration", "--mineral", "lithum")
    assert code == 2
    assert out == ""
    assert "unknown mineral 'lithum'; did you mean lithium?" in " ".join(err.split())
    code, _, err = run(store_path, "prices", "--mineral", "tungstn")
    assert code == 2
    assert "did you mean tungsten?" in err


def test_gallium_without_a_stage_takes_processing(store_path: Path) -> None:
    code, out, err = run(
        store_path, "metrics", "concentration", "--mineral", "Gallium", "-f", "json"
    )
    assert code == 0, err
    rows = json.loads(out)
    assert {r["stage"] for r in rows} == {"processing"}
    china = next(r for r in rows if r["country"] == "CHN")
    # USGS MCS 2025: China 750 t of primary gallium in 2024
    assert (china["year"], china["quantity_t"]) == (2024, 750)
    code, out, _ = run(store_path, "metrics", "concentration", "--mineral", "gallium")
    assert code == 0
    assert "Gallium processing: shares of world production" in out


def test_a_stage_without_data_names_the_stages_that_exist(store_path: Path) -> None:
    args = ("metrics", "concentration", "--mineral", "gallium", "--stage", "mining")
    code, _, err = run(store_path, *args)
    assert code == 2
    assert "no data at stage mining; stages with data: processing" in " ".join(err.split())


def test_member_in_any_case_and_by_name(store_path: Path) -> None:
    def rows(member: str) -> list[dict[str, object]]:
        args = ("metrics", "dependence", "--member", member, "--mineral", "graphite")
        code, out, err = run(store_path, *args, "--year", "2023", "-f", "json")
        assert code == 0, err
        found: list[dict[str, object]] = json.loads(out)
        return found

    eu = rows("EU27")
    assert eu == rows("eu27") == rows("European Union")
    assert {r["member"] for r in eu} == {"EU27"}
    assert {r["member"] for r in rows("Japan")} == {"JPN"}
    code, _, err = run(store_path, "metrics", "dependence", "--member", "Japn", "--mineral", "tin")
    assert code == 2
    assert "did you mean Japan?" in err


def test_the_table_shows_names_not_ids(store_path: Path) -> None:
    code, out, err = run(store_path, "metrics", "supply-risk", "--mineral", "magnesium")
    assert code == 0, err
    assert "Magnesium metal" in out
    assert "magnesium_metal" not in out


def test_resolver_rules() -> None:
    assert resolve_mineral("aluminium").mineral_id == "aluminum"
    assert resolve_mineral("Graphite").name == "Graphite (natural)"
    assert resolve_mineral("lithium").note is None
    with pytest.raises(UnknownNameError) as caught:
        resolve_mineral("cobolt")
    assert caught.value.suggestions == ("cobalt",)
    assert resolve_stage("copper", None).value == "mining"
    assert resolve_stage("gallium", "Processing").value == "processing"
    assert resolve_member("usa", ["USA", "EU27"]) == "USA"
    assert resolve_member("Korea, Republic of") == "KOR"
    synonyms = read_mineral_synonyms()
    # every synonym resolves to its row's mineral (no row shadowed by a catalog name)
    for row in synonyms.itertuples():
        assert resolve_mineral(str(row.synonym)).mineral_id == row.mineral_id, row.synonym


def test_scenario_file_errors_show_the_allowed_form(store_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "id: My Scenario\nname: x\ndate: 2024-01-01\nsource: a citation\nshocks:\n"
        "  - type: export_restriction\n    country: CHN\n    minerals: [gallium]\n    share: 50\n",
        encoding="utf-8",
    )
    code, _, err = run(store_path, "scenario", "run", str(path))
    assert code == 2
    text = " ".join(err.split())
    assert (
        "line 1, field 'id': 'My Scenario' must be lower-case letters, digits and hyphens" in text
    )
    assert "[a-z0-9]" not in text
    assert "line 9, field 'shocks[0].share': Input should be less than or equal to 1" in text
    assert "a share is a fraction, not a percentage" in text
    assert "write 0.5 for 50%" in text


def test_the_library_takes_names_as_the_cli_does(store_path: Path) -> None:
    by_name = fs.prices(mineral="Tungsten", store=store_path)
    assert set(by_name["mineral_id"]) == {"tungsten"}
    assert by_name.equals(fs.prices(mineral="tungsten", store=store_path))
    with pytest.raises(UnknownNameError, match="did you mean tungsten"):
        fs.prices(mineral="tungstn", store=store_path)
