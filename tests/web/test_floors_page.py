"""The Price floors page and the Mineral page's price trend in headless Debian Chromium.

A real server on loopback over the session store; every visit asserts no console
error and no request to another origin (:func:`web_helpers.visit`). The levy the
page shows is checked against the API's for the same request, the slider against
a reference below every landed offer (zero levy), the chart's height across a
window resize, and the CSV and PNG downloads.
"""

from __future__ import annotations

import csv
import io
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
    png_by_keyboard,
    png_size,
    serve,
    visit,
)

from friendshore.data.queries import annual_prices

pytestmark = needs_chromium

#: Chart heights the page keeps whatever the width (floors.js HEIGHTS).
PRICE_CHART_PX = 380


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


def post(base_url: str, path: str, body: dict[str, Any]) -> Any:
    response = httpx.post(f"{base_url}/api/v1{path}", json=body, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def weighted_levy(levies: list[dict[str, Any]], year: int) -> float:
    """The page's levy card: the levy over non-member origins in ``year``, tonne-weighted."""
    rows = [r for r in levies if r["year"] == year and r["origin_group"] != "member"]
    tonnes = sum(max(r["import_t"] or 0.0, 0.0) for r in rows)
    return sum(r["levy_usd_per_t"] * max(r["import_t"] or 0.0, 0.0) for r in rows) / tonnes


def wait_ready(page: Page) -> None:
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=120_000)


def plot_size(page: Page, plot: str) -> list[float]:
    size: list[float] = page.locator(f"#{plot}").evaluate(
        "gd => [gd._fullLayout.width, gd._fullLayout.height, gd.getBoundingClientRect().height]"
    )
    return size


def slide_to(page: Page, value: str) -> None:
    page.evaluate("() => { delete document.body.dataset.ready; }")
    page.locator("#ref-slider").fill(value)
    wait_ready(page)


def test_the_floor_page_follows_the_slider(base_url: str, browser: Browser) -> None:
    with visit(
        browser, base_url + "/floors?ref=mp-ndpr", viewport=DESKTOP, screenshot="floors-1280.png"
    ) as v:
        page = v.page
        assert page.locator("nav a[aria-current=page]").inner_text() == "Price floors"
        api = post(
            base_url,
            "/floors/run",
            {
                "reference_id": "mp-ndpr",
                "mineral_id": "rare_earths",
                "stage": "processing",
                "product": "NdPr oxide",
                "mode": "uniform",
                "years": list(range(2015, 2025)),
                "cfd": False,
            },
        )
        last = api["market"][-1]["year"]
        expected = weighted_levy(api["levies"], last)
        shown = float(page.evaluate("document.body.dataset.levy"))
        assert shown == pytest.approx(expected, rel=1e-9)
        # US$110,000/t is shown per kg; the slider starts at the file's reference
        assert page.locator("#ref-slider").input_value() == "110"
        assert "US$110/kg" in page.locator("#ref-value").inner_text()
        assert page.locator("#card-levy .value").inner_text() == f"US${expected / 1000:,.1f}/kg"
        # the levy table: member × origin of the last year, members never levied
        groups = cells(page, "levies", "origin_group")
        levies = [float(x) for x in cells(page, "levies", "levy_usd_per_t")]
        assert groups
        assert all(lv == 0 for g, lv in zip(groups, levies, strict=True) if g == "member")
        assert max(levies) > 0
        revenue = page.locator("#card-revenue .value").inner_text()

        # a reference below every landed offer: no levy, no revenue
        slide_to(page, page.locator("#ref-slider").get_attribute("min") or "0")
        assert float(page.evaluate("document.body.dataset.levy")) == 0
        assert page.locator("#card-levy .value").inner_text() == "US$0/kg"
        assert page.locator("#card-revenue .value").inner_text() != revenue
        assert all(float(x) == 0 for x in cells(page, "levies", "levy_usd_per_t"))

        # a higher reference: a higher levy than the file's
        slide_to(page, "200")
        assert "US$200/kg" in page.locator("#ref-value").inner_text()
        assert float(page.evaluate("document.body.dataset.levy")) > expected

        # the CfD adds its fiscal cost
        page.evaluate("() => { delete document.body.dataset.ready; }")
        page.locator("#cfd-toggle").check()
        wait_ready(page)
        assert page.locator("#card-cfd .value").inner_text().startswith("US$")
        assert page.locator("#money-plot .trace.bars").count() == 3

        # every chart keeps its height through a resize 1280 → 1000 → 1280
        for plot in ("price-plot", "money-plot", "share-plot"):
            assert page.locator(f"#{plot}[data-drawn='1']").count() == 1, plot
        before = plot_size(page, "price-plot")
        assert before[1] == PRICE_CHART_PX
        page.set_viewport_size({"width": 1000, "height": 800})
        page.wait_for_function(
            "w => document.getElementById('price-plot')._fullLayout.width < w", arg=before[0]
        )
        narrow = plot_size(page, "price-plot")
        assert narrow[1:] == before[1:]
        page.set_viewport_size(DESKTOP)
        page.wait_for_function(
            "w => document.getElementById('price-plot')._fullLayout.width === w", arg=before[0]
        )
        assert plot_size(page, "price-plot") == before

        # the chart's data as CSV, the chart as PNG (keyboard)
        with page.expect_download() as download:
            page.locator("#price-chart button.csv").click()
        assert download.value.suggested_filename == "floor-mp-ndpr-rare_earths-processing.csv"
        rows = list(
            csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8")))
        )
        assert [int(r["year"]) for r in rows] == list(range(2015, 2025))
        assert all(
            float(r["reference_usd_per_t"]) == pytest.approx(200_000.0, rel=1e-12) for r in rows
        )
        name, data = png_by_keyboard(page, "price-chart")
        assert name == "floor-mp-ndpr-rare_earths-processing.png"
        size = page.locator("#price-plot").evaluate(
            "gd => [gd._fullLayout.width, gd._fullLayout.height]"
        )
        assert png_size(data) == (2 * size[0], 2 * size[1])
        # every levy row as CSV
        with page.expect_download() as download:
            page.locator("#levies-table button.csv").click()
        text = Path(download.value.path()).read_text(encoding="utf-8")
        assert text.splitlines()[0].startswith("member,mineral_id,stage,product,origin")


