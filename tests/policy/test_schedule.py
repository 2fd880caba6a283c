"""Tariff schedules: the shipped files, CSV and YAML parsing, errors with file, line, field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from friendshore._core.errors import DataError, InputError
from friendshore.data.catalog import read_hs_concordance
from friendshore.model.zone import default_zone
from friendshore.policy.schedule import list_schedules, load_schedule, schedule_ids

HEADER = "importer,exporter,hs6,rate_before,rate_after,start,source\n"


def write(tmp_path: Path, text: str, name: str = "schedule.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_schedules_are_listed_and_valid() -> None:
    assert schedule_ids() == ["us-301-critical-minerals", "zone-rival-25"]
    listed = list_schedules()
    assert list(listed["id"]) == schedule_ids()
    assert list(listed["illustrative"]) == [False, True]
    assert listed.loc[0, "baseline_year"] == 2023


def test_section_301_schedule_codes_dates_and_rates() -> None:
    schedule = load_schedule("us-301-critical-minerals")
    assert "89 FR 76581" in schedule.source
    codes = {r.hs6: r for r in schedule.rates}
    assert set(codes) <= set(read_hs_concordance()["hs6"])
    # natural graphite: 0 -> 25% from 1 January 2026
    for hs6 in ("250410", "250490"):
        assert codes[hs6].start == dt.date(2026, 1, 1)
        assert (codes[hs6].rate_before, codes[hs6].rate_after) == (0.0, 0.25)
    # the 2024 rows apply to goods entered on or after 27 September 2024
    early = [r for r in schedule.rates if r.hs6 not in {"250410", "250490"}]
    assert len(early) == 6
    assert {r.start for r in early} == {dt.date(2024, 9, 27)}
    assert {(r.importer, r.exporter) for r in schedule.rates} == {("USA", "CHN")}
    assert all(r.source for r in schedule.rates)


def test_zone_schedule_groups_resolve_against_the_zone() -> None:
    zone = default_zone()
    rules = load_schedule("zone-rival-25").resolve(zone)
    assert len(rules[0].importers) == 30  # USA, MEX, JPN and the 27 EU states
    assert rules[0].exporters == zone.countries
    assert rules[1].complement
    assert rules[1].exporters == zone.countries | zone.rivals
    assert rules[2].exporters == frozenset({"CHN"})
    assert (rules[2].rate_before, rules[2].rate_after, rules[2].hs6) == (0.0, 0.25, None)


def test_rows_not_in_force_keep_their_old_rate() -> None:
    schedule = load_schedule("us-301-critical-minerals")
    rules = schedule.resolve(default_zone(), as_of=dt.date(2025, 6, 1))
    after = {r.hs6: r.rate_after for r in rules}
    assert after["250410"] == 0.0
    assert after["261100"] == 0.25


def test_csv_schedule_reads_text_and_blocs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "EU27,CHN,250410,0,0.1,2025-01-01,test\nJPN,rival,all,0.02,0.02,,test\n",
    )
    schedule = load_schedule(path)
    assert schedule.id == "schedule"
    assert schedule.rates[0].rate_after == 0.1
    assert schedule.rates[1].start is None
    assert schedule.rates[1].hs6 == "all"
    rules = schedule.resolve(default_zone())
    assert len(rules[0].importers) == 27


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ("USA,CHN,250410,0,-0.25,,x", "rate_after", ">= 0"),
        ("USA,CHN,250410,0,25,,x", "rate_after", "fractions"),
        ("USA,CHN,250410,zero,0.25,,x", "rate_before", "number"),
        ("USB,CHN,250410,0,0.25,,x", "importer", "unknown importer"),
        ("USA,Chinaa,250410,0,0.25,,x", "exporter", "unknown exporter"),
        ("USA,CHN,999999,0,0.25,,x", "hs6", "unknown HS6"),
        ("USA,CHN,250410,0,0.25,2024-13-01,x", "start", "date"),
    ],
)
def test_bad_csv_rows_name_file_line_field(
    tmp_path: Path, row: str, field: str, words: str
) -> None:
    path = write(tmp_path, HEADER + "USA,CHN,250490,0,0.25,,ok\n" + row + "\n")
    with pytest.raises(DataError) as info:
        load_schedule(path)
    err = info.value
    assert err.file == str(path)
    assert err.line == 3
    assert err.field == field
    assert words in err.message


def test_missing_column_names_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "importer,exporter,hs6,rate_before\nUSA,CHN,250410,0\n")
    with pytest.raises(DataError) as info:
        load_schedule(path)
    assert (info.value.line, info.value.field) == (1, "rate_after")


def test_duplicate_row_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "USA,CHN,250410,0,0.25,,a\nUSA,CHN,250410,0,0.5,,b\n")
    with pytest.raises(DataError) as info:
        load_schedule(path)
    assert info.value.line == 3
    assert "line 2" in info.value.message


def test_yaml_errors_point_at_the_line_of_the_field(tmp_path: Path) -> None:
    text = (
        "id: test\nname: Test\nrates:\n"
        "  - importer: USA\n    exporter: CHN\n    hs6: 250410\n"
        "    rate_before: 0\n    rate_after: -0.1\n"
    )
    path = write(tmp_path, text, "bad.yaml")
    with pytest.raises(DataError) as info:
        load_schedule(path)
    assert (info.value.line, info.value.field) == (8, "rates[0].rate_after")


def test_yaml_integer_hs6_is_read_as_a_code(tmp_path: Path) -> None:
    text = (
        "id: test\nname: Test\nrates:\n"
        "  - {importer: zone, exporter: rest_of_world, hs6: 250410, rate_before: 0, "
        "rate_after: 0.05}\n"
    )
    schedule = load_schedule(write(tmp_path, text, "ok.yaml"))
    assert schedule.rates[0].hs6 == "250410"


def test_unknown_name_lists_shipped_ids() -> None:
    with pytest.raises(InputError, match="us-301-critical-minerals"):
        load_schedule("no-such-schedule")
