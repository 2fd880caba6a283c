"""Fixtures of the compliance tests: registries on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from compliance_helpers import PG_ADMIN

from friendshore.data.registry import Registry


def _pg_reachable() -> bool:
    try:
        url = PG_ADMIN.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of the PostgreSQL server; skipped if unreachable (never in CI)."""
    if not _pg_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_ADMIN} is unreachable and CI is set")
        pytest.skip(f"PostgreSQL at {PG_ADMIN} is unreachable")
    return PG_ADMIN


@pytest.fixture(scope="session")
def pg_database(pg_server: str) -> Iterator[str]:
    """A PostgreSQL database of this test session, dropped at its end."""
    admin = pg_server.replace("postgresql+psycopg://", "postgresql://")
    name = f"fs_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, _, _ = pg_server.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


_TABLES = (
    "audit_log, idempotency_keys, api_keys, revocations, certificates, declarations, issuer_keys"
)


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The session's PostgreSQL database, emptied for one test."""
    url = pg_database.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('audit_log')").fetchone() != (None,):
            conn.execute(f"TRUNCATE {_TABLES}")
    return pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh registry URL: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    """An opened (migrated) registry on both backends."""
    with Registry.open(registry_url) as reg:
        yield reg
