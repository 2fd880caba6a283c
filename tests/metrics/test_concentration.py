"""Concentration metrics against published figures (USGS MCS 2024 T5, IEA 2024) and properties."""

from __future__ import annotations

import contextlib
import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from friendshore._core.errors import InputError
from friendshore.data.countries import country_resolver
from friendshore.data.store import connect
from friendshore.metrics.concentration import (
    CONCENTRATION_COLUMNS,
    COUNTRY_SHARE_COLUMNS,
    HIGHLY,
    MODERATELY,
    UNCONCENTRATED,
    concentration,
    country_shares,
    group_hhi,
    hhi,
    hhi_band,
    hhi_bands,
)
from friendshore.metrics.shares import (
    PUBLISHED,
    ROUNDED_BELOW,
    SERIES_KEYS,
    SUMMED,
    UNKNOWN_BASES,
    UNKNOWN_NO_FIGURES,
    UNKNOWN_WITHHELD,
    production_shares,
    world_denominator,
)
from friendshore.model.supply import SupplyNetwork

USGS = "USGS MCS"
IEA = "IEA CMDE"

# ---------------------------------------------------------------------------
# Real data
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def network(store_path: Path) -> SupplyNetwork:
    """The store's network with USGS figures of the MCS2024 edition only.

    The figures these tests compare with (MCS2024 table T5, the 2023 rare-earth
    shares) are MCS2024's; in the store MCS2025 wins for 2023, so the edition is
    selected from the base tables here.
    """
    latest = SupplyNetwork.from_store(store_path)
    where = "(source = 'USGS MCS' AND release = 'MCS2024')"
    with contextlib.closing(connect(store_path)) as con:
        production = con.execute(
            "SELECT source, release, mineral_id, stage, coalesce(product, '') AS product, "
            "country, year, quantity_t, status, bound, basis, file, line FROM production "
            f"WHERE {where} ORDER BY source, mineral_id, stage, product, year, country"
        ).df()
        totals = con.execute(
            "SELECT source, any_value(release) AS release, mineral_id, stage, "
            "coalesce(product, '') AS product, kind, string_agg(label, '; ') AS label, year, "
            "sum(quantity_t) AS quantity_t, "
            "CASE WHEN bool_or(status = 'withheld') THEN 'withheld' "
            "WHEN bool_or(quantity_t IS NULL) THEN 'missing' ELSE any_value(status) END "
            "AS status FROM aggregates "
            f"WHERE measure = 'production' AND {where} "
            "GROUP BY source, mineral_id, stage, coalesce(product, ''), kind, year"
        ).df()
    iea = latest.production["source"] != USGS
    iea_totals = latest.production_totals["source"] != USGS
    return dataclasses.replace(
        latest,
        production=pd.concat([production, latest.production[iea]], ignore_index=True),
        production_totals=pd.concat(
            [totals, latest.production_totals[iea_totals]], ignore_index=True
        ),
    )


@pytest.fixture(scope="module")
def conc(network: SupplyNetwork) -> pd.DataFrame:
    return concentration(network.production, network.production_totals)


def _series(frame: pd.DataFrame, **key: object) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for name, value in key.items():
        mask &= frame[name] == value
    return frame[mask]


def _one(frame: pd.DataFrame, **key: object) -> pd.Series:
    picked = _series(frame, **key)
    assert len(picked) == 1, f"{key}: {len(picked)} rows"
    return picked.iloc[0]


# USGS MCS 2024 table T5 ("Salient statistics for critical minerals", 2023):
# the stage and product of the world-file series each row refers to, where the
# mineral has more than one USGS series in 2023. The T5 row for aluminum is
# bauxite mining; for titanium it is metal (sponge), a refinery stage.
T5_SERIES: dict[str, tuple[str, str]] = {
    "Aluminum (bauxite)": ("mining", "bauxite"),
    "Titanium (metal)": ("processing", "sponge"),
}

