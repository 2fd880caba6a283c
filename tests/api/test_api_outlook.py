"""GET /api/v1/outlook: the CLI's figures, filters, served from memory, 422 naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_helpers import TestClient, assert_json_close, cli_json

from friendshore.data.queries import read_projections
from friendshore.invest.pipeline import load_pipeline

EXAMPLE = "example-illustrative"


def test_the_outlook_equals_the_cli(client: TestClient, store_path: Path) -> None:
    response = client.get("/api/v1/outlook", params={"scenario": "APS", "year": 2030})
    assert response.status_code == 200, response.text
    payload = response.json()
    cli = cli_json("outlook", "--scenario", "APS", "--year", "2030", "--store", str(store_path))
    assert_json_close(payload, cli)
    assert payload["scenarios"] == ["APS"]
    assert payload["years"] == [2030]
    assert {r["scenario"] for r in payload["rows"]} == {"APS"}
    # zone demand = world demand × the zone's share (each end of the interval)
    for row in payload["rows"]:
        for share, demand in (
            ("zone_share_min", "zone_demand_min_t"),
            ("zone_share_max", "zone_demand_max_t"),
        ):
            if row[share] is not None:
                assert row[demand] == pytest.approx(row["world_demand_t"] * row[share], rel=1e-9)
    assert payload["rival_key"] == "china_world_supply_share"


def test_every_scenario_and_year_by_default(client: TestClient, store_path: Path) -> None:
    payload = client.get("/api/v1/outlook").json()
    assert payload["scenarios"] == ["STEPS", "APS", "NZE"]
    assert payload["years"] == [2023, 2030, 2035, 2040, 2045, 2050]
    pairs = {(r["mineral"], r["stage"]) for r in payload["rows"]}
    assert len(payload["rows"]) == len(pairs) * 3 * 6
    # the IEA's total demand for lithium in 2030 under STEPS: 471.291 kt (CMDE May 2024,
    # sheet "1 Total demand for key minerals", cell D37), the store's row of that cell
    (row,) = [
        r
        for r in payload["rows"]
        if (r["mineral"], r["stage"], r["scenario"], r["year"])
        == ("lithium", "processing", "STEPS", 2030)
    ]
    assert row["world_demand_t"] == pytest.approx(471_291.0, rel=1e-12)
    assert row["demand_source"] == "1 Total demand for key minerals!D37"
    stored = read_projections(
        store_path, kind="demand", mineral="lithium", scenario="STEPS", edition="IEA CMDE May 2024"
    )
    (cell,) = stored.loc[
        (stored["source_cell"] == "D37") & (stored["year"] == 2030), "value_t"
    ].tolist()
    assert row["world_demand_t"] == cell
    assert row["demand_basis"] == "total demand"
    # scenarios repeated in the query give the same answer as one each
    twice = client.get("/api/v1/outlook?scenario=NZE&scenario=NZE&scenario=STEPS").json()
    assert twice["scenarios"] == ["NZE", "STEPS"]


def test_filters_keep_rows_only(client: TestClient) -> None:
    whole = client.get("/api/v1/outlook", params={"year": 2040}).json()
    one = client.get(
        "/api/v1/outlook",
        params={"year": 2040, "mineral": "cobalt", "stage": "processing", "member": "JPN"},
    ).json()
    expected = [r for r in whole["rows"] if r["mineral"] == "cobalt" and r["stage"] == "processing"]
    assert one["rows"] == expected
    assert one["members"] == [
        m
        for m in whole["members"]
        if m["mineral"] == "cobalt" and m["stage"] == "processing" and m["member"] == "JPN"
    ]
    assert len(one["members"]) == 3  # one per scenario


def test_a_pipeline_adds_its_capacity(client: TestClient, store_path: Path) -> None:
    base = client.get("/api/v1/outlook", params={"year": 2040}).json()
    piped = client.get("/api/v1/outlook", params={"year": 2040, "pipeline": EXAMPLE}).json()
    cli = cli_json("outlook", "--year", "2040", "--pipeline", EXAMPLE, "--store", str(store_path))
    assert_json_close(piped, cli)
    capacity = {(p.mineral, p.stage.value) for p in load_pipeline(EXAMPLE).projects}
    added = [r for r in piped["rows"] if (r["pipeline_t"] or 0) > 0]
    assert added
    assert {(r["mineral"], r["stage"]) for r in added} <= capacity
    before = {(r["mineral"], r["stage"], r["scenario"]): r for r in base["rows"]}
    for row in added:
        old = before[(row["mineral"], row["stage"], row["scenario"])]
        if old["gap_max_t"] is not None:
            assert row["gap_max_t"] == pytest.approx(old["gap_max_t"] - row["pipeline_t"])


def test_a_second_call_is_served_from_memory(client: TestClient) -> None:
    first = client.get("/api/v1/outlook?year=2035")
    second = client.get("/api/v1/outlook?year=2035")
    assert second.content == first.content
    engine = client.app.state.engine  # type: ignore[attr-defined]
    snap = engine.current()
    assert ("/api/v1/outlook", b"year=2035") in snap.cache


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("scenario=XYZ", "scenario.0"),
        ("year=2031", "year"),
        ("year=1800", "year"),
        ("mineral=unobtainium", "mineral"),
        ("stage=components", "stage"),
        ("member=CHN", "member"),
        ("pipeline=/etc/passwd", "pipeline"),
        ("zone=default", "zone"),
    ],
)
def test_bad_queries_are_422_naming_the_field(client: TestClient, query: str, field: str) -> None:
    response = client.get(f"/api/v1/outlook?{query}")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == field
    assert body["detail"]


def test_the_outlook_is_in_the_schema(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    params = {p["name"] for p in schema["paths"]["/api/v1/outlook"]["get"]["parameters"]}
    assert params == {"scenario", "year", "mineral", "stage", "member", "pipeline"}
