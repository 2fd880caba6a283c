"""The outlook's figures, gap table and offline HTML report (report/outlook.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from offline_browser import needs_chromium, open_offline
from typer.testing import CliRunner

from friendshore._core.errors import InputError
from friendshore.cli.main import app as cli_app
from friendshore.model.zone import default_zone
from friendshore.report.outlook import (
    GAP_YEARS,
    band_figure,
    outlook_figures,
    outlook_gap_table,
    write_outlook_report,
)
from friendshore.scenarios.outlook import OutlookResult, run_outlook


@pytest.fixture(scope="module")
def outlook(store_path: Path) -> OutlookResult:
    return run_outlook(store_path, default_zone())


@pytest.fixture(scope="module")
def report(outlook: OutlookResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("outlook-report")
    paths = write_outlook_report(outlook, out)
    assert [p.name for p in paths] == ["outlook.csv", "members.csv", "index.html"]
    return out


def _high(row: pd.Series, point: str, high: str) -> float:
    return float(row[point]) if not pd.isna(row[point]) else float(row[high])


def test_the_band_figure_draws_each_scenarios_demand_and_the_supply(
    outlook: OutlookResult,
) -> None:
    frame = outlook.frame
    part = frame[(frame["mineral"] == "lithium") & (frame["stage"] == "processing")]
    fig = band_figure(frame, "lithium", "processing")
    traces = {t.name: t for t in fig.data}
    for scenario in ("STEPS", "APS", "NZE"):
        rows = part[part["scenario"] == scenario].sort_values("year")
        high = traces[f"zone demand, {scenario}"]
        assert list(high.x) == rows["year"].tolist()
        expected = [_high(r, "zone_demand_t", "zone_demand_max_t") for _, r in rows.iterrows()]
        assert list(high.y) == pytest.approx(expected, rel=1e-12)
        assert high.fill == "tonexty"
    # the supply band: across scenarios, the pipeline added (none here)
    supply = traces["zone supply"]
    lows = part.groupby("year")["zone_supply_min_t"].min()
    low_trace = traces["zone supply (low)"]
    assert list(low_trace.y) == pytest.approx(lows.tolist(), rel=1e-12)
    assert list(supply.x) == lows.index.tolist()


def test_the_gap_table_keeps_the_gap_years_and_the_intervals(outlook: OutlookResult) -> None:
    gaps = outlook_gap_table(outlook)
    years = [y for y in GAP_YEARS if y in set(outlook.frame["year"])]
    assert sorted(set(gaps["year"])) == years == [2030, 2035, 2040]
    pairs = outlook.frame[["mineral", "stage"]].drop_duplicates()
    assert len(gaps) == len(pairs) * 3 * len(years)
    # the same figures as the outlook, interval ends included
    merged = gaps.merge(
        outlook.frame, on=["mineral", "stage", "scenario", "year"], suffixes=("", "_o")
    )
    assert len(merged) == len(gaps)
    for column in ("gap_t", "gap_min_t", "gap_max_t", "zone_demand_min_t", "world_demand_t"):
        assert merged[column].equals(merged[f"{column}_o"]), column
    assert list(gaps["scenario"].iloc[:3]) == ["STEPS", "APS", "NZE"]


def test_the_figures_rank_the_largest_gaps(outlook: OutlookResult) -> None:
    figures = outlook_figures(outlook)
    ids = [i for i, _, _ in figures]
    bands = [i for i in ids if i.startswith("outlook-band-")]
    assert 0 < len(bands) <= 12
    assert "outlook-gaps" in ids
    assert "outlook-china-share" in ids
    # the gap figure: each scenario's range in the last gap year (segments low → high)
    gap = next(f for i, f, _ in figures if i == "outlook-gaps")
    at = outlook.frame[(outlook.frame["year"] == 2040) & (outlook.frame["scenario"] == "APS")]
    trace = next(t for t in gap.data if t.name == "APS")
    xs = [x for x in trace.x if x is not None and not (isinstance(x, float) and math.isnan(x))]
    lows = at["gap_t"].where(at["gap_t"].notna(), at["gap_min_t"]).dropna()
    assert min(xs) == pytest.approx(float(lows.min()), rel=1e-12)


def test_the_report_is_written_whole_or_not_at_all(
    outlook: OutlookResult, report: Path, tmp_path: Path
) -> None:
    written = pd.read_csv(report / "outlook.csv")
    assert len(written) == len(outlook.frame)
    assert list(written.columns) == list(outlook.frame.columns)
    assert len(pd.read_csv(report / "members.csv")) == len(outlook.members)
    html = (report / "index.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html
    assert "http://" not in html.split("<main>", 1)[1].split("Data attribution", 1)[0]
    assert "IEA Critical Minerals Data Explorer" in html
    # a file where the folder should be: an error, nothing written beside it
    blocker = tmp_path / "blocked"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="not a folder"):
        write_outlook_report(outlook, blocker)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked"]


def test_the_cli_writes_the_report(store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "outlook"
    result = CliRunner().invoke(
        cli_app,
        ["outlook", "--scenario", "APS", "--store", str(store_path), "--out", str(out)],
    )
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "members.csv", "outlook.csv"]
    assert set(pd.read_csv(out / "outlook.csv")["scenario"]) == {"APS"}


@needs_chromium
def test_the_outlook_report_renders_offline_in_chromium(report: Path) -> None:
    ready = (
        "() => [...document.querySelectorAll('.plotly-graph-div')]"
        ".every(d => d.querySelector('.main-svg'))"
    )
    with open_offline(report / "index.html", ready, "outlook-report.png") as page:
        drawn = page.locator(".plotly-graph-div .main-svg").count()
        assert drawn >= page.locator(".plotly-graph-div").count() > 3
        assert page.locator("#gaps tbody tr").count() > 0
