"""The bundled Natural Earth world geometry: ISO3 codes, compactness and provenance."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from friendshore.data.countries import read_countries
from friendshore.data.geometry import GEOMETRY_SOURCE, read_world_geometry, world_geometry_path
from friendshore.data.sources import source_info


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    return read_world_geometry()


def _rings(geometry: dict[str, Any]) -> Iterator[list[list[float]]]:
    polygons = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    for polygon in polygons:
        yield from polygon


def test_one_feature_per_iso3_country(world: dict[str, Any]) -> None:
    features = world["features"]
    codes = [f["properties"]["iso3"] for f in features]
    # Natural Earth 1:110m has 177 admin-0 features; N. Cyprus and Somaliland join CYP and SOM.
    assert len(features) == 175
    assert len(set(codes)) == len(codes)
    assert {f["id"] for f in features} == set(codes)
    assert set(codes) <= set(read_countries()["iso3"])
    # Natural Earth writes ISO_A3 = -99 for France, Norway and Kosovo; they must be here.
    assert {"FRA", "NOR", "XKX", "CHN", "USA", "MEX", "JPN", "COD", "AUS"} <= set(codes)
    assert all(f["properties"]["name"] for f in features)


def test_geometry_is_valid_compact_geojson(world: dict[str, Any]) -> None:
    assert world["type"] == "FeatureCollection"
    for feature in world["features"]:
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        for ring in _rings(feature["geometry"]):
            assert len(ring) >= 4
            assert ring[0] == ring[-1]
            for lon, lat in ring:
                assert -180 <= lon <= 180
                assert -90 <= lat <= 90
                assert round(lon, 2) == lon
                assert round(lat, 2) == lat
    assert world_geometry_path().stat().st_size < 250_000


def test_each_call_returns_a_fresh_copy() -> None:
    first = read_world_geometry()
    first["features"].clear()
    assert len(read_world_geometry()["features"]) == 175


def test_provenance_is_recorded() -> None:
    readme = (world_geometry_path().parent / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256(world_geometry_path().read_bytes()).hexdigest()
    assert digest in readme  # the README records the hash of the file it describes
    assert "world-atlas" in readme
    assert "public domain" in readme.lower()
    info = source_info(GEOMETRY_SOURCE)
    assert info.licence == "Public domain"
    assert "naturalearthdata.com" in info.url
