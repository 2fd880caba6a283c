"""Whole JSON outputs of `scenario run`, `invest optimize` and `tariff smart`, pinned.

Each golden file is the JSON the CLI prints on the bundled data (tests/golden/golden_json.py
lists the commands; the solver's wall time is left out). When a change moves figures on
purpose, run ``.venv/bin/python tests/golden/regenerate.py`` and explain in the commit why.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from golden_json import (
    GOLDEN,
    REGENERATE,
    UNPINNED,
    differences,
    read_golden,
    run_cli_json,
    without_unpinned,
)

RUNS = [name for name in GOLDEN if name != "assess.json"]


@pytest.mark.parametrize("name", RUNS)
def test_run_json_equals_the_golden_file(name: str, store_path: Path) -> None:
    actual = run_cli_json(GOLDEN[name], store_path)
    diffs = differences(read_golden(name), actual)
    shown = "\n".join(diffs[:40])
    assert not diffs, (
        f"{len(diffs)} difference(s) from tests/golden/{name}:\n{shown}\n"
        f"If the change is intended, run `{REGENERATE}` and say why in the commit."
    )


def test_the_pinned_runs_say_what_they_are() -> None:
    scenario = read_golden("scenario-cn-graphite-2023.json")
    assert scenario["scenario"] == "cn-graphite-2023"
    assert scenario["baseline_year"] == 2022
    invest = read_golden("invest-example-illustrative-5e9.json")
    assert invest["budget_usd"] == 5e9
    assert invest["status"] == "optimal"
    assert invest["chosen"]
    assert "solve_seconds" not in invest["model"]  # machine time is not pinned
    smart = read_golden("tariff-smart-us-301-2023.json")
    assert smart["year"] == 2023


def test_unpinned_keys_are_dropped_at_any_depth() -> None:
    doc: dict[str, Any] = {"a": [{"solve_seconds": 1.0, "b": 2}], "solve_seconds": 3}
    assert without_unpinned(doc) == {"a": [{"b": 2}]}
    assert "solve_seconds" in UNPINNED


def test_a_moved_shortfall_fails_the_comparison() -> None:
    golden = read_golden("scenario-cn-graphite-2023.json")
    moved = copy.deepcopy(golden)
    record = next(r for r in moved["records"] if r.get("shortfall_t"))
    record["shortfall_t"] *= 1 + 1e-6
    diffs = differences(golden, moved)
    assert len(diffs) == 1
    assert "shortfall_t" in diffs[0]
