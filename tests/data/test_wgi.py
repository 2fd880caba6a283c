"""World Bank WGI reader: real 2024-update figures, legacy codes, and broken copies."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from friendshore._core.errors import DataError
from friendshore.data.readers.wgi import INDICATORS, read_wgi
from friendshore.data.resources import bundled_path

WGI_XLSX = bundled_path("wgi", "wgidataset.xlsx")


@pytest.fixture(scope="module")
def wgi() -> dict[str, pd.DataFrame]:
    return read_wgi(WGI_XLSX)


@pytest.fixture(scope="module")
def governance(wgi: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return wgi["governance"]


@pytest.fixture(scope="module")
def raw_sheet() -> pd.DataFrame:
    """The sheet as pandas reads it, independently of the reader."""
    return pd.read_excel(WGI_XLSX, engine="calamine", dtype=object)


@pytest.fixture(scope="module")
def wgi_csv_text(raw_sheet: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The real sheet written as a comma-separated file (how users bring a new release)."""
    path = tmp_path_factory.mktemp("wgi") / "wgidataset.csv"
    raw_sheet.to_csv(path, index=False)
    return path.read_text(encoding="utf-8")


def _value(frame: pd.DataFrame, code: str, year: int, indicator: str, column: str) -> object:
    row = frame[
        (frame["code"] == code) & (frame["year"] == year) & (frame["indicator"] == indicator)
    ]
    assert len(row) == 1
    return row[column].iloc[0]


def _write(tmp_path: Path, text: str, name: str = "wgi.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first line of ``text`` that starts with ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(needle))


# --- real data -------------------------------------------------------------------


def test_row_count_and_coverage(wgi: dict[str, pd.DataFrame], governance: pd.DataFrame) -> None:
    # SOURCES.md: 32,100 rows, 214 economies, 25 years (1996, 1998, 2000, 2002-2023).
    assert len(governance) == 32_100
    assert governance["code"].nunique() == 214
    assert governance["country"].nunique() == 214
    assert sorted(governance["year"].unique()) == [1996, 1998, 2000, *range(2002, 2024)]
    assert wgi["unmapped"].empty
    assert set(governance["source"]) == {"World Bank WGI"}
    assert set(governance["release"]) == {"2024 update"}


def test_published_figures(governance: pd.DataFrame) -> None:
    # China, political stability 2022: -0.451 (SOURCES.md, section D, vs geopolrisk -0.441).
    assert _value(governance, "CHN", 2022, "pv", "estimate") == pytest.approx(-0.451277, abs=1e-6)
    assert _value(governance, "CHN", 2022, "pv", "nsource") == 8
    assert _value(governance, "CHN", 2022, "pv", "pctrank") == pytest.approx(29.716982, abs=1e-6)
    # Denmark, rule of law 2023: among the top 1% (published rank 99.5).
    assert _value(governance, "DNK", 2023, "rl", "estimate") == pytest.approx(1.908936, abs=1e-6)
    assert _value(governance, "DNK", 2023, "rl", "pctrank") == pytest.approx(99.528305, abs=1e-6)


def test_values_equal_the_sheet(governance: pd.DataFrame, raw_sheet: pd.DataFrame) -> None:
    for column in ("estimate", "stddev", "nsource", "pctrank"):
        expected = pd.to_numeric(raw_sheet[column].replace("..", np.nan)).astype(float)
        np.testing.assert_array_equal(governance[column].astype(float).to_numpy(), expected)
    assert (governance["code"].to_numpy() == raw_sheet["code"].to_numpy()).all()


def test_missing_is_null_not_zero(governance: pd.DataFrame, raw_sheet: pd.DataFrame) -> None:
    missing = (raw_sheet["estimate"] == "..").to_numpy()
    assert missing.sum() == 1126  # SOURCES.md
    assert governance.loc[missing, "estimate"].isna().all()
    assert governance.loc[missing, "nsource"].isna().all()
    assert governance["estimate"].isna().sum() == 1126
    # American Samoa has no 1996 estimate for control of corruption: NULL, not 0.
    assert pd.isna(_value(governance, "ASM", 1996, "cc", "estimate"))


def test_legacy_codes_resolve(governance: pd.DataFrame) -> None:
    by_code = governance.drop_duplicates("code").set_index("code")["country"]
    assert by_code["ROM"] == "ROU"
    assert by_code["ZAR"] == "COD"
    assert by_code["ADO"] == "AND"
    assert by_code["TMP"] == "TLS"
    assert by_code["WBG"] == "PSE"
    assert by_code["KSV"] == "XKX"
    assert (governance["country"].str.fullmatch(r"[A-Z]{3}")).all()


def test_all_six_indicators_for_2023(governance: pd.DataFrame) -> None:
    latest = governance[governance["year"] == 2023]
    assert set(latest["indicator"]) == set(INDICATORS)
    counts = latest.groupby("indicator").size()
    assert (counts == 214).all()
    assert latest.groupby("indicator")["estimate"].count().min() > 190


def test_csv_reads_like_the_workbook(
    governance: pd.DataFrame, wgi_csv_text: str, tmp_path: Path
) -> None:
    from_csv = read_wgi(_write(tmp_path, wgi_csv_text), release="2024 update")["governance"]
    pd.testing.assert_frame_equal(from_csv, governance)


def test_csv_with_bom_and_trailing_empty_column(
    governance: pd.DataFrame, wgi_csv_text: str, tmp_path: Path
) -> None:
    text = "\ufeff" + "".join(line + ",\n" for line in wgi_csv_text.splitlines())
    result = read_wgi(_write(tmp_path, text), release="2025 update")["governance"]
    assert len(result) == len(governance)
    assert set(result["release"]) == {"2025 update"}


# --- broken copies ---------------------------------------------------------------


def test_wrong_delimiter(wgi_csv_text: str, tmp_path: Path) -> None:
    path = _write(tmp_path, wgi_csv_text.replace(",", ";"))
    with pytest.raises(DataError, match="semicolon-separated") as err:
        read_wgi(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 1, "code")


def test_missing_column(wgi_csv_text: str, tmp_path: Path) -> None:
    frame = pd.read_csv(io.StringIO(wgi_csv_text), dtype=str, keep_default_na=False)
    path = tmp_path / "wgi.csv"
    frame.drop(columns="nsource").to_csv(path, index=False)
    with pytest.raises(DataError, match="missing column") as err:
        read_wgi(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 1, "nsource")


def test_text_in_numeric_field(wgi_csv_text: str, tmp_path: Path) -> None:
    line = _line_of(wgi_csv_text, "CHNpv2022,")
    lines = wgi_csv_text.splitlines()
    fields = lines[line - 1].split(",")
    fields[5] = "n/a"  # estimate
    lines[line - 1] = ",".join(fields)
    path = _write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(DataError, match="'n/a' is not a number") as err:
        read_wgi(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), line, "estimate")
    assert f"line {line}, field 'estimate'" in str(err.value)