# T5 rows that cannot be compared, each with the reason. The test asserts that
# these are exactly the rows without a comparable figure, so none is skipped silently.
T5_EXCLUDED: dict[str, str] = {
    "Germanium": "T5 prints NA for the leading producer's output and share; the world file "
    "withholds or lacks every country's refinery output (no world quantity)",
    "Scandium": "T5 prints NA for output and share; scandium has no USGS world-file "
    "country data and no catalog id",
    "Yttrium": "T5 prints NA for output and share; yttrium has no USGS world-file "
    "country data and no catalog id",
    "Zinc": "T5 names no leading producer (NA) for refinery zinc; the world file has mine "
    "production only",
}


@pytest.fixture(scope="module")
def t5(store_path: Path) -> pd.DataFrame:
    """One row per T5 mineral: mineral_id, leading country, its output, world total, share."""
    with contextlib.closing(connect(store_path)) as con:
        long = con.execute(
            "SELECT name, mineral_id, field, value, text FROM critical_salient "
            "WHERE release = 'MCS2024' AND field IN ('Leading_source_country', "
            "'Leading_country_prod', 'World_total_prod', 'Leading_source_precent_world')"
        ).df()
    names = long.drop_duplicates("name").set_index("name")["mineral_id"]
    values = long.pivot(index="name", columns="field", values="value")
    texts = long.pivot(index="name", columns="field", values="text")
    return pd.DataFrame(
        {
            "mineral_id": names,
            "country_label": texts["Leading_source_country"],
            "leader_t": values["Leading_country_prod"],
            "world_t": values["World_total_prod"],
            "percent": values["Leading_source_precent_world"],
        }
    )


def test_t5_has_every_critical_mineral_row(t5: pd.DataFrame) -> None:
    # 31 rows in MCS2024_T5_Critical_Minerals_Salient.csv
    assert len(t5) == 31
    assert set(T5_EXCLUDED) <= set(t5.index)


def test_t5_leading_producer_and_share_reproduced(conc: pd.DataFrame, t5: pd.DataFrame) -> None:
    resolver = country_resolver()
    usgs_2023 = _series(conc, source=USGS, year=2023)
    incomparable: set[str] = set()
    compared: list[str] = []
    for name, row in t5.iterrows():
        series = usgs_2023[usgs_2023["mineral_id"] == row["mineral_id"]]
        if str(name) in T5_SERIES:
            stage, product = T5_SERIES[str(name)]
            series = series[(series["stage"] == stage) & (series["product"] == product)]
        if (
            pd.isna(row["mineral_id"])
            or pd.isna(row["percent"])
            or series.empty
            or series["top1_country"].isna().all()
        ):
            incomparable.add(str(name))
            continue
        assert len(series) == 1, f"{name}: several USGS series {series[SERIES_KEYS]}"
        got = series.iloc[0]
        leader = resolver.resolve(str(row["country_label"]))
        assert got["top1_country"] == leader, name
        # T5 divides by the published total; where the rounded total falls below
        # the listed rows their sum is the denominator (up to 5% more): 2.5 points.
        slack = 1.0 if got["denominator"] == PUBLISHED else 2.5
        assert abs(100.0 * got["top1_share"] - row["percent"]) <= slack, name
        # The figures behind the share are the world file's own: its total, or the
        # sum of its rows where the rounded total falls below them.
        if got["denominator"] == PUBLISHED:
            assert got["world_quantity_t"] == row["world_t"], name
        else:
            assert got["denominator"] == ROUNDED_BELOW, name
            assert 0 < got["world_quantity_t"] - row["world_t"] <= 0.05 * row["world_t"], name
        compared.append(str(name))
    assert incomparable == set(T5_EXCLUDED)
    assert len(compared) == len(t5) - len(T5_EXCLUDED) == 27


@pytest.mark.parametrize(
    ("mineral", "product", "published"),
    [
        ("cobalt", "", 0.77),
        ("lithium", "chemicals", 0.65),
        ("graphite", "battery grade (natural and synthetic)", 0.91),
        ("rare_earths", "magnet REE (Nd, Pr, Tb, Dy)", 0.92),
    ],
)
def test_iea_base_year_china_refining_shares(
    conc: pd.DataFrame, mineral: str, product: str, published: float
) -> None:
    # IEA Global Critical Minerals Outlook 2024: China's share of refining in 2023.
    row = _one(conc, source=IEA, mineral_id=mineral, stage="processing", product=product, year=2023)
    assert row["release"] == "2024 edition"
    assert row["top1_country"] == "CHN"
    # IEA's graphite rows add up to 1.4% more than its printed total: within the
    # rounding rule, their sum is the denominator, so China's share is 89.7%.
    slack = 0.005 if row["denominator"] == PUBLISHED else 0.015
    assert row["china_share"] == pytest.approx(published, abs=slack)
    assert row["denominator"] in (PUBLISHED, ROUNDED_BELOW)


