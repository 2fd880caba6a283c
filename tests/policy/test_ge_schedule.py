"""A tariff schedule in the one-sector GE: pair aggregation, equivalence with --tariff, CLI.

The floor's tariff schedule (issue 13) is written in the format ``tariff smart``
reads; these tests run such schedules through ``tariff ge`` unchanged.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from friendshore._core.errors import ValidationError
from friendshore.cli.main import app
from friendshore.data.gravity_files import gravity_sample_path, read_gravity_data
from friendshore.data.tariff_files import tariffs_dir
from friendshore.data.zones import default_zone_path
from friendshore.model.zone import Zone, default_zone
from friendshore.policy import ge
from friendshore.policy.panel import panel_from_store
from friendshore.policy.schedule import ResolvedRate, TariffSchedule, load_schedule

runner = CliRunner()
SIGMA = 5.0
#: Given coefficients (as tests/policy/test_ge.py): no PPML in the sample runs.
COEF = pd.DataFrame(
    {"coefficient": [-0.39, -3.41, 0.47], "std_error": [0.07, 0.2, 0.1]},
    index=pd.Index(["lndist", "international", "pta"], name="variable"),
)
#: A floor schedule written by hand: the US taxes Chinese cobalt (HS92 810510) at 30%.
FLOOR_CSV = (
    "importer,exporter,hs6,rate_before,rate_after,source,note\n"
    "USA,CHN,810510,0,0.3,hand-written test row,cobalt mattes and unwrought cobalt (HS92)\n"
)


def _rate(
    row: int,
    importers: set[str],
    exporters: set[str] | None,
    hs6: str | None,
    *,
    rates: tuple[float, float],
) -> ResolvedRate:
    return ResolvedRate(
        row=row,
        importers=frozenset(importers),  # type: ignore[arg-type]
        exporters=None if exporters is None else frozenset(exporters),  # type: ignore[arg-type]
        hs6=hs6,
        rate_before=rates[0],
        rate_after=rates[1],
    )


def _row(importer: str, exporter: str, hs6: str, before: float, after: float) -> dict[str, object]:
    return {
        "importer": importer,
        "exporter": exporter,
        "hs6": hs6,
        "rate_before": before,
        "rate_after": after,
    }


def _schedule(*rows: dict[str, object], sid: str = "test") -> TariffSchedule:
    return TariffSchedule.model_validate({"id": sid, "name": sid, "rates": list(rows)})


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return read_gravity_data(gravity_sample_path())


@pytest.fixture(scope="module")
def weights() -> pd.DataFrame:
    """Two codes of trade into the sample's zone members: the weights hardly matter here."""
    return pd.DataFrame(
        {
            "importer": ["USA", "USA", "DEU", "JPN"],
            "exporter": ["CHN", "CHN", "CHN", "AUS"],
            "hs6": ["810510", "282200", "810510", "282200"],
            "value_usd": [300.0, 100.0, 50.0, 70.0],
        }
    )


# --- aggregation, by hand ---------------------------------------------------------------


