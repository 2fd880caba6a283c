"""World map geometry bundled with the package (no map tiles or CDN at run time).

``bundled/naturalearth/countries_110m.geojson`` holds the Natural Earth 1:110m
admin-0 countries (public domain) as a compact GeoJSON FeatureCollection: one
feature per ISO 3166 country, ``id`` and ``properties.iso3`` the ISO3 code,
``properties.name`` the Natural Earth name, coordinates in degrees rounded to
two decimals. ``bundled/naturalearth/README.md`` says exactly how it was made.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from friendshore._core.errors import DataError
from friendshore.data.resources import bundled_path

#: Source name of the geometry in :data:`friendshore.data.sources.SOURCES`.
GEOMETRY_SOURCE: Final = "Natural Earth"


def world_geometry_path() -> Path:
    """Return the path of the bundled world GeoJSON."""
    return bundled_path("naturalearth", "countries_110m.geojson")


def read_world_geometry() -> dict[str, Any]:
    """Return the world's countries as a GeoJSON FeatureCollection (a fresh dict each call).

    Each feature has ``properties.iso3`` (ISO 3166 alpha-3; ``XKX`` for Kosovo)
    and ``properties.name``; plot it with ``featureidkey="properties.iso3"``.

    Raises
    ------
    DataError
        If the bundled file is not a FeatureCollection of features with an iso3.
    """
    path = world_geometry_path()
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    if data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise DataError("not a GeoJSON FeatureCollection", file=path, field="type")
    for i, feature in enumerate(data["features"]):
        iso3 = feature.get("properties", {}).get("iso3")
        if not isinstance(iso3, str) or len(iso3) != 3:
            raise DataError("feature without an ISO3 code", file=path, field=f"features[{i}]")
    return data