def test_china_share_of_2023_rare_earth_mining_is_240_of_350_kt(conc: pd.DataFrame) -> None:
    row = _one(conc, source=USGS, mineral_id="rare_earths", stage="mining", product="", year=2023)
    # the listed countries sum to 353,320 t against the rounded total of 350,000 t:
    # within its rounding, so the sum is the denominator and the shares add to 1
    # (against 350,000 t the cumulative share was 100.95%)
    assert row["denominator"] == ROUNDED_BELOW
    assert row["world_quantity_t"] == 353_320
    assert row["china_share"] == 240_000 / 353_320
    assert row["residual_share"] == pytest.approx(0.0, abs=1e-12)
    assert row["hhi_band"] == HIGHLY


def test_china_share_is_null_when_unknown_and_zero_when_usgs_does_not_list_it(
    conc: pd.DataFrame,
) -> None:
    # IEA lists only top producers: China absent from cobalt mining -> unknown.
    iea = _one(conc, source=IEA, mineral_id="cobalt", stage="mining", year=2023)
    assert math.isnan(iea["china_share"])
    # USGS lists every producer: China absent from chromite mining -> 0.
    usgs = _one(conc, source=USGS, mineral_id="chromium", stage="mining", year=2023)
    assert usgs["china_share"] == 0.0
    # USGS lists China but prints NA for mica sheet -> unknown, never 0.
    mica = _one(conc, source=USGS, mineral_id="mica", product="sheet", year=2023)
    assert math.isnan(mica["china_share"])
    assert mica["n_missing"] > 0


def test_no_known_figure_gives_null_not_zero(conc: pd.DataFrame) -> None:
    germanium = _one(conc, source=USGS, mineral_id="germanium", year=2023)
    assert germanium["n_withheld"] + germanium["n_missing"] == germanium["n_countries"]
    assert germanium["denominator"] == UNKNOWN_NO_FIGURES
    for col in ("world_quantity_t", "china_share", "hhi", "top1_share", "coverage"):
        assert math.isnan(germanium[col]), col
    assert pd.isna(germanium["hhi_band"])


def test_real_data_invariants(network: SupplyNetwork, conc: pd.DataFrame) -> None:
    assert list(conc.columns) == CONCENTRATION_COLUMNS
    assert not conc.duplicated(SERIES_KEYS).any()
    known = conc.dropna(subset=["hhi"])
    assert len(known) > 150  # the MCS2024 edition and the IEA series
    assert (known["hhi"] >= 0).all()
    assert (known["hhi"] <= 10_000).all()
    assert (known["hhi_band"] == known["hhi"].map(hhi_band)).all()
    assert (known["top1_share"] <= known["top3_share"] + 1e-12).all()
    # residual_share is, by definition, 1 - the sum of the known country shares
    shares = production_shares(network.production, network.production_totals)
    total = shares.groupby(SERIES_KEYS)["share"].sum()
    merged = known.set_index(SERIES_KEYS).join(total.rename("sum_shares"))
    assert np.allclose(merged["residual_share"], 1.0 - merged["sum_shares"], atol=1e-12)
    # both sources of a stage are kept side by side
    both = _series(conc, mineral_id="cobalt", stage="mining", year=2023)
    assert set(both["source"]) == {USGS, IEA}


# Quantities as the sources print them: zero, or at least a kilogram (no subnormal floats).
TONNES = st.just(0.0) | st.floats(1e-3, 1e6)


