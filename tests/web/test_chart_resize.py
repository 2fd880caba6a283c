"""Dashboard charts in headless Chromium: sizes that survive a resize, layouts that do not collide.

A real server on loopback over the session store; every visit asserts no console
error and no request to another origin (:func:`web_helpers.visit`) and saves a
screenshot. Checked here:

- every chart of Overview, Mineral and Member keeps its height through a window
  resize (1280 → 1000 → 1280) and a phone rotation (390×844 → 844×390 → 390×844),
  instead of collapsing to the 120 px strip of the box's min-height;
- the Scenarios result chart's title and legend do not intersect, at 1280×800 and
  390×844, and its category labels do not collide;
- the Investment page draws the capex and jobs bars side by side, not one behind
  the other;
- the Mineral page says "USGS publishes no reserves for this mineral" for the
  by-product minerals whose reserves USGS does not publish, instead of empty axes;
- the Member heat map writes each value in its cell, on hover and in a table,
  on a scale where little or no dependence is pale.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from web_helpers import CHROMIUM, DESKTOP, PHONE, cells, needs_chromium, number, serve, visit

pytestmark = needs_chromium

#: Pages whose every chart must keep its height.
CHART_PAGES = {
    "/": "overview",
    "/mineral?m=graphite": "mineral",
    "/member?id=USA": "member",
}
#: The least height (px) of a chart on those pages (a collapsed chart is 120 px).
MIN_CHART_PX = 250
#: Minerals the issue found drawn as empty Reserves axes (USGS lists countries, no figure).
NAMED_IN_THE_ISSUE = ("gallium", "germanium", "indium", "bismuth", "silicon", "arsenic")
GALLIUM = "cn-gallium-germanium-2023"
EXAMPLE = "example-illustrative"


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


def api(base_url: str, path: str) -> Any:
    response = httpx.get(f"{base_url}/api/v1{path}", timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def chart_sizes(page: Page) -> dict[str, list[float]]:
    """Every drawn chart's id → [plotly's width, plotly's height, the box's height on screen]."""
    sizes: dict[str, list[float]] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll(".figure[data-drawn='1']")]
             .map((gd) => [gd.id, [gd._fullLayout.width, gd._fullLayout.height,
                                   gd.getBoundingClientRect().height]]))"""
    )
    return sizes


def resize(page: Page, viewport: dict[str, int], widths: dict[str, float], change: str) -> None:
    """Set the viewport; wait until plotly has redrawn every chart ``change`` ('<', '>', '===')
    than its width in ``widths`` (chart id → px)."""
    page.set_viewport_size(viewport)
    page.wait_for_function(
        "([widths, change]) => Object.entries(widths).every(([id, w]) => {"
        " const now = document.getElementById(id)._fullLayout.width;"
        " return change === '<' ? now < w : change === '>' ? now > w : now === w; })",
        arg=[widths, change],
    )


def widths(sizes: dict[str, list[float]]) -> dict[str, float]:
    return {plot: size[0] for plot, size in sizes.items()}


def assert_heights_kept(
    before: dict[str, list[float]], after: dict[str, list[float]], least: float
) -> None:
    assert before.keys() == after.keys()
    for plot, size in before.items():
        assert size[1] > least, (plot, size)
        assert size[2] > least, (plot, size)
        assert after[plot][1:] == size[1:], (plot, size, after[plot])


@pytest.mark.parametrize("path", CHART_PAGES)
def test_charts_keep_their_height_through_a_window_resize(
    base_url: str, browser: Browser, path: str
) -> None:
    name = CHART_PAGES[path]
    with visit(browser, base_url + path, viewport=DESKTOP, screenshot=f"{name}-resized.png") as v:
        page = v.page
        before = chart_sizes(page)
        assert len(before) >= {"overview": 2, "mineral": 6, "member": 2}[name]
        resize(page, {"width": 1000, "height": 800}, widths(before), "<")
        assert_heights_kept(before, chart_sizes(page), MIN_CHART_PX)
        resize(page, DESKTOP, widths(before), "===")
        assert_heights_kept(before, chart_sizes(page), MIN_CHART_PX)