def test_trade_weighted_factor_by_hand() -> None:
    weights = pd.DataFrame(
        {
            "importer": ["USA", "USA", "USA", "USA", "MEX"],
            "exporter": ["CHN", "CHN", "DEU", "DEU", "CHN"],
            "hs6": ["810510", "282200", "810510", "282200", "282200"],
            "value_usd": [300.0, 100.0, 50.0, 150.0, 10.0],
        }
    )
    rates = [
        _rate(0, {"USA"}, None, None, rates=(0.05, 0.05)),  # general rule first
        _rate(1, {"USA"}, {"CHN"}, "810510", rates=(0.05, 0.30)),  # the exception wins
        _rate(2, {"USA"}, {"MEX"}, "282200", rates=(0.05, 0.15)),
        _rate(3, {"CHN"}, {"USA"}, "810510", rates=(0.0, 0.10)),
    ]
    out = ge.schedule_pair_shifts(rates, weights, ["USA", "CHN", "MEX"], sigma=SIGMA)
    assert list(out.columns) == ge.PAIR_SHIFT_COLUMNS
    assert len(out) == 6  # 3 × 2 pairs, no domestic pair
    by = out.set_index(["importer", "exporter"])
    # USA ← CHN: the pair's own trade, 300 in 810510 and 100 in 282200
    row = by.loc[("USA", "CHN")]
    assert row["weighting"] == "pair"
    assert row["weight_usd"] == 400.0
    assert row["factor_before"] == pytest.approx(1.05, abs=1e-15)
    assert row["factor_after"] == pytest.approx((300 * 1.30 + 100 * 1.05) / 400, abs=1e-15)
    assert row["shift"] == pytest.approx(-SIGMA * math.log(1.2375 / 1.05), abs=1e-14)
    # USA ← MEX: no pair trade: the USA's imports from every origin (DEU too) weight
    row = by.loc[("USA", "MEX")]
    assert row["weighting"] == "importer"
    assert row["weight_usd"] == 0.0
    assert row["factor_after"] == pytest.approx((350 * 1.05 + 250 * 1.15) / 600, abs=1e-15)
    assert row["shift"] == pytest.approx(-SIGMA * math.log(655 / 630), abs=1e-14)
    # CHN imports nothing: equal weights over the two codes
    row = by.loc[("CHN", "USA")]
    assert row["weighting"] == "equal"
    assert row["factor_after"] == pytest.approx((1.10 + 1.0) / 2, abs=1e-15)
    # pairs no row covers: rate 0 before and after, no shift
    assert by.loc[("MEX", "CHN"), "shift"] == 0.0
    assert by.loc[("CHN", "MEX"), "shift"] == 0.0


def test_groups_and_blocs_resolve_as_in_the_schedule_module() -> None:
    zone = Zone(
        name="t",
        members={"USA": frozenset({"USA"}), "MEX": frozenset({"MEX"})},  # type: ignore[dict-item]
    )
    schedule = _schedule(
        _row("zone", "rest_of_world", "all", 0, 0.1), _row("EU27", "rival", "810510", 0, 0.2)
    )
    countries = ["USA", "MEX", "CHN", "DEU", "FRA", "AUS"]
    weights = pd.DataFrame(
        {"importer": ["DEU"], "exporter": ["CHN"], "hs6": ["810510"], "value_usd": [1.0]}
    )
    out = ge.schedule_pair_shifts(
        schedule.resolve(zone), weights, countries, sigma=SIGMA, codes=["810510", "282200"]
    )
    moved = out[out["shift"] != 0]
    pairs = set(zip(moved["importer"], moved["exporter"], strict=True))
    rest = {(i, j) for i in ("USA", "MEX") for j in ("DEU", "FRA", "AUS")}
    assert pairs == rest | {("DEU", "CHN"), ("FRA", "CHN")}
    by = out.set_index(["importer", "exporter"])
    assert by.loc[("DEU", "CHN"), "factor_after"] == pytest.approx(1.2)  # all its trade in 810510
    assert by.loc[("FRA", "CHN"), "factor_after"] == pytest.approx(1.1)  # equal weights
    assert by.loc[("USA", "DEU"), "factor_after"] == pytest.approx(1.1)  # every code


def test_weights_are_the_panel_trade_of_each_pair(store_path: Path) -> None:
    weights = ge.schedule_weights(store_path, 2023)
    assert set(weights["year"]) == {2023}
    panel = panel_from_store(store_path, default_zone().countries, years=[2023]).panel
    intl = panel[panel["international"] == 1].set_index(["importer", "exporter"])["trade"]
    per_pair = weights.groupby(["importer", "exporter"])["value_usd"].sum()
    both = intl[intl > 0].to_frame().join(per_pair, how="left")
    assert np.allclose(both["trade"], both["value_usd"], rtol=1e-12)
    # a year the store lacks: the nearest one
    assert set(ge.schedule_weights(store_path, 2006)["year"]) == {2015}


# --- the one-sector GE ------------------------------------------------------------------


