"""Golden JSON files: where they live, how they are produced and how they are compared.

A golden file pins a whole output of the CLI on the bundled data (DESIGN.md: "whole
outputs pinned"). Strings, keys, booleans, nulls and list lengths must be equal;
numbers may differ by ``rel 1e-9`` or ``abs 1e-12`` (:data:`REL`, :data:`ABS`), because
the store reads trade rows in no fixed order and a sum over them can differ in its last
bits from one build of the store to another. Regenerate them deliberately with
``.venv/bin/python tests/golden/regenerate.py`` and say why in the commit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from friendshore.cli.main import app

#: The folder of the golden files.
GOLDEN_DIR = Path(__file__).resolve().parent

#: Golden file name → the CLI arguments (without ``--store``) whose JSON it pins.
GOLDEN: dict[str, tuple[str, ...]] = {
    # default zone (USA, MEX, EU27, JPN), default year, every mineral × stage record
    "assess.json": ("assess", "--format", "json", "--no-report"),
    # China's graphite licensing of December 2023 on the 2022 network, default response
    "scenario-cn-graphite-2023.json": ("scenario", "run", "cn-graphite-2023", "--format", "json"),
    # the illustrative pipeline, US$5 bn, the dependence objective, target year 2030
    "invest-example-illustrative-5e9.json": (
        "invest",
        "optimize",
        "example-illustrative",
        "--budget",
        "5e9",
        "--format",
        "json",
    ),
    # SMART on BACI 2023 flows under the Section 301 schedule
    "tariff-smart-us-301-2023.json": (
        "tariff",
        "smart",
        "us-301-critical-minerals",
        "--year",
        "2023",
        "--format",
        "json",
    ),
}

#: Keys left out of the comparison and of the golden files: they measure the machine
#: (the solver's wall time), not the result.
UNPINNED: frozenset[str] = frozenset({"solve_seconds"})

#: Relative and absolute tolerance on numbers.
REL = 1e-9
ABS = 1e-12

#: The command that rewrites the golden files (shown when a comparison fails).
REGENERATE = ".venv/bin/python tests/golden/regenerate.py"


def run_cli_json(args: Sequence[str], store: Path) -> Any:
    """The JSON document the CLI prints for ``args`` on the store, without :data:`UNPINNED` keys."""
    result = CliRunner().invoke(app, [*args, "--store", str(store)])
    if result.exit_code != 0:
        message = f"friendshore {' '.join(args)} exited {result.exit_code}: {result.stderr}"
        raise RuntimeError(message)
    return without_unpinned(json.loads(result.stdout))


#: The checkout's root: file paths in outputs are pinned relative to it (``<repo>``).
REPO = GOLDEN_DIR.parents[1]


def without_unpinned(document: Any) -> Any:
    """``document`` without :data:`UNPINNED` keys, at any depth, and paths under ``<repo>``.

    A path into the checkout (the bundled elasticities file of ``tariff smart``)
    differs from one clone to another; it is pinned as ``<repo>/src/…``.
    """
    if isinstance(document, dict):
        return {k: without_unpinned(v) for k, v in document.items() if k not in UNPINNED}
    if isinstance(document, list):
        return [without_unpinned(v) for v in document]
    if isinstance(document, str):
        return document.replace(str(REPO), "<repo>")
    return document


def read_golden(name: str) -> Any:
    """The pinned JSON document ``name`` (a key of :data:`GOLDEN`)."""
    return json.loads((GOLDEN_DIR / name).read_text(encoding="utf-8"))


def write_golden(name: str, document: Any) -> Path:
    """Write ``document`` as the golden file ``name``: indented, UTF-8, newline at the end."""
    path = GOLDEN_DIR / name
    text = json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def differences(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Every place where ``actual`` departs from ``expected``, as ``'path: expected → actual'``.

    Dicts must have the same keys, lists the same length; numbers (not booleans) are
    equal within :data:`REL` / :data:`ABS` (an ``int`` and a ``float`` of the same value
    are equal); everything else must be equal exactly.
    """
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[str] = []
        for key in sorted(expected.keys() - actual.keys()):
            out.append(f"{path}.{key}: key missing from the output")
        for key in sorted(actual.keys() - expected.keys()):
            out.append(f"{path}.{key}: key not in the golden file")
        for key in expected.keys() & actual.keys():
            out.extend(differences(expected[key], actual[key], f"{path}.{key}"))
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items → {len(actual)}"]
        out = []
        for i, (a, b) in enumerate(zip(expected, actual, strict=True)):
            out.extend(differences(a, b, f"{path}[{_label(i, a)}]"))
        return out
    if _is_number(expected) and _is_number(actual):
        if math.isclose(expected, actual, rel_tol=REL, abs_tol=ABS):
            return []
        return [f"{path}: {expected!r} → {actual!r}"]
    if type(expected) is not type(actual) or expected != actual:
        return [f"{path}: {expected!r} → {actual!r}"]
    return []


def _is_number(value: Any) -> bool:
    """Whether ``value`` is an int or a float (a bool is not a number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _label(index: int, item: Any) -> str:
    """A list item's place in a path: its index, and what it is about where it says so."""
    if isinstance(item, dict):
        keys = ("id", "mineral", "stage", "member", "importer", "hs6", "usgs_key")
        about = [str(item[k]) for k in keys if k in item]
        if about:
            return f"{index} {'/'.join(about)}"
    return str(index)