def rounding_half_unit(total: pd.Series) -> pd.Series:
    """Half a unit of the last significant (non-zero) digit of each total (t).

    USGS rounds world totals to 2-3 significant figures ("World total (rounded)")
    and the IEA prints them to 0.1 kt. A total with its last non-zero digit at
    10^p may differ from the true sum by at most 0.5 * 10^p: 350,000 -> 5,000 t,
    1,140,000 -> 5,000 t, 2,037,200 -> 50 t. Where trailing zeros are
    significant (3-figure 300,000) this is looser than the true rounding, never
    tighter.
    """
    w = total.to_numpy(dtype="float64")
    top = np.floor(np.log10(w))
    unit = np.full(w.shape, np.nan)
    for k in range(16):  # from the leading digit down: the coarsest unit w is a multiple of
        step = 10.0 ** (top - k)
        exact = np.isnan(unit) & (np.abs(w / step - np.round(w / step)) < 1e-6)
        unit[exact] = step[exact]
    return pd.Series(0.5 * unit, index=total.index)


def test_shares_and_other_countries_sum_to_one_within_rounding(network: SupplyNetwork) -> None:
    den = world_denominator(network.production, network.production_totals)
    shares = production_shares(network.production, network.production_totals)
    total = shares.groupby(SERIES_KEYS)["share"].sum()
    d = den.set_index(SERIES_KEYS).join(total.rename("sum_shares"))
    d["sum_all"] = d["sum_shares"] + d["other_t"].fillna(0.0) / d["world_quantity_t"]
    # Summed denominators, and sums above a rounded total: exactly 1.
    summed = d[d["denominator"].isin([SUMMED, ROUNDED_BELOW])]
    assert len(summed) > 0
    assert np.allclose(summed["sum_all"], 1.0, rtol=0, atol=1e-12)
    # Published totals with every figure known: never above 1 (a sum above the
    # total makes the sum the denominator, or is a source inconsistency without
    # shares); below 1 only by the rounding of the total or what the total covers
    # beyond the listed rows (totals including unlisted producers, IEA).
    pub = d[(d["denominator"] == PUBLISHED) & (d["n_withheld"] + d["n_missing"] == 0)]
    assert not (pub["sum_all"].astype("float64") > 1.0 + 1e-12).any()
    tolerance = rounding_half_unit(pub["world_quantity_t"]) / pub["world_quantity_t"]
    off = pub[(pub["sum_all"] - 1.0).abs() > tolerance + 1e-12]
    assert len(pub) - len(off) > 50
    assert (off["sum_all"].astype("float64").dropna() > 0.9).all()


def test_rounding_half_unit_by_hand() -> None:
    got = rounding_half_unit(pd.Series([350_000.0, 1_140_000.0, 2_037_200.0, 640.0, 3.6]))
    assert list(got) == pytest.approx([5_000, 5_000, 50, 5, 0.05])


def test_no_published_total_and_a_withheld_figure_leave_the_world_unknown(
    conc: pd.DataFrame,
) -> None:
    # MCS2024 iron oxide pigments 2023: U.S. withheld, world total not given.
    # Before the fix: summed denominator 3,692,600 t, coverage 1.0 with n_withheld 1.
    iop = _one(conc, source=USGS, mineral_id="iron_oxide_pigments", year=2023)
    assert iop["n_withheld"] == 1
    assert iop["denominator"] == UNKNOWN_WITHHELD
    for col in ("world_quantity_t", "china_share", "hhi", "top1_share", "coverage"):
        assert math.isnan(iop[col]), col


def test_figures_on_different_bases_are_not_summed(conc: pd.DataFrame) -> None:
    # MCS2024 boron: "World totals cannot be calculated because production and reserves
    # are not reported in a consistent manner"; ulexite, crude ore, B2O3 equivalent ...
    # Before the fix: world 1,140,000 t, China 0.175, HHI 2,014.
    for stage in ("mining", "processing"):
        boron = _one(conc, source=USGS, mineral_id="boron", stage=stage, year=2023)
        assert boron["denominator"] == UNKNOWN_BASES
        for col in ("world_quantity_t", "china_share", "hhi", "residual_share"):
            assert math.isnan(boron[col]), (stage, col)
    # Talc's country rows are on six bases, but USGS publishes a world total: used.
    talc = _one(conc, source=USGS, mineral_id="talc", year=2023)
    assert talc["denominator"] in (PUBLISHED, ROUNDED_BELOW)
    assert talc["world_quantity_t"] == pytest.approx(7_000_000, rel=0.05)