def test_unchanged_rates_change_nothing(sample: pd.DataFrame, weights: pd.DataFrame) -> None:
    schedule = _schedule(
        _row("zone", "all", "all", 0.1, 0.1), _row("USA", "CHN", "810510", 0.3, 0.3)
    )
    members = {m: set(cs) for m, cs in default_zone().members.items()}
    run = ge.run_zone(
        sample, members, coefficients=COEF, preference=0.0, schedule=schedule, weights=weights
    )
    assert run.schedule is not None
    assert len(run.schedule.moved) == 0
    assert (run.schedule.pairs["shift"] == 0).all()
    changes = run.result.countries.filter(like="change_pct").to_numpy(dtype=np.float64)
    assert np.nanmax(np.abs(changes)) < 1e-9


@pytest.mark.parametrize("sid", ["uniform", "zone-rival-25"])
def test_uniform_schedule_equals_the_tariff_option(
    sample: pd.DataFrame, weights: pd.DataFrame, sid: str
) -> None:
    schedule = (
        load_schedule(sid)
        if sid == "zone-rival-25"
        else _schedule(_row("zone", "CHN", "all", 0, 0.25), sid=sid)
    )
    members = {m: set(cs) for m, cs in default_zone().members.items()}
    by_tariff = ge.run_zone(sample, members, coefficients=COEF, tariff=0.25, tariff_on=["CHN"])
    by_schedule = ge.run_zone(
        sample, members, coefficients=COEF, schedule=schedule, weights=weights, rivals=["CHN"]
    )
    a = by_tariff.result.countries.set_index("country")
    b = by_schedule.result.countries.set_index("country")
    assert np.allclose(a["welfare_change_pct"], b["welfare_change_pct"], rtol=0, atol=1e-9)
    assert np.allclose(a["real_gdp_change_pct"], b["real_gdp_change_pct"], rtol=0, atol=1e-9)
    assert b.loc["CHN", "welfare_change_pct"] < 0
    assert by_schedule.schedule is not None
    moved = by_schedule.schedule.moved
    assert set(moved["exporter"]) == {"CHN"}
    assert np.allclose(moved["shift"], -SIGMA * np.log(1.25), rtol=0, atol=1e-14)
    payload = ge.ge_payload(by_schedule, source="sample", dropped=None)
    assert payload["schedule"]["id"] == sid
    assert payload["schedule"]["pairs_moved"] == len(moved)
    assert ge.ge_payload(by_tariff, source="sample", dropped=None)["schedule"] is None


def test_schedule_and_tariff_are_exclusive(sample: pd.DataFrame, weights: pd.DataFrame) -> None:
    members = {"USA": {"USA"}, "JPN": {"JPN"}}
    schedule = load_schedule("zone-rival-25")
    with pytest.raises(ValidationError, match="either a tariff schedule or tariff"):
        ge.run_zone(
            sample, members, coefficients=COEF, tariff=0.1, schedule=schedule, weights=weights
        )
    with pytest.raises(ValidationError, match="either a tariff schedule or tariff"):
        ge.run_zone(
            sample,
            members,
            coefficients=COEF,
            tariff_on=["CHN"],
            schedule=schedule,
            weights=weights,
        )
    with pytest.raises(ValidationError, match="schedule needs weights"):
        ge.run_zone(sample, members, coefficients=COEF, schedule=schedule)
    with pytest.raises(ValidationError, match="as_of"):
        ge.run_zone(sample, members, coefficients=COEF, as_of=pd.Timestamp("2025-01-01").date())


# --- end to end through the CLI ------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_zone_rival_25_equals_the_tariff_option(store_path: Path) -> None:
    zone = str(default_zone_path())
    schedule = str(tariffs_dir() / "zone-rival-25.yaml")
    store = ["--store", str(store_path), "--format", "json"]
    code, out, err = _cli("tariff", "ge", "--zone", zone, "--schedule", schedule, *store)
    assert code == 0, err
    doc = json.loads(out)
    code, out, err = _cli(
        "tariff", "ge", "--zone", zone, "--tariff", "0.25", "--tariff-on", "CHN", *store
    )
    assert code == 0, err
    ref = json.loads(out)
    assert doc["schedule"]["id"] == "zone-rival-25"
    assert doc["schedule"]["weights_year"] == doc["year"] == 2024
    members_in_data = [r["country"] for r in doc["countries"] if r["member"]]
    assert doc["schedule"]["pairs_moved"] == len(members_in_data)  # each member ← CHN
    assert "schedule zone-rival-25" in doc["experiment"]
    ours = {r["country"]: r["welfare_change_pct"] for r in doc["countries"]}
    theirs = {r["country"]: r["welfare_change_pct"] for r in ref["countries"]}
    assert ours.keys() == theirs.keys()
    assert max(abs(ours[c] - theirs[c]) for c in ours) < 1e-9


