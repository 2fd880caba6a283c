"""The Member page for a country outside the zone (?id=CAN) and a member state (?id=DEU).

Headless Debian Chromium against a real server over the session store, at
1280×800 and 390×844; every visit asserts no console error and no request to
another origin, and saves a screenshot (:func:`web_helpers.visit`).
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
def test_a_candidate_shows_the_banner_and_its_profile(
    browser: Browser, base_url: str, size: str
) -> None:
    profile = httpx.get(f"{base_url}/api/v1/members/CAN", timeout=120).json()
    shown = {
        (r["mineral"], r["stage"])
        for r in profile["rows"]
        if r["year"] <= profile["year"] and r["imports_value_usd"] is not None
    }
    url = f"{base_url}/member?id=CAN"
    with visit(browser, url, viewport=SIZES[size], screenshot=f"member-can-{size}.png") as seen:
        page = seen.page
        assert page.locator("#title").inner_text() == "Member: Canada (CAN)"
        banner = page.locator("#member-banner")
        assert banner.is_visible()
        text = banner.inner_text()
        assert text.startswith("CAN is a candidate, not a member of the zone")
        assert "CHN" in text
        assert page.locator("#member-select").input_value() == "CAN"
        # one row per mineral × stage of the API's profile
        assert page.locator("#profile-table tbody tr").count() == len(shown) > 10
        assert page.locator("#profile-table tbody tr", has_text="Graphite").count() >= 1


def test_a_member_state_says_which_bloc(browser: Browser, base_url: str) -> None:
    url = f"{base_url}/member?id=deu"
    with visit(browser, url, viewport=DESKTOP, screenshot="member-deu-desktop.png") as seen:
        page = seen.page
        assert page.locator("#title").inner_text() == "Member: Germany (DEU)"
        text = page.locator("#member-banner").inner_text()
        assert text.startswith("DEU is a member state of EU27, not a zone member itself")
        assert page.locator("#profile-table tbody tr").count() > 10


def test_a_member_shows_no_banner(browser: Browser, base_url: str) -> None:
    url = f"{base_url}/member?id=EU27"
    with visit(browser, url, viewport=DESKTOP, screenshot="member-eu27-banner-desktop.png") as seen:
        assert not seen.page.locator("#member-banner").is_visible()
