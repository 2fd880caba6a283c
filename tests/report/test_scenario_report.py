"""The scenario report: figures carry the run's numbers; the HTML renders offline in Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from offline_browser import needs_chromium, open_offline
from typer.testing import CliRunner

from friendshore.cli.main import app
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone
from friendshore.report.figures import OKABE_ITO
from friendshore.report.html import REPORT_NAME
from friendshore.report.scenario import (
    ESTIMATED_PATTERN,
    PARTS,
    scenario_figures,
    write_scenario_report,
)
from friendshore.scenarios.model import load_scenario
from friendshore.scenarios.run import ScenarioResult, run_scenario

PALETTE = set(OKABE_ITO.values())


@pytest.fixture(scope="module")
def supply(store_path: Path) -> SupplyNetwork:
    return SupplyNetwork.from_store(store_path)


@pytest.fixture(scope="module")
def graphite(supply: SupplyNetwork) -> ScenarioResult:
    return run_scenario(supply, load_scenario("cn-graphite-2023"), default_zone())


@pytest.fixture(scope="module")
def gallium(supply: SupplyNetwork) -> ScenarioResult:
    return run_scenario(supply, load_scenario("cn-gallium-germanium-2023"), default_zone())


def _bars(fig: Any, mineral: str, stage: str) -> list[Any]:
    return [t for t in fig.data if t.type == "bar" and tuple(t.meta) == (mineral, stage)]


def _totals(bars: list[Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for trace in bars:
        for member, x in zip(trace.y, trace.x, strict=True):
            out[member] = out.get(member, 0.0) + float(x)
    return out


# --- figures -----------------------------------------------------------------------------


def test_graphite_bars_add_up_to_each_members_loss(graphite: ScenarioResult) -> None:
    shortfall, recovery = scenario_figures(graphite)
    rec = graphite.records
    hit = rec[(rec["mineral"] == "graphite") & (rec["lost_t"] > 0)]
    assert set(hit["member"]) == {"EU27", "JPN", "USA"}  # Mexico imports no graphite from China
    bars = _bars(shortfall, "graphite", "mining")
    assert [t.name for t in bars] == [name for _, name, _ in PARTS]
    totals = _totals(bars)
    lost = dict(zip(hit["member"], hit["lost_t"], strict=True))
    assert totals.keys() == lost.keys()
    for member, loss in lost.items():
        assert totals[member] == pytest.approx(loss, rel=1e-9)
    # each route's bar is the run's figure for that member
    reroute = dict(zip(bars[0].y, bars[0].x, strict=True))
    assert reroute["JPN"] == pytest.approx(
        hit.set_index("member").loc["JPN", "recovered_rerouting_t"]
    )
    shortfall_bar = dict(zip(bars[-1].y, bars[-1].x, strict=True))
    for member, row in hit.set_index("member").iterrows():
        assert shortfall_bar[member] == pytest.approx(row["shortfall_t"])
    # the loss marker sits at lost_t
    (marker,) = [t for t in shortfall.data if t.type == "scatter"]
    assert dict(zip(marker.y, marker.x, strict=True)) == pytest.approx(lost)
    # observed, not estimated: no hatching
    assert all(s == "" for t in bars for s in t.marker.pattern.shape)
    assert {t.marker.color for t in shortfall.data if t.type == "bar"} <= PALETTE
    assert "2022" in shortfall.layout.title.text
    assert "t/yr" in shortfall.layout.xaxis.title.text
    # the zone's sources of recovery: shares of the zone's loss, adding to 1
    zt = graphite.zone_totals
    zone = zt[(zt["mineral"] == "graphite") & (zt["stage"] == "mining")].iloc[0]
    zone_lost = float(zone["lost_t"])
    label = "Graphite (natural) · mining"
    shares = {t.name: dict(zip(t.y, t.x, strict=True))[label] for t in recovery.data}
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["re-routing"] == pytest.approx(float(zone["recovered_rerouting_t"]) / zone_lost)
    assert shares["shortfall"] == pytest.approx(float(zone["shortfall_t"]) / zone_lost)


def test_estimated_losses_are_hatched_and_labelled(gallium: ScenarioResult) -> None:
    shortfall, recovery = scenario_figures(gallium)
    bars = _bars(shortfall, "gallium", "processing")
    assert bars
    assert all(s == ESTIMATED_PATTERN for t in bars for s in t.marker.pattern.shape)
    titles = [a.text for a in shortfall.layout.annotations]
    assert "Gallium · processing (estimated)" in titles
    assert "Germanium · processing (estimated)" in titles
    rec = gallium.records
    hit = rec[(rec["mineral"] == "gallium") & (rec["stage"] == "processing") & (rec["lost_t"] > 0)]
    totals = _totals(bars)
    for member, loss in zip(hit["member"], hit["lost_t"], strict=True):
        assert totals[member] == pytest.approx(loss, rel=1e-9)
    assert all(s == ESTIMATED_PATTERN for t in recovery.data for s in t.marker.pattern.shape)


def test_no_loss_gives_no_figures(supply: SupplyNetwork) -> None:
    quiet = load_scenario("cn-graphite-2023").model_copy(update={"shocks": []})
    assert scenario_figures(run_scenario(supply, quiet, default_zone())) == []


# --- HTML --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(graphite: ScenarioResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scenario_report(graphite, tmp_path_factory.mktemp("scenario") / "out")


def test_report_is_one_self_contained_file(report: Path, graphite: ScenarioResult) -> None:
    assert report.name == REPORT_NAME
    assert [p.name for p in report.parent.iterdir()] == [REPORT_NAME]
    text = report.read_text(encoding="utf-8")
    assert text.count("* plotly.js v") == 1
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link\b", text)
    assert "Content-Security-Policy" in text
    for div in ("fig-shortfall", "fig-recovery"):
        assert text.count(f'id="{div}"') == 1
    scenario = graphite.scenario
    assert scenario.name in text
    assert "2023-12-01" in text
    assert "baseline year 2022" in text
    assert "Announcement No. 39 of 2023" in text
    assert "10% of its exports" in text  # the re-routing assumption
    records = text[text.index('id="records"') : text.index('id="shortfall"')]
    rec = graphite.records
    jpn = rec[(rec["member"] == "JPN") & (rec["mineral"] == "graphite")].iloc[0]
    assert f"{float(jpn['lost_t']):,.0f}" in records  # 51,391 t
    assert f"{float(jpn['shortfall_t']):,.0f}" in records


def test_cli_writes_the_report(store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    result = CliRunner().invoke(
        app,
        ["scenario", "run", "cn-graphite-2023", "--store", str(store_path), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert (out / REPORT_NAME).is_file()
    assert str(out / REPORT_NAME) in result.stderr.replace("\n", "")
    bare = CliRunner().invoke(
        app, ["scenario", "run", "cn-graphite-2023", "--store", str(store_path)]
    )
    assert bare.exit_code == 0
    assert "report written" not in bare.stderr


@needs_chromium
def test_scenario_report_renders_offline_in_chromium(report: Path) -> None:
    ready = "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4"
    with open_offline(report, ready, "scenario-report.png") as page:
        bars = page.locator("#fig-shortfall g.point").count()
        recovery = page.locator("#fig-recovery g.point").count()
        table = page.locator("#records table").first.inner_text()
    assert bars >= 3  # at least one bar per losing member (EU27, JPN, USA)
    assert recovery >= 1
    assert "JPN" in table
