"""`friendshore metrics dependence --member` for any country: candidate, member state, typo."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import friendshore as fs
from friendshore.cli.main import app
from friendshore.metrics.country_dependence import dependence_rows
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import default_zone

runner = CliRunner()


def run(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["metrics", "dependence", *args, "--store", str(store)])
    return result.exit_code, result.stdout, result.stderr


def test_a_candidate_gets_its_own_balance_and_a_note(store_path: Path) -> None:
    code, out, err = run(
        store_path,
        "--member",
        "Canada",
        "--mineral",
        "graphite",
        "--year",
        "2023",
        "--format",
        "json",
    )
    assert code == 0, err
    assert "note: CAN is a candidate, not a member of the zone" in err
    rows = json.loads(out)
    (mining,) = [r for r in rows if r["stage"] == "mining"]
    assert mining["member"] == "CAN"
    # the same figures as the library (checked against SQL in tests/metrics)
    expected = dependence_rows(
        SupplyNetwork.from_store(store_path),
        default_zone(),
        member="CAN",
        mineral="graphite",
        year=2023,
    )
    want = expected[expected["stage"] == "mining"].iloc[0]
    assert mining["import_reliance"] == want["import_reliance"]
    assert mining["import_reliance"] < 0  # Canada is a net exporter of natural graphite
    assert mining["intra_zone_share"] == want["intra_zone_share"]
    assert {"import_reliance_min", "import_reliance_max"} <= set(mining)


def test_a_member_state_says_so_in_the_table(store_path: Path) -> None:
    code, out, err = run(store_path, "--member", "deu", "--mineral", "graphite", "--year", "2023")
    assert code == 0, err
    first = out.splitlines()[0]
    assert first.startswith("DEU is a member state of EU27, not a zone member itself")
    assert "DEU: dependence for Graphite" in out


def test_an_interval_carries_its_bounds_and_reason(store_path: Path) -> None:
    code, out, err = run(
        store_path, "--member", "CAN", "--mineral", "barite", "--year", "2023", "--format", "json"
    )
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["import_reliance"] is None
    assert 0 < row["import_reliance_min"] < row["import_reliance_max"] <= 1
    assert "production not listed" in row["import_reliance_note"]


def test_members_print_no_note(store_path: Path) -> None:
    code, out, err = run(
        store_path,
        "--member",
        "EU27",
        "--mineral",
        "graphite",
        "--year",
        "2023",
        "--format",
        "json",
    )
    assert code == 0, err
    assert "note:" not in err
    assert {r["member"] for r in json.loads(out)} == {"EU27"}


def test_unknown_codes_and_rivals_exit_2(store_path: Path) -> None:
    code, _, err = run(store_path, "--member", "Canda", "--mineral", "graphite")
    assert code == 2
    assert "did you mean Canada" in err
    code, _, err = run(store_path, "--member", "CHN", "--mineral", "graphite")
    assert code == 2
    assert "rival of the zone" in err
    code, _, err = run(store_path, "--member", "CAN", "--mineral", "graphite", "--year", "1990")
    assert code == 2
    assert "the data cover" in err


def test_the_library_gives_the_clis_rows(store_path: Path) -> None:
    frame = fs.dependence("Canada", "Graphite", year=2023, store=store_path)
    code, out, err = run(
        store_path,
        "--member",
        "CAN",
        "--mineral",
        "graphite",
        "--year",
        "2023",
        "--format",
        "json",
    )
    assert code == 0, err
    cli = json.loads(out)
    assert list(frame["stage"]) == [r["stage"] for r in cli]
    mining = frame[frame["stage"] == "mining"].iloc[0]
    assert mining["import_reliance"] == next(
        r["import_reliance"] for r in cli if r["stage"] == "mining"
    )