def test_text_in_numeric_cell_of_the_workbook(tmp_path: Path) -> None:
    # Sheet row 30002 holds CHN pv 2022; its estimate is cell F30002.
    path = tmp_path / "wgidataset.xlsx"
    _patch_xlsx(
        WGI_XLSX,
        path,
        "xl/worksheets/sheet1.xml",
        r'<c r="F30002"[^>]*>.*?</c>',
        '<c r="F30002" t="inlineStr"><is><t>n.a.</t></is></c>',
    )
    with pytest.raises(DataError, match=r"'n\.a\.' is not a number") as err:
        read_wgi(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 30002, "estimate")


def test_unknown_indicator(wgi_csv_text: str, tmp_path: Path) -> None:
    line = _line_of(wgi_csv_text, "DNKrl2023,")
    lines = wgi_csv_text.splitlines()
    lines[line - 1] = lines[line - 1].replace(",rl,", ",law,")
    path = _write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(DataError, match="unknown indicator 'law'") as err:
        read_wgi(path)
    assert (err.value.line, err.value.field) == (line, "indicator")


def test_unknown_country_is_listed_not_dropped(wgi_csv_text: str, tmp_path: Path) -> None:
    text = re.sub(r"^(\w+?),DNK,Denmark,", r"\1,DNQ,Denmarq,", wgi_csv_text, flags=re.MULTILINE)
    result = read_wgi(_write(tmp_path, text))
    unmapped = result["unmapped"]
    assert unmapped[["field", "code", "name", "rows"]].to_dict("records") == [
        {"field": "code", "code": "DNQ", "name": "Denmarq", "rows": 150}
    ]
    assert len(result["governance"]) == 32_100 - 150
    assert "DNK" not in set(result["governance"]["country"])


def test_duplicate_key(wgi_csv_text: str, tmp_path: Path) -> None:
    lines = wgi_csv_text.splitlines()
    first = _line_of(wgi_csv_text, "CHNpv2022,")
    lines.append(lines[first - 1])
    path = _write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(DataError, match=f"duplicate key.*first on line {first}") as err:
        read_wgi(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), len(lines), "code")


def test_truncated_csv(wgi_csv_text: str, tmp_path: Path) -> None:
    lines = wgi_csv_text.splitlines()
    cut = 20_000
    kept = ",".join(lines[cut - 1].split(",")[:4])  # codeindyr, code, countryname, year
    path = _write(tmp_path, "\n".join([*lines[: cut - 1], kept]))
    with pytest.raises(DataError, match="cut short") as err:
        read_wgi(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), cut, "indicator")


def test_truncated_workbook(tmp_path: Path) -> None:
    data = WGI_XLSX.read_bytes()
    path = tmp_path / "wgidataset.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="cannot read the workbook") as err:
        read_wgi(path)
    assert err.value.file == str(path)


def test_wrong_encoding(wgi_csv_text: str, tmp_path: Path) -> None:
    path = _write(tmp_path, wgi_csv_text, encoding="latin-1")
    # The first non-ASCII name in the sheet (Curaçao, São Tomé, Côte d'Ivoire...).
    line = next(i for i, row in enumerate(wgi_csv_text.splitlines(), 1) if not row.isascii())
    with pytest.raises(DataError, match="not UTF-8") as err:
        read_wgi(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), line, "countryname")


def _patch_xlsx(src: Path, dst: Path, member: str, pattern: str, replacement: str) -> None:
    """Copy the workbook ``src`` to ``dst`` with one regex substitution in ``member``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                text, n = re.subn(pattern, replacement, data.decode("utf-8"), count=1)
                assert n == 1
                data = text.encode("utf-8")
            zout.writestr(info, data)
