"""Building the CLI and printing its help loads none of the heavy libraries.

Start-up time itself is measured in benchmarks/bench_cli_startup.py, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "pandas",
    "numpy",
    "duckdb",
    "plotly",
    "fastapi",
    "linopy",
    "dask",
    "distributed",
    "pyfixest",
    "sqlalchemy",
    "scipy",
    "xarray",
)

PROBE = """
import json, sys
from friendshore.cli.main import app
try:
    app(sys.argv[1:], prog_name="friendshore")
except SystemExit as exc:
    code = exc.code
heavy = json.loads({heavy!r})
print(json.dumps({{"code": code, "loaded": [m for m in heavy if m in sys.modules]}}))
"""


def _probe(*args: str) -> dict[str, object]:
    code = PROBE.format(heavy=json.dumps(HEAVY))
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "args",
    [("--help",), ("assess", "--help"), ("invest", "optimize", "--help"), ("data", "--help")],
)
def test_help_loads_no_heavy_library(args: tuple[str, ...]) -> None:
    result = _probe(*args)
    assert result["code"] == 0
    assert result["loaded"] == []


def test_import_friendshore_is_lazy_and_keeps_its_api() -> None:
    code = (
        "import sys, friendshore as fs; before = 'pandas' in sys.modules; "
        "fs.Zone, fs.build_store, fs.assess, fs.sql, fs.Assessment; "
        "print(before, 'pandas' in sys.modules, sorted(set(fs.__all__) - set(dir(fs))))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False True []"


def test_cli_spells_the_environment_variables_of_the_data_layer() -> None:
    from friendshore.cli import common  # noqa: PLC0415
    from friendshore.data import keystore, registry  # noqa: PLC0415

    assert common.REGISTRY_ENV == registry.REGISTRY_ENV
    assert common.KEYS_ENV == keystore.KEYS_ENV