def test_a_basis_column_is_optional_and_counted() -> None:
    key = {"source": USGS, "mineral_id": "m", "stage": "mining", "product": "", "year": 2023}
    rows = pd.DataFrame(
        [
            {**key, "country": "CHN", "quantity_t": 10.0, "status": "reported", "basis": "ore"},
            {**key, "country": "USA", "quantity_t": 5.0, "status": "reported", "basis": "B2O3"},
        ]
    )
    totals = pd.DataFrame(columns=[*SERIES_KEYS, "kind", "quantity_t"]).astype(
        {"quantity_t": "float64"}
    )
    mixed = world_denominator(rows, totals).iloc[0]
    assert mixed["n_bases"] == 2
    assert math.isnan(mixed["world_quantity_t"])
    assert mixed["denominator"] == UNKNOWN_BASES
    same = world_denominator(rows.drop(columns="basis"), totals).iloc[0]
    assert same["n_bases"] == 0
    assert same["world_quantity_t"] == 15.0
    assert same["denominator"] == SUMMED


def test_country_shares_of_one_series(network: SupplyNetwork, conc: pd.DataFrame) -> None:
    table = country_shares(
        network.production,
        network.production_totals,
        series={"source": USGS, "mineral_id": "rare_earths", "stage": "mining", "year": 2023},
    )
    assert list(table.columns) == COUNTRY_SHARE_COLUMNS
    assert list(table["country"][:3]) == ["CHN", "USA", "MMR"]
    assert list(table["rank"][:3]) == [1, 2, 3]
    assert table["share"].is_monotonic_decreasing
    assert table["cumulative_share"].iloc[1] == pytest.approx((240_000 + 43_000) / 353_320)
    assert table["cumulative_share"].max() <= 1.0
    row = _one(conc, source=USGS, mineral_id="rare_earths", stage="mining", year=2023)
    assert (table["hhi"] == row["hhi"]).all()


def test_country_shares_withheld_figures_have_no_rank(network: SupplyNetwork) -> None:
    table = country_shares(
        network.production,
        network.production_totals,
        series={"source": USGS, "mineral_id": "barite", "year": 2023},
    )
    withheld = table[table["status"] == "withheld"]
    assert len(withheld) == 1
    assert withheld["rank"].isna().all()
    assert withheld.index[0] == len(table) - 1  # NULL shares sort last


def test_country_shares_rejects_bad_selection(network: SupplyNetwork) -> None:
    with pytest.raises(InputError, match="country"):
        country_shares(network.production, network.production_totals, series={"country": "USA"})
    with pytest.raises(InputError, match="no country production figures"):
        country_shares(
            network.production,
            network.production_totals,
            series={"mineral_id": "unobtainium", "stage": "mining"},
        )


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def test_hhi_by_hand() -> None:
    assert hhi(pd.Series([0.5, 0.3, 0.2])) == pytest.approx(2_500 + 900 + 400)
    assert hhi(pd.Series([0.5, np.nan, 0.2])) == pytest.approx(2_900)
    assert hhi(pd.Series([1.0])) == 10_000
    assert math.isnan(hhi(pd.Series([np.nan])))
    assert math.isnan(hhi(pd.Series([], dtype="float64")))
    with pytest.raises(InputError, match="negative"):
        hhi(pd.Series([0.5, -0.1]))


def test_hhi_band_edges_follow_doj_2010() -> None:
    assert hhi_band(0.0) == UNCONCENTRATED
    assert hhi_band(1_499.99) == UNCONCENTRATED
    assert hhi_band(1_500.0) == MODERATELY
    assert hhi_band(2_500.0) == MODERATELY
    assert hhi_band(2_500.01) == HIGHLY
    assert hhi_band(10_000.0) == HIGHLY
    with pytest.raises(InputError):
        hhi_band(float("nan"))
    bands = hhi_bands(pd.Series([1_000.0, np.nan, 2_000.0, 3_000.0]))
    assert list(bands.fillna("?")) == [UNCONCENTRATED, "?", MODERATELY, HIGHLY]


