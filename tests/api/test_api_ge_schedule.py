"""POST /tariffs/ge with a shipped schedule: equal to the CLI's and to the tariff option; 422s."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from api_helpers import TestClient, assert_json_close, cli_json

from friendshore.data.gravity_files import gravity_sample_path
from friendshore.data.zones import default_zone_path


def _ge(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/tariffs/ge", json=body)
    assert response.status_code == 202, response.text
    job = response.json()
    for _ in range(1200):
        job = client.get(f"/api/v1/jobs/{job['id']}").json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job["status"] == "done", job
    return job["result"]  # type: ignore[no-any-return]


def _welfare(payload: dict[str, Any]) -> dict[str, float]:
    return {c["country"]: c["welfare_change_pct"] for c in payload["countries"]}


def test_schedule_id_equals_the_cli_and_the_tariff_option(
    client: TestClient, store_path: Path
) -> None:
    result = _ge(client, {"data": "sample", "schedule_id": "zone-rival-25"})
    cli = cli_json(
        "tariff", "ge", "--zone", str(default_zone_path()), "--data", str(gravity_sample_path()),
        "--schedule", "zone-rival-25", "--store", str(store_path),
    )  # fmt: skip
    assert result["schedule"]["id"] == cli["schedule"]["id"] == "zone-rival-25"
    assert result["experiment"] == cli["experiment"]
    assert_json_close(result["schedule"], cli["schedule"])
    assert_json_close(result["countries"], cli["countries"])
    # a uniform 25% on the rival (CHN): the --tariff path's welfare changes
    tariff = _ge(client, {"data": "sample", "tariff": 0.25, "tariff_on": ["CHN"]})
    ours, theirs = _welfare(result), _welfare(tariff)
    assert max(abs(ours[c] - theirs[c]) for c in ours) < 1e-9
    assert tariff["schedule"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"schedule_id": "no-such-schedule"},
        {"schedule_id": "../tariffs/zone-rival-25"},
        {"schedule_id": "zone-rival-25", "tariff": 0.25},
        {"schedule_id": "zone-rival-25", "tariff_on": ["CHN"]},
    ],
)
def test_bad_schedule_id_is_422(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post("/api/v1/tariffs/ge", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "schedule_id"


def test_as_of_without_a_schedule_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/tariffs/ge", json={"as_of": "2025-01-01"})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "as_of"
