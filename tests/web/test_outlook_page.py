"""The Outlook page in headless Debian Chromium: the API's figures, bands, resize, downloads.

A real server on loopback over the session store; every visit asserts no console error
and no request to another origin (:func:`web_helpers.visit`). The gaps, table rows and
chart bands the page shows are checked against ``GET /api/v1/outlook`` (the CLI's
figures, tests/api/test_api_outlook.py), the scenario boxes against the traces drawn,
the chart's height across a window resize, the CSV and PNG downloads, and the phone
width.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from web_helpers import (
    CHROMIUM,
    DESKTOP,
    PHONE,
    box_within,
    cells,
    needs_chromium,
    number,
    png_by_keyboard,
    png_size,
    serve,
    visit,
)

pytestmark = needs_chromium

#: The band chart's height (outlook.js HEIGHTS.band), kept whatever the width.
BAND_PX = 440
ORDER = ("STEPS", "APS", "NZE")


@pytest.fixture(scope="module")
def base_url(store_path: Path) -> Iterator[str]:
    with serve(store_path) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def outlook(base_url: str) -> dict[str, Any]:
    response = httpx.get(f"{base_url}/api/v1/outlook", timeout=120)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def of(payload: dict[str, Any], mineral: str, stage: str) -> list[dict[str, Any]]:
    """The API's rows of one mineral × stage, in the page's order (scenario, year)."""
    rows = [r for r in payload["rows"] if r["mineral"] == mineral and r["stage"] == stage]
    return sorted(rows, key=lambda r: (ORDER.index(r["scenario"]), r["year"]))


def ends(row: dict[str, Any], point: str, low: str, high: str) -> list[float | None]:
    """The interval the page shows: the point twice where known, else the two ends."""
    if row[point] is not None:
        return [row[point], row[point]]
    return [row[low], row[high]]


def wait_ready(page: Page) -> None:
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=120_000)


def traces(page: Page, plot: str) -> dict[str, dict[str, Any]]:
    """The drawn traces of ``plot`` by name: their x and y."""
    found: list[dict[str, Any]] = page.locator(f"#{plot}").evaluate(
        "gd => gd.data.map(t => ({name: t.name, x: t.x, y: t.y}))"
    )
    return {t["name"]: t for t in found}


def plot_size(page: Page, plot: str) -> list[float]:
    size: list[float] = page.locator(f"#{plot}").evaluate(
        "gd => [gd._fullLayout.width, gd._fullLayout.height, gd.getBoundingClientRect().height]"
    )
    return size


def test_the_outlook_page_shows_the_api_figures(
    base_url: str, browser: Browser, outlook: dict[str, Any]
) -> None:
    mineral, stage = "lithium", "processing"
    rows = of(outlook, mineral, stage)
    assert len(rows) == len(ORDER) * len(outlook["years"])
    url = f"{base_url}/outlook?m={mineral}&stage={stage}&year=2030"
    with visit(browser, url, viewport=DESKTOP, screenshot="outlook-1280.png") as v:
        page = v.page
        assert page.locator("nav a[aria-current=page]").inner_text() == "Outlook"
        assert page.locator("#mineral-select").input_value() == mineral
        assert page.locator("#year-select").input_value() == "2030"
        # the cards: each scenario's gap in 2030, as the API's interval
        shown = json.loads(page.evaluate("document.body.dataset.gaps"))
        for scenario in ORDER:
            (row,) = [r for r in rows if r["scenario"] == scenario and r["year"] == 2030]
            assert shown[scenario] == ends(row, "gap_t", "gap_min_t", "gap_max_t"), scenario
        # the gap table: one row per scenario × year, the API's figures
        assert cells(page, "outlook-gaps", "scenario") == [r["scenario"] for r in rows]
        assert [number(c) for c in cells(page, "outlook-gaps", "world_demand_t")] == [
            r["world_demand_t"] for r in rows
        ]
        # a gap the balance bounds without fixing it is shown as its range
        first = rows[0]
        assert first["gap_t"] is None
        gap_text = page.locator("#outlook-gaps tbody td[data-key='gap_t']").first.inner_text()
        assert gap_text == f"{first['gap_min_t']:,.0f}–{first['gap_max_t']:,.0f} t"
        # every mineral × stage in the chosen year, once
        pairs = {(r["mineral"], r["stage"]) for r in outlook["rows"]}
        assert page.locator("#outlook-all tbody tr").count() == len(pairs)

        # the band chart: each scenario's demand band is the API's low and high ends
        assert page.locator("#band-plot[data-drawn='1']").count() == 1
        drawn = traces(page, "band-plot")
        for scenario in ORDER:
            part = [r for r in rows if r["scenario"] == scenario]
            high = drawn[f"zone demand, {scenario}"]
            known = [
                (r["year"], ends(r, "zone_demand_t", "zone_demand_min_t", "zone_demand_max_t")[1])
                for r in part
            ]
            expected = [(y, v) for y, v in known if v is not None]
            assert list(zip(high["x"], high["y"], strict=True)) == expected, scenario
        # China's share of world supply: the API's, per year
        rival = outlook["rival_key"]
        assert rival == "china_world_supply_share"
        if any(r[rival] is not None for r in rows):
            steps = traces(page, "rival-plot")["STEPS"]
            assert steps["y"] == [
                r[rival] for r in rows if r["scenario"] == "STEPS" and r[rival] is not None
            ]

        # unticking NZE drops its band and card (no new request: the page holds the rows)
        page.evaluate("() => { delete document.body.dataset.ready; }")
        page.locator("#scenario-boxes input[value=NZE]").uncheck()
        wait_ready(page)
        assert not any("NZE" in name for name in traces(page, "band-plot"))
        assert page.locator("#card-gap-NZE").count() == 0
        assert "NZE" not in cells(page, "outlook-gaps", "scenario")

        # the chart keeps its height through a resize 1280 → 1000 → 1280
        before = plot_size(page, "band-plot")
        assert before[1] == BAND_PX
        page.set_viewport_size({"width": 1000, "height": 800})
        page.wait_for_function(
            "w => document.getElementById('band-plot')._fullLayout.width < w", arg=before[0]
        )
        assert plot_size(page, "band-plot")[1:] == before[1:]
        page.set_viewport_size(DESKTOP)
        page.wait_for_function(
            "w => document.getElementById('band-plot')._fullLayout.width === w", arg=before[0]
        )
        assert plot_size(page, "band-plot") == before

        # the chart's data as CSV (the rows shown), the chart as PNG (keyboard)
        with page.expect_download() as download:
            page.locator("#band-chart button.csv").click()
        assert download.value.suggested_filename == f"outlook-{mineral}-{stage}.csv"
        text = Path(download.value.path()).read_text(encoding="utf-8")
        got = list(csv.DictReader(io.StringIO(text)))
        kept = [r for r in rows if r["scenario"] != "NZE"]
        assert [(g["scenario"], int(g["year"])) for g in got] == [
            (r["scenario"], r["year"]) for r in kept
        ]
        assert [float(g["world_demand_t"]) for g in got] == [r["world_demand_t"] for r in kept]
        name, data = png_by_keyboard(page, "band-chart")
        assert name == f"outlook-{mineral}-{stage}.png"
        size = page.locator("#band-plot").evaluate(
            "gd => [gd._fullLayout.width, gd._fullLayout.height]"
        )
        assert png_size(data) == (2 * size[0], 2 * size[1])
        # the methods and sources are stated
        methods = page.locator("#methods").inner_text()
        assert "IEA Critical Minerals Data Explorer" in methods
        assert "apparent consumption" in methods
        assert all(n in methods for n in outlook["notes"])


def test_a_pipeline_adds_its_capacity(base_url: str, browser: Browser) -> None:
    response = httpx.get(
        f"{base_url}/api/v1/outlook", params={"pipeline": "example-illustrative"}, timeout=120
    )
    assert response.status_code == 200, response.text
    piped = response.json()
    used = [r for r in piped["rows"] if (r["pipeline_t"] or 0) > 0]
    assert used  # the illustrative pipeline adds to some mineral × stage
    mineral, stage = used[-1]["mineral"], used[-1]["stage"]
    rows = of(piped, mineral, stage)
    url = f"{base_url}/outlook?m={mineral}&stage={stage}&pipeline=example-illustrative"
    with visit(browser, url, viewport=DESKTOP, screenshot="outlook-pipeline-1280.png") as v:
        page = v.page
        assert page.locator("#pipeline-select").input_value() == "example-illustrative"
        assert [number(c) for c in cells(page, "outlook-gaps", "pipeline_t")] == [
            r["pipeline_t"] for r in rows
        ]
        assert "with the pipeline example-illustrative" in page.locator("#status").inner_text()
        assert any(name.startswith("zone supply + pipeline") for name in traces(page, "band-plot"))


def test_the_outlook_page_at_phone_width(base_url: str, browser: Browser) -> None:
    width = PHONE["width"]
    with visit(browser, base_url + "/outlook", viewport=PHONE, screenshot="outlook-390.png") as v:
        page = v.page
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        for plot in ("band-plot", "rival-plot"):
            assert page.locator(f"#{plot}[data-drawn='1']").count() == 1, plot
            box_within(page, f"#{plot}", width)
            assert box_within(page, f"#{plot} .main-svg", width)["height"] > 100
        for control in ("#mineral-select", "#stage-select", "#year-select", "#pipeline-select"):
            box_within(page, control, width)
        for shown in ("#outlook-cards", "#outlook-gaps", "#outlook-all"):
            box_within(page, shown, width)