def test_group_hhi_matches_scalar_hhi() -> None:
    frame = pd.DataFrame({"g": ["a", "a", "b", "c"], "share": [0.6, 0.4, 0.1, np.nan]})
    out = group_hhi(frame, ["g"])
    assert out["a"] == pytest.approx(hhi(pd.Series([0.6, 0.4])))
    assert out["b"] == pytest.approx(100.0)
    assert math.isnan(out["c"])


def test_group_hhi_on_the_fraction_scale() -> None:
    frame = pd.DataFrame({"g": ["a", "a", "b"], "share": [0.6, 0.4, np.nan]})
    points = group_hhi(frame, ["g"])
    fraction = group_hhi(frame, ["g"], scale=1.0)
    assert fraction["a"] == 0.6**2 + 0.4**2
    assert fraction["a"] == pytest.approx(points["a"] / 10_000)
    assert math.isnan(fraction["b"])


def test_missing_columns_are_an_input_error(network: SupplyNetwork) -> None:
    with pytest.raises(InputError, match="status"):
        concentration(network.production.drop(columns="status"), network.production_totals)


# ---------------------------------------------------------------------------
# Properties on synthetic frames
# ---------------------------------------------------------------------------

POOL = ["CHN", "USA", "AUS", "COD", "IDN", "CHL", "DEU", "JPN", "MEX", "ZAF"]


