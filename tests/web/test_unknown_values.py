"""Unknown is not zero on the dashboard (headless Debian Chromium, a real server on loopback).

The Overview's table writes a share known only by its bounds as its range with its
reason on hover, and its chart draws it as a hatched range bar, a known zero as a
labelled "0%": the two never look alike. Money is written with the sign first by the
one formatter of ``common.js``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from web_helpers import CHROMIUM, DESKTOP, PHONE, cells, needs_chromium, serve, visit

pytestmark = needs_chromium


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


def record(base_url: str, mineral: str, stage: str) -> dict[str, Any]:
    response = httpx.get(f"{base_url}/api/v1/assessment", timeout=120)
    assert response.status_code == 200
    found: dict[str, Any] = next(
        r for r in response.json()["records"] if (r["mineral"], r["stage"]) == (mineral, stage)
    )
    return found


def row_of(page: Page, mineral: str, stage: str) -> int:
    minerals = cells(page, "exposed", "mineral")
    stages = cells(page, "exposed", "stage")
    return next(
        i
        for i, (m, s) in enumerate(zip(minerals, stages, strict=True))
        if (m, s) == (mineral, stage)
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_overview_tells_an_unknown_share_from_a_zero(
    base_url: str, browser: Browser, viewport: dict[str, int]
) -> None:
    li = record(base_url, "lithium", "processing")
    mg = record(base_url, "magnesium_metal", "processing")
    assert li["zone_production_share"] is None
    assert mg["zone_production_share"] == 0.0
    shot = f"overview-unknown-{viewport['width']}.png"
    with visit(browser, base_url + "/", viewport=viewport, screenshot=shot) as v:
        page = v.page
        page.locator("details:has(#exposed-table) > summary").click()
        zone = page.locator("#exposed tbody td[data-key='zone_production_share']")
        i, j = row_of(page, "lithium", "processing"), row_of(page, "magnesium_metal", "processing")
        # the table: the range and its reason; the known zero as zero
        low, high = li["zone_production_share_min"], li["zone_production_share_max"]
        assert zone.nth(i).inner_text() == f"{100 * low:.1f}–{100 * high:.1f}%" == "0.0–2.1%"
        assert zone.nth(i).get_attribute("title") == li["zone_production_share_note"]
        assert zone.nth(i).get_attribute("data-value") == ""
        assert zone.nth(j).inner_text() == "0.0%"
        # the chart: a hatched range bar for lithium chemicals, a "0%" label for magnesium
        traces = page.locator("#exposed-plot").evaluate(
            "gd => gd.data.map(t => ({name: t.name, y: t.y, x: t.x, base: t.base || null,"
            " text: t.text || null, pattern: (t.marker.pattern || {}).shape || null}))"
        )
        by_name = {t["name"]: t for t in traces}
        assert set(by_name) >= {"China", "Zone", "Zone: range (bounds only)"}
        labels = by_name["Zone"]["y"]
        n = len(labels)
        li_at, mg_at = n - 1 - i, n - 1 - j  # the chart lists the top row last
        ranged = by_name["Zone: range (bounds only)"]
        assert ranged["pattern"] == "/"
        assert ranged["base"][li_at] == low
        assert ranged["x"][li_at] == pytest.approx(high - low, rel=1e-12)
        assert by_name["Zone"]["x"][li_at] is None
        assert by_name["Zone"]["x"][mg_at] == 0
        assert by_name["Zone"]["text"][mg_at] == "0%"
        assert ranged["x"][mg_at] is None
        # what is drawn: the zero's label on screen, the range's bar wider than nothing
        drawn = page.locator("#exposed-plot").evaluate(
            """gd => [...gd.querySelectorAll(".trace.bars")].map((t) => ({
                 name: t.__data__[0].trace.name,
                 texts: [...t.querySelectorAll(".point text")].map((e) => e.textContent),
                 widths: [...t.querySelectorAll(".point path")].map(
                   (p) => p.getBoundingClientRect().width)}))"""
        )
        seen = {t["name"]: t for t in drawn}
        assert "0%" in seen["Zone"]["texts"]
        assert max(seen["Zone: range (bounds only)"]["widths"]) > 0
        caption = page.locator("#exposed-chart .caption").inner_text()
        assert "Hatched" in caption


def test_the_mineral_page_shows_the_range_and_its_reason(base_url: str, browser: Browser) -> None:
    li = record(base_url, "lithium", "processing")
    url = base_url + "/mineral?m=lithium"
    with visit(browser, url, viewport=DESKTOP, screenshot="mineral-unknown.png") as v:
        page = v.page
        stages = cells(page, "summary-table", "stage")
        zone = page.locator("#summary-table tbody td[data-key='zone_production_share']")
        cell = zone.nth(stages.index("processing"))
        assert cell.inner_text() == "0.0–2.1%"
        assert cell.get_attribute("title") == li["zone_production_share_note"]


def test_the_dashboard_writes_money_with_the_sign_first(base_url: str, browser: Browser) -> None:
    with visit(browser, base_url + "/", viewport=DESKTOP, screenshot="overview-money.png") as v:
        texts = v.page.evaluate(
            """async () => {
                 const src = document.querySelector("script[type=module]").src;
                 const c = await import(src.replace(/[^/]*$/, "common.js"));
                 return [-77.5e6, 77670300, 0, -0.4, NaN, null, 1.5e15, 2.1e9, -5400, Infinity]
                   .map((v) => c.usd(v));
               }"""
        )
    assert texts == [
        "-US$77.5 m",
        "US$77.7 m",
        "US$0",
        "US$0",
        "—",
        "—",
        "US$1,500,000.0 bn",
        "US$2.1 bn",
        "-US$5,400",
        "—",
    ]
