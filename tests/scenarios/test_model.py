"""Scenario files: the shipped library validates; bad files name file, line and field."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pydantic
import pytest

from friendshore._core.errors import DataError, InputError
from friendshore.data.countries import read_blocs
from friendshore.data.scenario_files import read_scenario_file, shipped_scenario_paths
from friendshore.scenarios.cuts import ByProductLink, ExportCut, ProductionCut
from friendshore.scenarios.model import (
    ExportRestriction,
    Scenario,
    list_scenarios,
    load_scenario,
    scenario_ids,
)

SHIPPED = {
    "cn-gallium-germanium-2023": dt.date(2023, 8, 1),
    "cn-graphite-2023": dt.date(2023, 12, 1),
    "cn-ree-technology-2023": dt.date(2023, 12, 21),
    "cn-antimony-2024": dt.date(2024, 9, 15),
    "cn-us-ga-ge-sb-2024": dt.date(2024, 12, 3),
    "cn-heavy-ree-2025": dt.date(2025, 4, 4),
    "cn-ree-october-2025": dt.date(2025, 11, 8),
    "id-nickel-ore-2020": dt.date(2020, 1, 1),
}

GOOD = """\
id: test-scenario
name: A test scenario
date: 2023-12-01
source: "a one-line citation"
shocks:
  - type: export_restriction
    country: CHN
    hs6: [250410, "250490"]
    share: 0.5
    exempt: [EU27, JPN]
  - type: production_loss
    country: CHN
    mineral: bauxite
    stage: processing
    share: 0.2
  - type: by_product
    host_mineral: bauxite
    host_stage: processing
    mineral: gallium
    stage: processing
    ratio: 0.9
response:
  sharing: false
  stockpiles:
    - member: EU27
      mineral: graphite
      days: 30
      release: all
  demand_elasticity: -0.1
