"""Project pipelines: the shipped illustrative example, and bad files naming file, line, field."""

from __future__ import annotations

from pathlib import Path

import pytest

from friendshore._core.errors import DataError, InputError
from friendshore.data.pipeline_files import read_pipeline_file, shipped_pipeline_paths
from friendshore.invest.pipeline import (
    PROJECT_COLUMNS,
    Pipeline,
    ProjectStage,
    load_pipeline,
    pipeline_ids,
)
from friendshore.model.zone import default_zone

HEADER = ",".join(PROJECT_COLUMNS)
GOOD = (
    "P1,Graphite mine,USA,graphite,mining,50000,gross weight,4.5e8,6e7,2026,5,500,250,"
    'feasibility,IRMA;ISO14001,"test, not a real project"'
)


def _write(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_the_shipped_example_is_marked_illustrative_everywhere() -> None:
    assert "example-illustrative" in pipeline_ids()
    path = shipped_pipeline_paths()["example-illustrative"]
    pipeline = load_pipeline("example-illustrative")
    assert "ILLUSTRATIVE" in pipeline.header
    assert len(pipeline) == 26
    for project in pipeline.projects:
        assert project.id.startswith("ILL-")
        assert project.name.startswith("Illustrative ")
        assert project.source.startswith("ILLUSTRATIVE, not a real project")
    assert (path.parent / "README.md").read_text(encoding="utf-8").count("ILLUSTRATIVE") >= 1


def test_the_example_uses_zone_countries_and_all_three_stages() -> None:
    pipeline = load_pipeline("example-illustrative")
    zone = default_zone()
    assert {p.country for p in pipeline.projects} <= set(zone.countries)
    assert {zone.member_of(p.country) for p in pipeline.projects} == {"USA", "MEX", "EU27", "JPN"}
    assert {p.stage for p in pipeline.projects} == set(ProjectStage)
    frame = pipeline.to_frame()
    assert list(frame.columns) == PROJECT_COLUMNS
    # capacities on the order of world output, never above it: graphite (1.6 Mt mined in 2023)
    graphite = frame[(frame["mineral"] == "graphite") & (frame["stage"] == "mining")]
    assert graphite["capacity_t_per_year"].sum() < 0.1 * 1.6e6


def test_csv_and_yaml_give_the_same_pipeline(tmp_path: Path) -> None:
    csv_path = _write(tmp_path, GOOD)
    yaml_path = tmp_path / "p.yaml"
    yaml_path.write_text(
        "name: test\nprojects:\n  - id: P1\n    name: Graphite mine\n    country: USA\n"
        "    mineral: graphite\n    stage: mining\n    capacity_t_per_year: 50000\n"
        "    basis: gross weight\n    capex_usd: 4.5e+8\n    opex_usd_per_year: 6.0e+7\n"
        "    earliest_start_year: 2026\n    lead_time_years: 5\n    jobs_construction: 500\n"
        "    jobs_operation: 250\n    status: feasibility\n    standards: [IRMA, ISO14001]\n"
        "    source: test, not a real project\n",
        encoding="utf-8",
    )
    from_csv = load_pipeline(csv_path)
    from_yaml = load_pipeline(yaml_path)
    assert from_csv.projects == from_yaml.projects
    project = from_csv.projects[0]
    assert project.capex_usd == 4.5e8
    assert project.standards == ("IRMA", "ISO14001")
    assert project.online_year_min == 2031
    assert project.stage.supply_stage == "mining"
    assert ProjectStage.RECYCLING.supply_stage == "processing"


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (GOOD.replace(",USA,", ",ATL,"), "country", "unknown country 'ATL'"),
        (GOOD.replace(",graphite,", ",unobtainium,"), "mineral", "unknown mineral"),
        (GOOD.replace(",mining,", ",smelting,"), "stage", "'mining', 'processing' or 'recycling'"),
        (GOOD.replace(",4.5e8,", ",-4.5e8,"), "capex_usd", "greater than or equal to 0"),
        (GOOD.replace(",50000,", ",lots,"), "capacity_t_per_year", "valid number"),
        (GOOD.replace(",feasibility,", ",dreaming,"), "status", "'announced'"),
        (GOOD.replace("IRMA;ISO14001", "IRMA;ISO9999"), "standards", "unknown standard"),
        (GOOD.replace(",500,250,", ",,250,"), "jobs_construction", "required field is missing"),
    ],
)
def test_a_bad_field_names_file_line_and_field(
    tmp_path: Path, row: str, field: str, words: str
) -> None:
    path = _write(tmp_path, GOOD.replace("P1,", "P0,"), row)
    with pytest.raises(DataError) as info:
        load_pipeline(path)
    error = info.value
    assert error.file == str(path)
    assert error.line == 3
    assert error.field == field
    assert words in error.message


def test_comment_lines_keep_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        f"# illustrative\n# second comment\n{HEADER}\n{GOOD}\n{GOOD.replace(',USA,', ',XXX,')}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as info:
        load_pipeline(path)
    assert info.value.line == 5
    assert info.value.field == "country"


def test_a_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD, GOOD)
    with pytest.raises(DataError, match=r"line 3, field 'id': duplicate project id 'P1' \(first"):
        load_pipeline(path)


def test_a_row_with_too_many_fields(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + ",extra")
    with pytest.raises(DataError, match=r"line 2.*17 fields where the header has 16"):
        read_pipeline_file(path)


def test_an_unknown_column_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + ",x", header=HEADER + ",colour")
    with pytest.raises(DataError) as info:
        load_pipeline(path)
    assert (info.value.line, info.value.field) == (2, "colour")
    assert "unknown field" in info.value.message


def test_yaml_errors_give_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("projects:\n  - id: P1\n    name: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataError, match="not valid YAML") as info:
        load_pipeline(path)
    assert info.value.line is not None
    path.write_text(
        "projects:\n  - id: P1\n    name: x\n    country: FRA\n    capex_usd: -1\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as info:
        load_pipeline(path)
    # the first error pydantic reports is a missing field (line of the project), or capex
    assert info.value.file == str(path)
    assert info.value.line in (2, 5)


def test_unknown_name_lists_the_shipped_ids() -> None:
    with pytest.raises(InputError, match="example-illustrative"):
        load_pipeline("no-such-pipeline")


def test_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such pipeline file"):
        load_pipeline(tmp_path / "none.csv")
    with pytest.raises(DataError, match="no project"):
        load_pipeline(_write(tmp_path))
    with pytest.raises(DataError, match=r"\.csv, \.yaml or \.yml"):
        read_pipeline_file(tmp_path / "p.txt")


def test_records_validate_without_a_file(tmp_path: Path) -> None:
    record = dict(load_pipeline(_write(tmp_path, GOOD)).projects[0].model_dump())
    assert len(Pipeline.from_records([record])) == 1
    with pytest.raises(DataError) as info:
        Pipeline.from_records([{**record, "country": "ATL"}])
    assert info.value.field == "country"
