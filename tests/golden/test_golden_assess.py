"""The whole JSON of `friendshore assess` on the bundled data is pinned in assess.json.

When a change moves figures on purpose, run ``.venv/bin/python tests/golden/regenerate.py``
and explain in the commit why they moved; any other difference is a regression.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from golden_json import GOLDEN, REGENERATE, differences, read_golden, run_cli_json

NAME = "assess.json"


@pytest.fixture(scope="module")
def assess_json(store_path: Path) -> Any:
    """The CLI's ``assess --format json`` on the session store (default zone and year)."""
    return run_cli_json(GOLDEN[NAME], store_path)


@pytest.fixture(scope="module")
def golden() -> Any:
    """The pinned document."""
    return read_golden(NAME)


def test_assess_json_equals_the_golden_file(golden: Any, assess_json: Any) -> None:
    diffs = differences(golden, assess_json)
    shown = "\n".join(diffs[:40])
    assert not diffs, (
        f"{len(diffs)} difference(s) from tests/golden/{NAME}:\n{shown}\n"
        f"If the change is intended, run `{REGENERATE}` and say why in the commit."
    )


def test_the_golden_file_is_the_default_assessment(golden: Any) -> None:
    # every mineral × stage record of the default zone (USA, MEX, EU27, JPN) at 2024
    assert isinstance(golden, list)
    assert len(golden) > 50
    assert {r["year"] for r in golden} <= set(range(2015, 2025))
    members = {m["member"] for r in golden for m in r["members"]}
    assert members == {"USA", "MEX", "EU27", "JPN"}
    ree = next(r for r in golden if (r["mineral"], r["stage"]) == ("rare_earths", "mining"))
    # USGS MCS 2025 world data: China 270,000 t REO in 2024 of listed rows summing to 393,950 t
    assert ree["china_share"] == pytest.approx(270_000 / 393_950, rel=1e-12)


def _first_float(records: list[dict[str, Any]], key: str) -> tuple[int, float]:
    """The index and value of the first record with a non-zero float under ``key``."""
    return next(
        (i, r[key]) for i, r in enumerate(records) if isinstance(r.get(key), float) and r[key]
    )


def test_a_changed_figure_fails_the_comparison(golden: Any, assess_json: Any) -> None:
    i, share = _first_float(golden, "china_share")
    moved = copy.deepcopy(golden)
    moved[i]["china_share"] = share * (1 + 1e-6)  # a change far above the tolerance
    diffs = differences(moved, assess_json)
    assert len(diffs) == 1
    assert ".china_share" in diffs[0]
    assert golden[i]["mineral"] in diffs[0]
    # a difference in the last bits (sums over unordered rows) is not a change
    moved[i]["china_share"] = share * (1 + 1e-12)
    assert differences(moved, assess_json) == []


def test_changed_strings_keys_and_lengths_fail_the_comparison(
    golden: Any, assess_json: Any
) -> None:
    moved = copy.deepcopy(golden)
    moved[0]["source"] = str(moved[0]["source"]) + " "
    assert [d for d in differences(moved, assess_json) if ".source" in d]
    moved = copy.deepcopy(golden)
    moved[0]["unexpected_key"] = 1.0
    assert differences(moved, assess_json) == [
        f"$[0 {golden[0]['mineral']}/{golden[0]['stage']}].unexpected_key: "
        "key missing from the output"
    ]
    moved = copy.deepcopy(golden)
    moved[0]["members"] = moved[0]["members"][:-1]
    assert len(differences(moved, assess_json)) == 1
    # a number in place of a null, and a bool in place of 1, are changes
    assert differences([None], [0.0])
    assert differences([1], [True])
