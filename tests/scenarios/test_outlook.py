"""The zone's outlook against the bundled IEA workbook and the material balance of the store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from friendshore._core.errors import ValidationError
from friendshore.data.resources import bundled_path
from friendshore.invest.pipeline import Pipeline
from friendshore.model.zone import Zone, default_zone
from friendshore.scenarios.outlook import (
    CLEANTECH_ONLY,
    FRAME_COLUMNS,
    TOTAL_DEMAND,
    OutlookOptionError,
    OutlookOptions,
    OutlookResult,
    outlook_inputs,
    outlook_payload,
    run_outlook,
    zone_outlook,
)

WORKBOOK = ("iea", "CM_Data_Explorer_May_2024.xlsx")


def _cell(sheet: str, ref: str) -> float:
    """A cell of the bundled IEA workbook, as published (kt)."""
    data = CalamineWorkbook.from_path(str(bundled_path(*WORKBOOK))).get_sheet_by_name(sheet)
    first_row, first_col = data.start  # the grid starts at the first used cell
    grid = data.to_python()
    return float(grid[int(ref[1:]) - 1 - first_row][ord(ref[0]) - ord("A") - first_col])


@pytest.fixture(scope="module")
def zone() -> Zone:
    return default_zone()


@pytest.fixture(scope="module")
def inputs(store_path: Path, zone: Zone) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return outlook_inputs(store_path, zone)


@pytest.fixture(scope="module")
def result(store_path: Path, zone: Zone) -> OutlookResult:
    return run_outlook(store_path, zone)


def _row(result: OutlookResult, mineral: str, stage: str, scenario: str, year: int) -> pd.Series:
    f = result.frame
    hit = f[
        (f["mineral"] == mineral)
        & (f["stage"] == stage)
        & (f["scenario"] == scenario)
        & (f["year"] == year)
    ]
    assert len(hit) == 1, (mineral, stage, scenario, year)
    return hit.iloc[0]


def test_world_demand_is_the_workbook_cell(result: OutlookResult) -> None:
    li = _row(result, "lithium", "processing", "APS", 2030)
    assert li["world_demand_t"] == pytest.approx(531_513.0)
    assert _cell("1 Total demand for key minerals", "J37") == pytest.approx(531.513)
    assert li["demand_basis"] == TOTAL_DEMAND
    assert li["demand_source"] == "1 Total demand for key minerals!J37"
    # NZE 2040 copper: sheet 1, column R (NZE 2040), row 17
    cu = _row(result, "copper", "mining", "NZE", 2040)
    assert cu["world_demand_t"] == pytest.approx(
        _cell("1 Total demand for key minerals", "R17") * 1000
    )
    assert cu["world_demand_t"] == pytest.approx(38_911_600.0)
    # the IEA gives gallium's clean-technology demand only (sheet 3.2, row 12)
    ga = _row(result, "gallium", "processing", "APS", 2030)
    assert ga["demand_basis"] == CLEANTECH_ONLY
    assert ga["world_demand_t"] == pytest.approx(
        _cell("3.2 Cleantech demand by mineral", "J12") * 1000
    )
    assert ga["world_demand_t"] == pytest.approx(202.983)
    assert ga["demand_source"] == "3.2 Cleantech demand by mineral!J12"
    assert "clean technologies only" in ga["note"]


def test_every_mineral_stage_scenario_year(result: OutlookResult) -> None:
    f = result.frame
    assert list(f.columns) == FRAME_COLUMNS
    assert not f.duplicated(["mineral", "stage", "scenario", "year"]).any()
    assert set(f["scenario"]) == {"STEPS", "APS", "NZE"}
    assert sorted(set(f["year"])) == [2023, 2030, 2035, 2040, 2045, 2050]
    focus = {"copper", "cobalt", "lithium", "nickel", "rare_earths", "graphite"}
    assert focus <= set(f["mineral"])
    assert set(f.loc[f["mineral"].isin(focus), "demand_basis"]) == {TOTAL_DEMAND}
    assert result.base_year == 2024


def test_zone_demand_is_world_demand_times_the_allocation_share(
    result: OutlookResult, inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
) -> None:
    f = result.frame
    w = f["world_demand_t"]
    for end in ("", "_min", "_max"):
        share = f[f"zone_share{end}"]
        demand = f[f"zone_demand{end}_t"]
        assert np.allclose(demand, w * share, equal_nan=True, rtol=1e-12)
        assert (demand.isna() == share.isna()).all()
    # the share: apparent consumption of the zone over world production in the base year
    _, balance, world = inputs
    z = balance[
        (balance["member"] == "zone")
        & (balance["mineral_id"] == "lithium")
        & (balance["stage"] == "processing")
        & (balance["year"] == 2024)
    ].iloc[0]
    wp = world[
        (world["mineral"] == "lithium") & (world["stage"] == "processing") & (world["year"] == 2024)
    ].iloc[0]
    li = _row(result, "lithium", "processing", "STEPS", 2035)
    assert li["zone_share_min"] == pytest.approx(z["apparent_consumption_min_t"] / wp["world_t"])
    assert li["zone_share_max"] == pytest.approx(z["apparent_consumption_max_t"] / wp["world_t"])
    assert li["zone_demand_min_t"] == pytest.approx(
        735_866.0 * z["apparent_consumption_min_t"] / wp["world_t"]
    )
    assert "apparent consumption in 2024" in li["allocation_method"]


def test_intervals_are_ordered(result: OutlookResult) -> None:
    f = result.frame
    for name in ("zone_share", "zone_demand_t", "zone_supply_t", "gap_t", "self_sufficiency"):
        lo_col, hi_col = (
            (name.replace("_t", "_min_t"), name.replace("_t", "_max_t"))
            if name.endswith("_t")
            else (f"{name}_min", f"{name}_max")
        )
        both = f[lo_col].notna() & f[hi_col].notna()
        lo, hi = f.loc[both, lo_col], f.loc[both, hi_col]
        assert (lo <= hi + 1e-9 * hi.abs()).all(), name
        point = f[name].notna()
        assert np.allclose(f.loc[point, name], f.loc[point, lo_col]), name


def test_supply_held_at_the_base_year_without_projection_or_pipeline(
    result: OutlookResult, inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
) -> None:
    _, balance, _ = inputs
    base = balance[(balance["member"] == "zone") & (balance["year"] == 2024)].rename(
        columns={"mineral_id": "mineral"}
    )
    held = result.frame[result.frame["supply_basis"] == "held at base year 2024"]
    assert {"zinc", "tungsten", "gallium"} <= set(held["mineral"])
    merged = held.merge(base, on=["mineral", "stage"], how="left", validate="many_to_one")
    low = merged["production_min_t"].fillna(merged["production_t"])
    high = merged["production_max_t"].fillna(merged["production_t"])
    assert np.allclose(merged["zone_supply_min_t"], low, equal_nan=True)
    assert np.allclose(merged["zone_supply_max_t"], high, equal_nan=True)
    assert (held["pipeline_t"] == 0).all()
    zinc = held[(held["mineral"] == "zinc") & (held["stage"] == "mining")]
    assert zinc["zone_supply_min_t"].nunique() == 1  # the same every scenario and year


def test_a_zone_whose_members_the_iea_does_not_list_keeps_its_base_year(
    store_path: Path,
) -> None:
    mexico = Zone.from_mapping({"name": "Mexico alone", "members": ["MEX"]})
    out = run_outlook(store_path, mexico, options=OutlookOptions(years=(2030, 2040)))
    assert (out.frame["supply_basis"] == "held at base year 2024").all()
    _, balance, _ = outlook_inputs(store_path, mexico)
    cu = balance[
        (balance["member"] == "zone")
        & (balance["mineral_id"] == "copper")
        & (balance["stage"] == "mining")
        & (balance["year"] == 2024)
    ].iloc[0]
    rows = out.frame[(out.frame["mineral"] == "copper") & (out.frame["stage"] == "mining")]
    assert (rows["zone_supply_t"] == cu["production_t"]).all()


def test_listed_members_take_the_iea_projection(
    result: OutlookResult, inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
) -> None:
    projections, balance, _ = inputs
    # copper mining: the IEA lists the United States; EU27, Mexico and Japan stay at 2024
    usa = projections[
        (projections["edition"] == "IEA CMDE May 2024")
        & (projections["kind"] == "supply")
        & (projections["mineral_id"] == "copper")
        & (projections["stage"] == "mining")
        & (projections["country"] == "USA")
    ].set_index("year")["value_t"]
    b = balance[
        (balance["mineral_id"] == "copper")
        & (balance["stage"] == "mining")
        & (balance["year"] == 2024)
    ].set_index("member")
    row = _row(result, "copper", "mining", "APS", 2030)
    assert "IEA projection (USA)" in row["supply_basis"]
    rest_low = b.loc["zone", "production_min_t"] - b.loc["USA", "production_max_t"]
    rest_high = b.loc["zone", "production_max_t"] - b.loc["USA", "production_min_t"]
    assert row["zone_supply_min_t"] == pytest.approx(rest_low + usa[2030])
    assert row["zone_supply_max_t"] == pytest.approx(rest_high + usa[2030])
    # after the IEA's last supply year (2040) its 2040 figure is held, and said so
    late = _row(result, "copper", "mining", "APS", 2050)
    assert late["zone_supply_min_t"] == pytest.approx(rest_low + usa[2040])
    assert "2040 value held" in late["supply_basis"]


def _project(pid: str, country: str, start: int, lead: int, capacity: float) -> dict[str, object]:
    return {
        "id": pid,
        "name": f"test project {pid}",
        "country": country,
        "mineral": "lithium",
        "stage": "processing",
        "capacity_t_per_year": capacity,
        "basis": "contained lithium",
        "capex_usd": 1e8,
        "opex_usd_per_year": 1e7,
        "earliest_start_year": start,
        "lead_time_years": lead,
        "jobs_construction": 10,
        "jobs_operation": 5,
        "status": "feasibility",
        "source": "test",
    }


def test_a_pipeline_adds_exactly_its_capacity_from_its_first_output_year(
    store_path: Path, zone: Zone, result: OutlookResult
) -> None:
    pipeline = Pipeline.from_records(
        [
            _project("A", "DEU", 2026, 3, 4000.0),  # first output 2029
            _project("B", "USA", 2028, 4, 2500.0),  # first output 2032
            _project("C", "CAN", 2025, 1, 9999.0),  # outside the zone: nothing
        ]
    )
    with_pipe = run_outlook(store_path, zone, options=OutlookOptions(pipeline=pipeline))
    keys = ["mineral", "stage", "scenario", "year"]
    a = result.frame.set_index(keys)
    b = with_pipe.frame.set_index(keys)
    li = b.xs(("lithium", "processing"), level=("mineral", "stage"))
    expected = li.index.get_level_values("year").map(
        lambda y: (4000.0 if y >= 2029 else 0.0) + (2500.0 if y >= 2032 else 0.0)
    )
    assert list(li["pipeline_t"]) == list(expected)
    assert set(li.loc[li.index.get_level_values("year") == 2023, "pipeline_t"]) == {0.0}
    assert set(li.loc[li.index.get_level_values("year") == 2030, "pipeline_t"]) == {4000.0}
    assert set(li.loc[li.index.get_level_values("year") == 2035, "pipeline_t"]) == {6500.0}
    diff = a["gap_min_t"] - b["gap_min_t"]
    assert np.allclose(diff.fillna(0.0), b["pipeline_t"].where(a["gap_min_t"].notna(), 0.0))
    assert np.allclose(a["zone_supply_min_t"], b["zone_supply_min_t"], equal_nan=True)
    assert (b.loc[b.index.get_level_values("mineral") != "lithium", "pipeline_t"] == 0).all()
    projects = with_pipe.pipeline_projects.set_index("id")
    assert projects.loc["A", "online_year"] == 2029
    assert not projects.loc["C", "used"]
    assert projects.loc["C", "note"] == "host country outside the zone"


def test_rival_share_comes_from_the_zone_rivals(
    store_path: Path, result: OutlookResult, inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
) -> None:
    projections, _, _ = inputs
    supply = projections[
        (projections["edition"] == "IEA CMDE May 2024")
        & (projections["kind"] == "supply")
        & (projections["mineral_id"] == "nickel")
        & (projections["stage"] == "mining")
        & (projections["year"] == 2030)
    ]
    total = supply.loc[supply["row_type"] == "total", "value_t"].iloc[0]
    russia = supply.loc[supply["country"] == "RUS", "value_t"].iloc[0]
    # China is not among the IEA's listed nickel miners: unknown, and said so
    cn = _row(result, "nickel", "mining", "APS", 2030)
    assert pd.isna(cn["rival_world_supply_share"])
    assert "CHN not listed by the IEA" in cn["note"]
    li = _row(result, "lithium", "processing", "APS", 2030)
    assert 0.5 < li["rival_world_supply_share"] < 1.0
    assert outlook_payload(result)["rival_key"] == "china_world_supply_share"

    rus_zone = Zone.from_mapping(
        {"name": "zone against Russia", "members": ["USA", "MEX", "EU27", "JPN"], "rivals": ["RUS"]}
    )
    rus = run_outlook(store_path, rus_zone, options=OutlookOptions(scenarios=("APS",)))
    row = rus.frame[
        (rus.frame["mineral"] == "nickel")
        & (rus.frame["stage"] == "mining")
        & (rus.frame["year"] == 2030)
    ].iloc[0]
    assert row["rival_world_supply_share"] == pytest.approx(russia / total)
    payload = outlook_payload(rus)
    assert payload["rival_key"] == "rival_world_supply_share"
    assert payload["rivals"] == ["RUS"]
    assert "rival_world_supply_share" in payload["rows"][0]


def test_a_user_allocation_replaces_the_consumption_shares(
    store_path: Path, zone: Zone, inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
) -> None:
    projections, balance, world = inputs
    table = pd.DataFrame(
        {
            "member": ["USA", "EU27", "JPN", "USA"],
            "share": [0.10, 0.15, 0.05, 0.20],
            "mineral": [None, None, None, "lithium"],
        }
    )
    out = zone_outlook(
        projections,
        balance,
        zone,
        world=world,
        options=OutlookOptions(allocation=table, allocation_label="user file", years=(2030,)),
    )
    cu = out.frame[(out.frame["mineral"] == "copper") & (out.frame["scenario"] == "APS")]
    assert set(cu["zone_share"].round(12)) == {0.30}
    assert np.allclose(cu["zone_demand_t"], 0.30 * cu["world_demand_t"])
    li = out.frame[out.frame["mineral"] == "lithium"]
    assert set(li["zone_share"].round(12)) == {0.40}  # the lithium row wins for the USA
    assert set(out.frame["allocation_method"]) == {"user file: members' shares of world demand"}
    members = out.members[(out.members["mineral"] == "lithium") & (out.members["member"] == "USA")]
    assert set(members["share"].round(12)) == {0.20}

    too_much = pd.DataFrame({"member": ["USA", "EU27"], "share": [0.7, 0.6]})
    with pytest.raises(ValidationError, match="add up to"):
        zone_outlook(
            projections, balance, zone, world=world, options=OutlookOptions(allocation=too_much)
        )
    stranger = pd.DataFrame({"member": ["CAN"], "share": [0.1]})
    with pytest.raises(ValidationError, match="CAN not a member"):
        zone_outlook(
            projections, balance, zone, world=world, options=OutlookOptions(allocation=stranger)
        )


def test_bad_options_name_the_field(
    zone: Zone, inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
) -> None:
    projections, balance, world = inputs
    with pytest.raises(OutlookOptionError, match="scenario XYZ") as bad:
        OutlookOptions(scenarios=("XYZ",))
    assert bad.value.field == "scenario"
    with pytest.raises(OutlookOptionError, match="year 2031: the IEA projects demand for") as year:
        zone_outlook(projections, balance, zone, world=world, options=OutlookOptions(years=(2031,)))
    assert year.value.field == "year"
    with pytest.raises(OutlookOptionError, match="base year 1990") as base:
        zone_outlook(
            projections, balance, zone, world=world, options=OutlookOptions(base_year=1990)
        )
    assert base.value.field == "base_year"


def test_payload_is_plain_json(result: OutlookResult) -> None:
    payload = outlook_payload(result)
    text = json.dumps(payload, allow_nan=False)
    back = json.loads(text)
    assert back["base_year"] == 2024
    assert back["years"] == [2023, 2030, 2035, 2040, 2045, 2050]
    assert len(back["rows"]) == len(result.frame)
    first = back["rows"][0]
    assert {"zone_demand_min_t", "zone_supply_max_t", "gap_t", "china_world_supply_share"} <= set(
        first
    )
    assert len(back["members"]) == len(result.members)
