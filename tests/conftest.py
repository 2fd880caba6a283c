"""Fixtures shared by the test suite: one store built from the real bundled data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from friendshore.data.store import BuildReport, build_store, connect


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
