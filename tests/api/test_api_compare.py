"""GET /api/v1/scenarios/compare and /scenarios/{id}/sensitivity: the CLI's figures, errors."""

from __future__ import annotations

from typing import Any

from api_helpers import TestClient, assert_json_close, cli_json

GA_GE = "cn-gallium-germanium-2023"
US_BAN = "cn-us-ga-ge-sb-2024"
GRAPHITE = "cn-graphite-2023"


def get(client: TestClient, path: str, status: int = 200, **params: Any) -> Any:
    response = client.get(f"/api/v1/scenarios/{path}", params=params)
    assert response.status_code == status, response.text
    return response.json()


def test_compare_equals_the_cli(client: TestClient) -> None:
    body = get(client, "compare", ids=f"{GA_GE},{US_BAN}")
    assert_json_close(body, cli_json("scenario", "compare", GA_GE, US_BAN))
    assert [s["id"] for s in body["scenarios"]] == [GA_GE, US_BAN]
    usa = next(
        r
        for r in body["rows"]
        if (r["member"], r["mineral"], r["stage"]) == ("USA", "gallium", "processing")
    )
    assert usa["shortfall_share"][US_BAN] > 0.5
    # the same request again is served from the run cache, byte for byte
    again = client.get("/api/v1/scenarios/compare", params={"ids": f"{GA_GE},{US_BAN}"})
    assert again.json() == body


def test_compare_with_a_spare_fraction_equals_the_cli(client: TestClient) -> None:
    body = get(client, "compare", ids=GRAPHITE, spare_fraction=0.0)
    assert body["spare_fraction"] == 0.0
    assert_json_close(body, cli_json("scenario", "compare", GRAPHITE, "--spare", "0"))
    base = get(client, "compare", ids=GRAPHITE)
    zone = {
        r["mineral"]: r["shortfall_share"][GRAPHITE] for r in body["rows"] if r["member"] == "zone"
    }
    zone_base = {
        r["mineral"]: r["shortfall_share"][GRAPHITE] for r in base["rows"] if r["member"] == "zone"
    }
    assert zone["graphite"] > zone_base["graphite"]  # less spare capacity, more shortfall


def test_compare_errors_name_the_field(client: TestClient) -> None:
    body = get(client, "compare", 404, ids=f"{GA_GE},cn-nothing-2030")
    assert body["field"] == "ids"
    assert "cn-nothing-2030" in body["detail"]
    body = get(client, "compare", 422, ids=f"{GA_GE},{GA_GE}")
    assert body["field"] == "ids"
    assert "twice" in body["detail"]
    body = get(client, "compare", 422, ids=",")
    assert body["field"] == "ids"
    body = get(client, "compare", 422, ids=GA_GE, spare_fraction=2)
    assert body["field"] == "spare_fraction"
    body = get(client, "compare", 422)
    assert body["field"] == "ids"
    body = get(client, "compare", 422, ids=GA_GE, extra="1")
    assert body["field"] == "extra"


def test_sensitivity_equals_the_cli(client: TestClient) -> None:
    body = get(client, f"{GRAPHITE}/sensitivity")
    assert_json_close(body, cli_json("scenario", "sensitivity", GRAPHITE))
    names = {r["assumption"] for r in body["rows"]}
    assert names == {"spare_fraction", "demand_elasticity", "stock_days"}
    body = get(client, "cn-nothing-2030/sensitivity", 404)
    assert body["field"] == "scenario_id"
