"""Zone file errors name the file, the line and the key, in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest

from friendshore._core.errors import DataError
from friendshore.data.zones import key_line
from friendshore.model.zone import Zone


def load_error(tmp_path: Path, text: str) -> DataError:
    path = tmp_path / "zone.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        Zone.load(path)
    return caught.value


def test_unknown_key_names_line_key_and_the_keys_there_are(tmp_path: Path) -> None:
    error = load_error(
        tmp_path, 'name = "x"\nmembers = ["USA"]\nrivals = ["CHN"]\nmembr = ["MEX"]\n'
    )
    assert (error.line, error.field) == (4, "membr")
    assert "unknown key 'membr' in a zone file; did you mean 'members'?" in error.message
    assert "Extra inputs" not in str(error)


def test_a_key_of_a_table(tmp_path: Path) -> None:
    text = 'name = "x"\nmembers = ["USA"]\n\n[supply_risk]\ntrade_parameter_membr = 0.5\n'
    error = load_error(tmp_path, text)
    assert (error.line, error.field) == (5, "supply_risk.trade_parameter_membr")
    assert "unknown key 'trade_parameter_membr' in [supply_risk]" in error.message
    assert "did you mean 'trade_parameter_member'?" in error.message


def test_wrong_types_and_missing_keys_in_plain_words(tmp_path: Path) -> None:
    error = load_error(tmp_path, 'name = "x"\nmembers = "USA"\n')
    assert (error.line, error.field) == (2, "members")
    assert error.message == '\'members\' must be a list in brackets, e.g. members = ["USA", "EU27"]'
    error = load_error(tmp_path, 'members = ["USA"]\n')
    assert (error.line, error.field) == (None, "name")
    assert error.message == "the key 'name' is required and missing"
    error = load_error(tmp_path, 'name = "x"\nmembers = ["USA", "XYZ"]\n')
    assert (error.line, error.field) == (2, "members[1]")


def test_key_line_reads_dotted_keys_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "zone.toml"
    path.write_text(
        'name = "x"\nsupply_risk.trade_parameter_member = 0.5\n[supply_risk]\n', encoding="utf-8"
    )
    assert key_line(path, "supply_risk.trade_parameter_member") == 2
    assert key_line(path, "supply_risk") == 3
    assert key_line(path, "members") is None