def test_the_floor_page_at_phone_width(base_url: str, browser: Browser) -> None:
    width = PHONE["width"]
    with visit(browser, base_url + "/floors", viewport=PHONE, screenshot="floors-390.png") as v:
        page = v.page
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        for plot in ("price-plot", "money-plot", "share-plot"):
            box_within(page, f"#{plot}", width)
        for control in ("#reference-select", "#mineral-select", "#ref-slider", "#mode-select"):
            box_within(page, control, width)
        box_within(page, "#floor-cards", width)


def test_the_mineral_page_shows_the_price_trend(
    base_url: str, browser: Browser, store_path: Path
) -> None:
    prices = annual_prices(store_path, mineral="cobalt")
    mass = prices[prices["usd_per_t"].notna()]
    with visit(
        browser, base_url + "/mineral?m=cobalt", viewport=DESKTOP, screenshot="mineral-prices.png"
    ) as v:
        page = v.page
        assert page.locator("#price-trend-chart[data-drawn='1']").count() == 1
        names = page.locator("#price-trend-chart").evaluate("gd => gd.data.length")
        assert names == mass["series"].nunique() > 0
        ys = page.locator("#price-trend-chart").evaluate("gd => gd.data.flatMap(t => t.y)")
        assert sorted(ys) == pytest.approx(sorted(mass["usd_per_t"].tolist()), rel=1e-12)
        units = page.locator("#price-trend-chart").evaluate(
            "gd => gd.data.flatMap(t => t.customdata.map(c => c[1]))"
        )
        assert set(units) == set(mass["unit"])
        caption = page.locator("#prices .caption").inner_text()
        assert "USGS MCS" in caption
        # the chart keeps its height through a resize
        before = plot_size(page, "price-trend-chart")
        page.set_viewport_size({"width": 1000, "height": 800})
        page.wait_for_function(
            "w => document.getElementById('price-trend-chart')._fullLayout.width < w",
            arg=before[0],
        )
        assert plot_size(page, "price-trend-chart")[1:] == before[1:]
    # a mineral with production but no published price
    minerals = httpx.get(f"{base_url}/api/v1/minerals", timeout=60).json()
    priced = set(annual_prices(store_path)["mineral_id"].dropna())
    bare = next(
        m["mineral"] for m in minerals if m["has_production"] and m["mineral"] not in priced
    )
    with visit(
        browser, base_url + f"/mineral?m={bare}", viewport=DESKTOP, screenshot="mineral-noprice.png"
    ) as v:
        assert v.page.locator("#no-price").inner_text() == "No published price for this mineral."
        assert v.page.locator("#price-trend-chart").count() == 0
