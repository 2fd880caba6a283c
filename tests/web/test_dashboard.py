"""The dashboard end to end: a real server on loopback, headless Debian Chromium, every page.

Each page is loaded at 1280×800 and at phone width (390×844) and screenshotted to
test-artifacts/dashboard/; every visit asserts no console error and no request to
another origin. The figures shown are checked against the API's and the CLI's for
the same query, and the gallium scenario is run from the Scenarios page.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright
from web_helpers import (
    CHROMIUM,
    DESKTOP,
    PHONE,
    cells,
    cli_json,
    needs_chromium,
    number,
    serve,
    visit,
)

pytestmark = needs_chromium

GALLIUM = "cn-gallium-germanium-2023"
PAGES = ["/", "/mineral?m=graphite", "/member?id=USA", "/scenarios"]


@pytest.fixture(scope="module")
def base_url(store_path: Path) -> Iterator[str]:
    """The dashboard served by uvicorn on a free loopback port."""
    with serve(store_path) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, no network beyond loopback needed."""
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


def api(base_url: str, path: str) -> Any:
    response = httpx.get(f"{base_url}/api/v1{path}", timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def ranked(records: list[dict[str, Any]], minerals: list[dict[str, Any]]) -> list[Any]:
    """The Overview's ranking: critical minerals by China's share, then HHI, missing last."""
    critical = {m["mineral"] for m in minerals if m["usgs_critical_2022"]}

    def key(value: float | None) -> float:
        return -math.inf if value is None else value

    rows = [r for r in records if r["mineral"] in critical]
    return sorted(rows, key=lambda r: (-key(r["china_share"]), -key(r["hhi"])))


def test_overview_shows_the_api_figures(base_url: str, browser: Browser, store_path: Path) -> None:
    assessment = api(base_url, "/assessment")
    minerals = api(base_url, "/minerals")
    top = ranked(assessment["records"], minerals)[:15]
    with visit(browser, base_url + "/", viewport=DESKTOP, screenshot="overview-1280.png") as v:
        page = v.page
        # keyboard: the skip link comes first and leads to the content; the nav has real links
        page.keyboard.press("Tab")
        assert page.locator(":focus").inner_text() == "Skip to content"
        page.keyboard.press("Enter")
        assert page.url.endswith("#main")
        assert page.locator("nav a").all_inner_texts() == [
            "Overview",
            "Mineral",
            "Member",
            "Scenarios",
        ]
        assert page.locator("nav a[aria-current='page']").inner_text() == "Overview"
        assert cells(page, "exposed", "mineral") == [r["mineral"] for r in top]
        assert cells(page, "exposed", "stage") == [r["stage"] for r in top]
        assert [number(c) for c in cells(page, "exposed", "china_share")] == [
            r["china_share"] for r in top
        ]
        assert [number(c) for c in cells(page, "exposed", "zone_production_share")] == [
            r["zone_production_share"] for r in top
        ]
        majority = [
            r for r in ranked(assessment["records"], minerals) if (r["china_share"] or 0) > 0.5
        ]
        assert page.locator("#card-majority .value").inner_text() == str(len(majority))
        # the top row is gallium processing: the CLI's concentration table gives the same share
        first = top[0]
        cli = cli_json(
            "metrics",
            "concentration",
            "--mineral",
            first["mineral"],
            "--stage",
            first["stage"],
            "--store",
            str(store_path),
        )
        china = next(r for r in cli if r["country"] == "CHN")
        assert china["share"] == first["china_share"]
        assert page.locator("#card-top .value").inner_text() == f"{100 * china['share']:.0f}%"
        # the map is drawn from the bundled geometry
        assert page.locator("#world-map .choroplethlocation").count() > 150
        # the chart's data downloads as CSV, the chart itself as PNG (Plotly's modebar)
        with page.expect_download() as csv_download:
            page.locator("#exposed-chart button.csv").click()
        header = Path(csv_download.value.path()).read_text(encoding="utf-8").splitlines()
        assert header[0].startswith("mineral,stage,product,year,source,china_share")
        assert len(header) == 16
        page.locator("#exposed-plot").hover()
        with page.expect_download() as png_download:
            page.locator("#exposed-plot .modebar-btn[data-title='Download plot as a PNG']").click()
        assert Path(png_download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # no button sends the chart anywhere (Plotly Cloud)
        assert page.locator(".modebar-btn[data-title='Share chart...']").count() == 0


def test_mineral_page_equals_the_api_and_the_cli(
    base_url: str, browser: Browser, store_path: Path
) -> None:
    detail = api(base_url, "/minerals/graphite")
    trade = api(base_url, "/minerals/graphite/trade")
    url = base_url + "/mineral?m=graphite"
    with visit(browser, url, viewport=DESKTOP, screenshot="mineral-1280.png") as v:
        page = v.page
        assert page.locator("h1").inner_text() == detail["name"]
        shown = dict(
            zip(
                cells(page, "summary-table", "stage"),
                [number(c) for c in cells(page, "summary-table", "china_share")],
                strict=True,
            )
        )
        assert shown == {r["stage"]: r["china_share"] for r in detail["summary"]}
        cli = cli_json(
            "metrics",
            "concentration",
            "--mineral",
            "graphite",
            "--stage",
            "mining",
            "--store",
            str(store_path),
        )
        assert shown["mining"] == next(r["share"] for r in cli if r["country"] == "CHN")
        # one production chart per stage, the reserves, both trends and the Sankey
        for chart_id in (
            "production-mining",
            "production-processing",
            "reserves-chart",
            "trend-production-chart",
            "trend-imports-chart",
            "trade-sankey",
        ):
            assert page.locator(f"#{chart_id}[data-drawn='1']").count() == 1, chart_id
        assert page.locator("#trade-year").input_value() == str(trade["year"])
        # every source is named: the citations list each dataset used
        assert set(cells(page, "citations", "source")) == {c["source"] for c in detail["citations"]}
        assert "USGS MCS (MCS2024)" in page.locator("#production").inner_text()


def test_member_page_equals_the_api_and_the_cli(
    base_url: str, browser: Browser, store_path: Path
) -> None:
    profile = api(base_url, "/members/USA")
    url = base_url + "/member?id=USA"
    with visit(browser, url, viewport=DESKTOP, screenshot="member-1280.png") as v:
        page = v.page
        minerals = cells(page, "profile-table", "mineral")
        stages = cells(page, "profile-table", "stage")
        years = [int(y) for y in cells(page, "profile-table", "year")]
        china = [number(c) for c in cells(page, "profile-table", "china_import_share")]
        by_key = {(r["mineral"], r["stage"], r["year"]): r for r in profile["rows"]}
        for mineral, stage, year, share in zip(minerals, stages, years, china, strict=True):
            assert by_key[(mineral, stage, year)]["china_import_share"] == share
        # the latest year with trade for every mineral and stage the member imports
        assert set(zip(minerals, stages, strict=True)) == {
            (r["mineral"], r["stage"])
            for r in profile["rows"]
            if r["imports_value_usd"] is not None
        }
        cli = cli_json(
            "metrics",
            "dependence",
            "--member",
            "USA",
            "--mineral",
            "graphite",
            "--store",
            str(store_path),
        )
        row = minerals.index("graphite")
        expected = next(r for r in cli if r["year"] == years[row] and r["stage"] == stages[row])
        assert china[row] == pytest.approx(expected["china_import_share_value"], rel=1e-9)


def test_scenarios_page_runs_the_gallium_scenario(
    base_url: str, browser: Browser, store_path: Path
) -> None:
    url = base_url + "/scenarios"
    with visit(
        browser,
        url,
        viewport=DESKTOP,
        screenshot="scenarios-1280.png",
        allow=("the server responded with a status of 422",),
    ) as v:
        page = v.page
        assert page.locator("#scenario-select").input_value() == GALLIUM
        page.locator("#run").click()
        page.wait_for_selector("#result-records", timeout=120_000)
        page.wait_for_selector("body[data-ready='1']", state="attached")
        cli = cli_json("scenario", "run", GALLIUM, "--store", str(store_path))
        hit = sorted(
            (r for r in cli["records"] if r["lost_t"] > 0),
            key=lambda r: (r["mineral"], r["stage"], r["member"]),
        )
        assert cells(page, "result-records", "member") == [r["member"] for r in hit]
        assert cells(page, "result-records", "mineral") == [r["mineral"] for r in hit]
        for key in ("lost_t", "shortfall_t", "shortfall_share"):
            shown = [number(c) for c in cells(page, "result-records", key)]
            assert shown == pytest.approx([r[key] for r in hit], rel=1e-9), key
        assert page.locator("#scenario-result[data-drawn='1']").count() == 1
        # an edited scenario (half the cut) is run as edited
        page.locator("#shock-0-share").fill("50")
        page.locator("#run").click()
        page.wait_for_function(
            "() => document.querySelector('#result-line').textContent.includes('loses')"
        )
        page.wait_for_selector("body[data-ready='1']", state="attached")
        half = [number(c) for c in cells(page, "result-records", "lost_t")]
        assert half == pytest.approx([r["lost_t"] / 2 for r in hit], rel=1e-6)
        # a bad edit shows the API's message and the field at fault
        page.locator("#shock-0-share").fill("150")
        page.locator("#run").click()
        page.wait_for_selector("#status.error")
        assert "shocks.0.share" in page.locator("#status").inner_text()
        # a Monte Carlo of the (valid) scenario runs as a job with a progress bar
        page.locator("#shock-0-share").fill("100")
        page.locator("#mc-draws").fill("25")
        page.locator("#mc-run").click()
        page.wait_for_selector("#mc-table", timeout=120_000)
        assert page.locator("#mc-progress").evaluate("bar => bar.value") == 1
        assert "done: 25 draws" in page.locator("#mc-status").inner_text()
        assert page.locator("#mc-table tbody tr").count() > 0


@pytest.mark.parametrize("path", PAGES)
def test_every_page_works_at_phone_width(base_url: str, browser: Browser, path: str) -> None:
    name = path.strip("/").split("?")[0] or "overview"
    with visit(browser, base_url + path, viewport=PHONE, screenshot=f"{name}-390.png") as v:
        page = v.page
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        assert page.locator("nav a").count() == 4
