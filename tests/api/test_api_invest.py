"""Investment endpoints: pipelines, optimisation and frontier as jobs equal to the CLI's, errors."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from api_helpers import TestClient, assert_json_close, cli_json

from friendshore.invest.pipeline import load_pipeline

EXAMPLE = "example-illustrative"


def wait(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    seen = [job["done"]]
    for _ in range(1200):
        job = client.get(f"/api/v1/jobs/{job['id']}").json()
        seen.append(job["done"])
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert seen == sorted(seen)  # progress never goes back
    return job


def start(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1/invest/{path}", json=body)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/api/v1/jobs/{job['id']}"
    return wait(client, job)


def test_pipelines(client: TestClient) -> None:
    listed = client.get("/api/v1/invest/pipelines").json()
    assert [p["id"] for p in listed] == [EXAMPLE]
    assert listed[0]["illustrative"] is True
    assert listed[0]["projects"] == len(load_pipeline(EXAMPLE))
    shown = client.get(f"/api/v1/invest/pipelines/{EXAMPLE}").json()
    assert [r["id"] for r in shown["rows"]] == [p.id for p in load_pipeline(EXAMPLE).projects]
    cli = cli_json("invest", "validate", EXAMPLE)
    assert [r["capex_usd"] for r in shown["rows"]] == [r["capex_usd"] for r in cli]


def test_unknown_pipeline_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/invest/pipelines/nope")
    assert response.status_code == 404
    assert response.json()["field"] == "pipeline_id"
    assert EXAMPLE in response.json()["detail"]


def test_optimize_equals_the_cli(client: TestClient, store_path: Path) -> None:
    job = start(client, "optimize", {"pipeline": EXAMPLE, "budget_usd": 5e8, "year": 2030})
    assert job["status"] == "done", job
    assert (job["done"], job["total"], job["progress"]) == (2, 2, 1.0)
    result = job["result"]
    cli = cli_json(
        "invest",
        "optimize",
        EXAMPLE,
        "--budget",
        "5e8",
        "--year",
        "2030",
        "--store",
        str(store_path),
    )
    for payload in (result, cli):
        payload["model"].pop("solve_seconds")  # wall-clock: differs from run to run
    assert_json_close(result, cli)
    capex = sum(p["capex_usd"] for p in result["chosen"])
    assert 0 < capex <= 5e8
    assert sum(m["capex_usd"] for m in result["by_member"]) == pytest.approx(capex)
    assert sum(m["jobs_operation"] for m in result["by_member"]) == sum(
        p["jobs_operation"] for p in result["chosen"]
    )
    assert result["objective_after"] < result["objective_before"]
    assert all(p["online_year"] <= 2030 for p in result["chosen"])


def test_no_budget_buys_nothing(client: TestClient) -> None:
    job = start(client, "optimize", {"budget_usd": 0})
    assert job["status"] == "done", job
    result = job["result"]
    assert result["chosen"] == []
    assert result["objective_after"] == pytest.approx(result["objective_before"])
    for row in result["metrics"]:
        before = row["china_zone_supply_share_before"]
        assert row["china_zone_supply_share_after"] == before


def test_frontier_equals_the_cli_and_is_monotone(client: TestClient, store_path: Path) -> None:
    budgets = [0.0, 2e8, 5e8]
    job = start(client, "frontier", {"budgets_usd": budgets})
    assert job["status"] == "done", job
    assert (job["done"], job["total"]) == (4, 4)
    rows = job["result"]["rows"]
    cli = cli_json(
        "invest", "frontier", EXAMPLE, "--budgets", "0,2e8,5e8", "--store", str(store_path)
    )
    assert_json_close(rows, cli)
    assert [r["budget_usd"] for r in rows] == budgets
    objectives = [r["objective"] for r in rows]
    assert objectives == sorted(objectives, reverse=True)
    assert rows[0]["n_projects"] == 0


def test_inline_projects(client: TestClient) -> None:
    rows = client.get(f"/api/v1/invest/pipelines/{EXAMPLE}").json()["rows"]
    job = start(client, "optimize", {"projects": rows[:3], "budget_usd": 1e12})
    assert job["status"] == "done", job
    chosen = {p["id"] for p in job["result"]["chosen"]}
    assert chosen <= {r["id"] for r in rows[:3]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pipeline": "nope"}, "pipeline"),
        ({"pipeline": "../../etc/passwd.csv"}, "pipeline"),
        ({"budget_usd": -1}, "budget_usd"),
        ({"year": 1900}, "year"),
        ({"objective": "profit"}, "objective"),
        ({"objective": "shortfall"}, "scenarios"),
        ({"objective": "shortfall", "scenarios": ["nope"]}, "scenarios.0"),
        ({"scenarios": ["cn-gallium-germanium-2023"]}, "scenarios"),
        ({"min_member_share": 2}, "min_member_share"),
        ({"projects": []}, "projects"),
        ({"budget": 5e8}, "budget"),
    ],
)
def test_bad_optimize_input_is_422_with_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/invest/optimize", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_bad_project_is_422_with_the_field(client: TestClient) -> None:
    rows = client.get(f"/api/v1/invest/pipelines/{EXAMPLE}").json()["rows"]
    rows[1]["country"] = "XXX"
    response = client.post("/api/v1/invest/optimize", json={"projects": rows})
    assert response.status_code == 422
    assert response.json()["field"] == "projects.1.country"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"steps": 1}, "steps"),
        ({"budgets_usd": []}, "budgets_usd"),
        ({"pipeline": "x"}, "pipeline"),
    ],
)
def test_bad_frontier_input_is_422_with_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/invest/frontier", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_infeasible_requirements_fail_with_a_message(client: TestClient) -> None:
    job = start(client, "optimize", {"budget_usd": 1e6, "require_projects": ["ILL-PR-FIN-1"]})
    assert job["status"] == "failed"
    assert "budget" in job["error"]["detail"]
