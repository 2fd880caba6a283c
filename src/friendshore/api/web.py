"""The dashboard's routes: its pages, static files, plotly.js and the world geometry.

Every asset comes from the package: the pages and scripts from
:mod:`friendshore.web`, plotly.js from the plotly Python package, the map from
the bundled Natural Earth file. Large files are gzipped once and cached.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from friendshore.data.geometry import read_world_geometry
from friendshore.web import PAGES, Page, page_html

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

    def response(self, request: Request) -> Response:
        """The asset, gzipped if the client takes it; 304 if its ETag matches."""
        headers = {"ETag": self.etag, "Cache-Control": _DAY, "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == self.etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(self.gzipped, media_type=self.media_type, headers=headers)
        return Response(self.body, media_type=self.media_type, headers=headers)


@cache
def plotly_js() -> Asset:
    """plotly.min.js as shipped in the plotly Python package."""
    body = files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()
    return Asset.of(body, "text/javascript; charset=utf-8")


@cache
def world_geometry() -> Asset:
    """The bundled Natural Earth countries as compact GeoJSON."""
    body = json.dumps(read_world_geometry(), separators=(",", ":")).encode("utf-8")
    return Asset.of(body, "application/geo+json")


@cache
def _page(page: Page) -> str:
    return page_html(page)


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
