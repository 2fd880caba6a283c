"""POST /api/v1/stockpile: a job whose result equals the CLI's; bounded input, 422 naming it."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import pytest
from api_helpers import TestClient, assert_json_close, cli_json

from friendshore.api.stockpile import MAX_DRAWS

GALLIUM = "cn-gallium-germanium-2023"


def wait(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    seen = [job["done"]]
    for _ in range(6000):
        job = client.get(f"/api/v1/jobs/{job['id']}").json()
        seen.append(job["done"])
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert seen == sorted(seen)  # progress never goes back
    return job


def size(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/stockpile", json=body)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert job["kind"] == "stockpile"
    done = wait(client, job)
    assert done["status"] == "done", done
    return done


def _same(api: dict[str, Any], cli: dict[str, Any]) -> None:
    for key in ("timings",):  # seconds differ from run to run
        api.pop(key), cli.pop(key)
    assert_json_close(api, cli)


def test_a_sizing_equals_the_cli(client: TestClient, store_path: Path) -> None:
    job = size(client, {"budget_usd": 2e9, "draws": 150, "seed": 3})
    assert (job["done"], job["total"]) == (151, 151)  # one unit a draw, one for the sizing
    result = job["result"]
    cli = cli_json(
        "stockpile", "size", "--budget", "2e9", "--draws", "150", "--seed", "3",
        "--store", str(store_path),
    )  # fmt: skip
    _same(result, cli)
    # never more than the budget buys
    assert result["totals"]["purchase_cost_usd"] <= 2e9 * (1 + 1e-9)
    spent = sum(r["purchase_cost_usd"] for r in result["records"])
    assert spent == pytest.approx(result["totals"]["purchase_cost_usd"], rel=1e-9)
    # days of cover = tonnes / (apparent consumption / 365)
    for row in result["records"]:
        if row["tonnes"] and row["apparent_consumption_t"]:
            expected = row["tonnes"] / (row["apparent_consumption_t"] / 365)
            assert row["days_of_cover"] == pytest.approx(expected, rel=1e-9)
    assert [r["reference"] for r in result["references"]] == ["US DoD antimony", "US DoD cobalt"]
    budgets = [f["budget_usd"] for f in result["frontier"]]
    assert 2e9 in budgets
    costs = [f["expected_cost_usd_yr"] for f in result["frontier"]]
    assert all(b <= a * (1 + 1e-12) for a, b in itertools.pairwise(costs))


def test_a_weighted_scenario_and_member_reserves(client: TestClient, store_path: Path) -> None:
    body = {
        "budget_usd": 5e8,
        "reserve": "member",
        "draws": 0,
        "scenarios": [{"id": GALLIUM, "weight": 0.2}],
        "shortfall_multiple": 8,
        "carrying_rate": 0.05,
    }
    result = size(client, body)["result"]
    cli = cli_json(
        "stockpile", "size", "--budget", "5e8", "--reserve", "member", "--draws", "0",
        "--scenario", f"{GALLIUM}:0.2", "--shortfall-multiple", "8", "--carrying-rate", "0.05",
        "--store", str(store_path),
    )  # fmt: skip
    _same(result, cli)
    assert result["reserve"] == "member"
    assert result["scenarios"] == [{"scenario": GALLIUM, "weight": 0.2}]
    assert {r["member"] for r in result["records"]} - {"zone"}
    assert result["scenario_block"]  # the block `scenario run` takes


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"draws": MAX_DRAWS + 1}, "draws"),
        ({"draws": -1}, "draws"),
        ({"draws": 0}, "draws"),
        ({"budget_usd": -1}, "budget_usd"),
        ({"budget_usd": 1e300}, "budget_usd"),
        ({"carrying_rate": 1.5}, "carrying_rate"),
        ({"shortfall_multiple": 0}, "shortfall_multiple"),
        ({"reserve": "country"}, "reserve"),
        ({"method": "guess"}, "method"),
        ({"scenarios": [{"id": "no-such-scenario"}]}, "scenarios.0.id"),
        ({"scenarios": [{"id": "../../etc/passwd"}]}, "scenarios.0.id"),
        ({"scenarios": [{"id": GALLIUM, "weight": 2}]}, "scenarios.0.weight"),
        (
            {"scenarios": [{"id": GALLIUM, "weight": 0.6}, {"id": GALLIUM, "weight": 0.6}]},
            "scenarios",
        ),
        ({"scenarios": [{"id": GALLIUM}] * 21}, "scenarios"),
        ({"seed": -5}, "seed"),
        ({"months": 0}, "months"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_requests_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/stockpile", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_the_stockpile_is_in_the_schema(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    post = schema["paths"]["/api/v1/stockpile"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert body["properties"]["draws"]["anyOf"][0]["maximum"] == MAX_DRAWS
    assert "202" in post["responses"]
