"""Price floors kept by levies: hand-computed cases, invariants on the bundled data, schedule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from friendshore._core.errors import DataError, ValidationError
from friendshore.cli.main import app
from friendshore.data.floor_files import write_schedule_csv
from friendshore.data.queries import read_unit_values
from friendshore.model.zone import Zone, default_zone
from friendshore.policy.floors import (
    LEVY_COLUMNS,
    MODES,
    FloorResult,
    floor_levies,
    floor_payload,
    floor_schedule,
    landed_unit_values,
    levy_path,
    rule_codes,
    run_floor,
)
from friendshore.policy.reference import ReferenceFile, load_reference_file
from friendshore.policy.schedule import load_schedule

runner = CliRunner()


def landed_frame(rows: list[tuple[str, str, str, int, float, float]]) -> pd.DataFrame:
    """Landed rows ``(member, origin, origin_group, year, landed, tonnes)`` of rule 0."""
    frame = pd.DataFrame(
        rows, columns=["member", "origin", "origin_group", "year", "landed_usd_per_t", "import_t"]
    )
    return frame.assign(
        rule=0,
        mineral_id="lithium",
        stage="processing",
        product="Li2CO3",
        import_usd=frame["landed_usd_per_t"] * frame["import_t"],
    )


def refs(level: float, years: tuple[int, ...] = (2020,)) -> pd.DataFrame:
    return pd.DataFrame({"rule": 0, "year": list(years), "reference_usd_per_t": level})


THREE = landed_frame(
    [
        ("EU27", "CHN", "rival", 2020, 60.0, 10.0),
        ("EU27", "AUS", "other", 2020, 80.0, 5.0),
        ("EU27", "DEU", "member", 2020, 50.0, 20.0),
    ]
)


def by_origin(levies: pd.DataFrame, column: str = "levy_usd_per_t") -> dict[str, float]:
    return dict(zip(levies["origin"], levies[column], strict=True))


def test_uniform_levy_is_reference_minus_lowest_offer() -> None:
    out = floor_levies(THREE, refs(100.0), mode="uniform")
    assert list(out.columns) == list(LEVY_COLUMNS)
    # lowest non-member offer 60 (the member's 50 is not an offer): 100 − 60 = 40 on both
    assert by_origin(out) == {"AUS": 40.0, "CHN": 40.0, "DEU": 0.0}
    assert by_origin(out, "lowest_offer_usd_per_t") == {"AUS": 60.0, "CHN": 60.0, "DEU": 60.0}
    assert by_origin(out, "ad_valorem") == pytest.approx({"AUS": 0.5, "CHN": 40 / 60, "DEU": 0})
    assert out["tariff_revenue_usd"].sum() == pytest.approx(40 * 10 + 40 * 5)
    assert out["consumer_cost_usd"].sum() == pytest.approx(600.0)


def test_uniform_levy_is_zero_when_the_lowest_offer_is_above_the_floor() -> None:
    out = floor_levies(THREE, refs(59.0), mode="uniform")
    assert by_origin(out) == {"AUS": 0.0, "CHN": 0.0, "DEU": 0.0}
    assert out["tariff_revenue_usd"].sum() == 0.0


def test_eec_1985_variable_levy_fixture() -> None:
    """Threshold price 168, lowest CIF offer 123 (per tonne): levy 45 on every third country."""
    landed = landed_frame(
        [
            ("EEC", "USA", "other", 1985, 123.0, 1000.0),
            ("EEC", "CAN", "other", 1985, 131.0, 800.0),
            ("EEC", "ARG", "other", 1985, 127.0, 600.0),
            ("EEC", "FRA", "member", 1985, 150.0, 5000.0),
        ]
    )
    out = floor_levies(landed, refs(168.0, (1985,)), mode="uniform")
    assert by_origin(out) == {"ARG": 45.0, "CAN": 45.0, "FRA": 0.0, "USA": 45.0}
    assert out["tariff_revenue_usd"].sum() == pytest.approx(45.0 * 2400)


def test_per_origin_levy_is_each_origins_gap() -> None:
    out = floor_levies(THREE, refs(70.0), mode="per-origin")
    assert by_origin(out) == {"AUS": 0.0, "CHN": 10.0, "DEU": 0.0}


@given(
    reference=st.floats(0, 1e6),
    prices=st.lists(st.floats(1e-3, 1e6), min_size=1, max_size=8),
    mode=st.sampled_from(MODES),
)
def test_levies_are_never_negative_and_members_never_pay(
    reference: float, prices: list[float], mode: str
) -> None:
    groups = ["member", "rival", "other"]
    landed = landed_frame(
        [("USA", f"O{i:02d}", groups[i % 3], 2020, p, 1.0 + i) for i, p in enumerate(prices)]
    )
    out = floor_levies(landed, refs(reference), mode=mode, duty_above_quota=0.3)  # type: ignore[arg-type]
    assert (out["levy_usd_per_t"] >= 0).all()
    assert (out.loc[out["origin_group"] == "member", "levy_usd_per_t"] == 0).all()
    if mode == "per-origin":
        gap = np.maximum(reference - out["landed_usd_per_t"], 0)
        expected = gap.where(out["origin_group"] != "member", 0.0)
        assert np.allclose(out["levy_usd_per_t"], expected)


def test_a_floor_below_every_landed_price_changes_nothing() -> None:
    for mode in MODES:
        out = floor_levies(THREE, refs(10.0), mode=mode, duty_above_quota=0.5)  # type: ignore[arg-type]
        assert (out["levy_usd_per_t"] == 0).all()
        assert out[["tariff_revenue_usd", "consumer_cost_usd", "quota_rent_usd"]].sum().sum() == 0


def test_min_offer_share_leaves_out_small_origins() -> None:
    landed = landed_frame(
        [
            ("USA", "XXA", "other", 2020, 5.0, 0.5),  # 0.5% of the tonnes at a junk price
            ("USA", "CHN", "rival", 2020, 60.0, 99.5),
        ]
    )
    assert by_origin(floor_levies(landed, refs(100.0)))["CHN"] == 95.0
    out = floor_levies(landed, refs(100.0), min_offer_share=0.01)
    assert by_origin(out) == {"CHN": 40.0, "XXA": 40.0}


def test_min_price_quota_hand_computed() -> None:
    landed = landed_frame(
        [
            # base year 2020: 100 t from outside; quota 0.5 × 100 = 50 t
            ("USA", "CHN", "rival", 2020, 60.0, 80.0),
            ("USA", "AUS", "other", 2020, 120.0, 20.0),
            # 2021: 200 t from outside, fill = 50 / 200 = 0.25
            ("USA", "CHN", "rival", 2021, 60.0, 150.0),
            ("USA", "AUS", "other", 2021, 120.0, 50.0),
            ("USA", "MEX", "member", 2021, 40.0, 30.0),
        ]
    )
    out = floor_levies(
        landed,
        refs(100.0, (2020, 2021)),
        mode="min-price-quota",
        quota_share=0.5,
        duty_above_quota=0.4,
    )
    y21 = out[out["year"] == 2021].set_index("origin")
    assert y21.loc["CHN", "quota_fill"] == pytest.approx(0.25)
    # CHN: 0.25 × (100 − 60) + 0.75 × 0.4 × 60 = 10 + 18 = 28 per tonne
    assert y21.loc["CHN", "levy_usd_per_t"] == pytest.approx(28.0)
    assert y21.loc["CHN", "quota_rent_usd"] == pytest.approx(10.0 * 150)
    assert y21.loc["CHN", "tariff_revenue_usd"] == pytest.approx(18.0 * 150)
    assert y21.loc["CHN", "consumer_cost_usd"] == pytest.approx(28.0 * 150)
    # AUS is above the floor: no gap, no duty; MEX is a member
    assert y21.loc["AUS", "levy_usd_per_t"] == 0.0
    assert y21.loc["MEX", "levy_usd_per_t"] == 0.0
    # base year: fill = 50 / 100
    y20 = out[out["year"] == 2020].set_index("origin")
    assert y20.loc["CHN", "levy_usd_per_t"] == pytest.approx(0.5 * 40 + 0.5 * 0.4 * 60)
    duty_all = floor_levies(
        landed,
        refs(100.0, (2020, 2021)),
        mode="min-price-quota",
        quota_share=0.5,
        duty_above_quota=0.4,
        duty_on_all=True,
    )
    aus = duty_all[(duty_all["year"] == 2021) & (duty_all["origin"] == "AUS")]
    assert aus["levy_usd_per_t"].item() == pytest.approx(0.75 * 0.4 * 120)


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown floor mode"):
        floor_levies(THREE, refs(1.0), mode="guess")  # type: ignore[arg-type]


def test_landed_values_aggregate_a_members_countries_and_codes() -> None:
    zone = Zone.from_mapping({"name": "z", "members": ["EU27", "USA"], "rivals": ["CHN"]})
    flows = pd.DataFrame(
        [
            (2020, "CHN", "DEU", "283691", 1000.0, 10.0),
            (2020, "CHN", "FRA", "282520", 3000.0, 10.0),
            (2020, "DEU", "FRA", "283691", 500.0, 5.0),  # intra-EU: a member origin
            (2020, "USA", "FRA", "283691", 800.0, 4.0),  # another member: a member origin
            (2020, "CHL", "USA", "283691", 900.0, 0.0),  # no quantity: left out
            (2020, "CHL", "KOR", "283691", 900.0, 9.0),  # importer outside the zone
        ],
        columns=["year", "exporter", "importer", "hs6", "value_usd", "quantity_t"],
    )
    codes = pd.DataFrame(
        {
            "rule": 0,
            "mineral_id": "lithium",
            "stage": "processing",
            "product": "Li",
            "hs6": ["283691", "282520"],
            "first_year": -1,
            "last_year": 9999,
        }
    )
    out = landed_unit_values(flows, codes, zone, cif_margin=0.0).set_index("origin")
    assert list(out.index) == ["CHN", "DEU", "USA"]
    assert (out["member"] == "EU27").all()
    assert out.loc["CHN", "landed_usd_per_t"] == pytest.approx(4000 / 20)
    assert out.loc["CHN", "origin_group"] == "rival"
    assert out.loc["DEU", "origin_group"] == "member"
    assert out.loc["USA", "origin_group"] == "member"


# --- runs on the bundled data ----------------------------------------------------------------


@pytest.fixture(scope="module")
def illustrative_2023(store_path: Path) -> FloorResult:
    return run_floor(load_reference_file("illustrative"), store_path, default_zone(), years=[2023])


def fixed_file(tmp_path: Path, price: float) -> ReferenceFile:
    path = tmp_path / "floor.yaml"
    path.write_text(
        "id: t\nname: T\nversion: '1'\ndate: 2026-01-01\nsource: test\nrules:\n"
        "  - mineral: lithium\n    stage: processing\n    product: Li2CO3\n"
        f"    method: fixed\n    price: {price}\n    hs6: ['283691']\n",
        encoding="utf-8",
    )
    return load_reference_file(path)


def test_members_never_pay_in_a_real_run(store_path: Path) -> None:
    ref = load_reference_file("illustrative")
    for mode in MODES:
        result = run_floor(ref, store_path, default_zone(), mode=mode, years=[2022, 2023])  # type: ignore[arg-type]
        lv = result.levies
        members = lv[lv["origin_group"] == "member"]
        assert len(members) > 0
        assert (members["levy_usd_per_t"] == 0).all()
        assert (lv["levy_usd_per_t"] >= 0).all()
        assert set(lv["origin_group"]) == {"member", "rival", "other"}
        assert set(lv["member"]) == {"USA", "MEX", "EU27", "JPN"}


def test_a_floor_below_every_landed_price_changes_nothing_in_a_real_run(
    tmp_path: Path, store_path: Path
) -> None:
    ref = fixed_file(tmp_path, 0.001)
    for mode in MODES:
        result = run_floor(ref, store_path, default_zone(), mode=mode, years=[2023])  # type: ignore[arg-type]
        assert len(result.levies) > 0
        assert (result.levies["levy_usd_per_t"] == 0).all()
        assert result.totals["tariff_revenue_usd"] == 0
        assert result.totals["consumer_cost_usd"] == 0
        assert result.totals["market_consumer_cost_usd"] == 0
        assert result.totals["market_tariff_revenue_usd"] == 0
        schedule = floor_schedule(result, year=2023)
        assert len(schedule) > 0
        assert (schedule["rate_after"] == 0).all()
        assert (schedule["rate_before"] == 0).all()


def test_uniform_lithium_2023_against_the_store(tmp_path: Path, store_path: Path) -> None:
    """US$20,000/t lithium carbonate: the levy is the gap to the lowest landed offer per member."""
    result = run_floor(fixed_file(tmp_path, 20_000), store_path, default_zone(), years=[2023])
    flows = read_unit_values(store_path, hs6=["283691"], years=[2023])
    flows = flows[(flows["quantity_t"] > 0) & (flows["value_usd"] > 0)]
    usa = flows[(flows["importer"] == "USA") & ~flows["exporter"].isin(default_zone().countries)]
    by = usa.groupby("exporter")[["value_usd", "quantity_t"]].sum()
    share = by["quantity_t"] / by["quantity_t"].sum()
    offers = (by["value_usd"] / by["quantity_t"] * 1.05)[share >= 0.01]
    expected = max(20_000 - offers.min(), 0)
    lv = result.levies
    us = lv[(lv["member"] == "USA") & (lv["origin_group"] != "member")]
    assert us["levy_usd_per_t"].unique().tolist() == [pytest.approx(expected)]
    assert us["lowest_offer_usd_per_t"].iloc[0] == pytest.approx(offers.min())
    path = levy_path(result)
    row = path[path["member"] == "USA"].iloc[0]
    assert row["tariff_revenue_usd"] == pytest.approx(expected * by["quantity_t"].sum())


def test_schedule_of_a_real_run_loads_and_runs_through_tariff_smart(
    illustrative_2023: FloorResult, tmp_path: Path, store_path: Path
) -> None:
    schedule = floor_schedule(illustrative_2023, year=2023)
    assert len(schedule) > 0
    assert (schedule["rate_after"] >= 0).all()
    assert (schedule["rate_after"] <= 10).all()
    assert not schedule.duplicated(["importer", "exporter", "hs6"]).any()
    path = write_schedule_csv(schedule, tmp_path / "floor-2023.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["floor-2023.csv"]  # no temporary left
    loaded = load_schedule(path)
    assert len(loaded.rates) == len(schedule)
    assert {r.importer for r in loaded.rates} <= {"USA", "MEX", "EU27", "JPN"}
    result = runner.invoke(
        app,
        [
            "tariff",
            "smart",
            str(path),
            "--year",
            "2023",
            "--format",
            "json",
            "--store",
            str(store_path),
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["year"] == 2023


def test_schedule_rows_carry_the_ad_valorem_of_their_levy(
    illustrative_2023: FloorResult,
) -> None:
    schedule = floor_schedule(illustrative_2023, year=2023)
    lv = illustrative_2023.levies
    row = lv[(lv["origin_group"] == "rival") & (lv["levy_usd_per_t"] > 0)].iloc[0]
    codes = rule_codes(illustrative_2023.reference)
    hs6 = codes.loc[codes["rule"] == row["rule"], "hs6"].iloc[0]
    match = schedule[
        (schedule["importer"] == row["member"])
        & (schedule["exporter"] == row["origin"])
        & (schedule["hs6"] == hs6)
    ]
    assert match["rate_after"].item() == pytest.approx(min(row["ad_valorem"], 10.0))
    with pytest.raises(ValidationError, match="not a year of this floor run"):
        floor_schedule(illustrative_2023, year=2019)


def test_payload_is_json(illustrative_2023: FloorResult) -> None:
    payload = floor_payload(illustrative_2023, levy_rows=5)
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text)["reference"]["id"] == "illustrative"
    assert len(payload["levies"]) == 5
    assert payload["levy_rows"] == len(illustrative_2023.levies)
    assert payload["mode"] == "uniform"
    assert any("ILLUSTRATIVE" in a for a in payload["assumptions"])


def test_run_refuses_years_without_trade(store_path: Path) -> None:
    with pytest.raises(ValidationError, match="no BACI trade for 1990"):
        run_floor(load_reference_file("mp-ndpr"), store_path, default_zone(), years=[1990])


def test_write_schedule_csv_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such folder"):
        write_schedule_csv(
            pd.DataFrame(
                {
                    "importer": ["USA"],
                    "exporter": ["CHN"],
                    "hs6": ["283691"],
                    "rate_before": [0.0],
                    "rate_after": [0.1],
                }
            ),
            tmp_path / "missing" / "x.csv",
        )
    with pytest.raises(DataError, match="needs the column 'exporter'"):
        write_schedule_csv(pd.DataFrame({"importer": ["USA"]}), tmp_path / "x.csv")
