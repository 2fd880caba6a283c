"""The Stockpile page in headless Debian Chromium: a sizing job, its figures, resize, downloads.

A real server on loopback over the session store; every visit asserts no console error
and no request to another origin (:func:`web_helpers.visit`). The page's sizing (a job
with progress) is checked against the same request's result through the API (which
equals ``friendshore stockpile size --format json``, tests/api/test_api_stockpile.py):
the cards, the rows, the reference points and the frontier; the chart's height across a
window resize; the CSV and PNG downloads; and the phone width.
"""

from __future__ import annotations

import csv
import io
import time
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

#: The frontier chart's height (stockpile.js HEIGHTS.frontier), kept whatever the width.
FRONTIER_PX = 360
GALLIUM = "cn-gallium-germanium-2023"


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


def sized(base_url: str, body: dict[str, Any]) -> dict[str, Any]:
    """The result of a sizing job through the API."""
    response = httpx.post(f"{base_url}/api/v1/stockpile", json=body, timeout=60)
    assert response.status_code == 202, response.text
    job = response.json()
    for _ in range(2400):  # a hang guard, not a speed check
        job = httpx.get(f"{base_url}/api/v1/jobs/{job['id']}", timeout=60).json()
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.1)
    assert job["status"] == "done", job
    result: dict[str, Any] = job["result"]
    return result


def run(page: Page) -> None:
    page.evaluate("() => { delete document.body.dataset.ready; }")
    page.locator("#stockpile-run").click()
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=300_000)


def plot_size(page: Page, plot: str) -> list[float]:
    size: list[float] = page.locator(f"#{plot}").evaluate(
        "gd => [gd._fullLayout.width, gd._fullLayout.height, gd.getBoundingClientRect().height]"
    )
    return size


def test_the_stockpile_page_sizes_as_the_api(base_url: str, browser: Browser) -> None:
    body = {
        "budget_usd": 3e9,
        "reserve": "zone",
        "method": "newsvendor",
        "draws": 100,
        "seed": 7,
        "scenarios": [{"id": GALLIUM, "weight": 0.2}],
    }
    api = sized(base_url, body)
    with visit(
        browser, base_url + "/stockpile", viewport=DESKTOP, screenshot="stockpile-1280.png"
    ) as v:
        page = v.page
        assert page.locator("nav a[aria-current=page]").inner_text() == "Stockpile"
        assert page.locator("#stockpile-result").is_hidden()
        page.locator("#budget").fill("3")
        assert page.locator("#budget-slider").input_value() == "3"
        page.locator("#draws").fill("100")
        page.locator("#seed").fill("7")
        page.locator("#scenario-select").select_option(GALLIUM)
        page.locator("#scenario-weight").fill("20")
        run(page)
        assert page.locator("#stockpile-progress").evaluate("bar => bar.value") == 1
        assert "done: 101 of 101" in page.locator("#progress-line").inner_text()
        totals = api["totals"]
        assert float(page.evaluate("document.body.dataset.purchase")) == totals["purchase_cost_usd"]
        assert page.locator("#card-cost .value").inner_text() == "US$3.0 bn"
        # one row per mineral × stage, the API's tonnes and days of cover
        records = api["records"]
        assert cells(page, "stockpile-rows", "mineral") == [r["mineral"] for r in records]
        assert [number(c) for c in cells(page, "stockpile-rows", "tonnes")] == [
            r["tonnes"] for r in records
        ]
        assert [number(c) for c in cells(page, "stockpile-rows", "days_of_cover")] == [
            r["days_of_cover"] for r in records
        ]
        # reference points: JOGMEC's 60 days, then the DoD's antimony and cobalt plans
        refs = cells(page, "stockpile-references", "reference")
        assert refs == ["JOGMEC: 60 days of consumption", "US DoD antimony", "US DoD cobalt"]
        tonnes = [number(c) for c in cells(page, "stockpile-references", "tonnes")]
        assert tonnes[1:] == [r["tonnes"] for r in api["references"]]
        assert tonnes[0] == pytest.approx(sum(r["jogmec_60d_t"] or 0 for r in records))
        # the frontier: the API's budgets and expected costs
        assert [number(c) for c in cells(page, "stockpile-frontier", "budget_usd")] == [
            f["budget_usd"] for f in api["frontier"]
        ]
        line = page.locator("#frontier-plot").evaluate("gd => gd.data[0].y")
        assert line == pytest.approx([f["expected_cost_usd_yr"] / 1e6 for f in api["frontier"]])
        assert "60 days" in page.locator("#methods").inner_text()

        # the frontier chart keeps its height through a resize 1280 → 1000 → 1280
        before = plot_size(page, "frontier-plot")
        assert before[1] == FRONTIER_PX
        page.set_viewport_size({"width": 1000, "height": 800})
        page.wait_for_function(
            "w => document.getElementById('frontier-plot')._fullLayout.width < w", arg=before[0]
        )
        assert plot_size(page, "frontier-plot")[1:] == before[1:]
        page.set_viewport_size(DESKTOP)
        page.wait_for_function(
            "w => document.getElementById('frontier-plot')._fullLayout.width === w",
            arg=before[0],
        )
        assert plot_size(page, "frontier-plot") == before

        # every row as CSV, the frontier as PNG (keyboard)
        with page.expect_download() as download:
            page.locator("#stock-table button.csv").click()
        assert download.value.suggested_filename == "stockpile.csv"
        rows = list(
            csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8")))
        )
        assert [r["mineral"] for r in rows] == [r["mineral"] for r in records]
        name, data = png_by_keyboard(page, "frontier-chart")
        assert name == "stockpile-frontier.png"
        size = page.locator("#frontier-plot").evaluate(
            "gd => [gd._fullLayout.width, gd._fullLayout.height]"
        )
        assert png_size(data) == (2 * size[0], 2 * size[1])


def test_a_bad_input_is_shown_with_its_field(base_url: str, browser: Browser) -> None:
    with visit(
        browser,
        base_url + "/stockpile",
        viewport=DESKTOP,
        screenshot="stockpile-error.png",
        allow=("422",),
    ) as v:
        page = v.page
        page.locator("#draws").fill("5000")
        page.locator("#stockpile-run").click()
        page.wait_for_selector("body[data-ready='error']", state="attached", timeout=60_000)
        text = page.locator("#status").inner_text()
        assert "less than or equal to 2000" in text
        assert "field: draws" in text


def test_the_stockpile_page_at_phone_width(base_url: str, browser: Browser) -> None:
    width = PHONE["width"]
    with visit(
        browser, base_url + "/stockpile", viewport=PHONE, screenshot="stockpile-390.png"
    ) as v:
        page = v.page
        page.locator("#draws").fill("50")
        run(page)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        for plot in ("cost-plot", "frontier-plot"):
            assert page.locator(f"#{plot}[data-drawn='1']").count() == 1, plot
            box_within(page, f"#{plot}", width)
            assert box_within(page, f"#{plot} .main-svg", width)["height"] > 100
        for control in ("#budget", "#budget-slider", "#reserve", "#method", "#draws"):
            box_within(page, control, width)
        for shown in ("#stockpile-cards", "#stockpile-rows", "#stockpile-references"):
            box_within(page, shown, width)
