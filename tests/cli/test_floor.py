"""``friendshore floor list|run|schedule`` through Typer's runner, on the session store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from friendshore.cli.floor import parse_years
from friendshore.cli.main import app
from friendshore.data.queries import read_unit_values
from friendshore.model.zone import Zone

runner = CliRunner()
NDPR_HS6 = "284690"
#: The MP Materials floor: US$110/kg NdPr oxide.
NDPR_USD_PER_T = 110_000.0


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def floor_json(store: Path, *args: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run("floor", "run", *args, "--store", str(store), "-f", "json")
    assert code == 0, err
    payload: dict = json.loads(out)  # type: ignore[type-arg]
    return payload


def test_list_names_the_shipped_reference_files() -> None:
    code, out, _ = run("floor", "list", "--format", "json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    assert set(rows) == {"illustrative", "mp-ndpr"}
    assert rows["illustrative"]["illustrative"] is True
    assert rows["mp-ndpr"]["illustrative"] is False
    assert rows["mp-ndpr"]["rules"] == 1


def test_years_parse_ranges_and_reject_reversed_ones() -> None:
    assert parse_years("2015-2024") == list(range(2015, 2025))
    assert parse_years("2020") == [2020]
    assert parse_years(None) is None


def test_uniform_levy_is_the_gap_to_the_lowest_landed_offer(store_path: Path) -> None:
    payload = floor_json(store_path, "mp-ndpr", "--years", "2023")
    assert payload["mode"] == "uniform"
    assert payload["years"] == [2023]
    levies = payload["levies"]
    assert levies
    # hand check of the landed price: BACI value / tonnes × (1 + 5% CIF margin), one origin
    zone = Zone.load(None)
    flows = read_unit_values(store_path, hs6=[NDPR_HS6], years=[2023])
    usa = flows[(flows["importer"] == "USA") & (flows["exporter"] == "CHN")]
    usa = usa[(usa["quantity_t"] > 0) & (usa["value_usd"] > 0)]
    landed = usa["value_usd"].sum() / usa["quantity_t"].sum() * 1.05
    row = next(r for r in levies if (r["member"], r["origin"]) == ("USA", "CHN"))
    assert row["landed_usd_per_t"] == pytest.approx(landed, rel=1e-9)
    assert row["origin_group"] == "rival"
    for member in zone.members:
        rows = [r for r in levies if r["member"] == member]
        outside = [r for r in rows if r["origin_group"] != "member"]
        total = sum(r["import_t"] for r in outside)
        offers = [r["landed_usd_per_t"] for r in outside if r["import_t"] >= 0.01 * total]
        levy = max(NDPR_USD_PER_T - min(offers), 0.0)
        # one levy per member, on every non-member origin; members never pay
        assert {round(r["levy_usd_per_t"], 6) for r in outside} == {round(levy, 6)}
        assert all(r["levy_usd_per_t"] == 0 for r in rows if r["origin_group"] == "member")
        for r in outside:
            assert r["ad_valorem"] == pytest.approx(levy / r["landed_usd_per_t"], rel=1e-12)


def test_table_shows_money_prices_and_china_share(store_path: Path) -> None:
    code, out, err = run(
        "floor", "run", "mp-ndpr", "--years", "2015-2024", "--cfd", "--store", str(store_path)
    )
    assert code == 0, err
    assert "mp-ndpr" in out or "MP Materials" in out
    assert "rare_earths" in out
    assert "2015–2024" in out
    assert "US$110,000/t" in out  # the fixed reference, per tonne of product
    assert "→" in out  # China's share before → after
    assert "CfD fiscal" in out
    assert "US$" in out
    assert " bn" in out
    assert "e+" not in out  # never scientific notation
    assert "total CfD fiscal cost: US$" in out
    assert "total tariff revenue, market model: US$" in out
    assert "assumption: " in out


def test_csv_is_the_levies(store_path: Path) -> None:
    code, out, err = run(
        "floor", "run", "mp-ndpr", "--years", "2024", "--store", str(store_path), "-f", "csv"
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows
    assert list(rows[0])[:7] == [
        "member",
        "mineral_id",
        "stage",
        "product",
        "origin",
        "origin_group",
        "year",
    ]
    assert {r["year"] for r in rows} == {"2024"}


def test_out_writes_every_file_atomically(store_path: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "floor"
    code, out, err = run(
        "floor",
        "run",
        "mp-ndpr",
        "--years",
        "2022-2024",
        "--cfd",
        "--upside-share",
        "0.5",
        "--store",
        str(store_path),
        "--out",
        str(out_dir),
        "-f",
        "json",
    )
    assert code == 0, err
    assert f"report written to {out_dir / 'index.html'}" in err
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [
        "cfd.csv",
        "index.html",
        "levies.csv",
        "market.csv",
        "schedule-2022.csv",
        "schedule-2023.csv",
        "schedule-2024.csv",
    ]  # no temporary folder left behind
    payload = json.loads(out)
    text = (out_dir / "levies.csv").read_text(encoding="utf-8")
    levies = list(csv.DictReader(io.StringIO(text)))
    assert len(levies) == payload["levy_rows"]
    schedule = (out_dir / "schedule-2024.csv").read_text(encoding="utf-8").splitlines()
    assert schedule[0] == "importer,exporter,hs6,rate_before,rate_after,source,note"
    assert all(",284690," in line for line in schedule[1:])
    page = (out_dir / "index.html").read_text(encoding="utf-8")
    assert "Levy path per year" in page
    assert "China&#x27;s share of zone supply" in page or "China's share of zone supply" in page
    assert "CfD fiscal cost" in page
    assert "Content-Security-Policy" in page


def test_schedule_goes_to_stdout_and_runs_through_smart(store_path: Path, tmp_path: Path) -> None:
    code, out, err = run(
        "floor", "schedule", "mp-ndpr", "--year", "2023", "--store", str(store_path)
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "importer,exporter,hs6,rate_before,rate_after,source,note"
    assert len(lines) > 1
    target = tmp_path / "ndpr-2023.csv"
    code, _, err = run(
        "floor",
        "schedule",
        "mp-ndpr",
        "--year",
        "2023",
        "--mode",
        "per-origin",
        "--store",
        str(store_path),
        "--out",
        str(target),
    )
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == ["ndpr-2023.csv"]
    code, out, err = run(
        "tariff", "smart", str(target), "--year", "2023", "--store", str(store_path), "-f", "json"
    )
    assert code == 0, err
    smart = json.loads(out)
    assert {m["mineral_id"] for m in smart["by_mineral"]} == {"rare_earths"}


def test_a_floor_below_every_landed_price_changes_nothing(store_path: Path, tmp_path: Path) -> None:
    low = tmp_path / "low.yaml"
    low.write_text(
        "id: low\nname: A floor of US$1 per tonne\nversion: '1'\ndate: 2026-01-01\n"
        "source: test\nrules:\n  - mineral: rare_earths\n    stage: processing\n"
        "    product: NdPr oxide\n    method: fixed\n    price: 1\n    unit: USD/t\n"
        "    hs6: ['284690']\n",
        encoding="utf-8",
    )
    payload = floor_json(store_path, str(low), "--years", "2024", "--cfd")
    assert all(r["levy_usd_per_t"] == 0 for r in payload["levies"])
    assert payload["totals"]["tariff_revenue_usd"] == 0
    assert payload["totals"]["consumer_cost_usd"] == 0
    assert all(m["consumer_cost_usd"] == 0 for m in payload["market"])
    assert all(c["fiscal_cost_usd"] == 0 for c in payload["cfd"])
    code, out, _ = run("floor", "schedule", str(low), "--year", "2024", "--store", str(store_path))
    assert code == 0
    rates = [float(r["rate_after"]) for r in csv.DictReader(io.StringIO(out))]
    assert rates
    assert set(rates) == {0.0}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--years", "2024-2015"), ["--years", "2024-2015", "after"]),
        (("--years", "20x5"), ["--years", "not a year"]),
        (("--years", "1980-2024"), ["--years", "at most 30"]),
        (("--years", "1999"), ["no BACI trade for 1999"]),
        (("--mode", "sliding"), ["--mode", "sliding"]),
        (("--upside-share", "2"), ["--upside-share"]),
    ],
)
def test_bad_options_exit_2(store_path: Path, args: tuple[str, ...], words: list[str]) -> None:
    code, _, err = run("floor", "run", "mp-ndpr", *args, "--store", str(store_path))
    assert code == 2
    for word in words:
        assert word in err


def test_bad_reference_files_exit_2_naming_file_line_field(
    store_path: Path, tmp_path: Path
) -> None:
    code, _, err = run("floor", "run", "no-such-floor", "--store", str(store_path))
    assert code == 2
    assert "no-such-floor" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: bad\nname: Bad\nversion: '1'\ndate: 2026-01-01\nsource: test\nrules:\n"
        "  - mineral: rare_earths\n    stage: processing\n    product: NdPr oxide\n"
        "    method: fixed\n    price: -110\n",
        encoding="utf-8",
    )
    code, out, err = run("floor", "run", str(bad), "--store", str(store_path))
    assert code == 2
    assert out == ""
    assert "bad.yaml" in err
    assert "line 11" in err
    assert "price" in err
    code, _, err = run("floor", "schedule", str(bad), "--year", "2024", "--store", str(store_path))
    assert code == 2
    assert "bad.yaml" in err


def test_a_floor_schedule_runs_through_smart_and_ge_unchanged(
    store_path: Path, tmp_path: Path
) -> None:
    """End to end: ``floor schedule`` writes a file that ``tariff smart`` and ``tariff ge`` read."""
    from friendshore.data.zones import default_zone_path  # noqa: PLC0415
    from friendshore.policy.reference import load_reference_file  # noqa: PLC0415

    target = tmp_path / "illustrative-2023.csv"
    store = ["--store", str(store_path)]
    code, _, err = run(
        "floor", "schedule", "illustrative", "--year", "2023", "--mode", "per-origin",
        *store, "--out", str(target),
    )  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    levied = [r for r in rows if float(r["rate_after"]) > 0]
    assert levied, "a per-origin floor above some landed prices levies something"
    zone = Zone.load(None)
    assert all(r["exporter"] not in zone.countries for r in levied)  # members never pay

    code, out, err = run("tariff", "smart", str(target), "--year", "2023", *store, "-f", "json")
    assert code == 0, err
    smart = json.loads(out)
    assert smart["totals"]["revenue_change_usd"] > 0
    ruled = {r.mineral for r in load_reference_file("illustrative").rules}
    assert {m["mineral_id"] for m in smart["by_mineral"]} <= ruled

    coef = tmp_path / "coef.csv"
    coef.write_text(
        "variable,coefficient\nlndist,-0.8\ncontiguity,0.5\ncommon_language,0.3\n"
        "international,-3.0\n",
        encoding="utf-8",
    )
    args = ["tariff", "ge", "--zone", str(default_zone_path()), "--schedule", str(target)]
    args += ["--coefficients", str(coef), "--preference", "0", *store, "-f", "json"]
    code, out, err = run(*args)
    assert code == 0, err
    ge = json.loads(out)
    assert ge["schedule"]["id"] == "illustrative-2023"
    assert ge["schedule"]["pairs_moved"] > 0
    exporters = {m["exporter"] for m in ge["schedule"]["moved"]}
    assert exporters.isdisjoint(zone.countries)


def test_out_pointing_at_a_file_exits_2_and_keeps_it(store_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("kept", encoding="utf-8")
    code, _, err = run("floor", "run", "mp-ndpr", "--years", "2023", "--store", str(store_path),
                       "--out", str(target))  # fmt: skip
    assert code == 2
    assert "exists and is not a folder" in err
    assert target.read_text(encoding="utf-8") == "kept"
