"""Open a generated report in headless Debian Chromium, offline, for the report tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"

#: Skip browser tests only outside CI when Debian's chromium is absent (.ci/run installs it).
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it; in CI it must run)",
)


@contextmanager
def open_offline(path: Path, ready_js: str, screenshot: str) -> Iterator[Page]:
    """Open ``path`` in headless Debian Chromium; on exit, save a screenshot and assert
    that the page logged no console error and requested nothing but itself."""
    url = path.as_uri()
    console: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
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
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on(
                "console",
                lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url, wait_until="load")
            page.wait_for_function(ready_js, timeout=30_000)
            yield page
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
        finally:
            browser.close()
    assert console == []
    outside = [u for u in requests if u != url and not u.startswith(("data:", "blob:"))]
    assert outside == []
