"""The report: Plotly figures from real data, the self-contained HTML, and headless Chromium."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.colors
import pytest
from offline_browser import needs_chromium, open_offline

from friendshore._core.errors import ValidationError
from friendshore.data.geometry import read_world_geometry
from friendshore.data.sources import SOURCES
from friendshore.metrics.assessment import Assessment
from friendshore.report import figures
from friendshore.report.html import GEOJSON_KEY, REPORT_NAME, write_report

PALETTE = set(figures.OKABE_ITO.values())


def _trace(fig: Any, **match: Any) -> Any:
    (trace,) = [t for t in fig.data if all(getattr(t, k) == v for k, v in match.items())]
    return trace


def _value(trace: Any, label: str, axis: str = "y") -> float:
    labels = list(getattr(trace, axis))
    other = "x" if axis == "y" else "y"
    return float(getattr(trace, other)[labels.index(label)])


# --- figures -----------------------------------------------------------------


def test_china_share_figure_reproduces_usgs_rare_earths(assessment: Assessment) -> None:
    fig = figures.china_share_by_stage(assessment.summary, year=assessment.year)
    mining = _trace(fig, name="mining")
    # USGS MCS 2025 (MCS2025_World_Data.csv, 2024 estimates): China mined 270,000 t REO;
    # the listed countries and "Other Countries" add up to 393,950 t, above the rounded
    # world total of 390,000 t by less than its rounding (5,000 t), so the sum is the
    # denominator (metrics.shares.ROUNDED_BELOW) and the share stays within USGS's.
    share = _value(mining, "Rare earths")
    assert share == pytest.approx(270_000 / 393_950)
    assert abs(share - 270_000 / 390_000) < 5_000 / 390_000
    # IEA 2024 edition: China refines about 92% of magnet rare earths (base year 2023);
    # the default is the latest year (2025 edition, 2024), also above 90%.
    assert _value(_trace(fig, name="processing"), "Rare earths") > 0.9
    title = fig.layout.title.text
    assert "2024" in title
    assert "USGS MCS" in title
    assert "IEA CMDE" in title
    assert all("(%)" in fig.layout[ax].title.text for ax in ("xaxis", "xaxis2"))
    assert {t.marker.color for t in fig.data} <= PALETTE


def test_china_share_figure_keeps_the_top_minerals(assessment: Assessment) -> None:
    fig = figures.china_share_by_stage(assessment.summary, year=assessment.year, top=10)
    labels = set(fig.layout.yaxis.categoryarray)
    assert len(labels) == 10
    assert {"Gallium", "Rare earths"} <= labels
    every = figures.china_share_by_stage(assessment.summary, year=assessment.year, top=None)
    assert len(every.layout.yaxis.categoryarray) > 50


def test_figures_do_not_depend_on_row_order(assessment: Assessment) -> None:
    shuffled = assessment.summary.sample(frac=1.0, random_state=7)
    a = figures.china_share_by_stage(assessment.summary, year=assessment.year)
    b = figures.china_share_by_stage(shuffled, year=assessment.year)
    assert list(a.layout.yaxis.categoryarray) == list(b.layout.yaxis.categoryarray)
    for ta, tb in zip(a.data, b.data, strict=True):
        assert dict(zip(ta.y, ta.x, strict=True)) == dict(zip(tb.y, tb.x, strict=True))


def test_member_heatmap_matches_the_members_frame(assessment: Assessment) -> None:
    fig = figures.member_dependence_heatmap(assessment.members, year=assessment.year)
    assert len(fig.data) == 2  # mining, processing (other stages join processing)
    members = assessment.members
    for trace, stage in zip(fig.data, ("mining", "processing"), strict=True):
        assert list(trace.y) == ["EU27", "JPN", "MEX", "USA", "zone"]
        assert (trace.zmin, trace.zmax) == (0, 1)
        z = pd.DataFrame(trace.z, index=list(trace.y), columns=list(trace.x))
        known = z.stack().dropna()
        assert known.between(0, 1).all()
        if stage == "processing":
            expected = members[
                (members["mineral"] == "rare_earths")
                & (members["stage"] == "processing")
                & (members["member"] == "USA")
                & (members["year"] == 2024)
            ]["china_import_share"].item()
            assert z.loc["USA", "Rare earths"] == pytest.approx(expected)
    cividis = plotly.colors.sequential.Cividis
    assert [c for _, c in fig.data[0].colorscale] == cividis
    assert "CEPII BACI" in fig.layout.title.text
    assert "2024" in fig.layout.title.text


def test_trend_has_one_line_per_member_and_panel(assessment: Assessment) -> None:
    trend = assessment.china_import_trend
    pairs = figures.default_trend_pairs(trend)
    assert len(pairs) == 6
    fig = figures.china_import_trend(trend, pairs=pairs)
    members = sorted(trend["member"].unique())
    assert {t.name for t in fig.data} == set(members)
    assert len([t for t in fig.data if t.showlegend]) == len(members)
    years = {int(x) for t in fig.data for x in t.x}
    assert years == set(range(2015, 2025))
    assert all(0 <= y <= 1 for t in fig.data for y in t.y if y is not None and not math.isnan(y))
    assert "2015–2024" in fig.layout.title.text
    assert "(%)" in fig.layout.yaxis.title.text
    assert {t.line.color for t in fig.data} <= PALETTE
    chosen = figures.china_import_trend(trend, pairs=[("rare_earths", "processing")])
    assert "Rare earths · processing" in [a.text for a in chosen.layout.annotations]


def test_zone_vs_china_reproduces_usgs_reserves(assessment: Assessment) -> None:
    fig = figures.zone_vs_china(assessment.summary, assessment.reserves, year=assessment.year)
    china = [t for t in fig.data if t.name == "China"]
    zone = [t for t in fig.data if t.name == "Zone"]
    assert len(china) == len(zone) == 3  # mining, processing, reserves
    # USGS MCS 2025 (MCS2025_World_Data.csv), reserves 2024: China holds 2.4 of the
    # world's 4.6 million t of tungsten (the listed countries add up to 4.57 Mt).
    assert _value(china[2], "Tungsten") == pytest.approx(2_400_000 / 4_600_000)
    # Lithium reserves 2024: the listed rows add up to 30,044,000 t, above the rounded
    # 30 Mt by less than its rounding, so the sum is the denominator: China 3.0 Mt,
    # the zone the United States (1.8 Mt) and Portugal (60,000 t).
    assert _value(china[2], "Lithium") == pytest.approx(3_000_000 / 30_044_000)
    assert _value(zone[2], "Lithium") == pytest.approx(1_860_000 / 30_044_000)
    # Rare-earth reserves 2024 have no point share: MCS2025 gives the world total only
    # as a bound (">90,000,000" t), so China's 44 Mt is at most 44/90 of it.
    assert "Rare earths" not in list(china[2].y)
    # Mine production 2024e: China 270,000 t and the zone 45,000 t (USA) of the
    # 393,950 t the listed rows add up to (rounded world total 390,000 t).
    assert _value(china[0], "Rare earths") == pytest.approx(270_000 / 393_950)
    assert _value(zone[0], "Rare earths") == pytest.approx(45_000 / 393_950)
    assert china[0].marker.color == figures.CHINA_COLOUR
    assert zone[0].marker.color == figures.ZONE_COLOUR


def test_production_map_uses_bundled_geometry(assessment: Assessment) -> None:
    geometry = read_world_geometry()
    fig = figures.production_map(assessment.country_shares, geometry, mineral="rare_earths")
    assert fig.layout.geo.visible is False
    assert all(t.type == "choropleth" for t in fig.data)
    assert all(t.featureidkey == "properties.iso3" for t in fig.data)
    assert all(t.geojson["type"] == "FeatureCollection" for t in fig.data)
    production = _trace(fig, name="production")
    quantity = dict(
        zip(production.locations, (row[1] for row in production.customdata), strict=True)
    )
    assert quantity["CHN"] == 270_000  # USGS MCS 2025, 2024 estimate (MCS2024: 240,000 for 2023)
    assert quantity["USA"] == 45_000
    assert max(production.z) == pytest.approx(math.log10(270_000))
    assert "2024" in fig.layout.title.text
    assert "USGS MCS" in fig.layout.title.text
    base = _trace(fig, name="not listed")
    assert len(base.locations) == len(geometry["features"]) - 1  # all but Antarctica


# --- HTML --------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(assessment: Assessment, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(assessment, tmp_path_factory.mktemp("report") / "out")


def test_report_is_one_self_contained_file(report: Path) -> None:
    assert report.name == REPORT_NAME
    assert [p.name for p in report.parent.iterdir()] == [REPORT_NAME]  # no temp file left
    text = report.read_text(encoding="utf-8")
    assert text.count("* plotly.js v") == 1  # plotly.js inlined exactly once
    assert text.count(f'PlotlyGeoAssets["{GEOJSON_KEY}"]') == 1  # geometry once
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link\b", text)
    assert "Content-Security-Policy" in text
    for div in ("fig-china-share", "fig-members", "fig-trend", "fig-zone-vs-china", "fig-map"):
        assert text.count(f'id="{div}"') == 1


def test_report_content(report: Path, assessment: Assessment) -> None:
    text = report.read_text(encoding="utf-8")
    summary = text[text.index('id="summary"') : text.index('id="china-share"')]
    for mineral in ("Rare earths", "Gallium", "Graphite (natural)", "Tungsten", "Cobalt"):
        assert mineral in summary
    assert "68.6%" in summary  # China's share of rare-earth mining, 240,000 / 350,000
    assert "Mining: top 15" in summary
    assert "Processing: top 15" in summary
    zone = text[text.index('id="zone"') : text.index('id="summary"')]
    assert assessment.zone.name.replace("'", "&#x27;") in zone
    assert "Mexico (MEX)" in zone
    assert "Germany (DEU)" in zone
    attribution = text[text.index('id="attribution"') :]
    for info in SOURCES.values():
        assert info.licence.replace("'", "&#x27;") in attribution
    assert "Natural Earth" in attribution
    assert "MIT" in attribution
    assert re.search(r"generated \d{4}-\d{2}-\d{2}", text)


def test_report_replaces_the_old_one_atomically(assessment: Assessment, tmp_path: Path) -> None:
    first = write_report(assessment, tmp_path)
    before = first.read_bytes()
    with pytest.raises(ValidationError, match="no production by country"):
        write_report(assessment, tmp_path, map_mineral="unobtainium")
    assert first.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [REPORT_NAME]
    other = write_report(assessment, tmp_path, map_mineral="cobalt")
    assert other == first
    assert "Cobalt mining: production by country" in other.read_text(encoding="utf-8")


# --- headless Chromium -----------------------------------------------------------


@needs_chromium
def test_report_renders_offline_in_chromium(report: Path) -> None:
    ready = "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 10"
    with open_offline(report, ready, "report.png") as page:
        rendered = page.evaluate(
            """() => ['fig-china-share', 'fig-members', 'fig-trend', 'fig-zone-vs-china',
                      'fig-map'].map(id => document.querySelectorAll(
                          '#' + id + ' .main-svg').length)"""
        )
        map_paths = page.locator("#fig-map path.choroplethlocation").count()
        bars = page.locator("#fig-china-share g.point").count()
        summary = page.locator("#summary table").first.inner_text()
    assert all(n >= 1 for n in rendered), rendered
    assert map_paths >= 170  # every country of the bundled geometry (less Antarctica)
    assert bars >= 30
    for mineral in ("Rare earths", "Tungsten", "Graphite (natural)"):
        assert mineral in summary
