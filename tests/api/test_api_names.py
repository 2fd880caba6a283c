"""Names a person types, through the API: mineral names and synonyms, members by name."""

from __future__ import annotations

from api_helpers import TestClient


def test_mineral_path_takes_names_and_synonyms(client: TestClient) -> None:
    by_id = client.get("/api/v1/minerals/rare_earths")
    assert by_id.status_code == 200
    for name in ("Rare%20earths", "REE", "neodymium", "RARE-EARTHS"):
        response = client.get(f"/api/v1/minerals/{name}")
        assert response.status_code == 200, (name, response.text)
        assert response.json()["mineral"] == "rare_earths"
        assert response.json() == by_id.json()


def test_unknown_mineral_in_a_path_is_404_with_a_suggestion(client: TestClient) -> None:
    response = client.get("/api/v1/minerals/lithum")
    assert response.status_code == 404
    body = response.json()
    assert body["field"] == "mineral"
    assert "did you mean lithium?" in body["detail"]
    trade = client.get("/api/v1/minerals/galium/trade")
    assert trade.status_code == 404
    assert "did you mean gallium" in trade.json()["detail"]


def test_unknown_mineral_in_a_query_is_422_with_a_suggestion(client: TestClient) -> None:
    response = client.get("/api/v1/metrics/supply-risk", params={"mineral": "cobolt"})
    assert response.status_code == 422
    assert response.json()["field"] == "mineral"
    assert "did you mean cobalt?" in response.json()["detail"]
    prices = client.get("/api/v1/prices", params={"mineral": "tungstn"})
    assert prices.status_code == 422
    assert "did you mean tungsten?" in prices.json()["detail"]


def test_concentration_picks_the_stage_gallium_has(client: TestClient) -> None:
    response = client.get("/api/v1/metrics/concentration", params={"mineral": "Gallium"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"]["stage"] == "processing"
    assert body["query"]["mineral_name"] == "Gallium"
    top = body["rows"][0]
    # China refined 750 t of the 762 t of primary gallium in 2024 (USGS MCS 2025)
    assert (top["country"], top["mineral_id"], top["mineral_name"]) == ("CHN", "gallium", "Gallium")
    assert abs(top["share"] - 750 / 762) < 1e-9
    mining = client.get(
        "/api/v1/metrics/concentration", params={"mineral": "gallium", "stage": "mining"}
    )
    assert mining.status_code == 422
    assert mining.json()["field"] == "stage"
    assert "stages with data: processing" in mining.json()["detail"]


def test_members_by_any_case_and_by_name(client: TestClient) -> None:
    by_id = client.get("/api/v1/members/EU27").json()
    assert client.get("/api/v1/members/eu27").json() == by_id
    assert client.get("/api/v1/members/European%20Union").json() == by_id
    japan = client.get("/api/v1/members/Japan")
    assert japan.status_code == 200
    assert japan.json()["member"] == "JPN"
    rows = client.get(
        "/api/v1/metrics/dependence", params={"member": "eu27", "mineral": "Graphite"}
    ).json()["rows"]
    assert {r["member"] for r in rows} == {"EU27"}
    assert {r["mineral_name"] for r in rows} == {"Graphite (natural)"}
    typo = client.get("/api/v1/members/Japn")
    assert typo.status_code == 404
    assert "did you mean Japan?" in typo.json()["detail"]


def test_scenario_id_and_percent_share_errors_in_plain_words(client: TestClient) -> None:
    scenario = client.get("/api/v1/scenarios/cn-gallium-germanium-2023").json()
    bad_id = {**scenario, "id": "My Scenario"}
    response = client.post("/api/v1/scenarios/run", json=bad_id)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "must be lower-case letters, digits and hyphens" in detail
    assert "[a-z0-9]" not in detail
    shocks = [{**scenario["shocks"][0], "share": 50}, *scenario["shocks"][1:]]
    response = client.post("/api/v1/scenarios/run", json={**scenario, "shocks": shocks})
    assert response.status_code == 422
    assert response.json()["field"] == "shocks.0.share"
    assert "write 0.5 for 50%" in response.json()["detail"]