"""


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(path: Path) -> DataError:
    with pytest.raises(DataError) as info:
        load_scenario(path)
    return info.value


def test_the_library_holds_the_historical_measures() -> None:
    assert set(scenario_ids()) == set(SHIPPED)


@pytest.mark.parametrize("scenario_id", sorted(SHIPPED))
def test_every_shipped_scenario_loads_and_validates(scenario_id: str) -> None:
    scenario = load_scenario(scenario_id)
    assert scenario.id == scenario_id
    assert scenario.date == SHIPPED[scenario_id]
    assert scenario.baseline_year == scenario.date.year - 1 == scenario.year
    assert "\n" not in scenario.source
    assert scenario.source
    assert scenario.description
    # the file's own path loads to the same scenario, and the model round-trips as an API body
    assert load_scenario(shipped_scenario_paths()[scenario_id]) == scenario
    assert Scenario.model_validate(scenario.model_dump(mode="json")) == scenario
    for shock in scenario.shocks:
        if isinstance(shock, ExportRestriction):
            assert shock.start == scenario.date
    # a licensing regime is not presented as a certain full cut: shares below 1 or
    # described as an observed figure or an assumption
    if any(getattr(s, "share", 0) < 1 for s in scenario.shocks):
        assert "ASSUMPTION" in scenario.description


def test_graphite_cuts_chinas_natural_graphite_codes() -> None:
    (cut,) = load_scenario("cn-graphite-2023").cuts()
    assert cut == ExportCut(exporter="CHN", share=1.0, hs6=("250410", "250490"), months=12)  # type: ignore[arg-type]
    assert load_scenario("cn-graphite-2023").baseline_year == 2022


def test_gallium_germanium_cuts_both_minerals() -> None:
    (cut,) = load_scenario("cn-gallium-germanium-2023").cuts()
    assert isinstance(cut, ExportCut)
    assert (cut.exporter, cut.minerals, cut.hs6) == ("CHN", ("gallium", "germanium"), ())


def test_the_technology_ban_has_no_direct_shock() -> None:
    scenario = load_scenario("cn-ree-technology-2023")
    assert scenario.cuts() == ()
    assert "no direct shock" in scenario.description


def test_nickel_ban_is_a_full_cut_of_indonesian_ore() -> None:
    (cut,) = load_scenario("id-nickel-ore-2020").cuts()
    assert isinstance(cut, ExportCut)
    assert (cut.exporter, cut.hs6, cut.share, cut.exempt) == ("IDN", ("260400",), 1.0, frozenset())


def test_cuts_expand_the_eu27_exemption_to_27_countries(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, GOOD))
    export, production, link = scenario.cuts()
    eu = read_blocs()
    eu27 = set(eu.loc[(eu["bloc"] == "EU27") & (eu["valid_to"] == ""), "iso3"])
    assert len(eu27) == 27
    assert isinstance(export, ExportCut)
    assert export.exempt == frozenset(eu27 | {"JPN"})
    assert len(export.exempt) == 28
    assert export.hs6 == ("250410", "250490")  # YAML integers read as six-digit codes
    assert production == ProductionCut(
        country="CHN",  # type: ignore[arg-type]
        mineral="bauxite",
        stage="processing",
        share=0.2,
        months=12,
    )
    assert link == ByProductLink("bauxite", "processing", "gallium", "processing", 0.9)
    assert scenario.response.stockpiles[0].days == 30
    assert scenario.response.sharing is False
    assert scenario.response.rerouting is True


def test_list_scenarios_gives_one_row_per_scenario_by_date() -> None:
    frame = list_scenarios()
    assert list(frame.columns) == [
        "id",
        "name",
        "date",
        "baseline_year",
        "minerals",
        "measure",
        "source",
    ]
    assert list(frame["id"]) == sorted(SHIPPED, key=lambda k: SHIPPED[k])
    graphite = frame.set_index("id").loc["cn-graphite-2023"]
    assert "HS 250410" in graphite["measure"]
    assert "100%" in graphite["measure"]
    assert frame["source"].str.len().gt(0).all()


# --- bad files: each error names the file, the line and the field ------------------------


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        ("    share: 0.5\n", "    share: 1.5\n", 9, "shocks[0].share", "less than or equal to 1"),
        ("    share: 0.2\n", "    share: -0.1\n", 15, "shocks[1].share", "greater than or equal"),
        ("    country: CHN\n", "    country: ATL\n", 7, "shocks[0].country", "unknown country"),
        ("exempt: [EU27, JPN]", "exempt: [EU27, XXX]", 10, "shocks[0].exempt[1]", "bloc"),
        (
            "mineral: bauxite\n",
            "mineral: unobtainium\n",
            13,
            "shocks[1].mineral",
            "unknown mineral",
        ),
        ('"250490"', '"999999"', 8, "shocks[0].hs6[1]", "unknown HS6"),
        ("days: 30", "days: -5", 27, "response.stockpiles[0].days", "greater than or equal to 0"),
        ("release: all", "release: some", 28, "response.stockpiles[0].release", "pro_rata"),
        ("demand_elasticity: -0.1", "demand_elasticity: 0.3", 29, "response.demand_elasticity", ""),
        (
            "    stage: processing\n    share",
            "    stage: smelting\n    share",
            14,
            "shocks[1].stage",
            "",
        ),
        ("type: by_product", "type: embargo", 16, "shocks[2].type", "unknown shock type"),
        ("ratio: 0.9", "ratio: 0.9\n    colour: red", 22, "shocks[2].colour", "unknown field"),
        ("date: 2023-12-01", "date: 2023-13-01", 3, "date", ""),
    ],
)
def test_bad_values_name_file_line_and_field(
    tmp_path: Path, *, old: str, new: str, line: int, field: str, words: str
) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    error = error_of(path)
    assert (error.file, error.line, error.field) == (str(path), line, field), str(error)
    assert words in error.message
    assert str(path) in str(error)
    assert f"line {line}" in str(error)
    assert field in str(error)


def test_a_missing_field_names_the_line_of_its_parent(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    share: 0.5\n", "", 1))
    error = error_of(path)
    assert (error.line, error.field) == (6, "shocks[0].share")
    assert "missing" in error.message
    error = error_of(write(tmp_path, GOOD.replace("name: A test scenario\n", ""), "b.yaml"))
    assert (error.line, error.field) == (1, "name")


def test_a_restriction_with_neither_minerals_nor_hs6_is_refused(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, GOOD.replace('    hs6: [250410, "250490"]\n', "", 1)))
    assert (error.line, error.field) == (6, "shocks[0]")
    assert "minerals or hs6" in error.message


def test_a_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    share: 0.5\n", "    share: [0.5\n", 1))
    error = error_of(path)
    assert error.file == str(path)
    # the parser notices at the next key; the message points back to the opening bracket
    assert (error.line, error.field) == (10, "exempt")
    assert "not valid YAML" in error.message
    assert "line 9" in error.message
    error = error_of(write(tmp_path, GOOD.replace("  sharing: false", "sharing: false"), "b.yaml"))
    assert (error.line, error.field) == (24, "stockpiles")  # where the parser notices


def test_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    error = error_of(
        write(tmp_path, GOOD.replace("    share: 0.5\n", "    share: 0.5\n    share: 0.9\n"))
    )
    assert (error.line, error.field) == (10, "share")


def test_every_error_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = GOOD.replace("    share: 0.5\n", "    share: 1.5\n").replace("days: 30", "days: -1")
    error = error_of(write(tmp_path, text))
    assert (error.line, error.field) == (9, "shocks[0].share")
    assert "1 more" in error.message
    assert "response.stockpiles[0].days" in error.message


@pytest.mark.parametrize("text", ["", "- a\n- b\n"])
def test_an_empty_or_non_mapping_file_is_refused(tmp_path: Path, text: str) -> None:
    error = error_of(write(tmp_path, text))
    assert error.line == 1


def test_an_unknown_name_lists_the_shipped_ids() -> None:
    with pytest.raises(InputError) as info:
        load_scenario("cn-unobtainium-2030")
    assert not isinstance(info.value, DataError)
    for scenario_id in SHIPPED:
        assert scenario_id in str(info.value)


def test_a_missing_file_is_a_data_error(tmp_path: Path) -> None:
    error = error_of(tmp_path / "nowhere.yaml")
    assert error.file == str(tmp_path / "nowhere.yaml")


def test_the_model_is_also_the_api_body() -> None:
    body = {
        "id": "api",
        "name": "from JSON",
        "date": "2024-01-01",
        "source": "test",
        "shocks": [
            {"type": "export_restriction", "country": "CHN", "minerals": ["gallium"], "share": 0.3}
        ],
    }
    scenario = Scenario.model_validate(body)
    assert scenario.baseline_year == 2023
    assert scenario.shocks[0].start == dt.date(2024, 1, 1)  # type: ignore[union-attr]
    with pytest.raises(pydantic.ValidationError):
        Scenario.model_validate({**body, "baseline_year": 1800})


def test_line_numbers_come_from_the_yaml_nodes(tmp_path: Path) -> None:
    doc = read_scenario_file(write(tmp_path, GOOD))
    assert doc.lines[("shocks", 0, "share")] == 9
    assert doc.lines[("response", "stockpiles", 0)] == 25
    assert doc.locate(("shocks", 0, "export_restriction", "share")) == (9, "shocks[0].share")
