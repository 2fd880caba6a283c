"""Unknown is not zero in the API's JSON: a share known only by its bounds is null with its range
and its reason; a known zero is 0 (through FastAPI's test client, on the session store)."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from api_helpers import TestClient


def get(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def test_lithium_chemicals_zone_share_is_unknown_not_zero(
    client: TestClient, store_path: Any
) -> None:
    records = get(client, "/api/v1/assessment")["records"]
    li = next(r for r in records if (r["mineral"], r["stage"]) == ("lithium", "processing"))
    # the IEA's 2024 lithium chemicals: the countries it lists and its rest of the world
    with duckdb.connect(str(store_path), read_only=True) as con:
        listed = con.execute(
            "SELECT country, quantity_t FROM production WHERE mineral_id = 'lithium' "
            "AND stage = 'processing' AND source = 'IEA CMDE' AND year = 2024"
        ).fetchall()
        rest, world = con.execute(
            "SELECT max(quantity_t) FILTER (WHERE kind = 'other'), "
            "max(quantity_t) FILTER (WHERE kind = 'world') FROM aggregates "
            "WHERE measure = 'production' AND mineral_id = 'lithium' AND stage = 'processing' "
            "AND source = 'IEA CMDE' AND year = 2024"
        ).fetchone()
    assert {c for c, _ in listed} == {"CHN", "CHL", "ARG", "AUS"}  # no member
    assert li["year"] == 2024
    assert li["zone_production_share"] is None
    assert li["zone_production_share_min"] == 0.0
    assert li["zone_production_share_max"] == pytest.approx(rest / li["world_quantity_t"])
    assert li["world_quantity_t"] == pytest.approx(world, rel=1e-4)  # listed rows' sum
    assert "IEA CMDE lists top producers only" in li["zone_production_share_note"]
    # its non-rival share is unknown too (it was 0.0)
    assert li["zone_non_rival_supply_share"] is None
    # the mineral's own page says the same
    detail = get(client, "/api/v1/minerals/lithium")
    summary = next(r for r in detail["summary"] if r["stage"] == "processing")
    assert summary["zone_production_share"] is None
    assert summary["zone_production_share_note"] == li["zone_production_share_note"]


def test_a_known_zero_is_zero_and_every_unknown_says_why(client: TestClient) -> None:
    records = get(client, "/api/v1/assessment")["records"]
    mg = next(r for r in records if (r["mineral"], r["stage"]) == ("magnesium_metal", "processing"))
    assert mg["source"] == "USGS MCS"  # lists every producer: no member produces
    assert mg["zone_production_share"] == 0.0
    assert mg["zone_production_share_min"] == mg["zone_production_share_max"] == 0.0
    assert mg["zone_production_share_note"] is None
    for r in records:
        unknown = r["zone_production_share"] is None
        assert unknown == (r["zone_production_share_note"] is not None), (r["mineral"], r["stage"])