def test_hand_written_floor_csv_runs_through_smart_and_ge(
    tmp_path: Path, store_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    path = tmp_path / "cobalt-floor.csv"
    path.write_text(FLOOR_CSV, encoding="utf-8")
    store = ["--store", str(store_path), "--format", "json"]
    code, out, err = _cli("tariff", "smart", str(path), "--year", "2024", *store)
    assert code == 0, err
    smart = json.loads(out)
    row = next(r for r in smart["flows"] if (r["importer"], r["exporter"]) == ("USA", "CHN"))
    assert row["hs6"] == "810510"
    assert row["creation_usd"] == pytest.approx(row["value_usd"] * -1.5 * 0.3)

    coef = tmp_path / "coef.csv"
    coef.write_text(
        "variable,coefficient\nlndist,-0.8\ncontiguity,0.5\ncommon_language,0.3\n"
        "international,-3.0\n",
        encoding="utf-8",
    )
    zone = str(default_zone_path())
    args = ["tariff", "ge", "--zone", zone, "--schedule", str(path)]
    code, out, err = _cli(*args, "--coefficients", str(coef), "--preference", "0", *store)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schedule"]["id"] == "cobalt-floor"
    assert doc["schedule"]["pairs_moved"] == 1
    (moved,) = doc["schedule"]["moved"]
    # by hand from the store: the pair's HS92 mineral trade in 2024 and its cobalt part
    total, cobalt = con.execute(
        "SELECT sum(t.value_usd), sum(CASE WHEN t.hs6 = '810510' THEN t.value_usd END) "
        "FROM trade_latest t JOIN hs_concordance h USING (hs6, nomenclature) "
        "WHERE h.mineral_id IS NOT NULL AND t.nomenclature = 'HS92' AND t.year = 2024 "
        "AND t.importer = 'USA' AND t.exporter = 'CHN'"
    ).fetchone()
    assert (moved["importer"], moved["exporter"], moved["weighting"]) == ("USA", "CHN", "pair")
    assert moved["weight_usd"] == pytest.approx(total, rel=1e-12)
    assert moved["factor_after"] == pytest.approx(1 + 0.3 * cobalt / total, rel=1e-12)
    assert moved["shift"] == pytest.approx(-SIGMA * math.log(1 + 0.3 * cobalt / total))
    # without the zone's preference, the floor alone acts: China sells less, welfare falls
    by = {r["country"]: r for r in doc["countries"]}
    assert by["CHN"]["exports_change_pct"] < 0
    assert by["CHN"]["welfare_change_pct"] < 0


def test_cli_schedule_errors_exit_2(tmp_path: Path, store_path: Path) -> None:
    zone = str(default_zone_path())
    bad = tmp_path / "bad.csv"
    bad.write_text(FLOOR_CSV + "USA,CHN,282200,0,-0.3,,\n", encoding="utf-8")
    base = ["tariff", "ge", "--zone", zone, "--store", str(store_path)]
    code, _, err = _cli(*base, "--schedule", str(bad))
    assert code == 2
    assert "bad.csv, line 3, field 'rate_after'" in err
    code, _, err = _cli(*base, "--schedule", "zone-rival-25", "--tariff", "0.25")
    assert code == 2
    assert "either --schedule or --tariff" in err
    code, _, err = _cli(*base, "--schedule", "zone-rival-25", "--as-of", "soon")
    assert code == 2
    assert "not a date" in err
    code, _, err = _cli(*base, "--schedule", "no-such-schedule")
    assert code == 2
