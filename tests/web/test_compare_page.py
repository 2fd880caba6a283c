"""The Compare page in headless Debian Chromium: the API's figures side by side, the tornado.

A real server on loopback over the session store; every visit asserts no console error
and no request to another origin (:func:`web_helpers.visit`). The table's shares and the
grouped bars are checked against ``GET /api/v1/scenarios/compare`` (the CLI's figures,
tests/api/test_api_compare.py), the tornado against ``GET /scenarios/{id}/sensitivity``,
the chart's height across a resize, the CSV download, and the phone width.
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
from web_helpers import CHROMIUM, DESKTOP, PHONE, box_within, cells, needs_chromium, serve, visit

pytestmark = needs_chromium

GA_GE = "cn-gallium-germanium-2023"
US_BAN = "cn-us-ga-ge-sb-2024"
GRAPHITE = "cn-graphite-2023"


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


def api(base_url: str, path: str, **params: str) -> Any:
    response = httpx.get(f"{base_url}/api/v1/scenarios/{path}", params=params, timeout=300)
    assert response.status_code == 200, response.text
    return response.json()


def compared(page: Page) -> None:
    page.wait_for_selector("body[data-compared]", state="attached", timeout=300_000)
    page.wait_for_selector("#compare-plot[data-drawn='1']", state="attached", timeout=60_000)


def plot_size(page: Page, plot: str) -> list[float]:
    size: list[float] = page.locator(f"#{plot}").evaluate(
        "gd => [gd._fullLayout.width, gd._fullLayout.height, gd.getBoundingClientRect().height]"
    )
    return size


def test_the_compare_page_shows_the_api_figures(base_url: str, browser: Browser) -> None:
    ids = [GA_GE, GRAPHITE]
    payload = api(base_url, "compare", ids=",".join(ids))
    url = f"{base_url}/compare?ids={','.join(ids)}"
    with visit(browser, url, viewport=DESKTOP, screenshot="compare-1280.png") as v:
        page = v.page
        compared(page)
        assert page.locator("nav a[aria-current=page]").inner_text() == "Compare"
        checked = page.locator("#scenario-list input:checked").evaluate_all(
            "boxes => boxes.map(b => b.value)"
        )
        assert checked == ids
        # the table: one row per API row, one column per scenario, the API's shares
        assert cells(page, "compare-rows", "member") == [r["member"] for r in payload["rows"]]
        for sid in ids:
            shown = [float(c) if c else None for c in cells(page, "compare-rows", sid)]
            assert shown == [r["shortfall_share"][sid] for r in payload["rows"]], sid
        # a known zero prints as 0.0%, never as unknown
        zero = page.locator(f"#compare-rows tbody td[data-key='{GA_GE}'][data-value='0']")
        assert zero.count() > 0
        assert zero.first.inner_text() == "0.0%"
        # the grouped bars: one trace per scenario, the zone rows' shares in %
        drawn = page.locator("#compare-plot").evaluate(
            "gd => gd.data.map(t => ({name: t.name, x: t.x, text: t.text}))"
        )
        assert [t["name"] for t in drawn] == ids
        zone = [r for r in payload["rows"] if r["member"] == "zone"]
        for trace in drawn:
            shares = [r["shortfall_share"][trace["name"]] for r in zone]
            assert trace["x"] == pytest.approx([100 * (v or 0.0) for v in shares])
            # every bar says its value: a known zero "0.0%", an unknown share "unknown"
            assert trace["text"] == [
                "unknown" if v is None else "0.0%" if v == 0 else trace["text"][k]
                for k, v in enumerate(shares)
            ]
        assert "0.0%" in drawn[0]["text"]  # the graphite layer: spared by the Ga/Ge controls
        assert page.locator("#compare-plot").evaluate("gd => gd.layout.barmode") == "group"
        # the chart keeps its height through a resize 1280 → 1000 → 1280
        before = plot_size(page, "compare-plot")
        page.set_viewport_size({"width": 1000, "height": 800})
        page.wait_for_function(
            "w => document.getElementById('compare-plot')._fullLayout.width < w", arg=before[0]
        )
        assert plot_size(page, "compare-plot")[1:] == before[1:]
        page.set_viewport_size(DESKTOP)
        page.wait_for_function(
            "w => document.getElementById('compare-plot')._fullLayout.width === w", arg=before[0]
        )
        assert plot_size(page, "compare-plot") == before
        # the side-by-side table as CSV
        with page.expect_download() as download:
            page.locator("#compare-table button.csv").click()
        assert download.value.suggested_filename == "scenario-compare.csv"
        text = Path(download.value.path()).read_text(encoding="utf-8")
        got = list(csv.DictReader(io.StringIO(text)))
        assert len(got) == len(payload["rows"])
        for row, line in zip(payload["rows"], got, strict=True):
            assert (line["member"], line["mineral"]) == (row["member"], row["mineral"])
            for sid in ids:
                value = row["shortfall_share"][sid]
                text = line[f"{sid}_shortfall_share"]
                assert text == "" if value is None else float(text) == pytest.approx(value)


def test_the_tornado_shows_the_sensitivity(base_url: str, browser: Browser) -> None:
    payload = api(base_url, f"{GRAPHITE}/sensitivity")
    url = f"{base_url}/compare?ids={GRAPHITE}"
    with visit(browser, url, viewport=DESKTOP, screenshot="compare-tornado-1280.png") as v:
        page = v.page
        compared(page)
        page.locator("#sens-scenario").select_option(GRAPHITE)
        page.locator("#sens-run").click()
        page.wait_for_selector(
            f"body[data-sensitivity='{GRAPHITE}']", state="attached", timeout=300_000
        )
        page.wait_for_selector("#tornado-plot[data-drawn='1']", state="attached")
        mineral, stage = page.locator("#sens-layer").input_value().split("|")
        rows = [r for r in payload["rows"] if (r["mineral"], r["stage"]) == (mineral, stage)]
        assert cells(page, "sens-rows", "label") == [r["label"] for r in rows]
        drawn = page.locator("#tornado-plot").evaluate(
            "gd => gd.data.map(t => ({name: t.name, x: t.x, base: t.base}))"
        )
        by_name = {t["name"]: t for t in drawn}
        for end in ("low", "high"):
            bars = by_name[f"{end} value"]
            ends = [b + x for b, x in zip(bars["base"], bars["x"], strict=True)]
            assert ends == pytest.approx([100 * r[f"zone_shortfall_share_{end}"] for r in rows])
        spare = next(r for r in rows if r["assumption"] == "spare_fraction")
        assert spare["zone_shortfall_share_low"] >= spare["zone_shortfall_share_high"]


def test_an_unknown_scenario_in_the_url_says_not_found(base_url: str, browser: Browser) -> None:
    url = f"{base_url}/compare?ids=cn-nothing-2030"
    with visit(browser, url, viewport=DESKTOP, screenshot="compare-unknown-1280.png") as v:
        status = v.page.locator("#status").inner_text()
        assert "not found" in status
        assert "cn-nothing-2030" in status


def test_the_compare_page_at_phone_width(base_url: str, browser: Browser) -> None:
    width = PHONE["width"]
    url = f"{base_url}/compare?ids={GA_GE},{US_BAN}"
    with visit(browser, url, viewport=PHONE, screenshot="compare-390.png") as v:
        page = v.page
        compared(page)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        box_within(page, "#compare-plot", width)
        assert box_within(page, "#compare-plot .main-svg", width)["height"] > 100
        for shown in ("#compare-rows", "#scenario-list", "#spare", "#sens-scenario"):
            box_within(page, shown, width)
        # rotation: 390×844 → 844×390 → 390×844 keeps the chart's height
        before = plot_size(page, "compare-plot")
        page.set_viewport_size({"width": 844, "height": 390})
        page.wait_for_function(
            "w => document.getElementById('compare-plot')._fullLayout.width > w", arg=before[0]
        )
        assert plot_size(page, "compare-plot")[1] == before[1]
        page.set_viewport_size(PHONE)
        page.wait_for_function(
            "w => document.getElementById('compare-plot')._fullLayout.width === w", arg=before[0]
        )
        assert plot_size(page, "compare-plot")[1:] == before[1:]
