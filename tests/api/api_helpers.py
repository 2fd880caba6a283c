"""Helpers of the API tests: the test client class, the CLI's JSON, close JSON comparison."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from typer.testing import CliRunner

from friendshore.cli.main import app as cli_app

with warnings.catch_warnings():
    # starlette's test client warns (once, at import) that it would rather use httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

__all__ = ["TestClient", "assert_json_close", "cli_json"]


def cli_json(*args: str) -> Any:
    """Run the CLI through Typer's runner and return its JSON output."""
    result = CliRunner().invoke(cli_app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def assert_json_close(left: Any, right: Any, path: str = "") -> None:
    """JSON documents equal, floats to 1e-9 relative: the store's trade rows come unordered,
    so a sum over them can differ in the last bit from one read of the store to another."""
    if isinstance(left, dict) and isinstance(right, dict):
        assert left.keys() == right.keys(), path
        for key in left:
            assert_json_close(left[key], right[key], f"{path}.{key}")
    elif isinstance(left, list) and isinstance(right, list):
        assert len(left) == len(right), path
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_json_close(a, b, f"{path}[{i}]")
    elif isinstance(left, float) and isinstance(right, float):
        assert left == pytest.approx(right, rel=1e-9, abs=1e-12), path
    else:
        assert left == right, path
