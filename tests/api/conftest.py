"""One API app over the session store, driven through FastAPI's test client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import TestClient

from friendshore.api.app import create_app


@pytest.fixture(scope="session")
def client(store_path: Path) -> Iterator[TestClient]:
    """A test client of the app over the session store (assessment computed at start-up)."""
    with TestClient(create_app(store_path=store_path, warm=True)) as test_client:
        yield test_client
