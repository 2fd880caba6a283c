"""CEPII GeoDist reader: real distances and country data, legacy codes, broken copies."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from friendshore._core.errors import DataError
from friendshore.data.readers.geodist import read_geodist
from friendshore.data.resources import bundled_path

DIST = bundled_path("geodist", "dist_cepii.csv.gz")
GEO = bundled_path("geodist", "geo_cepii.csv")


@pytest.fixture(scope="module")
def geodist() -> dict[str, pd.DataFrame]:
    return read_geodist(DIST, GEO)


@pytest.fixture(scope="module")
def distance(geodist: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return geodist["distance"]


@pytest.fixture(scope="module")
def dist_text() -> str:
    return gzip.decompress(DIST.read_bytes()).decode("ascii")


@pytest.fixture(scope="module")
def raw_pairs(dist_text: str) -> dict[tuple[str, str], dict[str, str]]:
    """The raw file read with the csv module, keyed by (iso_o, iso_d) as published."""
    rows = csv.DictReader(io.StringIO(dist_text), delimiter=";")
    return {(r["iso_o"], r["iso_d"]): r for r in rows}


def _pair(distance: pd.DataFrame, origin: str, destination: str) -> pd.Series:
    row = distance[(distance["origin"] == origin) & (distance["destination"] == destination)]
    assert len(row) == 1
    return row.iloc[0]


def _write(tmp_path: Path, text: str, name: str = "dist.csv", encoding: str = "ascii") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _replace_line(text: str, prefix: str, old: str, new: str) -> tuple[str, int]:
    """Replace ``old`` by ``new`` in the line starting with ``prefix``; return text and line."""
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith(prefix))
    assert old in lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    return "\n".join(lines) + "\n", number


# --- real data -------------------------------------------------------------------


def test_all_pairs_of_224_countries(
    geodist: dict[str, pd.DataFrame], distance: pd.DataFrame
) -> None:
    assert distance["origin"].nunique() == 224
    assert distance["destination"].nunique() == 224
    assert len(distance) == 224 * 224 == 50_176
    assert not distance.duplicated(["origin", "destination"]).any()
    assert geodist["unmapped"].empty
    assert set(distance["source"]) == {"CEPII GeoDist"}
    assert set(distance["release"]) == {"GeoDist 2011"}


def test_usa_mexico_distance_equals_the_raw_file(
    distance: pd.DataFrame, raw_pairs: dict[tuple[str, str], dict[str, str]]
) -> None:
    raw = raw_pairs[("USA", "MEX")]
    pair = _pair(distance, "USA", "MEX")
    assert pair["dist_km"] == float(raw["dist"]) == pytest.approx(3369.053)
    assert pair["distcap_km"] == float(raw["distcap"]) == pytest.approx(3037.916)
    assert pair["distw_km"] == float(raw["distw"])
    assert bool(pair["contig"]) is True
    assert bool(pair["comlang_off"]) is False


def test_every_distance_equals_the_raw_file(
    distance: pd.DataFrame, raw_pairs: dict[tuple[str, str], dict[str, str]]
) -> None:
    raw = pd.DataFrame(list(raw_pairs.values()))
    assert len(raw) == len(distance)
    for column in ("dist", "distcap", "distw", "distwces"):
        expected = pd.to_numeric(raw[column].replace(".", np.nan)).to_numpy()
        np.testing.assert_array_equal(distance[f"{column}_km"].to_numpy(), expected)
    assert (distance["contig"].to_numpy() == (raw["contig"] == "1").to_numpy()).all()


def test_legacy_codes_resolve(
    distance: pd.DataFrame, raw_pairs: dict[tuple[str, str], dict[str, str]]
) -> None:
    assert {"ROU", "COD", "SRB", "PSE", "TLS"} <= set(distance["origin"])
    assert not {"ROM", "ZAR", "YUG", "PAL", "TMP"} & set(distance["origin"])
    assert _pair(distance, "ROU", "DEU")["dist_km"] == float(raw_pairs[("ROM", "DEU")]["dist"])
    assert _pair(distance, "COD", "ZMB")["contig"]


def test_contiguity_is_symmetric(distance: pd.DataFrame) -> None:
    contig = distance.pivot(index="origin", columns="destination", values="contig")
    assert (contig.to_numpy() == contig.T.to_numpy()).all()
    assert contig.loc["USA", "CAN"]
    assert contig.loc["USA", "MEX"]
    assert not contig.loc["USA", "JPN"]
    assert distance["contig"].sum() == 616


def test_weighted_distance_missing_is_null(
    distance: pd.DataFrame, raw_pairs: dict[tuple[str, str], dict[str, str]]
) -> None:
    dots = sum(r["distw"] == "." for r in raw_pairs.values())
    assert dots == 2215
    assert distance["distw_km"].isna().sum() == dots
    assert distance["dist_km"].notna().all()
    assert (distance["dist_km"] > 0).all()


def test_geography(geodist: dict[str, pd.DataFrame]) -> None:
    geo = geodist["geography"].set_index("country")
    assert len(geo) == 225  # 224 countries of the pair file plus the French Southern Territories
    assert geo.loc["USA", "capital"] == "Washington, DC"
    assert geo.loc["AUS", "capital"] == "Canberra"  # the capital row, not the main city Sydney
    assert geo.loc["MEX", "lat"] == pytest.approx(19.43, abs=0.1)
    assert geo.loc["SRB", "capital"] == "Belgrade"  # YUG
    assert geo.loc["ROU", "capital"] == "Bucharest"  # ROM
    assert bool(geo.loc["AFG", "landlocked"]) is True
    assert geo.loc["DEU", "continent"] == "Europe"
    assert pd.isna(geo.loc["ATF", "continent"])  # CEPII writes "No"
    assert geo.loc["FRA", "area_km2"] == 547_026


def test_geography_decodes_latin1_and_reads_utf8_copy(
    geodist: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    geo = geodist["geography"].set_index("country")
    assert geo.loc["ATF", "capital"] == "Dumont d'Urville (Terre Adélie)"  # byte 0xE9 in the file
    copy = tmp_path / "geo_utf8.csv"
    copy.write_text(GEO.read_bytes().decode("latin-1"), encoding="utf-8")
    again = read_geodist(DIST, copy)["geography"]
    pd.testing.assert_frame_equal(again, geodist["geography"])


# --- broken copies ---------------------------------------------------------------


def test_wrong_delimiter(dist_text: str, tmp_path: Path) -> None:
    path = _write(tmp_path, dist_text.replace(";", ","))
    with pytest.raises(DataError, match="comma-separated but must be semicolon") as err:
        read_geodist(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 1, "iso_o")


def test_missing_column(dist_text: str, tmp_path: Path) -> None:
    lines = [
        ";".join(line.split(";")[:11] + line.split(";")[12:]) for line in dist_text.splitlines()
    ]
    path = _write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(DataError, match="missing column") as err:
        read_geodist(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 1, "distcap")


def test_text_in_numeric_field(dist_text: str, tmp_path: Path) -> None:
    text, line = _replace_line(dist_text, "USA;MEX;", ";3369.053;", ";3369,053;")
    path = _write(tmp_path, text)
    with pytest.raises(DataError, match="'3369,053' is not a number") as err:
        read_geodist(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), line, "dist")


def test_flag_not_zero_or_one(dist_text: str, tmp_path: Path) -> None:
    text, line = _replace_line(dist_text, "USA;MEX;", "USA;MEX;1;", "USA;MEX;yes;")
    path = _write(tmp_path, text)
    with pytest.raises(DataError, match="not a 0/1 flag") as err:
        read_geodist(path)
    assert (err.value.line, err.value.field) == (line, "contig")


def test_negative_distance(dist_text: str, tmp_path: Path) -> None:
    text, line = _replace_line(dist_text, "USA;MEX;", ";3037.916;", ";-3037.916;")
    with pytest.raises(DataError, match="outside the valid range") as err:
        read_geodist(_write(tmp_path, text))
    assert (err.value.line, err.value.field) == (line, "distcap")


def test_unknown_country_is_listed_not_dropped(dist_text: str, tmp_path: Path) -> None:
    text = "\n".join(
        ";".join("XKA" if i < 2 and f == "ANT" else f for i, f in enumerate(line.split(";")))
        for line in dist_text.splitlines()
    )
    result = read_geodist(_write(tmp_path, text + "\n"), GEO)
    unmapped = result["unmapped"]
    assert unmapped[["field", "code", "rows"]].to_dict("records") == [
        {"field": "iso_o", "code": "XKA", "rows": 224},
        {"field": "iso_d", "code": "XKA", "rows": 224},
    ]
    assert len(result["distance"]) == 223 * 223
    assert "NLD" in set(result["distance"]["origin"])


def test_duplicate_pair(dist_text: str, tmp_path: Path) -> None:
    lines = dist_text.splitlines()
    first = next(i for i, line in enumerate(lines, 1) if line.startswith("USA;MEX;"))
    lines.append(lines[first - 1])
    path = _write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(DataError, match=f"duplicate key.*first on line {first}") as err:
        read_geodist(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), len(lines), "iso_d")


def test_truncated_csv(dist_text: str, tmp_path: Path) -> None:
    lines = dist_text.splitlines()
    cut = 30_000
    kept = ";".join(lines[cut - 1].split(";")[:10])  # through smctry; distances lost
    path = _write(tmp_path, "\n".join([*lines[: cut - 1], kept]))
    with pytest.raises(DataError, match="cut short") as err:
        read_geodist(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), cut, "dist")


def test_truncated_gzip(tmp_path: Path) -> None:
    data = DIST.read_bytes()
    path = tmp_path / "dist_cepii.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated or corrupt") as err:
        read_geodist(path)
    assert err.value.file == str(path)
    assert err.value.line is not None
    assert 1 < err.value.line < 50_177


def test_wrong_encoding(dist_text: str, tmp_path: Path) -> None:
    path = _write(tmp_path, dist_text, encoding="utf-16")
    with pytest.raises(DataError, match="UTF-16") as err:
        read_geodist(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 1, "iso_o")


def test_geo_wrong_encoding(tmp_path: Path) -> None:
    path = tmp_path / "geo.csv"
    path.write_text(GEO.read_bytes().decode("latin-1"), encoding="utf-16")
    with pytest.raises(DataError, match="UTF-16") as err:
        read_geodist(DIST, path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 1, "iso3")


def test_geo_two_capitals(tmp_path: Path) -> None:
    text = GEO.read_bytes().decode("latin-1")
    text, line = _replace_line(text, "AU;AUS;", ";-33.88334;151.1667;0;", ";-33.88334;151.1667;1;")
    path = tmp_path / "geo.csv"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(DataError, match="two capitals") as err:
        read_geodist(DIST, path)
    # Sydney (now also cap = 1) comes first; the second capital, Canberra, is the next line.
    assert (err.value.file, err.value.line, err.value.field) == (str(path), line + 1, "cap")


def test_geo_latitude_out_of_range(tmp_path: Path) -> None:
    text = GEO.read_bytes().decode("latin-1")
    text, line = _replace_line(text, "MX;MEX;", ";19.41667;", ";119.41667;")
    path = tmp_path / "geo.csv"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(DataError, match="outside the valid range") as err:
        read_geodist(DIST, path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), line, "lat")