@st.composite
def markets(draw: st.DrawFn, *, min_factor: float = 1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Country rows and totals for one to three series, USGS- or IEA-like."""
    rows: list[dict[str, object]] = []
    totals: list[dict[str, object]] = []
    n_series = draw(st.integers(1, 3))
    for i in range(n_series):
        source = draw(st.sampled_from([USGS, IEA]))
        key: dict[str, object] = {
            "source": source,
            "mineral_id": f"m{i}",
            "stage": "mining",
            "product": "",
            "year": 2023,
        }
        countries = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=8, unique=True))
        known = 0.0
        for country in countries:
            withheld = draw(st.booleans()) and draw(st.booleans())
            q = None if withheld else draw(TONNES)
            known += q or 0.0
            rows.append(
                {
                    **key,
                    "release": "r",
                    "country": country,
                    "quantity_t": q,
                    "status": "withheld" if withheld else "reported",
                }
            )
        other = draw(st.none() | TONNES)
        if other is not None:
            totals.append({**key, "release": "r", "kind": "other", "quantity_t": other})
        if draw(st.booleans()):
            factor = draw(st.floats(min_factor, 1.5))
            world = (known + (other or 0.0) + draw(st.floats(0, 1e5))) * factor
            if world > 0:
                totals.append({**key, "release": "r", "kind": "world", "quantity_t": world})
    row_frame = pd.DataFrame(rows)
    row_frame["year"] = row_frame["year"].astype("int32")
    total_frame = pd.DataFrame(
        totals, columns=[*SERIES_KEYS, "release", "kind", "quantity_t"]
    ).astype({"year": "int32", "quantity_t": "float64"})
    return row_frame, total_frame


def _round_sig(x: float, digits: int) -> float:
    return float(f"{x:.{digits - 1}e}")


@settings(max_examples=80, deadline=None)
@given(markets(), st.data())
def test_shares_and_other_sum_to_one_against_the_denominator(
    market: tuple[pd.DataFrame, pd.DataFrame], data: st.DataObject
) -> None:
    rows, totals = market
    # Replace each published total by the true sum rounded as USGS does (2-3 figures),
    # where every figure is known; a wrong share or denominator breaks the tolerance.
    totals = totals[totals["kind"] != "world"]
    worlds: list[dict[str, object]] = []
    for key, group in rows.groupby(SERIES_KEYS):
        if group["quantity_t"].isna().any() or not data.draw(st.booleans()):
            continue
        other = totals.loc[totals["mineral_id"] == key[1], "quantity_t"].sum()
        true = float(group["quantity_t"].sum() + other)
        if true > 0:
            rounded = _round_sig(true, data.draw(st.sampled_from([2, 3])))
            worlds.append(
                {
                    **dict(zip(SERIES_KEYS, key, strict=True)),
                    "release": "r",
                    "kind": "world",
                    "quantity_t": rounded,
                }
            )
    totals = pd.concat([totals, pd.DataFrame(worlds, columns=totals.columns)], ignore_index=True)
    totals = totals.astype({"year": "int32", "quantity_t": "float64"})
    # one series per mineral: index everything by mineral_id
    out = concentration(rows, totals).set_index("mineral_id")
    other_t = world_denominator(rows, totals).set_index("mineral_id")["other_t"]
    sums = production_shares(rows, totals).groupby("mineral_id")["share"].sum()
    for mineral in out.index:
        result = out.loc[mineral]
        group = rows[rows["mineral_id"] == mineral]
        world = result["world_quantity_t"]
        if result["denominator"] == PUBLISHED:
            tolerance = float(rounding_half_unit(pd.Series([world])).iloc[0]) / world
        elif result["denominator"] == ROUNDED_BELOW:
            # the rounded total fell below the figures: Q is their sum, shares add to 1
            tolerance = 1e-12
        elif result["denominator"] == SUMMED:
            assert not group["quantity_t"].isna().any()
            tolerance = 1e-12
        else:  # unknown: a withheld figure and no published total, or no figure at all
            assert result["denominator"] in (UNKNOWN_WITHHELD, UNKNOWN_NO_FIGURES)
            assert group["quantity_t"].isna().any()
            assert pd.isna(world)
            assert pd.isna(result["china_share"])
            continue
        if world > 0:
            total = sums[mineral] + np.nan_to_num(other_t[mineral]) / world
            assert abs(total - 1.0) <= tolerance + 1e-12
            # residual_share follows its documented definition
            assert result["residual_share"] == pytest.approx(1.0 - sums[mineral], abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(markets())
def test_hhi_within_bounds(market: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    out = concentration(*market)
    known = out["hhi"].dropna()
    assert (known >= 0).all()
    assert (known <= 10_000 * (1 + 1e-12)).all()
    assert (out["top3_share"].dropna() <= 1 + 1e-12).all()


@given(
    st.sampled_from(POOL),
    st.floats(1e-3, 1e9, allow_nan=False),
    st.sampled_from([USGS, IEA]),
    st.booleans(),
)
def test_single_producer_with_the_whole_world_has_hhi_10000(
    country: str, quantity: float, source: str, publish_total: bool
) -> None:
    key = {"source": source, "mineral_id": "m", "stage": "mining", "product": "", "year": 2023}
    rows = pd.DataFrame(
        [{**key, "release": "r", "country": country, "quantity_t": quantity, "status": "reported"}]
    )
    totals = pd.DataFrame(
        [{**key, "release": "r", "kind": "world", "quantity_t": quantity}] if publish_total else [],
        columns=[*SERIES_KEYS, "release", "kind", "quantity_t"],
    ).astype({"quantity_t": "float64"})
    row = concentration(rows, totals).iloc[0]
    assert row["hhi"] == 10_000
    assert row["hhi_band"] == HIGHLY
    assert row["top1_country"] == country
    assert row["top1_share"] == 1.0
    assert row["residual_share"] == 0.0
    if country == "CHN":
        assert row["china_share"] == 1.0
    elif source == USGS:
        assert row["china_share"] == 0.0  # USGS lists every producer: China produced nothing
    else:
        assert math.isnan(row["china_share"])  # the IEA lists top producers only: unknown


@settings(max_examples=60, deadline=None)
@given(markets(), st.integers(0, 2**31 - 1))
def test_results_do_not_depend_on_row_order(
    market: tuple[pd.DataFrame, pd.DataFrame], seed: int
) -> None:
    rows, totals = market
    shuffled_rows = rows.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    shuffled_totals = totals.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        concentration(rows, totals),
        concentration(shuffled_rows, shuffled_totals),
        check_exact=False,
        rtol=1e-12,
    )
    key = {"mineral_id": "m0"}
    pd.testing.assert_frame_equal(
        country_shares(rows, totals, series=key),
        country_shares(shuffled_rows, shuffled_totals, series=key),
        check_exact=False,
        rtol=1e-12,
    )