@pytest.mark.parametrize("path", CHART_PAGES)
def test_charts_keep_their_height_through_a_phone_rotation(
    base_url: str, browser: Browser, path: str
) -> None:
    name = CHART_PAGES[path]
    landscape = {"width": PHONE["height"], "height": PHONE["width"]}
    with visit(browser, base_url + path, viewport=PHONE, screenshot=f"{name}-rotated.png") as v:
        page = v.page
        before = chart_sizes(page)
        assert before
        resize(page, landscape, widths(before), ">")
        assert_heights_kept(before, chart_sizes(page), MIN_CHART_PX)
        resize(page, PHONE, widths(before), "===")
        assert_heights_kept(before, chart_sizes(page), MIN_CHART_PX)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def boxes(page: Page, selector: str) -> list[dict[str, float]]:
    """Bounding boxes (x, y, width, height) of every element matching ``selector``."""
    found: list[dict[str, float]] = page.locator(selector).evaluate_all(
        "els => els.map((e) => { const r = e.getBoundingClientRect();"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; })"
    )
    return found


def intersect(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def assert_apart(found: list[dict[str, float]], what: str) -> None:
    """No two of ``found`` overlap (each pair checked)."""
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            assert not intersect(a, b), (what, a, b)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_the_scenario_chart_title_legend_and_labels_do_not_collide(
    base_url: str, browser: Browser, viewport: dict[str, int]
) -> None:
    shot = f"scenarios-result-{viewport['width']}.png"
    with visit(browser, base_url + "/scenarios", viewport=viewport, screenshot=shot) as v:
        page = v.page
        assert page.locator("#scenario-select").input_value() == GALLIUM
        page.locator("#run").click()
        page.wait_for_selector("#scenario-result[data-drawn='1']", timeout=120_000)
        page.wait_for_selector("body[data-ready='1']", state="attached")
        page.locator("#scenario-result").scroll_into_view_if_needed()
        (title,) = boxes(page, "#scenario-result .gtitle")
        (legend,) = boxes(page, "#scenario-result .legend")
        assert title["width"] > 0
        assert legend["width"] > 0
        assert not intersect(title, legend), (title, legend)
        # one category label per row of the table, along the y axis, never overlapping
        labels = boxes(page, "#scenario-result .ytick text")
        hit = len(cells(page, "result-records", "member"))
        assert len(labels) == hit > 1
        assert_apart(labels, "ytick")
        for label in labels:  # and none under the legend or the title
            assert not intersect(label, legend), (label, legend)
            assert not intersect(label, title), (label, title)
        plot = boxes(page, "#scenario-result")[0]
        assert plot["x"] >= 0
        assert plot["x"] + plot["width"] <= viewport["width"]


def test_the_investment_chart_shows_capex_beside_jobs(base_url: str, browser: Browser) -> None:
    with visit(browser, base_url + "/invest", viewport=DESKTOP, screenshot="invest-bars.png") as v:
        page = v.page
        page.locator("#budget").fill("2000")
        page.locator("#optimize").click()
        page.wait_for_selector("#invest-members-plot[data-drawn='1']", timeout=120_000)
        page.wait_for_selector("body[data-ready='1']", state="attached")
        members = cells(page, "invest-members", "member")
        bars: dict[str, list[dict[str, float]]] = page.locator("#invest-members-plot").evaluate(
            """gd => Object.fromEntries([...gd.querySelectorAll(".trace.bars")].map((t) => [
                 t.__data__[0].trace.name,
                 [...t.querySelectorAll(".point path")].map((p) => {
                   const r = p.getBoundingClientRect();
                   return {x: r.x, y: r.y, width: r.width, height: r.height}; })]))"""
        )
        assert list(bars) == ["capex (US$ million)", "operating jobs"]
        capex, jobs = bars["capex (US$ million)"], bars["operating jobs"]
        assert len(capex) == len(jobs) == len(members) > 1
        for a, b in zip(capex, jobs, strict=True):
            assert a["width"] > 0
            assert b["width"] > 0
            # side by side: the capex bar ends where the jobs bar of its member begins
            assert a["x"] + a["width"] <= b["x"] + 0.5, (a, b)
            assert not intersect(a, b)


def test_the_mineral_page_says_when_usgs_publishes_no_reserves(
    base_url: str, browser: Browser
) -> None:
    with visit(
        browser,
        base_url + "/mineral?m=graphite",
        viewport=DESKTOP,
        screenshot="mineral-no-reserves.png",
    ) as v:
        page = v.page
        assert page.locator("#reserves-chart[data-drawn='1']").count() == 1
        bare = []
        for mineral in NAMED_IN_THE_ISSUE:
            detail = api(base_url, f"/minerals/{mineral}")
            # USGS lists countries for these minerals' reserves, mostly without a figure
            assert detail["reserves"]
            published = [r for r in detail["reserves"] if r["quantity_t"] is not None]
            page.evaluate("() => { delete document.body.dataset.ready; }")
            page.locator("#mineral-select").select_option(mineral)
            page.wait_for_selector("body[data-ready='1']", state="attached", timeout=120_000)
            assert page.locator("h1").inner_text() == detail["name"]
            if published:  # indium: MCS2025 publishes 2024 reserves (MCS2023 did not)
                year = max(r["year"] for r in published)
                assert page.locator("#reserves-chart[data-drawn='1']").count() == 1
                assert f"largest reserves, {year} (t)" in page.locator("#reserves-chart").evaluate(
                    "gd => gd.layout.title.text"
                )
                assert page.locator("#no-reserves").count() == 0
                continue
            bare.append(mineral)
            note = page.locator("#no-reserves").inner_text()
            assert note.startswith("USGS publishes no reserves for this mineral"), note
            assert page.locator("#reserves-chart").count() == 0
            assert page.locator("#reserves .figure").count() == 0
        assert bare == ["gallium", "germanium", "bismuth", "silicon", "arsenic"]
        # a mineral with reserves draws them again
        page.evaluate("() => { delete document.body.dataset.ready; }")
        page.locator("#mineral-select").select_option("lithium")
        page.wait_for_selector("body[data-ready='1']", state="attached", timeout=120_000)
        assert page.locator("#reserves-chart[data-drawn='1']").count() == 1
        assert page.locator("#no-reserves").count() == 0


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_the_member_heat_map_shows_its_values(
    base_url: str, browser: Browser, viewport: dict[str, int]
) -> None:
    profile = api(base_url, "/members/USA")
    shot = f"member-heatmap-{viewport['width']}.png"
    with visit(browser, base_url + "/member?id=USA", viewport=viewport, screenshot=shot) as v:
        page = v.page
        trace = page.locator("#member-heatmap").evaluate(
            "gd => ({z: gd.data[0].z, text: gd.data[0].text, y: gd.data[0].y, x: gd.data[0].x,"
            " scale: gd.data[0].colorscale, hover: gd.data[0].customdata})"
        )
        # every cell with a value writes it, and says it on hover with the imports
        shown = page.locator("#member-heatmap .hm text, #member-heatmap text.textpoint").count()
        written = [t for row in trace["text"] for t in row if t]
        assert len(written) > 10
        assert shown >= len(written)
        for zrow, trow, hrow in zip(trace["z"], trace["text"], trace["hover"], strict=True):
            for z, t, h in zip(zrow, trow, hrow, strict=True):
                if z is None:
                    assert t == ""
                    continue
                assert t.endswith("%")
                assert "imports" in h
                assert t in h
        # little or no dependence is pale, most dependence dark
        first, last = trace["scale"][0][1], trace["scale"][-1][1]
        assert sum(int(first[i : i + 2], 16) for i in (1, 3, 5)) > 3 * 230
        assert sum(int(last[i : i + 2], 16) for i in (1, 3, 5)) < 3 * 140
        # the values as a table: the API's latest-year share of each mineral and stage
        page.locator("#heatmap details > summary").click()
        by_name = {m["mineral"]: m["name"] for m in api(base_url, "/minerals")}
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for r in profile["rows"]:
            key = (by_name.get(r["mineral"], r["mineral"]), r["stage"])
            if r["imports_value_usd"] is None or r["year"] > profile["year"]:
                continue
            if key not in latest or r["year"] > latest[key]["year"]:
                latest[key] = r
        names = cells(page, "heatmap-table", "mineral")
        assert sorted(names) == sorted({k[0] for k in latest})
        for stage in trace["x"]:
            values = [number(c) for c in cells(page, "heatmap-table", stage)]
            for name, value in zip(names, values, strict=True):
                row = latest.get((name, stage))
                assert value == (row["china_import_share"] if row else None), (name, stage)
