"""The stockpile sizing's figures and offline HTML report (report/stockpile.py)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest
from offline_browser import needs_chromium, open_offline

from friendshore._core.errors import InputError
from friendshore.data.queries import annual_prices
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone
from friendshore.report.stockpile import stockpile_figures, write_stockpile_report
from friendshore.scenarios.stockpile import StockpileOptions, StockpileResult, plan_stockpile


@pytest.fixture(scope="module")
def sizing(store_path: Path) -> StockpileResult:
    """The zone reserve for US$2 bn against 200 Monte Carlo draws (seed 0)."""
    return plan_stockpile(
        SupplyNetwork.from_store(store_path),
        default_zone(),
        annual_prices(store_path),
        options=StockpileOptions(budget_usd=2e9, draws=200, seed=0),
    )


@pytest.fixture(scope="module")
def report(sizing: StockpileResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stockpile-report")
    paths = write_stockpile_report(sizing, out)
    names = [p.name for p in paths]
    assert names == ["stockpile.csv", "frontier.csv", "references.csv", "index.html"]
    return out


def test_the_figures_show_the_stock_and_the_frontier(sizing: StockpileResult) -> None:
    figures = {i: f for i, f, _ in stockpile_figures(sizing)}
    assert set(figures) == {"stockpile-cost", "stockpile-jogmec", "stockpile-frontier"}
    stocked = sizing.frame[sizing.frame["tonnes"] > 0].sort_values(
        "purchase_cost_usd", ascending=False
    )
    bars = figures["stockpile-cost"].data[0]
    assert list(bars.y) == pytest.approx((stocked["purchase_cost_usd"] / 1e6).tolist()[:30])
    # the bars add up to what the budget buys, never more
    assert sum(bars.y) * 1e6 <= 2e9 * (1 + 1e-9)
    frontier = sizing.frontier.sort_values("budget_usd")
    line = figures["stockpile-frontier"].data[0]
    assert list(line.x) == pytest.approx((frontier["budget_usd"] / 1e9).tolist())
    assert list(line.y) == pytest.approx((frontier["expected_cost_usd_yr"] / 1e6).tolist())
    # more budget never raises the expected cost
    assert all(b <= a * (1 + 1e-12) for a, b in itertools.pairwise(line.y))


def test_the_files_are_the_results_frames(
    sizing: StockpileResult, report: Path, tmp_path: Path
) -> None:
    stock = pd.read_csv(report / "stockpile.csv")
    assert len(stock) == len(sizing.frame)
    assert stock["tonnes"].sum() == pytest.approx(sizing.frame["tonnes"].sum(), rel=1e-12)
    refs = pd.read_csv(report / "references.csv")
    assert list(refs["reference"]) == ["US DoD antimony", "US DoD cobalt"]
    assert refs["tonnes"].tolist() == pytest.approx(sizing.references["tonnes"].tolist())
    html = (report / "index.html").read_text(encoding="utf-8")
    assert "US DoD (DLA Strategic Materials) 2025 plan" in html
    assert "JOGMEC" in html
    blocker = tmp_path / "blocked"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="not a folder"):
        write_stockpile_report(sizing, blocker)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked"]


@needs_chromium
def test_the_stockpile_report_renders_offline_in_chromium(report: Path) -> None:
    ready = (
        "() => [...document.querySelectorAll('.plotly-graph-div')]"
        ".every(d => d.querySelector('.main-svg'))"
    )
    with open_offline(report / "index.html", ready, "stockpile-report.png") as page:
        assert page.locator(".plotly-graph-div .main-svg").count() >= 3
        assert page.locator("#stock tbody tr").count() > 0
        assert page.locator("#references tbody tr").count() == 2
