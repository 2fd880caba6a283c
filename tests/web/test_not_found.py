"""Unknown names in dashboard URLs say "not found"; unknown routes get the dashboard's 404 page.

Headless Debian Chromium against a real server over the session store, at
1280×800 and 390×844; every visit asserts no console error but the browser's own
log of the 404 the test provoked, no request to another origin, and saves a
screenshot (:func:`web_helpers.visit`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright
from web_helpers import CHROMIUM, DESKTOP, PHONE, needs_chromium, serve, visit

pytestmark = needs_chromium

SIZES = {"desktop": DESKTOP, "phone": PHONE}
#: The browser logs the 404 of the API call the page makes for an unknown name.
PROVOKED = ("404",)


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


@pytest.mark.parametrize("size", SIZES)
def test_unknown_mineral_in_the_url_says_not_found(
    browser: Browser, base_url: str, size: str
) -> None:
    url = f"{base_url}/mineral?m=lithum"
    shot = f"not-found-mineral-{size}.png"
    with visit(browser, url, viewport=SIZES[size], screenshot=shot, allow=PROVOKED) as seen:
        page = seen.page
        assert page.locator("#title").inner_text() == "Mineral not found"
        message = page.locator("#status").inner_text()
        assert "Mineral not found" in message
        assert "did you mean lithium?" in message
        # nothing of another mineral is drawn in its place (the page used to show gallium)
        for section in ("#basis", "#summary", "#production", "#reserves"):
            assert page.locator(section).inner_text() == "", section
        assert page.locator("#mineral-select").input_value() == ""
        assert page.locator(".figure[data-drawn='1']").count() == 0


def test_a_synonym_in_the_url_opens_its_mineral(browser: Browser, base_url: str) -> None:
    url = f"{base_url}/mineral?m=REE"
    with visit(browser, url, viewport=DESKTOP, screenshot="mineral-ree-desktop.png") as seen:
        assert seen.page.locator("#title").inner_text() == "Rare earths"
        assert seen.page.locator("#mineral-select").input_value() == "rare_earths"


@pytest.mark.parametrize("size", SIZES)
def test_unknown_member_in_the_url_says_not_found(
    browser: Browser, base_url: str, size: str
) -> None:
    url = f"{base_url}/member?id=Japn"
    shot = f"not-found-member-{size}.png"
    with visit(browser, url, viewport=SIZES[size], screenshot=shot, allow=PROVOKED) as seen:
        page = seen.page
        assert page.locator("#title").inner_text() == "Member not found"
        message = page.locator("#status").inner_text()
        assert "did you mean Japan?" in message
        assert page.locator("#member-select").input_value() == ""
        assert "United States" not in page.locator("#member-line").inner_text()


def test_a_member_in_lower_case_opens_it(browser: Browser, base_url: str) -> None:
    url = f"{base_url}/member?id=eu27"
    with visit(browser, url, viewport=DESKTOP, screenshot="member-eu27-desktop.png") as seen:
        assert seen.page.locator("#member-select").input_value() == "EU27"
        assert seen.page.locator("#title").inner_text() != "Member not found"


@pytest.mark.parametrize("size", SIZES)
def test_unknown_route_gets_the_dashboards_404_page(
    browser: Browser, base_url: str, size: str
) -> None:
    response = httpx.get(f"{base_url}/no-such-page", timeout=60)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'class="nav"' in response.text  # the dashboard's layout and navigation
    url = f"{base_url}/no-such-page"
    shot = f"not-found-route-{size}.png"
    with visit(browser, url, viewport=SIZES[size], screenshot=shot, allow=PROVOKED) as seen:
        page = seen.page
        assert page.locator("h1").inner_text() == "Page not found"
        assert page.locator("#not-found-path").inner_text() == "/no-such-page"
        assert page.locator("nav a[href='/mineral']").count() == 1
        assert "app.css" in page.locator("link[rel=stylesheet]").get_attribute("href")


def test_unknown_api_route_keeps_its_json_404(base_url: str) -> None:
    response = httpx.get(f"{base_url}/api/v1/no-such-endpoint", timeout=60)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Not Found", "field": None}
