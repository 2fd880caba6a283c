"""The standalone registry app (``create_registry_app``) has the main app's limits: a body
over the limit is a 413, an undeclared query parameter a 422 naming it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import TestClient

from friendshore.api.limits import MAX_BODY_BYTES, ApiLimits
from friendshore.api.registry import create_registry_app, registry_app_from_env
from friendshore.data import keystore
from friendshore.data.registry import REGISTRY_ENV

BASE = "/api/v1/compliance"
SMALL = ApiLimits(max_body_bytes=4096)


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("registry-limits") / "keys"
    keystore.generate_key(path, "EU27")
    return path


def _client(tmp: Path, keys_dir: Path, **options: Any) -> TestClient:
    url = f"sqlite:///{tmp / 'registry.sqlite'}"
    return TestClient(create_registry_app(registry_url=url, keys_dir=keys_dir, **options))


@pytest.fixture
def client(tmp_path: Path, keys_dir: Path) -> Iterator[TestClient]:
    with _client(tmp_path, keys_dir, limits=SMALL) as test_client:
        yield test_client


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert isinstance(body["detail"], str), body
    assert body["detail"], body
    assert "field" in body, body
    return body


def _big_body(n: int) -> bytes:
    return b'{"certificate": {"pad": "' + b"x" * n + b'"}}'


def test_a_body_over_the_limit_is_413(client: TestClient) -> None:
    body = _error(client.post(f"{BASE}/verify", content=_big_body(8192)), 413)
    assert body["field"] is None
    assert "4096 bytes" in body["detail"]


def test_a_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    """No ``Content-Length``: the bytes are counted as they arrive."""
    chunks = iter([_big_body(0)[:20], b"x" * 3000, b"x" * 3000, b'"}}'])
    response = client.post(
        f"{BASE}/verify", content=chunks, headers={"Content-Type": "application/json"}
    )
    assert _error(response, 413)["field"] is None


def test_a_body_under_the_limit_is_read(client: TestClient) -> None:
    """The same endpoint answers a small body itself (its own 422, not a 413)."""
    _error(client.post(f"{BASE}/verify", content=_big_body(100)), 422)


@pytest.mark.parametrize(
    "url",
    [f"{BASE}/packs?junk=1", f"{BASE}/certificates/EU27-2025-0/verify?junk=1"],
)
def test_an_unknown_query_parameter_is_422_naming_it(client: TestClient, url: str) -> None:
    body = _error(client.get(url), 422)
    assert body["field"] == "junk"
    assert "unknown query parameter" in body["detail"]


def test_declared_query_parameters_still_pass(client: TestClient) -> None:
    assert client.get(f"{BASE}/packs").status_code == 200
    # declared (limit, offset), refused for want of a token, not for the query
    _error(client.get(f"{BASE}/certificates?limit=5&offset=0"), 401)


def test_the_default_limit_is_the_main_apps(tmp_path: Path, keys_dir: Path) -> None:
    with _client(tmp_path, keys_dir) as client:
        _error(client.post(f"{BASE}/verify", content=_big_body(MAX_BODY_BYTES)), 413)
        _error(client.post(f"{BASE}/verify", content=_big_body(100_000)), 422)


def test_the_limit_comes_from_the_environment(
    tmp_path: Path, keys_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REGISTRY_ENV, f"sqlite:///{tmp_path / 'registry.sqlite'}")
    monkeypatch.setenv(keystore.KEYS_ENV, str(keys_dir))
    monkeypatch.setenv("FRIENDSHORE_MAX_BODY_BYTES", "4096")
    with TestClient(registry_app_from_env()) as client:
        _error(client.post(f"{BASE}/verify", content=_big_body(8192)), 413)


def test_without_limits_neither_check_runs(tmp_path: Path, keys_dir: Path) -> None:
    """``enforce_limits=False`` (the benchmark's baseline): the endpoint reads any body."""
    with _client(tmp_path, keys_dir, limits=SMALL, enforce_limits=False) as client:
        _error(client.post(f"{BASE}/verify", content=_big_body(8192)), 422)
        assert client.get(f"{BASE}/packs?junk=1").status_code == 200
