"""Documents read with the line of every field: YAML, JSON, TOML and CSV."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from friendshore._core.errors import DataError, InputError
from friendshore.data.documents import (
    Document,
    dotted,
    parse_json,
    parse_toml,
    parse_yaml,
    read_csv_rows,
    read_text,
    shipped_or_file,
)

FILE = Path("doc.txt")

YAML = """\
id: demo
shocks:
  - type: export_restriction
    country: CHN
    share: 0.5
  - type: production_loss
    country: COD
response:
  stockpiles:
    - member: USA
      days: 30
"""

JSON = """{
  "id": "decl-1",
  "lots": [
    {
      "id": "lot-1",
      "value_usd": 12.5
    },
    {"id": "lot-2", "value_usd": 3}
  ]
}
"""

TOML = """\
id = "pack"
version = "1"

[[rules]]
id = "first"
type = "feoc_exclusion"

[[rules]]
id = "second"
minerals = ["lithium"]

[meta]
"source" = "x"
"""


class _Lot(pydantic.BaseModel):
    id: str
    value_usd: float
    mass_kg: float


class _Declaration(pydantic.BaseModel):
    id: str
    lots: list[_Lot]


def test_yaml_keys_and_list_items_have_their_lines() -> None:
    doc = parse_yaml(YAML, FILE)
    assert doc.data["shocks"][1]["country"] == "COD"
    assert doc.lines[()] == 1
    assert doc.lines[("shocks",)] == 2
    assert doc.lines[("shocks", 0)] == 3
    assert doc.lines[("shocks", 0, "share")] == 5
    assert doc.lines[("shocks", 1, "country")] == 7
    assert doc.lines[("response", "stockpiles", 0, "days")] == 11


def test_json_keys_and_list_items_have_their_lines() -> None:
    doc = parse_json(JSON, FILE)
    assert doc.data["lots"][0]["value_usd"] == 12.5
    assert doc.lines[("id",)] == 2
    assert doc.lines[("lots",)] == 3
    assert doc.lines[("lots", 0)] == 4
    assert doc.lines[("lots", 0, "value_usd")] == 6
    assert doc.lines[("lots", 1, "value_usd")] == 8


def test_toml_keys_tables_and_array_tables_have_their_lines() -> None:
    doc = parse_toml(TOML, FILE)
    assert doc.data["rules"][1]["minerals"] == ["lithium"]
    assert doc.lines[("version",)] == 2
    assert doc.lines[("rules", 0)] == 4
    assert doc.lines[("rules", 0, "type")] == 6
    assert doc.lines[("rules", 1)] == 8
    assert doc.lines[("rules", 1, "minerals")] == 10
    assert doc.lines[("meta", "source")] == 13


def test_locate_names_the_line_and_field_of_a_nested_pydantic_error() -> None:
    doc = parse_json(JSON.replace("12.5", '"lots"'), FILE)
    with pytest.raises(pydantic.ValidationError) as info:
        _Declaration.model_validate(doc.data)
    errors = {e["type"]: tuple(e["loc"]) for e in info.value.errors()}
    assert doc.locate(errors["float_parsing"]) == (6, "lots[0].value_usd")


def test_a_missing_key_takes_the_line_of_its_parent() -> None:
    doc = parse_json(JSON, FILE)
    with pytest.raises(pydantic.ValidationError) as info:
        _Declaration.model_validate(doc.data)
    locs = [tuple(e["loc"]) for e in info.value.errors()]
    assert locs == [("lots", 0, "mass_kg"), ("lots", 1, "mass_kg")]
    assert doc.locate(locs[0]) == (4, "lots[0].mass_kg")
    assert doc.locate(locs[1]) == (8, "lots[1].mass_kg")


def test_locate_skips_a_union_tag_and_names_csv_fields_by_column() -> None:
    doc = parse_yaml(YAML, FILE)
    assert doc.locate(("shocks", 0, "export_restriction", "share")) == (5, "shocks[0].share")
    table = Document(
        FILE, {"rates": [{"hs6": "250410"}]}, {(): 1, ("rates",): 2, ("rates", 0): 3}, tabular=True
    )
    assert table.locate(("rates", 0, "hs6")) == (3, "hs6")
    assert dotted(("lots", 0, "value_usd")) == "lots[0].value_usd"


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("id: a\nshocks:\n  - share: 1\n    share: 2\n", 4, "share", "duplicate key 'share'"),
        ("id: a\nname: [unclosed\nsource: x\n", 3, "source", "sequence that starts at line 2"),
        ("id: a\ndate: 2023-13-01\n", 2, "date", "is not a date"),
        ("", 1, None, "empty scenario file"),
    ],
)
def test_yaml_errors_name_the_line_and_field(
    text: str, line: int, field: str | None, message: str
) -> None:
    with pytest.raises(DataError, match=message) as info:
        parse_yaml(text, FILE, what="scenario")
    assert (info.value.line, info.value.field) == (line, field)


def test_json_errors_name_the_line() -> None:
    with pytest.raises(DataError, match="not valid JSON") as info:
        parse_json('{\n  "a": 1,\n  "b": \n}', FILE)
    assert info.value.line == 4
    with pytest.raises(DataError, match="duplicate key 'a'") as dup:
        parse_json('{\n  "a": 1,\n  "a": 2\n}', FILE)
    assert (dup.value.line, dup.value.field) == (3, "a")


def test_csv_rows_keep_their_physical_lines_past_comments_and_blank_rows() -> None:
    text = '# note one\n#note two\nid,name\na,"x"\n\n# inside\nb,"two\nlines"\nc,z\n'
    table = read_csv_rows(FILE, text, optional=None, comments=True)
    assert table.comments == ["note one", "note two"]
    assert table.columns == ["id", "name"]
    assert [r["id"] for r in table.rows] == ["a", "b", "c"]
    assert table.lines == [4, 7, 9]
    assert table.rows[1]["name"] == "two\nlines"


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("id\n1\n", 1, "name", "missing column 'name'"),
        ("id,name,colour\n", 1, "colour", "unknown column 'colour'"),
        ("id,name,id\n", 1, "id", "duplicate column 'id'"),
        ("id,name\na,b\nc,d,e\n", 3, "name", "3 fields where the header has 2"),
        ("", 1, None, "empty schedule file"),
    ],
)
def test_csv_errors_name_the_line_and_field(
    text: str, line: int, field: str | None, message: str
) -> None:
    with pytest.raises(DataError, match=message) as info:
        read_csv_rows(FILE, text, required=("id", "name"), what="schedule")
    assert (info.value.line, info.value.field) == (line, field)


def test_read_text_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such rule pack file"):
        read_text(tmp_path / "absent.yaml", what="rule pack")
    with pytest.raises(DataError, match="is a directory, not a rule pack file"):
        read_text(tmp_path, what="rule pack")
    (tmp_path / "latin1.yaml").write_bytes(b"name: Sa\xefd\n")
    with pytest.raises(DataError, match="not UTF-8"):
        read_text(tmp_path / "latin1.yaml", what="rule pack")


def test_shipped_or_file_takes_an_id_a_file_or_refuses_an_unknown_id(tmp_path: Path) -> None:
    shipped = {"demo": tmp_path / "demo.yaml"}
    options = {"what": "scenario", "formats": "YAML", "suffixes": (".yaml", ".yml")}
    assert shipped_or_file("demo", shipped, **options) == tmp_path / "demo.yaml"
    assert shipped_or_file("other.yaml", shipped, **options) == Path("other.yaml")
    with pytest.raises(
        InputError, match="unknown scenario 'demx': give a YAML file or one of demo"
    ):
        shipped_or_file("demx", shipped, **options)
