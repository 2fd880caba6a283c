"""A real uvicorn server on loopback and headless Debian Chromium, for the dashboard tests."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page
from typer.testing import CliRunner

from friendshore.api.app import create_app
from friendshore.cli.main import app as cli_app

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parents[2] / "test-artifacts" / "dashboard"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

#: Skip browser tests only outside CI when Debian's chromium is absent (.ci/run installs it).
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it; in CI it must run)",
)


@contextmanager
def serve(
    store: Path, *, registry_url: str | None = None, keys_dir: Path | None = None
) -> Iterator[str]:
    """Run the app under uvicorn on a free loopback port in a thread; yield its base URL.

    ``registry_url`` and ``keys_dir``: the compliance registry and the members' keys
    (as ``friendshore serve --registry URL --keys DIR``)."""
    config = uvicorn.Config(
        create_app(store_path=store, warm=True, registry_url=registry_url, keys_dir=keys_dir),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    # a hang guard, not a speed check: a server that never starts fails the test
    for _ in range(2400):  # 120 s
        if server.started:
            break
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    else:
        server.should_exit = True
        raise RuntimeError("uvicorn did not start within 120 s")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@dataclass
class Visit:
    """What a page did while open: console errors and every URL it requested."""

    page: Page
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@contextmanager
def visit(
    browser: Browser,
    url: str,
    *,
    viewport: dict[str, int],
    screenshot: str,
    allow: tuple[str, ...] = (),
) -> Iterator[Visit]:
    """Open ``url``, wait until the page says it is ready, yield; then save a screenshot and
    assert that the page logged no console error (but those containing a string of
    ``allow``: the browser's own log of a 4xx the test provoked) and requested nothing
    from another origin."""
    origin = url.split("/", 3)[:3]
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    seen = Visit(page)
    page.on(
        "console",
        lambda m: seen.console.append(f"{m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: seen.console.append(f"pageerror: {e}"))
    page.on("request", lambda r: seen.requests.append(r.url))
    try:
        page.goto(url, wait_until="load")
        page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
        yield seen
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / screenshot), full_page=True)
    finally:
        context.close()
    assert [m for m in seen.console if not any(a in m for a in allow)] == []
    base = "/".join(origin)
    outside = [
        u
        for u in seen.requests
        if not (u == base or u.startswith(base + "/")) and not u.startswith(("data:", "blob:"))
    ]
    assert outside == []


def cli_json(*args: str) -> Any:
    """Run the CLI through Typer's runner and return its JSON output."""
    result = CliRunner().invoke(cli_app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def cells(page: Page, table_id: str, key: str) -> list[str]:
    """The ``data-value`` of column ``key`` of every body row of table ``table_id``."""
    return [
        str(v)
        for v in page.locator(f"#{table_id} tbody td[data-key='{key}']").evaluate_all(
            "cells => cells.map(c => c.dataset.value)"
        )
    ]


def number(text: str) -> float | None:
    """A cell's raw value as a float (``None`` where empty)."""
    return float(text) if text else None


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height (pixels) of a PNG from its IHDR chunk; asserts the PNG signature."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def png_by_keyboard(page: Page, container: str) -> tuple[str, bytes]:
    """Download the chart of ``container`` (the id of the element the page draws it in) as
    PNG from the keyboard: focus its CSV button, Tab to the PNG button, press Enter.
    Return the suggested file name and the file's bytes."""
    page.locator(f"#{container} .tools button.csv").focus()
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert focused.evaluate(f"el => el.matches('#{container} .tools button.png')"), (
        focused.evaluate("el => el.outerHTML")
    )
    assert focused.inner_text() == "Download chart (PNG)"
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    return download.value.suggested_filename, Path(download.value.path()).read_bytes()


def box_within(page: Page, selector: str, width: int) -> dict[str, float]:
    """The bounding box of ``selector`` (its scrolling wrapper for a table: a wide table
    scrolls inside it), asserting it is visible and within 0…``width`` horizontally."""
    locator = page.locator(selector).first
    assert locator.is_visible(), f"{selector} is not visible"
    box: dict[str, float] = locator.evaluate(
        "el => { const r = (el.closest('.scroll') || el).getBoundingClientRect();"
        " return {x: r.x, width: r.width, height: r.height}; }"
    )
    assert box["width"] > 0, (selector, box)
    assert box["height"] > 0, (selector, box)
    assert box["x"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= width, (selector, box)
    return box
