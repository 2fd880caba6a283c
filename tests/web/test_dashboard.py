"""The dashboard end to end: a real server on loopback, headless Debian Chromium, every page.

Each page is loaded at 1280×800 and at phone width (390×844) and screenshotted to
test-artifacts/dashboard/; every visit asserts no console error and no request to
another origin. The figures shown are checked against the API's and the CLI's for
the same query, and the gallium scenario is run from the Scenarios page. The
server has a compliance registry (a temporary SQLite file) and a member's signing
key: a certificate issued through the API is verified on the Certificates page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from web_helpers import (
    CHROMIUM,
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    box_within,
    cells,
    cli_json,
    needs_chromium,
    number,
    png_by_keyboard,
    png_size,
    serve,
    visit,
)

from friendshore.compliance.service import ComplianceService, Role
from friendshore.data import keystore
from friendshore.data.compliance_files import declarations_dir
from friendshore.data.registry import Registry

pytestmark = needs_chromium

GALLIUM = "cn-gallium-germanium-2023"
US301 = "us-301-critical-minerals"
ZONE_SCHEDULE = "zone-rival-25"
EXAMPLE = "example-illustrative"
PAGES = [
    "/",
    "/mineral?m=graphite",
    "/member?id=USA",
    "/scenarios",
    "/tariffs",
    "/floors",
    "/invest",
    "/certificates",
]
NAV = [
    "Overview",
    "Mineral",
    "Member",
    "Scenarios",
    "Compare",
    "Tariffs",
    "Price floors",
    "Outlook",
    "Stockpile",
    "Investment",
    "Certificates",
]


@dataclass(frozen=True)
class Compliance:
    """The served registry's issuer token (EU27) and auditor token."""

    issuer: str
    auditor: str


@pytest.fixture(scope="module")
def registry_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Compliance]:
    """A temporary SQLite registry with an EU27 issuer and an auditor, and the EU27 key."""
    root = tmp_path_factory.mktemp("web-registry")
    url, keys = f"sqlite:///{root / 'registry.sqlite'}", root / "keys"
    keystore.generate_key(keys, "EU27")
    with Registry.open(url) as registry:
        service = ComplianceService(registry, keys_dir=keys)
        tokens = Compliance(
            issuer=service.create_api_key(Role.ISSUER, "EU27"),
            auditor=service.create_api_key(Role.AUDITOR, "auditor-1"),
        )
    return url, keys, tokens


@pytest.fixture(scope="module")
def base_url(store_path: Path, registry_setup: tuple[str, Path, Compliance]) -> Iterator[str]:
    """The dashboard served by uvicorn on a free loopback port, with the registry."""
    url, keys, _ = registry_setup
    with serve(store_path, registry_url=url, keys_dir=keys) as base:
        yield base


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
        page.wait_for_function("() => location.hash === '#main'", timeout=10_000)
        assert page.locator("nav a").all_inner_texts() == NAV
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
        # the chart's data downloads as CSV
        with page.expect_download() as csv_download:
            page.locator("#exposed-chart button.csv").click()
        header = Path(csv_download.value.path()).read_text(encoding="utf-8").splitlines()
        assert header[0].startswith("mineral,stage,product,year,source,china_share")
        assert len(header) == 16
        # the chart as PNG from the keyboard: Tab from the CSV button to the PNG button, Enter;
        # the image is this chart at twice its size on screen
        name, data = png_by_keyboard(page, "exposed-chart")
        assert name == "zone-exposure.png"
        size = page.locator("#exposed-plot").evaluate(
            "gd => [gd._fullLayout.width, gd._fullLayout.height]"
        )
        assert png_size(data) == (2 * size[0], 2 * size[1])
        # and from Plotly's modebar (mouse hover)
        page.locator("#exposed-plot").hover()
        with page.expect_download() as png_download:
            page.locator("#exposed-plot .modebar-btn[data-title='Download plot as a PNG']").click()
        png_size(Path(png_download.value.path()).read_bytes())
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
        # graphite mine production for 2024 comes from the USGS MCS 2025 world data
        mining = next(r for r in detail["summary"] if r["stage"] == "mining")
        assert (mining["source"], mining["year"]) == ("USGS MCS", 2024)
        assert "USGS MCS (MCS2025)" in page.locator("#production").inner_text()
        # the trend chart as PNG from the keyboard, at twice its size on screen
        name, data = png_by_keyboard(page, "trend-production")
        assert name == "china-share-graphite.png"
        size = page.locator("#trend-production-chart").evaluate(
            "gd => [gd._fullLayout.width, gd._fullLayout.height]"
        )
        assert png_size(data) == (2 * size[0], 2 * size[1])


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
        # net import reliance: the latest year with both production and trade, maybe older
        reliance = {(r["mineral"], r["stage"]): r for r in profile["reliance"]}
        nir = [number(c) for c in cells(page, "profile-table", "nir")]
        for mineral, stage, value in zip(minerals, stages, nir, strict=True):
            known = reliance.get((mineral, stage))
            assert value == (known["import_reliance"] if known else None), (mineral, stage)
        assert any(r["year"] < profile["year"] for r in profile["reliance"])
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


