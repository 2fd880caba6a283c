"""U.S. net import reliance from USGS's salient components against USGS's published Fig. 2."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from friendshore.data.queries import (
    read_critical_salient,
    read_salient,
    read_usgs_production_tables,
)
from friendshore.metrics.published import (
    BOUND_COLUMNS,
    US_BALANCE_COLUMNS,
    compare_published_nir,
    us_balance,
    us_production_bounds,
)

AGREE = ("within 5 pp", "inside published bound")

_WITHHELD = "U.S. production and apparent consumption withheld (W)"
_NO_BOUND = (
    "; no other USGS table bounds them: the world totals exclude U.S. production "
    "and MCS Table 5 withholds them too"
)

#: Fig. 2 of MCS2024 (2023): every commodity whose computed figure does not agree, and why.
MISSES_2023: dict[str, str] = {
    "CESIUM": "no salient statistics published, and no other USGS table gives U.S. components",
    "RUBIDIUM": "no salient statistics published, and no other USGS table gives U.S. components",
    "BARITE": "U.S. mine production (sold or used) and apparent consumption withheld" + _NO_BOUND,
    "BAUXITE": "U.S. mine production and apparent consumption withheld" + _NO_BOUND,
    "GERMANIUM": "secondary production and estimated consumption not available (NA): no bound",
    "MAGNESIUM METAL": "primary production withheld; apparent consumption counts old scrap, "
    "which the file does not split from new scrap (0-100%, published >50)",
    "SELENIUM": "refinery production and apparent consumption withheld" + _NO_BOUND,
    "TUNGSTEN": "secondary production and apparent consumption withheld" + _NO_BOUND,
    "SILICON, metal and ferrosilicon": "production and apparent consumption withheld; a "
    "published <50 needs a lower bound of production, which no table gives",
    "LITHIUM": _WITHHELD + _NO_BOUND,
    "TELLURIUM": _WITHHELD + _NO_BOUND,
    "BROMINE": _WITHHELD + "; a published <25 needs a lower bound of production",
    "ZIRCONIUM, ores and concentrates": "production and consumption published as bounds "
    "(<100,000 t): 2-100%, a published <25 needs a lower bound of production",
}

#: Fig. 2 of MCS2025 (2024): the misses of 2023 less tellurium's reason, and why.
MISSES_2024: dict[str, str] = {
    **{k: v for k, v in MISSES_2023.items() if k not in ("SELENIUM",)},
    "SELENIUM, metal": MISSES_2023["SELENIUM"],
    "MAGNESIUM METAL": "apparent consumption withheld and counts old scrap only, which the "
    "file does not split from new scrap: 44-100% (published >75)",
    "TELLURIUM": _WITHHELD + "; a published <25 needs a lower bound of production",
}


def _edition(salient: pd.DataFrame, release: str) -> pd.DataFrame:
    """Rows of ``release`` and older; a commodity × year no such edition gives from newer ones."""
    old = salient[salient["release"] <= release]
    have = set(zip(old["usgs_key"], old["year"], strict=True))
    newer = salient[
        [(k, y) not in have for k, y in zip(salient["usgs_key"], salient["year"], strict=True)]
    ]
    return pd.concat([old, newer], ignore_index=True)


@pytest.fixture(scope="module")
def salient_all(store_path: object) -> pd.DataFrame:
    with duckdb.connect(str(store_path), read_only=True) as con:
        return con.execute("SELECT * FROM salient").df()


@pytest.fixture(scope="module")
def fig2(store_path: object) -> pd.DataFrame:
    with duckdb.connect(str(store_path), read_only=True) as con:
        return con.execute("SELECT * FROM net_import_reliance").df()


def test_columns_and_one_row_per_series_and_year(con: duckdb.DuckDBPyConnection) -> None:
    out = us_balance(read_salient(con))
    assert tuple(out.columns) == US_BALANCE_COLUMNS
    assert not out.duplicated(["usgs_key", "series", "year"]).any()
    assert out["net_import_reliance_max"].dropna().le(1).all()


def test_aluminum_counts_old_scrap_not_new_scrap(con: duckdb.DuckDBPyConnection) -> None:
    out = us_balance(read_salient(con))
    row = out[(out["usgs_key"] == "alumi") & (out["year"] == 2023)].iloc[0]
    # MCS2025: 1 - (750 + 1,560) / 4,150 = 44.3%, published 44
    assert row["net_import_reliance"] == pytest.approx(1 - (750 + 1560) / 4150)
    assert row["nir_published"] == pytest.approx(0.44)
    assert row["agreement"] == "within 5 pp"
    assert row["apparent_consumption_source"] == "published"


def test_withheld_components_give_an_interval_not_a_value(con: duckdb.DuckDBPyConnection) -> None:
    out = us_balance(read_salient(con))
    row = out[(out["usgs_key"] == "lithi") & (out["year"] == 2023)].iloc[0]
    assert pd.isna(row["net_import_reliance"])
    assert (row["net_import_reliance_min"], row["net_import_reliance_max"]) == (0.0, 1.0)
    assert "withheld" in row["reason"]


@pytest.fixture(scope="module")
def bounds(store_path: object) -> pd.DataFrame:
    with duckdb.connect(str(store_path), read_only=True) as con:
        return us_production_bounds(read_usgs_production_tables(con), read_critical_salient(con))


def _check_fig2(table: pd.DataFrame, misses: dict[str, str], n: int) -> None:
    assert len(table) == n
    ok = table["agreement"].isin(AGREE)
    # a new miss, or a listed miss that starts to agree, fails here
    assert sorted(table.loc[~ok, "commodity"]) == sorted(misses)
    assert table.loc[~ok, "reason"].notna().all()
    points = table[table["agreement"] == "within 5 pp"]
    assert points["difference_pp"].abs().max() <= 5
    # agreement with a bound is strict: the whole computed interval lies inside it
    above = table[
        (table["agreement"] == "inside published bound") & (table["published_bound"] == ">")
    ]
    assert (above["net_import_reliance_min"] >= above["published"] - 1e-12).all()
    below = table[
        (table["agreement"] == "inside published bound") & (table["published_bound"] == "<")
    ]
    assert (below["net_import_reliance_max"] <= below["published"] + 1e-12).all()


def test_mcs2024_fig2_for_2023(
    salient_all: pd.DataFrame, fig2: pd.DataFrame, bounds: pd.DataFrame
) -> None:
    balance = us_balance(_edition(salient_all, "MCS2024"), production_bounds=bounds)
    table = compare_published_nir(balance, fig2, 2023)
    _check_fig2(table, MISSES_2023, 63)
    assert table["agreement"].isin(AGREE).sum() == 63 - len(MISSES_2023) == 50


def test_mcs2025_fig2_for_2024(
    salient_all: pd.DataFrame, fig2: pd.DataFrame, bounds: pd.DataFrame
) -> None:
    if not (fig2["year"] == 2024).any():
        pytest.skip("the store holds no MCS2025 Fig. 2 (net import reliance for 2024)")
    table = compare_published_nir(us_balance(salient_all, production_bounds=bounds), fig2, 2024)
    _check_fig2(table, MISSES_2024, 64)
    assert table["agreement"].isin(AGREE).sum() == 64 - len(MISSES_2024) == 51


def test_cobalt_is_net_imports_over_apparent_consumption(con: duckdb.DuckDBPyConnection) -> None:
    out = us_balance(read_salient(con))
    row = out[(out["usgs_key"] == "cobal") & (out["year"] == 2023)].iloc[0]
    # MCS2025: (9,500 - 5,110 + 21 t industry stock decrease) / 6,440 = 68.5%, published 69
    assert row["net_import_reliance"] == pytest.approx((9500 - 5110 + 21) / 6440)
    assert row["nir_method"] == "net imports / apparent consumption"
    assert row["agreement"] == "within 5 pp"


def test_iodine_is_over_reported_consumption(con: duckdb.DuckDBPyConnection) -> None:
    out = us_balance(read_salient(con))
    row = out[(out["usgs_key"] == "iodin") & (out["year"] == 2024)].iloc[0]
    # MCS2025 metadata: NIR over reported consumption: (3,300 - 1,200) / 2,900
    assert row["net_import_reliance"] == pytest.approx((3300 - 1200) / 2900)
    assert row["apparent_consumption_source"] == "published reported"
    assert row["agreement"] == "inside published bound"


def test_scandium_from_table5_zero_production(con: duckdb.DuckDBPyConnection) -> None:
    out = us_balance(read_salient(con))
    rows = out[out["usgs_key"] == "scand"]
    assert rows["net_import_reliance"].eq(1.0).all()
    assert rows["apparent_consumption"].isna().all()
    assert (rows["apparent_consumption_source"] == "positive, not published").all()


def test_overlap_of_a_published_bound_is_not_agreement(con: duckdb.DuckDBPyConnection) -> None:
    out = us_balance(read_salient(con))
    row = out[(out["usgs_key"] == "mgmet") & (out["year"] == 2024)].iloc[0]
    # primary 0, secondary (new + old scrap) 110 kt bounds the old scrap USGS counts:
    # 87 / (0 + [0, 110] + 87) = 44-100%, published >75
    assert row["net_import_reliance_min"] == pytest.approx(87 / 197)
    assert row["net_import_reliance_max"] == 1.0
    assert row["agreement"] == "overlaps published bound"
    lith = out[(out["usgs_key"] == "lithi") & (out["year"] == 2024)].iloc[0]
    # production and apparent consumption withheld: 0-100% against >50
    assert (lith["net_import_reliance_min"], lith["net_import_reliance_max"]) == (0.0, 1.0)
    assert lith["agreement"] == "overlaps published bound"


def test_bounds_frame_and_its_sources(bounds: pd.DataFrame) -> None:
    assert tuple(bounds.columns) == BOUND_COLUMNS
    assert not bounds.duplicated(["usgs_key", "series", "year", "component"]).any()
    assert (bounds["low_t"] <= bounds["high_t"]).all()
    assert bounds["bound_source"].str.startswith("MCS ").all()
    zirco = bounds[(bounds["usgs_key"] == "zirco") & (bounds["year"] == 2023)]
    assert set(zirco["high_t"]) == {100_000.0}
    # every world total behind a withheld U.S. row of MCS 2024/2025 leaves the U.S. out
    assert not bounds["bound_source"].str.contains("world total - listed").any()


def test_a_bound_narrows_a_withheld_cell(
    con: duckdb.DuckDBPyConnection, bounds: pd.DataFrame
) -> None:
    salient = read_salient(con)
    made_up = pd.DataFrame(
        [("lithi", "", 2024, "production_primary", 0.0, 1600.0, "MCS2025", "test bound")],
        columns=list(BOUND_COLUMNS),
    )
    out = us_balance(salient, production_bounds=made_up)
    row = out[(out["usgs_key"] == "lithi") & (out["year"] == 2024)].iloc[0]
    # 3,300 - 1,700 = 1,600 t net imports over [1,600, 3,200] t: 50-100%
    assert row["net_import_reliance_min"] == pytest.approx(0.5)
    assert row["bound_source"] == "test bound (MCS2025)"
    plain = us_balance(salient, production_bounds=bounds)
    assert plain.drop(columns="bound_source").equals(
        us_balance(salient).drop(columns="bound_source")
    )
