"""The dashboard's pages as served (no browser): one layout, versioned and cached assets."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from friendshore.api.app import CONTENT_SECURITY_POLICY, create_app
from friendshore.api.web import IMMUTABLE
from friendshore.web import PAGES, Page, static_files, static_version, web_dir

with warnings.catch_warnings():
    # starlette's test client warns (once, at import) that it would rather use httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(store_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(store_path=store_path)) as test_client:
        yield test_client


@pytest.mark.parametrize("page", PAGES, ids=[p.title for p in PAGES])
def test_every_page_is_the_layout_around_its_body(client: TestClient, page: Page) -> None:
    response = client.get(page.path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    html = response.text
    body = (web_dir() / "pages" / page.file).read_text(encoding="utf-8")
    assert body in html
    assert "<head>" not in body  # the body file is only the content
    assert "<footer" not in body
    assert f"<title>{page.title} · friendshore</title>" in html
    assert f'<a href="{page.path}" aria-current=page>{page.title}</a>' in html
    assert html.count("<a href=") >= len(PAGES)
    assert page.sources in html
    assert "$" not in html.split("<main", 1)[0]  # every placeholder of the head is filled
    prefix = f"/static/{static_version()}"
    assert f'<script type="module" src="{prefix}/{page.script}"></script>' in html
    assert ('rel="preload" as="script" id="plotly-js"' in html) == page.charts


def test_static_files_are_versioned_and_cached_for_good(client: TestClient) -> None:
    html = client.get("/").text
    urls = re.findall(r'(?:href|src)="(/(?:static|vendor)/[^"]+)"', html)
    assert {u.rsplit("/", 1)[-1] for u in urls} >= {"app.css", "overview.js"}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == IMMUTABLE, url
    plotly = next(u for u in urls if u.startswith("/vendor/plotly-"))
    shipped = files("friendshore.web").joinpath("vendor", "plotly-friendshore.min.js")
    assert client.get(plotly, headers={"Accept-Encoding": "identity"}).content == (
        shipped.read_bytes()
    )
    # every static file, by version (cached for good) and by name (for a day)
    for name, path in static_files().items():
        versioned = client.get(f"/static/{static_version()}/{name}")
        assert versioned.content == path.read_bytes()
        assert versioned.headers["cache-control"] == IMMUTABLE
        plain = client.get(f"/static/{name}")
        assert plain.content == path.read_bytes()
        assert plain.headers["cache-control"] == "public, max-age=86400"
    # ES module imports are relative (./common.js): they resolve under the same version
    script = client.get(f"/static/{static_version()}/overview.js").text
    assert 'from "./common.js"' in script
    # an old version's URL gets the current file, to be revalidated (not cached for good)
    stale = client.get("/static/000000000000/app.css")
    assert stale.status_code == 200
    assert stale.headers["cache-control"] == "no-cache"
    etag = stale.headers["etag"]
    assert client.get("/static/app.css", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/static/no-such-file.js").status_code == 404
    assert client.get("/static/..%2Fpages%2F_layout.html").status_code == 404


#: plotly.js 4.1.1's trace types (its ``lib/<trace>.js`` modules).
PLOTLY_TRACES = frozenset(
    [
        "bar",
        "barpolar",
        "box",
        "candlestick",
        "carpet",
        "choropleth",
        "choroplethmap",
        "cone",
        "contour",
        "contourcarpet",
        "densitymap",
        "funnel",
        "funnelarea",
        "heatmap",
        "histogram",
        "histogram2d",
        "histogram2dcontour",
        "icicle",
        "image",
        "indicator",
        "isosurface",
        "mesh3d",
        "ohlc",
        "parcats",
        "parcoords",
        "pie",
        "quiver",
        "sankey",
        "scatter",
        "scatter3d",
        "scattercarpet",
        "scattergeo",
        "scattergl",
        "scattermap",
        "scatterpolar",
        "scatterpolargl",
        "scattersmith",
        "scatterternary",
        "splom",
        "streamtube",
        "sunburst",
        "surface",
        "table",
        "treemap",
        "violin",
        "volume",
        "waterfall",
    ]
)


def test_the_partial_plotly_bundle_has_every_trace_the_pages_draw() -> None:
    vendor = files("friendshore.web").joinpath("vendor")
    entry = vendor.joinpath("plotly-friendshore.entry.js").read_text(encoding="utf-8")
    bundled = set(re.findall(r"require\('plotly\.js/lib/(\w+)'\)", entry)) - {"core"}
    scripts = "\n".join(
        p.read_text(encoding="utf-8") for p in static_files().values() if p.suffix == ".js"
    )
    used = set(re.findall(r"type:\s*[\"'](\w+)[\"']", scripts)) & PLOTLY_TRACES
    assert {"bar", "choropleth", "sankey"} <= used
    assert used <= bundled, f"add {sorted(used - bundled)} to plotly-friendshore.entry.js"
    # the bundle registers them: each trace module names its type
    bundle = vendor.joinpath("plotly-friendshore.min.js").read_text(encoding="utf-8")
    for trace in bundled:
        assert f'name:"{trace}"' in bundle, trace
