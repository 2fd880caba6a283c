"""Fixtures shared by the test suite: one store built from the real bundled data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, settings

from friendshore.data.store import BuildReport, build_store, connect

# Shared, noisy machines: no per-example deadline (speed is measured in benchmarks/).
settings.register_profile(
    "friendshore", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("friendshore")


@pytest.fixture(scope="session")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    """A store built once per test session from the bundled data."""
    path = tmp_path_factory.mktemp("store") / "friendshore.duckdb"
    return build_store(path)


@pytest.fixture(scope="session")
def store_path(built_store: BuildReport) -> Path:
    """Path of the session store."""
    return built_store.path


@pytest.fixture
def con(store_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the session store."""
    connection = connect(store_path)
    yield connection
    connection.close()
