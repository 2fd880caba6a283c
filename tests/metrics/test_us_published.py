"""U.S. net import reliance computed beside USGS's published figure, for every interface."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from friendshore.data.queries import read_published_nir, read_salient
from friendshore.metrics.published import us_balance
from friendshore.metrics.us_published import (
    AGREEING,
    DEPENDENCE_COLUMNS,
    US_PUBLISHED_COLUMNS,
    us_balance_of,
    us_reliance_of,
    us_reliance_published,
    with_us_published,
)
from friendshore.model.supply import SupplyNetwork


@pytest.fixture(scope="module")
def network(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


def test_the_network_carries_the_salient_statistics_and_fig2(
    network: SupplyNetwork, store_path: Path
) -> None:
    assert len(network.salient) == len(read_salient(store_path))
    fig2 = network.published_nir
    assert len(fig2) == len(read_published_nir(store_path))
    # MCS2024 publishes 63 figures for 2023, MCS2025 64 for 2024
    assert fig2.groupby("year").size().loc[[2023, 2024]].tolist() == [63, 64]
    assert not fig2.duplicated(["commodity", "year"]).any()


def test_the_cached_balance_equals_us_balance(network: SupplyNetwork) -> None:
    cached = us_balance_of(network.salient)
    assert us_balance_of(network.salient.copy()) is cached  # same rows: computed once
    direct = us_balance(network.salient)
    pd.testing.assert_frame_equal(
        cached.astype(object).reset_index(drop=True), direct.astype(object), check_dtype=False
    )


def test_aluminum_2023_computed_44_against_published_44(network: SupplyNetwork) -> None:
    out = us_reliance_of(network, minerals=["aluminum"], year=2023)
    assert tuple(out.columns) == US_PUBLISHED_COLUMNS
    (row,) = out.to_dict("records")
    # MCS2025 salient: 1 - (750 + 1,560) / 4,150 = 44.3%; USGS publishes 44 (Fig. 2 of MCS2024 too)
    assert row["year"] == 2023
    assert row["net_import_reliance"] == pytest.approx(1 - (750 + 1560) / 4150)
    assert row["published"] == pytest.approx(0.44)
    assert (row["published_text"], row["fig2_text"]) == ("44", "44")
    assert row["difference_pp"] == pytest.approx(100 * (1 - 2310 / 4150) - 44)
    assert row["agreement"] == "within 5 pp"
    assert pd.isna(row["reason"])
    assert row["source"] == "USGS MCS salient statistics"


def test_each_series_at_its_latest_year_and_every_miss_has_a_reason(
    network: SupplyNetwork,
) -> None:
    balance = us_balance_of(network.salient)
    out = us_reliance_of(network, year=2024)
    assert not out.duplicated(["usgs_key", "series"]).any()
    assert out["year"].max() == 2024
    for rec in out.to_dict("records"):
        rows = balance[
            (balance["usgs_key"] == rec["usgs_key"]) & (balance["series"] == rec["series"])
        ]
        known = rows[rows["nir_published_text"].notna() | rows["net_import_reliance_min"].notna()]
        assert rec["year"] == known["year"].max()
    missed = out[~out["agreement"].isin(AGREEING)]
    assert missed["reason"].notna().all()
    assert out.loc[out["agreement"].isin(AGREEING), "reason"].isna().all()
    # lithium 2024: U.S. production and consumption withheld, so 0-100% beside USGS's >50
    lithium = out[out["mineral_id"] == "lithium"].iloc[0]
    assert (lithium["net_import_reliance_min"], lithium["net_import_reliance_max"]) == (0.0, 1.0)
    assert (lithium["published_text"], lithium["agreement"]) == (">50", "overlaps published bound")
    assert "withheld" in lithium["reason"]


def test_the_published_figure_is_never_copied_into_the_computed_one(
    network: SupplyNetwork,
) -> None:
    balance = us_balance_of(network.salient)
    out = us_reliance_published(balance, network.published_nir)
    merged = out.merge(
        balance[["usgs_key", "series", "year", "net_import_reliance_min"]],
        on=["usgs_key", "series", "year"],
        suffixes=("", "_balance"),
    )
    assert len(merged) == len(out)
    pd.testing.assert_series_equal(
        merged["net_import_reliance_min"],
        merged["net_import_reliance_min_balance"],
        check_names=False,
    )


def test_dependence_rows_of_the_usa_get_usgs_figures_beside(network: SupplyNetwork) -> None:
    table = pd.DataFrame(
        {
            "mineral_id": ["aluminum", "aluminum", "aluminum"],
            "stage": ["processing", "processing", "processing"],
            "year": [2023, 2024, 2023],
            "member": ["USA", "USA", "JPN"],
        }
    )
    out = with_us_published(table, us_reliance_of(network, minerals=["aluminum"]))
    assert list(out.columns) == [*table.columns, *DEPENDENCE_COLUMNS]
    assert out["usgs_published_text"].tolist()[:2] == ["44", "47"]
    assert out.loc[2, DEPENDENCE_COLUMNS[1:]].isna().all()
