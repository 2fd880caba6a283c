"""The API's limits: unknown query parameters, the byte-bounded cache, body size, list
lengths and heavy runs at once (in process, through the test client)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import TestClient

from friendshore.api.app import create_app
from friendshore.api.engine import ENTRY_OVERHEAD, ByteCache
from friendshore.api.limits import (
    MAX_BODY_BYTES,
    MAX_PROJECTS,
    MAX_SCHEDULE_RATES,
    MAX_SHOCKS,
    ApiLimits,
    HeavyGate,
)

SCENARIO = "cn-antimony-2024"


@pytest.fixture(scope="module")
def scenario(client: TestClient) -> dict[str, Any]:
    """A shipped scenario, in the form ``POST /scenarios/run`` takes."""
    body: dict[str, Any] = client.get(f"/api/v1/scenarios/{SCENARIO}").json()
    return body


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) >= {"detail", "field"}, body
    return body


# --- query parameters --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/zone?junk=1",
        "/api/v1/health?x=",
        "/api/v1/metrics/concentration?mineral=gallium&stage=processing&junk=1",
        "/api/v1/minerals/gallium/trade?stage=processing&junk=1",
        "/api/v1/scenarios?junk=1",
        "/api/v1/compliance/packs?junk=1",
    ],
)
def test_unknown_query_parameter_is_422_naming_it(client: TestClient, url: str) -> None:
    body = _error(client.get(url), 422)
    assert body["field"] == ("junk" if "junk" in url else "x")
    assert "unknown query parameter" in body["detail"]


def test_declared_query_parameters_still_work(client: TestClient) -> None:
    url = "/api/v1/metrics/concentration?mineral=gallium&stage=processing"
    first = client.get(url)
    assert first.status_code == 200
    reordered = client.get("/api/v1/metrics/concentration?stage=processing&mineral=gallium")
    assert reordered.status_code == 200
    assert reordered.content == first.content


def test_junk_parameters_do_not_grow_the_cache(store_path: Path) -> None:
    app = create_app(store_path=store_path, warm=True)
    with TestClient(app) as client:
        url = "/api/v1/metrics/concentration?mineral=gallium&stage=processing"
        assert client.get(url).status_code == 200
        assert client.get("/api/v1/zone").status_code == 200
        cache = app.state.engine.snapshot().cache
        held, entries = cache.nbytes, len(cache)
        assert held > 0
        pad = "j" * 1000
        for i in range(2000):
            response = client.get(f"/api/v1/zone?junk{i}={pad}")
            assert response.status_code == 422
        # declared parameters in another order, repeated, or a default restated: routed and
        # answered from the endpoint's own cache, never kept again by URL
        variants = [
            "/api/v1/metrics/concentration?stage=processing&mineral=gallium",
            "/api/v1/metrics/concentration?mineral=gallium&stage=processing&stage=processing",
            "/api/v1/metrics/concentration?mineral=graphite&stage=mining",  # the default
            "/api/v1/metrics/concentration?mineral=graphite",
        ]
        for variant in variants * 20:
            assert client.get(variant).status_code == 200
        # graphite: the endpoint's own key and the canonical URL, nothing else
        assert len(cache) == entries + 2
        grown = cache.nbytes
        assert client.get(variants[0]).status_code == 200
        assert cache.nbytes == grown
        for i in range(200):
            assert client.get(f"/api/v1/zone?junk{i}={pad}").status_code == 422
        assert cache.nbytes == grown
        assert held < grown


def test_cache_is_bounded_by_bytes_least_recently_used_out() -> None:
    cache = ByteCache(10 * (100 + ENTRY_OVERHEAD + 1))
    for i in range(10):
        cache.put(str(i), bytes(100))
    assert len(cache) == 10
    assert cache.get("0") is not None  # now the most recently used
    cache.put("new", bytes(100))
    assert "1" not in cache  # the least recently used went out
    assert "0" in cache
    assert "new" in cache
    assert cache.nbytes <= cache.limit_bytes
    cache.put("huge", bytes(cache.limit_bytes + 1))  # larger than the bound: not kept
    assert "huge" not in cache
    assert cache.nbytes <= cache.limit_bytes
    cache.clear()
    assert cache.nbytes == 0
    assert len(cache) == 0


def test_app_cache_stays_within_its_byte_bound(store_path: Path) -> None:
    limit = 64 * 1024
    app = create_app(store_path=store_path, warm=True, limits=ApiLimits(cache_bytes=limit))
    with TestClient(app) as client:
        minerals = [m["mineral"] for m in client.get("/api/v1/minerals").json()][:12]
        cache = app.state.engine.snapshot().cache
        first = client.get(f"/api/v1/minerals/{minerals[0]}").content
        for mineral in minerals:
            assert client.get(f"/api/v1/minerals/{mineral}").status_code == 200
            assert 0 < cache.nbytes <= limit
        assert ("/api/v1/minerals/" + minerals[0], b"") not in cache  # evicted
        assert client.get(f"/api/v1/minerals/{minerals[0]}").content == first


# --- request bodies ----------------------------------------------------------------------


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b" " * n


@pytest.mark.parametrize(
    "path", ["/api/v1/scenarios/run", "/api/v1/tariffs/smart", "/api/v1/compliance/verify"]
)
def test_body_over_the_limit_is_413(client: TestClient, path: str) -> None:
    big = b" " * (3 * 1024 * 1024)
    headers = {"content-type": "application/json"}
    declared = client.post(path, content=big, headers=headers)
    body = _error(declared, 413)
    assert body["field"] is None
    assert str(MAX_BODY_BYTES) in body["detail"]
    chunked = client.post(path, content=_chunks(len(big)), headers=headers)  # no length
    assert _error(chunked, 413)["field"] is None


def test_body_under_the_limit_works(client: TestClient, scenario: dict[str, Any]) -> None:
    padded = json.dumps(scenario).encode() + b" " * (MAX_BODY_BYTES - 100_000)
    response = client.post(
        "/api/v1/scenarios/run", content=padded, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    streamed = client.post(
        "/api/v1/scenarios/run",
        content=iter([json.dumps(scenario).encode(), *_chunks(MAX_BODY_BYTES - 100_000)]),
        headers={"content-type": "application/json"},
    )
    assert streamed.status_code == 200
    assert streamed.content == response.content


def test_body_limit_is_configurable(store_path: Path, scenario: dict[str, Any]) -> None:
    app = create_app(store_path=store_path, limits=ApiLimits(max_body_bytes=4096))
    with TestClient(app) as client:
        padded = json.dumps(scenario).encode() + b" " * 5000
        response = client.post(
            "/api/v1/scenarios/run", content=padded, headers={"content-type": "application/json"}
        )
        assert "4096" in _error(response, 413)["detail"]


# --- list lengths ------------------------------------------------------------------------


def test_too_many_shocks_is_422(client: TestClient, scenario: dict[str, Any]) -> None:
    body = {**scenario, "shocks": scenario["shocks"] * (MAX_SHOCKS + 1)}
    assert _error(client.post("/api/v1/scenarios/run", json=body), 422)["field"] == "shocks"
    montecarlo = {"scenario": body, "draws": 10}
    response = client.post("/api/v1/scenarios/montecarlo", json=montecarlo)
    assert _error(response, 422)["field"] == "scenario.shocks"


def test_too_many_projects_is_422(client: TestClient) -> None:
    project = client.get("/api/v1/invest/pipelines/example-illustrative").json()["rows"][0]
    body = {"projects": [project] * (MAX_PROJECTS + 1)}
    response = client.post("/api/v1/invest/optimize", json=body)
    assert _error(response, 422)["field"] == "projects"


def test_too_many_schedule_rates_is_422(client: TestClient) -> None:
    schedule = client.get("/api/v1/tariffs/schedules/zone-rival-25").json()
    rates = (schedule["rates"] * (MAX_SCHEDULE_RATES // len(schedule["rates"]) + 1))[
        : MAX_SCHEDULE_RATES + 1
    ]
    body = {"schedule": {**schedule, "rates": rates}}
    response = client.post("/api/v1/tariffs/smart", json=body)
    assert _error(response, 422)["field"] == "schedule.rates"


# --- heavy runs at once ------------------------------------------------------------------


def test_heavy_runs_beyond_the_limit_get_429(store_path: Path, scenario: dict[str, Any]) -> None:
    limits = ApiLimits(heavy_concurrency=1, heavy_wait_s=0)
    app = create_app(store_path=store_path, warm=True, limits=limits)
    gate: HeavyGate = app.state.heavy_gate
    with TestClient(app) as client:
        portal = client.portal
        assert portal is not None
        assert portal.call(gate.acquire)  # a run in progress holds the only slot
        busy = client.post("/api/v1/scenarios/run", json=scenario)
        assert _error(busy, 429)["field"] is None
        assert int(busy.headers["retry-after"]) >= 1
        for path, body in [
            ("/api/v1/tariffs/smart", {"schedule_id": "zone-rival-25"}),
            ("/api/v1/floors/run", {"reference_id": "mp-ndpr"}),
        ]:
            assert client.post(path, json=body).status_code == 429
        assert client.get("/api/v1/metrics/membership?candidate=CAN").status_code == 429
        assert client.get("/api/v1/zone").status_code == 200  # light endpoints unaffected
        portal.call(_release, gate)
        assert client.post("/api/v1/scenarios/run", json=scenario).status_code == 200
        # the slot is given back after each run
        assert client.post("/api/v1/scenarios/run", json=scenario).status_code == 200


async def _release(gate: HeavyGate) -> None:
    gate.release()


def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRIENDSHORE_MAX_BODY_BYTES", "65536")
    monkeypatch.setenv("FRIENDSHORE_HEAVY_CONCURRENCY", "3")
    limits = ApiLimits.from_env(heavy_concurrency=5, cache_bytes=None)
    assert limits.max_body_bytes == 65536
    assert limits.heavy_concurrency == 5  # an option wins over the variable
    assert limits.cache_bytes == ApiLimits().cache_bytes