def _published_text(text: str | None) -> str:
    """USGS's figure as the Member page writes it (member.js ``publishedText``)."""
    if text is None or not text.strip():
        return "—"
    if text.strip().upper() == "E":
        return "net exporter"
    if text.strip().upper() in ("NA", "W", "XX"):
        return "—"
    t = text.strip().replace(" ", "")
    return f"{t}%" if t.lstrip("<>").replace(".", "", 1).isdigit() else t


def test_member_page_shows_usgs_published_beside_our_reliance(
    base_url: str, browser: Browser
) -> None:
    profile = api(base_url, "/members/USA")
    by_mineral: dict[str, list[dict[str, Any]]] = {}
    for x in profile["us_published"]:
        by_mineral.setdefault(x["mineral_id"], []).append(x)
    url = base_url + "/member?id=USA"
    with visit(browser, url, viewport=DESKTOP, screenshot="member-usgs-1280.png") as v:
        page = v.page
        minerals = cells(page, "profile-table", "mineral")
        shown = cells(page, "profile-table", "usgs_published")
        titles = page.locator("#profile-table tbody td[data-key='usgs_published']").evaluate_all(
            "cells => cells.map(c => c.title)"
        )
        assert len(shown) == len(minerals)
        for mineral, text, title in zip(minerals, shown, titles, strict=True):
            rows = by_mineral.get(mineral, [])
            if not rows:
                assert text == "—", mineral
                continue
            for x in rows:
                assert _published_text(x["published_text"]) in text, (mineral, text)
                assert "computed from USGS salient components" in title
                assert x["agreement"] in title
            if len(rows) == 1 and rows[0]["difference_pp"] is not None:
                diff = rows[0]["difference_pp"]
                assert f"{'+' if diff >= 0 else ''}{diff:.1f} pp" in text
        aluminum = shown[minerals.index("aluminum")]
        assert aluminum.startswith(_published_text(by_mineral["aluminum"][0]["published_text"]))
    # other members have no such column
    url = base_url + "/member?id=JPN"
    with visit(browser, url, viewport=DESKTOP, screenshot="member-jpn-1280.png") as v:
        assert cells(v.page, "profile-table", "usgs_published") == []


#: The Scenarios page's columns of what recovers a loss, as in the CLI's JSON records.
ROUTES = (
    "demand_reduction_t",
    "recovered_rerouting_t",
    "recovered_sharing_t",
    "recovered_stockpile_t",
)


def assert_records_equal(page: Page, expected: list[dict[str, Any]]) -> None:
    """The Scenarios page's result table equals ``expected`` (the CLI's records) in every
    figure it shows: the loss, each route's recovery and the shortfall."""
    for key in ("baseline_t", "lost_t", *ROUTES, "shortfall_t", "shortfall_share"):
        shown = [number(c) for c in cells(page, "result-records", key)]
        assert shown == pytest.approx([r[key] for r in expected], rel=1e-9), key
    estimated = [c == "true" for c in cells(page, "result-records", "estimated")]
    assert estimated == [r["estimated"] for r in expected]


