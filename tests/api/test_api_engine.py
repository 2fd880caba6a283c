"""The engine: one snapshot per store state, read again when the store file changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from api_helpers import TestClient

from friendshore._core.errors import StoreError
from friendshore._core.records import frame_records
from friendshore.api.app import Settings, create_app
from friendshore.api.engine import Engine, dumps
from friendshore.model.zone import default_zone


def test_snapshot_is_reused_until_the_store_changes(store_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "store.duckdb"
    shutil.copyfile(store_path, copy)
    engine = Engine(copy, default_zone())
    assert engine.current() is None
    first = engine.snapshot()
    assert engine.snapshot() is first
    assert engine.current() is first
    assert first.cached(("k",), lambda: {"a": 1}) == b'{"a":1}'
    assert first.cached(("k",), lambda: {"a": 2}) == b'{"a":1}'  # served from memory
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert engine.current() is None  # the next request reads the store again
    copy.unlink()
    with pytest.raises(StoreError, match="friendshore data build"):
        engine.snapshot()


def test_missing_store_is_503_with_the_hint(tmp_path: Path) -> None:
    with TestClient(create_app(store_path=tmp_path / "none.duckdb")) as client:
        response = client.get("/api/v1/zone")
    assert response.status_code == 503
    assert "friendshore data build" in response.json()["detail"]


def test_json_has_no_nan_and_keeps_full_precision() -> None:
    frame = pd.DataFrame({"share": [0.1 + 0.2, float("nan")], "n": pd.array([1, None], "Int64")})
    records = frame_records(frame)
    assert records == [{"share": 0.30000000000000004, "n": 1}, {"share": None, "n": None}]
    assert dumps(records) == b'[{"share":0.30000000000000004,"n":1},{"share":null,"n":null}]'


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FRIENDSHORE_STORE", str(tmp_path / "s.duckdb"))
    monkeypatch.setenv("FRIENDSHORE_JOB_WORKERS", "3")
    monkeypatch.setenv("FRIENDSHORE_WARM", "0")
    settings = Settings.from_env()
    assert (settings.store, settings.job_workers, settings.warm) == (
        tmp_path / "s.duckdb",
        3,
        False,
    )
    monkeypatch.setenv("FRIENDSHORE_JOB_WORKERS", "zero")
    with pytest.raises(ValueError, match="job_workers"):
        Settings.from_env()
