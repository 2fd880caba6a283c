"""The dashboard's routes: its pages, static files, plotly.js and the world geometry.

Every asset comes from the package: the pages and scripts from
:mod:`friendshore.web`, plotly.js as a partial bundle of the traces the pages draw
(``friendshore/web/vendor``, 1.6 MB against 4.8 MB in full), the map from
the bundled Natural Earth file. Files are read, gzipped and fingerprinted once.

Static files and plotly.js are served under versioned URLs
(``/static/<version>/<name>``, ``/vendor/plotly-<hash>.min.js``, the version a
hash of the files) with ``Cache-Control: public, max-age=31536000, immutable``:
a browser fetches them once, and a changed file gets a new URL. The pages
themselves (``no-cache``) name the current URLs. ``/static/<name>`` and
``/vendor/plotly.min.js`` stay available, cached for a day.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from friendshore.data.geometry import read_world_geometry
from friendshore.web import (
    NOT_FOUND_PAGE,
    PAGES,
    Page,
    page_html,
    static_files,
    static_version,
)

#: plotly.js fetches ``world_110m.json`` for any geo subplot; the pages register this
#: empty topology (``/api/v1/geometry/topology``) so that nothing is fetched.
EMPTY_TOPOLOGY: Final = {
    "type": "Topology",
    "objects": {
        layer: {"type": "GeometryCollection", "geometries": []}
        for layer in ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
    },
    "arcs": [],
}
_DAY: Final = "public, max-age=86400"
#: For versioned URLs: the content at a URL never changes.
IMMUTABLE: Final = "public, max-age=31536000, immutable"
_MEDIA_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    """A file served from memory, with its gzip and ETag."""

    body: bytes
    gzipped: bytes
    etag: str
    media_type: str

    @classmethod
    def of(cls, body: bytes, media_type: str) -> Asset:
        """Compress and fingerprint ``body`` once."""
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        return cls(body, gzip.compress(body, compresslevel=6, mtime=0), etag, media_type)

    def response(self, request: Request, *, cache_control: str = _DAY) -> Response:
        """The asset, gzipped if the client takes it; 304 if its ETag matches."""
        headers = {"ETag": self.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == self.etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(self.gzipped, media_type=self.media_type, headers=headers)
        return Response(self.body, media_type=self.media_type, headers=headers)


@cache
def plotly_js() -> Asset:
    """plotly.js for the dashboard: a partial bundle of the traces its pages draw.

    See ``friendshore/web/vendor/README.md`` (plotly.js 4.1.1, MIT; 1.6 MB against
    4.8 MB for the full bundle the plotly Python package ships).
    """
    body = files("friendshore.web").joinpath("vendor", "plotly-friendshore.min.js").read_bytes()
    return Asset.of(body, "text/javascript; charset=utf-8")


def plotly_url() -> str:
    """The versioned URL of plotly.js (its content hash in the name)."""
    digest = plotly_js().etag.strip('"')
    return f"/vendor/plotly-{digest}.min.js"


@cache
def static_assets() -> dict[str, Asset]:
    """The static files (scripts, styles) by name, read once."""
    return {
        name: Asset.of(
            path.read_bytes(),
            _MEDIA_TYPES.get(path.suffix)
            or mimetypes.guess_type(name)[0]
            or "application/octet-stream",
        )
        for name, path in static_files().items()
    }


def static_prefix() -> str:
    """The versioned URL of the static folder."""
    return f"/static/{static_version()}"


@cache
def world_geometry() -> Asset:
    """The bundled Natural Earth countries as compact GeoJSON."""
    body = json.dumps(read_world_geometry(), separators=(",", ":")).encode("utf-8")
    return Asset.of(body, "application/geo+json")


@cache
def _page(page: Page) -> str:
    return page_html(page, static_prefix=static_prefix(), plotly_src=plotly_url())


def warm_assets() -> None:
    """Read, compress and fingerprint the assets and render the pages (at start-up)."""
    static_assets()
    for page in (*PAGES, NOT_FOUND_PAGE):
        _page(page)


def not_found_page() -> HTMLResponse:
    """The dashboard's "page not found" (status 404), in the dashboard's layout."""
    return HTMLResponse(
        _page(NOT_FOUND_PAGE), status_code=404, headers={"Cache-Control": "no-cache"}
    )


pages_router = APIRouter(include_in_schema=False)


def _page_route(page: Page) -> None:
    async def serve_page() -> HTMLResponse:
        return HTMLResponse(_page(page), headers={"Cache-Control": "no-cache"})

    pages_router.add_api_route(page.path, serve_page, methods=["GET"], name=f"page:{page.file}")


for _p in PAGES:
    _page_route(_p)


@pages_router.get("/vendor/plotly.min.js")
async def get_plotly_js(request: Request) -> Response:
    """plotly.js, bundled with the plotly Python package."""
    return plotly_js().response(request)


@pages_router.get("/vendor/plotly-{digest}.min.js")
async def get_plotly_js_versioned(digest: str, request: Request) -> Response:
    """plotly.js under its content hash: cached for good (an unknown hash: the current
    file, cached for a day)."""
    asset = plotly_js()
    immutable = digest == asset.etag.strip('"')
    return asset.response(request, cache_control=IMMUTABLE if immutable else _DAY)


def _static(name: str, request: Request, cache_control: str) -> Response:
    asset = static_assets().get(name)
    if asset is None:
        return Response(
            json.dumps({"detail": f"no static file {name!r}"}),
            status_code=404,
            media_type="application/json",
        )
    return asset.response(request, cache_control=cache_control)


@pages_router.get("/static/{version}/{name}")
async def get_static_versioned(version: str, name: str, request: Request) -> Response:
    """A static file under the static folder's version: cached for good (an old version:
    the current file, to be revalidated)."""
    return _static(name, request, IMMUTABLE if version == static_version() else "no-cache")


@pages_router.get("/static/{name}")
async def get_static(name: str, request: Request) -> Response:
    """A static file by name, cached for a day."""
    return _static(name, request, _DAY)


geometry_router = APIRouter(prefix="/geometry", tags=["geometry"])


@geometry_router.get(
    "/world",
    summary="World countries (Natural Earth 1:110m, public domain) as GeoJSON.",
    responses={200: {"content": {"application/geo+json": {}}}},
)
async def get_world(request: Request) -> Response:
    """GeoJSON FeatureCollection; each feature's ``properties.iso3`` is its ISO3 code."""
    return world_geometry().response(request)


@geometry_router.get("/topology", summary="The empty topology plotly.js asks for (offline).")
async def get_topology() -> Response:
    """An empty TopoJSON topology (registered as plotly's ``world_110m``)."""
    return Response(json.dumps(EMPTY_TOPOLOGY), media_type="application/json")