def test_scenarios_page_runs_the_gallium_scenario(
    base_url: str, browser: Browser, store_path: Path, tmp_path: Path
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
        assert all(r["estimated"] for r in hit)  # gallium, germanium: estimated trade
        assert_records_equal(page, hit)
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
        # graphite with stockpiles and a demand response, edited as JSON: every route of the
        # page (demand response, re-routing, sharing, stockpiles) equals the CLI's on the file
        page.locator("#scenario-select").select_option("cn-graphite-2023")
        page.wait_for_function(
            "() => document.querySelector('#scenario-json').value.includes('cn-graphite-2023')"
        )
        edited = json.loads(page.locator("#scenario-json").input_value())
        edited["response"]["stockpiles"] = [
            {"member": "JPN", "mineral": "graphite", "days": 30},
            {"member": "USA", "mineral": "graphite", "days": 60, "release": "all"},
        ]
        edited["response"]["demand_elasticity"] = -0.1
        page.locator("#scenario-form details summary").click()
        page.locator("#scenario-json").fill(json.dumps(edited, indent=2))
        page.locator("#run").click()
        page.wait_for_selector("body[data-ready='1']", state="attached", timeout=120_000)
        assert "China export controls on graphite" in page.locator("#result-line").inner_text()
        path = tmp_path / "graphite-stockpiles.yaml"
        path.write_text(json.dumps(edited), encoding="utf-8")
        cli = cli_json("scenario", "run", str(path), "--store", str(store_path))
        hit = sorted(
            (r for r in cli["records"] if r["lost_t"] > 0),
            key=lambda r: (r["mineral"], r["stage"], r["member"]),
        )
        assert cells(page, "result-records", "member") == [r["member"] for r in hit]
        assert_records_equal(page, hit)
        for key in ROUTES:  # each route recovers something for some member here
            assert any(r[key] > 0 for r in hit), key


def post(base_url: str, path: str, body: dict[str, Any]) -> Any:
    response = httpx.post(f"{base_url}/api/v1{path}", json=body, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def test_tariffs_page_runs_smart_and_ge(base_url: str, browser: Browser, store_path: Path) -> None:
    expected = post(base_url, "/tariffs/smart", {"schedule_id": US301})
    with visit(
        browser, base_url + "/tariffs", viewport=DESKTOP, screenshot="tariffs-1280.png"
    ) as v:
        page = v.page
        # the page runs the Section 301 schedule on load: its figures are the API's and the CLI's
        assert page.locator("#schedule-select").input_value() == US301
        assert cells(page, "smart-members", "member") == [
            r["member"] for r in expected["by_member"]
        ]
        cli = cli_json("tariff", "smart", US301, "--store", str(store_path))
        for key in ("creation_usd", "diversion_to_rival_usd", "diversion_to_rest_usd"):
            shown = [number(c) for c in cells(page, "smart-members", key)]
            assert shown == pytest.approx([r[key] for r in cli["by_member"]], rel=1e-9), key
        assert cells(page, "smart-minerals", "mineral_id") == [
            r["mineral_id"] for r in expected["by_mineral"]
        ]
        shown = [number(c) for c in cells(page, "smart-minerals", "total_change_usd")]
        assert shown == pytest.approx([r["total_change_usd"] for r in cli["by_mineral"]], rel=1e-9)
        for chart_id in ("smart-members-plot", "smart-minerals-plot"):
            assert page.locator(f"#{chart_id}[data-drawn='1']").count() == 1, chart_id
        assert "US$" in page.locator("#card-creation .value").inner_text()
        with page.expect_download() as csv_download:
            page.locator("#members-chart button.csv").click()
        header = Path(csv_download.value.path()).read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith("member,value_usd,creation_usd")
        page.locator("#smart-members-plot").hover()
        with page.expect_download() as png_download:
            page.locator(
                "#smart-members-plot .modebar-btn[data-title='Download plot as a PNG']"
            ).click()
        assert Path(png_download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # another schedule, with no substitution between suppliers: no diversion at all
        page.locator("#schedule-select").select_option(ZONE_SCHEDULE)
        page.locator("#smart-sigma").fill("0")
        page.locator("#smart-run").click()
        page.wait_for_function(
            f"() => document.querySelector('#status').textContent.includes('{ZONE_SCHEDULE}')"
        )
        page.wait_for_selector("body[data-ready='1']", state="attached")
        zone = post(base_url, "/tariffs/smart", {"schedule_id": ZONE_SCHEDULE, "sigma": 0})
        assert cells(page, "smart-members", "member") == [r["member"] for r in zone["by_member"]]
        assert {number(c) for c in cells(page, "smart-members", "diversion_to_rival_usd")} == {0.0}
        shown = [number(c) for c in cells(page, "smart-members", "creation_usd")]
        assert shown == pytest.approx([r["creation_usd"] for r in zone["by_member"]], rel=1e-9)
        # GE of the zone preference on gegravity's sample, as a job with a progress bar
        page.locator("#ge-run").click()
        page.wait_for_selector("#ge-countries", timeout=120_000)
        assert page.locator("#ge-progress").evaluate("bar => bar.value") == 1
        assert page.locator("#ge-countries tbody tr").count() == 30
        assert page.locator("#ge-welfare-plot[data-drawn='1']").count() == 1
        welfare = dict(
            zip(
                cells(page, "ge-countries", "country"),
                [number(c) for c in cells(page, "ge-countries", "welfare_change_pct")],
                strict=True,
            )
        )
        assert welfare["JPN"] > 0 > welfare["CHN"]
        # the page says why welfare, real GDP and terms of trade are the same numbers
        assert "same percentage" in page.locator("#ge-notes").inner_text()
        assert "ASSUMED" not in page.locator("#ge-status").inner_text()  # estimated here
        # who gains from joining: Canada joins the zone in force
        page.locator("#ge-join").fill("can")
        page.locator("#ge-run").click()
        page.wait_for_function(
            "() => document.querySelector('#ge-status').textContent.includes('CAN joins the zone')"
        )
        joined = dict(
            zip(
                cells(page, "ge-countries", "country"),
                cells(page, "ge-countries", "member"),
                strict=True,
            )
        )
        assert joined["CAN"] == "true"


def test_invest_page_optimises_and_draws_the_frontier(
    base_url: str, browser: Browser, store_path: Path
) -> None:
    with visit(browser, base_url + "/invest", viewport=DESKTOP, screenshot="invest-1280.png") as v:
        page = v.page
        assert page.locator("#pipeline-select").input_value() == EXAMPLE
        assert "ILLUSTRATIVE" in page.locator("#pipeline-meta").inner_text()
        assert page.locator("#invest-projects tbody tr").count() == 26
        page.locator("#budget").fill("200")
        page.locator("#budget").press("Enter")  # keyboard: Enter in the form runs it
        page.wait_for_selector("#invest-chosen", timeout=120_000)
        page.wait_for_selector("body[data-ready='1']", state="attached")
        cli = cli_json("invest", "optimize", EXAMPLE, "--budget", "2e8", "--store", str(store_path))
        assert cells(page, "invest-chosen", "id") == [p["id"] for p in cli["chosen"]]
        shown = [number(c) for c in cells(page, "invest-members", "capex_usd")]
        assert shown == [m["capex_usd"] for m in cli["by_member"]]
        after = [number(c) for c in cells(page, "invest-metrics", "china_zone_supply_share_after")]
        assert after == [m["china_zone_supply_share_after"] for m in cli["metrics"]]
        for chart_id in ("invest-members-plot", "invest-metrics-plot"):
            assert page.locator(f"#{chart_id}[data-drawn='1']").count() == 1, chart_id
        assert page.locator("#opt-progress").evaluate("bar => bar.value") == 1
        # a short frontier: three budgets, never worse with more budget
        page.locator("#frontier-steps").fill("3")
        page.locator("#frontier-run").click()
        page.wait_for_selector("#invest-frontier", timeout=120_000)
        objectives = [number(c) for c in cells(page, "invest-frontier", "objective")]
        assert len(objectives) == 3
        assert objectives == sorted(objectives, reverse=True)
        assert page.locator("#invest-frontier-plot[data-drawn='1']").count() == 1
        with page.expect_download() as csv_download:
            page.locator("#frontier-chart button.csv").click()
        header = Path(csv_download.value.path()).read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith("budget_usd,objective")


@dataclass(frozen=True)
class Phone:
    """What a page must show at phone width.

    ``run`` (a button or a summary to press) and ``wait`` (a selector) first, where its
    results come on demand; then its drawn ``charts`` (plot ids), its data tables and key
    numbers (``shown``) and its main ``controls`` (selectors)."""

    charts: tuple[str, ...]
    shown: tuple[str, ...]
    controls: tuple[str, ...]
    run: str = ""
    wait: str = ""


PHONE_CHECKS = {
    "/": Phone(
        run="details:has(#exposed-table) > summary",  # the table is folded under the chart
        wait="#exposed",
        charts=("exposed-plot", "world-map"),
        shown=("#card-majority", "#card-top", "#card-members", "#exposed"),
        controls=("#map-mineral", "#exposed-chart button.csv", "#exposed-chart button.png"),
    ),
    "/mineral?m=graphite": Phone(
        charts=(
            "production-mining",
            "production-processing",
            "reserves-chart",
            "trend-production-chart",
            "trend-imports-chart",
            "trade-sankey",
        ),
        shown=("#summary-table", "#citations"),
        controls=(
            "#mineral-select",
            "#trade-stage",
            "#trade-year",
            "#trade-sankey ~ .tools button.csv",
            "#trade-sankey ~ .tools button.png",
        ),
    ),
    "/member?id=USA": Phone(
        charts=("member-heatmap", "member-trend"),
        shown=("#card-over", "#card-imports", "#card-top", "#profile-table"),
        controls=("#member-select", "#heatmap button.csv", "#heatmap button.png"),
    ),
    "/scenarios": Phone(
        run="#run",
        wait="#result-records",
        charts=("scenario-result",),
        shown=("#result-line", "#result-records", "#result-totals"),
        controls=(
            "#scenario-select",
            "#shock-0-share",
            "#run",
            "#result-chart button.png",
            "#mc-draws",
            "#mc-run",
        ),
    ),
    "/tariffs": Phone(
        charts=("smart-members-plot", "smart-minerals-plot"),
        shown=("#smart-cards .card", "#smart-members", "#smart-minerals"),
        controls=(
            "#schedule-select",
            "#smart-sigma",
            "#smart-run",
            "#members-chart button.png",
            "#ge-data",
            "#ge-run",
        ),
    ),
    "/floors": Phone(
        charts=("price-plot", "money-plot", "share-plot"),
        shown=("#floor-cards .card", "#levies", "#floor-market"),
        controls=(
            "#reference-select",
            "#mineral-select",
            "#stage-select",
            "#ref-slider",
            "#mode-select",
            "#price-chart button.png",
        ),
    ),
    "/invest": Phone(
        run="#optimize",
        wait="#invest-chosen",
        charts=("invest-members-plot", "invest-metrics-plot"),
        shown=("#opt-cards .card", "#invest-chosen", "#invest-projects"),
        controls=(
            "#pipeline-select",
            "#budget",
            "#objective",
            "#optimize",
            "#metrics-chart button.png",
            "#frontier-run",
        ),
    ),
    "/certificates": Phone(
        run="#verify-serial",
        wait="#verdict-checks",
        charts=(),
        shown=("#verdict-line", "#verdict-checks"),
        controls=(
            "#serial",
            "#verify-serial",
            "#certificate-file",
            "#certificate-json",
            "#verify-document",
        ),
    ),
}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_works_at_phone_width(base_url: str, browser: Browser, path: str) -> None:
    """At 390×844: no horizontal scroll; every chart drawn within the screen's width; the
    page's tables and key numbers shown; its buttons, selects and fields on screen."""
    check = PHONE_CHECKS[path]
    name = path.strip("/").split("?")[0] or "overview"
    width = PHONE["width"]
    with visit(browser, base_url + path, viewport=PHONE, screenshot=f"{name}-390.png") as v:
        page = v.page
        if path == "/certificates":  # a serial the registry does not hold: its verdict
            page.locator("#serial").fill("EU27-2026-000000000000")
        if check.run:
            page.locator(check.run).click()
            page.wait_for_selector(check.wait, timeout=120_000)
            page.wait_for_selector("body[data-ready='1']", state="attached", timeout=120_000)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        assert page.locator("nav a").count() == len(NAV)
        for chart_id in check.charts:
            assert page.locator(f"#{chart_id}[data-drawn='1']").count() == 1, chart_id
            box_within(page, f"#{chart_id}", width)
            svg = box_within(page, f"#{chart_id} .main-svg", width)
            assert svg["height"] > 100, chart_id  # drawn, not collapsed
        for selector in check.shown:
            box_within(page, selector, width)
            if page.locator(selector).first.evaluate("el => el.tagName") == "TABLE":
                assert page.locator(f"{selector} tbody tr").count() > 0, selector
        for selector in check.controls:
            box_within(page, selector, width)


def cathode() -> dict[str, Any]:
    """The shipped illustrative cathode declaration, its audits extended to 2099 (so that a
    certificate issued today is valid today)."""
    text = (declarations_dir() / "cathode-nmc811-illustrative.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    for lot in data["lots"]:
        for evidence in lot["evidence"]:
            evidence["valid_to"] = "2099-12-31"
    return data


def compliance(base_url: str, method: str, path: str, token: str, body: Any) -> Any:
    response = httpx.request(
        method,
        f"{base_url}/api/v1/compliance{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def verdict_rows(page: Page) -> dict[str, str]:
    """The verdict table as {item: raw value}."""
    items = page.locator("#verdict-checks tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.item, r.querySelector(\"td[data-key='value']\")"
        ".dataset.value])"
    )
    return {str(k): str(v) for k, v in items}


def submit_and_wait(page: Page, button: str) -> None:
    page.locator(button).click()
    page.wait_for_selector("body[data-ready='1']", state="attached")


def test_certificates_page_verifies_by_serial_and_by_the_document(
    base_url: str, browser: Browser, registry_setup: tuple[str, Path, Compliance], tmp_path: Path
) -> None:
    tokens = registry_setup[2]
    body = {"declaration": cathode()}
    issued = compliance(base_url, "POST", "/certificates", tokens.issuer, body)
    serial, certificate = issued["serial"], issued["certificate"]
    expected = httpx.get(f"{base_url}/api/v1/compliance/certificates/{serial}/verify").json()
    assert expected["status"] == "valid"
    url = base_url + "/certificates"
    with visit(browser, url, viewport=DESKTOP, screenshot="certificates-1280.png") as v:
        page = v.page
        assert page.locator("nav a[aria-current='page']").inner_text() == "Certificates"
        # by serial, from the keyboard: type it and press Enter
        page.locator("#serial").focus()
        page.keyboard.type(serial)
        page.keyboard.press("Enter")
        page.wait_for_selector("body[data-ready='1']", state="attached")
        assert page.locator("#verdict-status").inner_text() == "VALID"  # upper case by CSS
        assert page.locator("#verdict-line").get_attribute("data-status") == "valid"
        rows = verdict_rows(page)
        assert rows["serial"] == serial
        assert rows["issuer"] == "EU27"
        for check in ("signature", "issuer", "registry", "validity", "revocation"):
            assert rows[f"check:{check}"] == "true", check
        assert rows["valid_from"] == expected["valid_from"]
        assert rows["valid_until"] == expected["valid_until"]
        assert "(365 days)" in page.locator("#verdict-checks").inner_text()
        assert page.locator("#evaluation").is_hidden()  # the public verdict has no document
        # with an API key that may read it, the certified evaluation is shown too
        page.locator("#serial-form summary").click()
        page.locator("#api-key").fill(tokens.auditor)
        submit_and_wait(page, "#verify-serial")
        assert page.locator("#cert-rules tbody tr").count() > 0
        # by the certificate itself, pasted
        page.locator("#certificate-json").fill(json.dumps(certificate, indent=2))
        submit_and_wait(page, "#verify-document")
        assert page.locator("#verdict-line").get_attribute("data-status") == "valid"
        evaluation = certificate["credentialSubject"]["evaluation"]
        rules = [r for p in evaluation["packs"] for r in p["rules"]]
        assert cells(page, "cert-rules", "rule_id") == [r["rule_id"] for r in rules]
        assert cells(page, "cert-rules", "status") == [r["status"] for r in rules]
        assert cells(page, "cert-packs", "pack_id") == [p["pack_id"] for p in evaluation["packs"]]
        origin = page.locator("#cert-rules tbody tr").filter(has_text="zone-origin")
        # 600 + 500 + 200 + 50 US$ of lots, all of it qualifying
        assert "total value usd: US$1,350" in origin.inner_text()
        assert "qualifying value share: 100.0%" in origin.inner_text()
        findings = sum(len(r["findings"]) for r in rules)
        assert page.locator("#cert-findings tbody tr").count() == findings
        page.screenshot(path=str(SCREENSHOTS / "certificates-valid-1280.png"), full_page=True)
        # uploaded as a file
        path = tmp_path / "certificate.json"
        path.write_text(json.dumps(certificate), encoding="utf-8")
        page.locator("#certificate-file").set_input_files(str(path))
        page.wait_for_function(
            "() => document.querySelector('#status').textContent.includes('certificate.json')"
        )
        page.wait_for_selector("body[data-ready='1']", state="attached")
        assert page.locator("#verdict-line").get_attribute("data-status") == "valid"
        # one changed character: the signature fails
        tampered = json.dumps(certificate).replace('"value_usd": 600', '"value_usd": 700')
        page.locator("#certificate-json").fill(tampered)
        submit_and_wait(page, "#verify-document")
        assert page.locator("#verdict-line").get_attribute("data-status") == "invalid_signature"
        assert verdict_rows(page)["check:signature"] == "false"
        # revoked through the API: the page now says so, by serial and by the document
        compliance(
            base_url,
            "POST",
            f"/certificates/{serial}/revoke",
            tokens.issuer,
            {"reason": "supplier audit withdrawn"},
        )
        submit_and_wait(page, "#verify-serial")
        assert page.locator("#verdict-status").inner_text() == "REVOKED"
        rows = verdict_rows(page)
        assert rows["check:revocation"] == "false"
        assert rows["check:signature"] == "true"
        assert "supplier audit withdrawn" in page.locator("#verdict-checks").inner_text()
        page.locator("#certificate-json").fill(json.dumps(certificate))
        submit_and_wait(page, "#verify-document")
        assert page.locator("#verdict-line").get_attribute("data-status") == "revoked"
        # an unknown serial, and one the registry could not hold
        page.locator("#api-key").fill("")
        page.locator("#serial").fill("EU27-2026-000000000000")
        submit_and_wait(page, "#verify-serial")
        assert page.locator("#verdict-line").get_attribute("data-status") == "not_in_registry"
        page.locator("#serial").fill("not a serial!")
        page.locator("#verify-serial").click()
        page.wait_for_selector("#status.error")
        assert "field: serial" in page.locator("#status").inner_text()
        assert page.locator("#verdict").is_hidden()
        # the page as left: the revoked certificate
        page.locator("#serial").fill(serial)
        submit_and_wait(page, "#verify-serial")
