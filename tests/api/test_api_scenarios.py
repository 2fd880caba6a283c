"""Scenario endpoints: the library, a run equal to the CLI's, Monte Carlo as a job, errors."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from api_helpers import TestClient, assert_json_close, cli_json

from friendshore.api.schemas import ScenarioRunOut
from friendshore.scenarios.model import Scenario

GALLIUM = "cn-gallium-germanium-2023"


def shipped(client: TestClient, scenario_id: str = GALLIUM) -> dict[str, Any]:
    response = client.get(f"/api/v1/scenarios/{scenario_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def run(client: TestClient, body: dict[str, Any], status: int = 200) -> Any:
    response = client.post("/api/v1/scenarios/run", json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_list_equals_the_cli(client: TestClient) -> None:
    listed = client.get("/api/v1/scenarios").json()
    assert listed == cli_json("scenario", "list")
    assert GALLIUM in {s["id"] for s in listed}


def test_list_by_mineral_equals_the_cli(client: TestClient) -> None:
    listed = client.get("/api/v1/scenarios", params={"mineral": "germanium"}).json()
    assert listed == cli_json("scenario", "list", "--mineral", "germanium")
    assert {s["id"] for s in listed} == {GALLIUM, "cn-us-ga-ge-sb-2024"}
    # names and synonyms as everywhere; a typo is a 422 with a suggestion
    by_name = client.get("/api/v1/scenarios", params={"mineral": "Germanium"}).json()
    assert by_name == listed
    response = client.get("/api/v1/scenarios", params={"mineral": "germanum"})
    assert response.status_code == 422
    assert response.json()["field"] == "mineral"
    assert "germanium" in response.json()["detail"]


def test_show_equals_the_cli_and_is_a_valid_body(client: TestClient) -> None:
    body = shipped(client)
    assert body == cli_json("scenario", "show", GALLIUM)
    assert Scenario.model_validate(body).id == GALLIUM


def test_unknown_scenario_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/scenarios/cn-unobtainium-2099")
    assert response.status_code == 404
    assert response.json()["field"] == "scenario_id"
    assert GALLIUM in response.json()["detail"]


def test_gallium_run_equals_the_cli(client: TestClient, store_path: Path) -> None:
    result = run(client, shipped(client))
    ScenarioRunOut.model_validate(result)
    cli = cli_json("scenario", "run", GALLIUM, "--store", str(store_path))
    assert result["scenario"] == cli["scenario"] == GALLIUM
    assert result["baseline_year"] == cli["baseline_year"] == 2022
    keys = set(cli["records"][0])
    assert_json_close([{k: r[k] for k in keys} for r in result["records"]], cli["records"])
    assert_json_close(result["zone_totals"], cli["zone_totals"])
    hit = {(r["member"], r["mineral"]) for r in result["records"] if r["lost_t"] > 0}
    assert {("USA", "gallium"), ("EU27", "gallium"), ("JPN", "germanium")} <= hit
    for r in result["records"]:
        recovered = r["recovered_rerouting_t"] + r["recovered_sharing_t"]
        recovered += r["recovered_stockpile_t"]
        assert r["shortfall_t"] == pytest.approx(max(r["lost_t"] - recovered, 0.0), abs=1e-9)


def test_a_smaller_cut_loses_less(client: TestClient) -> None:
    body = shipped(client)
    full = run(client, body)
    body["shocks"][0]["share"] = 0.5
    half = run(client, body)

    def lost(result: Any) -> float:
        return float(sum(t["lost_t"] for t in result["zone_totals"]))

    assert 0 < lost(half) < lost(full)
    assert lost(half) == pytest.approx(lost(full) / 2, rel=1e-6)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda b: b["shocks"][0].update(share=2), "shocks.0.share"),
        (lambda b: b["shocks"][0].update(minerals=["unobtainium"]), "shocks.0.minerals.0"),
        (lambda b: b["shocks"][0].update(country="XXX"), "shocks.0.country"),
        (lambda b: b["shocks"][0].update(type="embargo"), "shocks.0"),
        (lambda b: b.update(colour="red"), "colour"),
        (lambda b: b.pop("date"), "date"),
        (lambda b: b.update(baseline_year="soon"), "baseline_year"),
    ],
)
def test_invalid_scenario_is_422_with_the_field(client: TestClient, edit: Any, field: str) -> None:
    body = shipped(client)
    edit(body)
    error = run(client, body, 422)
    assert error["field"] == field
    assert error["errors"][0]["field"] == field


def test_stockpile_of_a_non_member_is_422(client: TestClient) -> None:
    body = shipped(client)
    body["response"]["stockpiles"] = [{"member": "AUS", "mineral": "gallium", "days": 30}]
    error = run(client, body, 422)
    assert "not a member" in error["detail"]


def wait(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    seen = [job["done"]]
    for _ in range(600):
        job = client.get(f"/api/v1/jobs/{job['id']}").json()
        seen.append(job["done"])
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert seen == sorted(seen)  # progress never goes back
    return job


def test_montecarlo_job_equals_the_cli(client: TestClient, store_path: Path) -> None:
    request = {"scenario": shipped(client), "draws": 50, "seed": 3}
    response = client.post("/api/v1/scenarios/montecarlo", json=request)
    assert response.status_code == 202
    job = response.json()
    assert response.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert job["total"] == 50
    assert job["status"] in ("queued", "running", "done")
    job = wait(client, job)
    assert job["status"] == "done", job
    assert (job["done"], job["progress"]) == (50, 1.0)
    cli = cli_json(
        "scenario",
        "montecarlo",
        GALLIUM,
        "--draws",
        "50",
        "--seed",
        "3",
        "--store",
        str(store_path),
    )
    assert_json_close(job["result"]["records"], cli["records"])
    assert job["result"]["mean_events_per_draw"] == cli["mean_events_per_draw"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"draws": 0}, "draws"), ({"threshold": 1.5}, "threshold"), ({"seed": -1}, "seed")],
)
def test_montecarlo_bad_settings_are_422(
    client: TestClient, extra: dict[str, Any], field: str
) -> None:
    response = client.post(
        "/api/v1/scenarios/montecarlo", json={"scenario": shipped(client), **extra}
    )
    assert response.status_code == 422
    assert response.json()["field"] == field
