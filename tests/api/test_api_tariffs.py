"""Tariff endpoints: schedules, SMART equal to the CLI's, GE as a job equal to the CLI's, errors."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from api_helpers import TestClient, assert_json_close, cli_json

from friendshore.data.gravity_files import gravity_sample_path
from friendshore.data.zones import default_zone_path
from friendshore.policy.schedule import TariffSchedule, load_schedule

US301 = "us-301-critical-minerals"
ZONE = "zone-rival-25"
SMART_KEYS = ("totals", "by_member", "by_mineral", "by_exporter", "assumptions")


def smart(client: TestClient, body: dict[str, Any], status: int = 200) -> Any:
    response = client.post("/api/v1/tariffs/smart", json=body)
    assert response.status_code == status, response.text
    return response.json()


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


def ge(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/tariffs/ge", json=body)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/v1/jobs/{response.json()['id']}"
    return wait(client, response.json())


def test_schedules_equal_the_cli(client: TestClient) -> None:
    listed = client.get("/api/v1/tariffs/schedules").json()
    assert listed == cli_json("tariff", "schedules")
    assert {s["id"] for s in listed} == {US301, ZONE}


def test_a_schedule_is_the_body_smart_takes(client: TestClient) -> None:
    response = client.get(f"/api/v1/tariffs/schedules/{US301}")
    assert response.status_code == 200
    body = response.json()
    assert TariffSchedule.model_validate(body) == load_schedule(US301)
    # the schedule sent inline gives the same run as its id
    assert smart(client, {"schedule": body}) == smart(client, {"schedule_id": US301})


def test_unknown_schedule_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/tariffs/schedules/us-999")
    assert response.status_code == 404
    assert response.json()["field"] == "schedule_id"
    assert US301 in response.json()["detail"]


@pytest.mark.parametrize(("schedule", "args"), [(US301, ()), (ZONE, ("--sigma", "3"))])
def test_smart_equals_the_cli(
    client: TestClient, store_path: Path, schedule: str, args: tuple[str, ...]
) -> None:
    body: dict[str, Any] = {"schedule_id": schedule, "top_flows": 40}
    if args:
        body["sigma"] = float(args[1])
    result = smart(client, body)
    cli = cli_json("tariff", "smart", schedule, *args, "--store", str(store_path))
    for key in SMART_KEYS:
        assert_json_close(result[key], cli[key], key)
    assert (result["year"], result["sigma"]) == (cli["year"], cli["sigma"])
    assert result["schedule"] == cli["schedule"]
    assert result["flows_total"] == len(cli["flows"])
    # the flows returned are the largest absolute changes, as the CLI computes them
    expected = sorted(cli["flows"], key=lambda f: -abs(f["total_change_usd"]))[:40]
    # JSON has no infinity: an infinitely elastic supply is null in the CLI and the API
    assert all(row["export_supply_elasticity"] is None for row in expected)
    assert_json_close(
        sorted(result["flows"], key=lambda f: (f["importer"], f["exporter"], f["hs6"])),
        sorted(expected, key=lambda f: (f["importer"], f["exporter"], f["hs6"])),
    )


def test_smart_us301_by_hand(client: TestClient) -> None:
    result = smart(client, {"schedule_id": US301, "top_flows": 1000})
    assert result["year"] == 2023  # the schedule's baseline year
    assert [m["member"] for m in result["by_member"]] == ["USA"]
    totals = result["totals"]
    flows = result["flows"]
    assert totals["value_usd"] == pytest.approx(sum(f["value_usd"] for f in flows), rel=1e-12)
    for f in flows:
        if f["bounded"]:
            continue
        # WITS creation M·ε·Δt/(1+t0) for an infinitely elastic export supply
        assert f["export_supply_elasticity"] is None
        expected = (
            f["value_usd"]
            * f["import_demand_elasticity"]
            * (f["rate_after"] - f["rate_before"])
            / (1 + f["rate_before"])
        )
        assert f["creation_usd"] == pytest.approx(expected, rel=1e-12, abs=1e-9)
    # the rate rises on China only: trade moves away from it, never beyond what it sold
    usa = result["by_member"][0]
    assert usa["diversion_to_rival_usd"] < 0 < usa["diversion_to_rest_usd"]
    china = sum(f["value_usd"] for f in flows if f["exporter_group"] == "rival")
    assert -usa["diversion_to_rival_usd"] <= china
    parts = ("diversion_to_zone_usd", "diversion_to_rival_usd", "diversion_to_rest_usd")
    assert sum(usa[k] for k in parts) == pytest.approx(0, abs=1e-3)


def test_no_substitution_means_no_diversion(client: TestClient) -> None:
    result = smart(client, {"schedule_id": ZONE, "sigma": 0})
    assert result["sigma"] == 0
    assert result["totals"]["diversion_gross_usd"] == 0
    assert all(f["diversion_usd"] == 0 for f in result["flows"])
    assert result["totals"]["creation_usd"] < 0  # a 25% tariff on the rival cuts imports


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"schedule_id": US301, "sigma": -1}, "sigma"),
        ({"schedule_id": US301, "year": 1995}, "year"),
        ({"schedule_id": US301, "year": "soon"}, "year"),
        ({"schedule_id": "us-999"}, "schedule_id"),
        ({"schedule_id": "/etc/passwd"}, "schedule_id"),
        ({}, "schedule_id"),
        ({"schedule_id": US301, "top_flows": -1}, "top_flows"),
        ({"schedule_id": US301, "colour": "red"}, "colour"),
        ({"schedule_id": US301, "as_of": "someday"}, "as_of"),
    ],
)
def test_bad_smart_input_is_422_with_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    error = smart(client, body, 422)
    assert error["field"] == field, error


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda r: r.update(importer="XXX"), "schedule.rates.0.importer"),
        (lambda r: r.update(hs6="999999"), "schedule.rates.0.hs6"),
        (lambda r: r.update(rate_after=25), "schedule.rates.0.rate_after"),
        (lambda r: r.update(rate_before=-0.1), "schedule.rates.0.rate_before"),
    ],
)
def test_bad_inline_schedule_is_422_with_the_field(
    client: TestClient, edit: Any, field: str
) -> None:
    body = client.get(f"/api/v1/tariffs/schedules/{ZONE}").json()
    edit(body["rates"][0])
    error = smart(client, {"schedule": body}, 422)
    assert error["field"] == field


def _countries(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(payload["countries"], key=lambda c: c["country"])


def test_ge_on_the_sample_equals_the_cli(client: TestClient, tmp_path: Path) -> None:
    job = ge(client, {"data": "sample"})
    assert job["status"] == "done", job
    assert (job["done"], job["progress"]) == (job["total"], 1.0)
    result = job["result"]
    cli = cli_json(
        "tariff", "ge", "--zone", str(default_zone_path()), "--data", str(gravity_sample_path())
    )
    for key in ("year", "sigma", "experiment", "variable", "preference", "members"):
        assert result[key] == cli[key], key
    assert_json_close(result["coefficients"], cli["coefficients"])
    assert_json_close(_countries(result), _countries(cli))
    # the published PPML estimate of pta on gegravity's sample
    pta = next(c for c in result["coefficients"] if c["variable"] == "pta")
    assert pta["coefficient"] == pytest.approx(0.471, abs=5e-4)
    by = {c["country"]: c for c in result["countries"]}
    assert all(by[c]["member"] for c in ("DEU", "JPN", "MEX", "USA"))
    assert not by["CHN"]["member"]
    assert by["JPN"]["welfare_change_pct"] > 0 > by["CHN"]["welfare_change_pct"]


def test_ge_without_a_preference_changes_nothing(client: TestClient) -> None:
    job = ge(client, {"data": "sample", "preference": 0})
    assert job["status"] == "done", job
    for c in job["result"]["countries"]:
        assert c["welfare_change_pct"] == pytest.approx(0, abs=1e-8)
        assert c["real_gdp_change_pct"] == pytest.approx(0, abs=1e-8)


def test_ge_on_the_store_equals_the_cli(client: TestClient, store_path: Path) -> None:
    job = ge(client, {"data": "store"})
    assert job["status"] == "done", job
    result = job["result"]
    cli = cli_json("tariff", "ge", "--zone", str(default_zone_path()), "--store", str(store_path))
    assert result["data"] == cli["data"]
    assert result["dropped"] == cli["dropped"]
    assert_json_close(_countries(result), _countries(cli))


def test_ge_join_equals_the_cli(client: TestClient) -> None:
    job = ge(client, {"data": "sample", "join": "CAN"})
    assert job["status"] == "done", job
    result = job["result"]
    cli = cli_json(
        "tariff",
        "ge",
        "--zone",
        str(default_zone_path()),
        "--data",
        str(gravity_sample_path()),
        "--join",
        "CAN",
    )
    assert result["experiment"] == cli["experiment"] == "CAN joins the zone"
    assert_json_close(_countries(result), _countries(cli))
    by = {c["country"]: c for c in result["countries"]}
    assert by["CAN"]["member"]
    assert by["CAN"]["welfare_change_pct"] > 0


def test_ge_members_given(client: TestClient) -> None:
    job = ge(client, {"data": "sample", "members": ["CAN", "JPN"]})
    assert job["status"] == "done", job
    members = {c["country"] for c in job["result"]["countries"] if c["member"]}
    assert members == {"CAN", "JPN"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"members": ["XXX"]}, "members.0"),
        ({"members": []}, "members"),
        ({"sigma": 1}, "sigma"),
        ({"data": "moon"}, "data"),
        ({"draws": -1}, "draws"),
        ({"join": "QQQ"}, "join"),
        ({"join": "CAN", "leave": "JPN"}, "join"),
        ({"join": "DEU"}, "join"),
        ({"leave": "CAN"}, "leave"),
        ({"tariff_on": ["CHN", "ZZZ"]}, "tariff_on.1"),
    ],
)
def test_bad_ge_input_is_422_with_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/tariffs/ge", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_ge_year_without_data_fails_with_the_field(client: TestClient) -> None:
    job = ge(client, {"data": "sample", "year": 2020})
    assert job["status"] == "failed"
    assert job["error"]["field"] == "year"
    assert "2020" in job["error"]["detail"]
