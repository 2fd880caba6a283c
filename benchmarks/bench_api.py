"""Benchmark: the REST API's metric endpoints under load, and the Overview page's first render.

Starts ``uvicorn`` with the app (``friendshore.api.app:app_from_env``) in a child
process on loopback, then:

- for each metric endpoint, ``--clients`` concurrent clients (one
  ``httpx.AsyncClient`` each, keep-alive) send ``--requests`` requests in all;
  prints p50 and p99 latency and requests/s (targets: p99 < 100 ms at 50 clients);
- the baseline, measured in this process on the same store: building the same
  response by calling the library (the payload builder and JSON encoding, what a
  request would cost without the app's cache), median of ``--repeat`` calls;
  the ratio is the endpoint's median latency with one client (no queueing) over
  that call;
- the floor: uvicorn serving fixed bytes from a bare ASGI app under the same load
  (what this machine's load generator and HTTP server allow at all);
- the Overview page's first render in headless Debian Chromium, median of
  ``--repeat`` (target < 1 s), on the page's own clock (from navigation start):
  "numbers shown" (the cards and the ranked table are in the page and a frame has
  passed: ``data-numbers-ms``), "API data in" (its three API calls answered),
  "plotly.js run" (fetched in parallel with the API calls, run after the numbers)
  and "charts drawn" (the bar chart and the world map: ``data-ready-ms``), plus the
  driver's wall time from ``goto`` to ready. Measured in a fresh browser context
  (nothing cached: the HTML, plotly.js, scripts, the API calls) and, as the
  comparison, the same page visited again in that context (static files and
  plotly.js come from the browser's cache: versioned URLs, ``immutable``).

    python benchmarks/bench_api.py [--clients 50] [--requests 2000] [--store PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _util import median, print_table
from friendshore.api import metrics
from friendshore.api.engine import Engine, Snapshot, dumps
from friendshore.data.store import build_store
from friendshore.model.zone import default_zone

ENDPOINTS: list[tuple[str, Callable[[Snapshot], Any]]] = [
    ("/api/v1/zone", metrics.zone_payload),
    ("/api/v1/assessment", metrics.assessment_payload),
    ("/api/v1/minerals/graphite", lambda s: metrics.mineral_payload(s, "graphite")),
    ("/api/v1/minerals/graphite/trade", lambda s: metrics.trade_payload(s, "graphite", None, None)),
    ("/api/v1/members/USA", lambda s: metrics.member_payload(s, "USA")),
    (
        "/api/v1/metrics/concentration?mineral=gallium&stage=processing",
        lambda s: metrics.table_payload(
            {},
            metrics.assessment.concentration_table(
                s.network, mineral="gallium", stage="processing"
            ),
        ),
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(store: Path, port: int, *, floor: bool = False) -> subprocess.Popen[bytes]:
    """uvicorn (one process) serving the app, or with ``floor`` the fixed-bytes app."""
    env = {**os.environ, "FRIENDSHORE_STORE": str(store), "FRIENDSHORE_WARM": "1"}
    if floor:
        app = ["--app-dir", str(Path(__file__).parent), "bench_api:floor_app"]
    else:
        app = ["--factory", "friendshore.api.app:app_from_env"]
    argv = [sys.executable, "-m", "uvicorn", *app, "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen([*argv, "--log-level", "warning", "--no-access-log"], env=env)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/zone", timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


async def load(url: str, clients: int, requests: int) -> tuple[np.ndarray, float]:
    """Latencies (s) of ``requests`` GETs by ``clients`` concurrent keep-alive clients, and
    the wall time. The clients are created and connected (one untimed request each) first:
    creating an ``httpx.AsyncClient`` costs tens of ms of CPU, which is not the server's."""
    per_client = [requests // clients + (i < requests % clients) for i in range(clients)]
    latencies: list[float] = []
    https = [httpx.AsyncClient(timeout=60) for _ in range(clients)]
    await asyncio.gather(*(http.get(url) for http in https))

    async def client(http: httpx.AsyncClient, n: int) -> None:
        for _ in range(n):
            start = time.perf_counter()
            response = await http.get(url)
            latencies.append(time.perf_counter() - start)
            response.raise_for_status()

    start = time.perf_counter()
    await asyncio.gather(*(client(h, n) for h, n in zip(https, per_client, strict=True)))
    wall = time.perf_counter() - start
    await asyncio.gather(*(http.aclose() for http in https))
    return np.array(latencies), wall


_WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk_load(url: str, clients: int, seconds: int = 5) -> tuple[float, float, float] | None:
    """p50 and p99 latency (ms) and requests/s from ``wrk`` (a C load generator), if installed.

    The Python clients above cost the shared 2 cores as much CPU as the server; ``wrk``
    (Debian package ``wrk``) measures the server with a load generator that barely does.
    """
    exe = shutil.which("wrk")
    if exe is None:
        return None
    out = subprocess.run(
        [exe, "-t1", f"-c{clients}", f"-d{seconds}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pct = {
        m.group(1): float(m.group(2)) * _WRK_UNITS[m.group(3)]
        for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", out, re.M)
    }
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rps is None or set(pct) != {"50", "99"}:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    return pct["50"], pct["99"], float(rps.group(1))


def _wrk_cells(result: tuple[float, float, float] | None) -> list[str]:
    if result is None:
        return ["-", "-", "-"]
    p50, p99, rps = result
    return [f"{p50:.1f}", f"{p99:.1f}", f"{rps:,.0f}"]


#: A JSON body of the size of /api/v1/zone, for the floor server.
FLOOR_BODY = b'{"floor":"' + b"x" * 550 + b'"}'


async def floor_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The least an ASGI app can do: fixed JSON bytes (the load generator's ceiling)."""
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(FLOOR_BODY))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": FLOOR_BODY})


RENDER_MARKS = ("numbers", "data", "plotly", "ready")


def first_render(base: str, repeat: int) -> dict[str, list[tuple[float, ...]]]:
    """The Overview's first render, ``repeat`` times: in a fresh browser context (``fresh``)
    and then visited again in it (``cached``).

    Each run gives seconds from ``goto`` to the page marking itself ready (as the test
    driver sees it), then the page's marks (:data:`RENDER_MARKS`) from navigation start."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (optional)

    times: dict[str, list[tuple[float, ...]]] = {"fresh": [], "cached": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for _ in range(repeat):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            for kind in ("fresh", "cached"):
                start = time.perf_counter()
                page.goto(base + "/")
                page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
                page.wait_for_function("() => /^[0-9]+$/.test(document.body.dataset.numbersMs)")
                seen = time.perf_counter() - start
                marks = [
                    float(page.get_attribute("body", f"data-{name}-ms") or "nan") / 1e3
                    for name in RENDER_MARKS
                ]
                times[kind].append((seen, *marks))
            context.close()
        browser.close()
    return times


def endpoint_table(base: str, store: Path, args: argparse.Namespace) -> None:
    """Load each metric endpoint and the floor server; print the latency table."""
    snap = Engine(store, default_zone()).snapshot()
    rows = []
    for path, build in ENDPOINTS:
        httpx.get(base + path, timeout=120).raise_for_status()  # computed once, cached
        calls = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            dumps(build(snap))
            calls.append(time.perf_counter() - start)
        lat, wall = asyncio.run(load(base + path, args.clients, args.requests))
        solo, _ = asyncio.run(load(base + path, 1, 200))
        p50, p99 = np.quantile(lat, [0.5, 0.99])
        one = float(np.median(solo))
        call = median(calls)
        rows.append(
            [
                path.removeprefix("/api/v1"),
                f"{1e3 * p50:.1f}",
                f"{1e3 * p99:.1f}",
                f"{len(lat) / wall:,.0f}",
                *_wrk_cells(wrk_load(base + path, args.clients)),
                f"{1e3 * one:.2f}",
                f"{1e3 * call:.1f}",
                f"{one / call:.4f}",
            ]
        )
    floor_port = free_port()
    floor = start_server(store, floor_port, floor=True)
    try:
        lat, wall = asyncio.run(
            load(f"http://127.0.0.1:{floor_port}/", args.clients, args.requests)
        )
        solo, _ = asyncio.run(load(f"http://127.0.0.1:{floor_port}/", 1, 200))
        floor_wrk = wrk_load(f"http://127.0.0.1:{floor_port}/", args.clients)
    finally:
        floor.terminate()
        floor.wait(timeout=30)
    p50, p99 = np.quantile(lat, [0.5, 0.99])
    rows.append(
        [
            "(floor: fixed-bytes ASGI app)",
            f"{1e3 * p50:.1f}",
            f"{1e3 * p99:.1f}",
            f"{len(lat) / wall:,.0f}",
            *_wrk_cells(floor_wrk),
            f"{1e3 * float(np.median(solo)):.2f}",
            "-",
            "-",
        ]
    )
    print(
        f"\nMetric endpoints: {args.clients} concurrent clients, {args.requests} requests "
        "each, uvicorn (1 process) on loopback"
    )
    print_table(
        [
            "endpoint",
            "p50 ms",
            "p99 ms",
            "req/s",
            "wrk p50 ms",
            "wrk p99 ms",
            "wrk req/s",
            "1 client ms",
            "library call ms",
            "1 client/call",
        ],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="per endpoint")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument(
        "--render-only", action="store_true", help="only the Overview render, not the load"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or build_store(Path(tmp) / "bench.duckdb").path
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(store, port)
        try:
            if not args.render_only:
                endpoint_table(base, store, args)
            if not args.no_browser:
                runs = first_render(base, args.repeat)
                table = []
                for kind, label in (
                    ("fresh", "first visit (fresh context, nothing cached)"),
                    ("cached", "repeat visit (static files and plotly.js cached)"),
                ):
                    seen, numbers, data, plotly, ready = (
                        median([r[i] for r in runs[kind]]) for i in range(5)
                    )
                    table.append(
                        [
                            label,
                            f"{numbers:.3f}",
                            f"{data:.3f}",
                            f"{plotly:.3f}",
                            f"{ready:.3f}",
                            f"{seen:.3f}",
                        ]
                    )
                fresh = median([r[1] for r in runs["fresh"]])
                cached = median([r[1] for r in runs["cached"]])
                print(
                    f"\nOverview render in Chromium at 1280x800, medians of {args.repeat} "
                    "(seconds from navigation start; target: first render < 1 s)"
                )
                print_table(
                    [
                        "visit",
                        "numbers shown s",
                        "API data in s",
                        "plotly.js run s",
                        "charts drawn s",
                        "goto to ready s",
                    ],
                    table,
                )
                print(f"numbers shown, first visit / repeat visit: {fresh / cached:.2f}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
