"""CEPII BACI: the bundled HS92 2015–2024 subset in the store, checked against the raw file.

Every expected figure is recomputed here from the raw gzip with Python's csv module,
independently of DuckDB. Bad-input tests break copies of the real file's first
200 lines.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from friendshore._core.errors import DataError, StoreError, UnknownCountryError
from friendshore.data.countries import read_blocs
from friendshore.data.queries import read_mineral_trade
from friendshore.data.readers.baci import (
    BUNDLED_RELEASE,
    SOURCE,
    BaciLoadReport,
    load_baci,
    load_baci_bundled,
    read_baci_country_codes,
)
from friendshore.data.resources import bundled_path
from friendshore.data.schema import create_table_sql

TRADE_GZ = bundled_path("baci", "baci_HS92_V202401b_trade_2015_2024.csv.gz")
CODES = bundled_path("baci", "baci_country_codes_V202401b.csv")


@dataclass
class Raw:
    """Figures computed from the raw file with the csv module (v in thousand USD)."""

    lines: int = 0
    v_by_year_hs6: dict[tuple[int, str], float] = field(default_factory=lambda: defaultdict(float))
    v_by_exporter: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    v_by_importer: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    rows_by_exporter: Counter[int] = field(default_factory=Counter)
    rows_by_importer: Counter[int] = field(default_factory=Counter)
    missing_q: int = 0
    v_total: float = 0.0


@pytest.fixture(scope="module")
def raw() -> Raw:
    out = Raw()
    with gzip.open(TRADE_GZ, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        assert next(reader) == ["t", "i", "j", "k", "v", "q"]
        out.lines = 1
        for t, i, j, k, v, q in reader:
            out.lines += 1
            value = float(v)
            out.v_by_year_hs6[int(t), k.strip().zfill(6)] += value
            out.v_by_exporter[int(i)] += value
            out.v_by_importer[int(j)] += value
            out.rows_by_exporter[int(i)] += 1
            out.rows_by_importer[int(j)] += 1
            out.missing_q += q.strip() in ("", "NA")
            out.v_total += value
    return out


def fresh_store() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(create_table_sql("trade"))
    con.execute(create_table_sql("unmapped"))
    return con


@pytest.fixture(scope="module")
def loaded() -> Iterator[tuple[duckdb.DuckDBPyConnection, BaciLoadReport]]:
    con = fresh_store()
    report = load_baci_bundled(con)
    yield con, report
    con.close()


@pytest.fixture(scope="module")
def real_head() -> list[str]:
    """The real file's header and first 199 data rows, as lines with their newlines."""
    with gzip.open(TRADE_GZ, "rt", encoding="utf-8", newline="") as fh:
        return [next(fh) for _ in range(200)]


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


# --------------------------------------------------------------------------- codes


def test_country_codes_map_baci_own_codes_and_keep_non_countries() -> None:
    codes = read_baci_country_codes(CODES).set_index("code")
    assert len(codes) == 238
    for code, iso3 in {
        251: "FRA",
        699: "IND",
        579: "NOR",
        757: "CHE",
        842: "USA",
        156: "CHN",
    }.items():
        assert codes.at[code, "iso3"] == iso3
    assert codes.at[891, "published_iso3"] == "SCG"
    assert codes.at[891, "iso3"] == "SRB"  # via the alias table
    # 490 "Other Asia, nes" (S19) is Taiwan's trade by UN Comtrade convention (alias table)
    assert codes.at[490, "iso3"] == "TWN"
    for code in (697, 711):  # Europe EFTA nes (R20), Southern African Customs Union (ZA1)
        assert pd.isna(codes.at[code, "iso3"])
    assert codes.at[490, "name"] == "Other Asia, nes"
    assert codes.at[384, "name"] == "Côte d'Ivoire"  # repaired from "CÃ´te"


def test_country_code_list_with_duplicate_code_is_rejected(tmp_path: Path) -> None:
    lines = CODES.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = tmp_path / "country_codes_V202401b.csv"
    bad.write_text("".join([*lines, lines[5]]), encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_baci_country_codes(bad)
    assert (info.value.line, info.value.field) == (len(lines) + 1, "country_code")
    assert "line 6" in str(info.value)


# --------------------------------------------------------------------------- bundled


def test_every_row_is_loaded(
    loaded: tuple[duckdb.DuckDBPyConnection, BaciLoadReport], raw: Raw
) -> None:
    con, report = loaded
    assert report.rows == raw.lines - 1 == 504_683
    assert scalar(con, "SELECT count(*) FROM trade") == raw.lines - 1
    assert report.years == tuple(range(2015, 2025))
    assert report.hs6 == 72
    assert report.release == BUNDLED_RELEASE
    assert report.unmapped == ()
    assert math.isclose(report.value_usd, raw.v_total * 1000, rel_tol=1e-9)
    assert scalar(con, "SELECT count(DISTINCT (source, release)) FROM trade") == 1
    assert scalar(con, "SELECT any_value(source) FROM trade") == SOURCE


def test_value_by_year_and_hs6_equals_raw_times_1000(
    loaded: tuple[duckdb.DuckDBPyConnection, BaciLoadReport], raw: Raw
) -> None:
    con, _ = loaded
    stored = {
        (int(y), str(k)): float(v)
        for y, k, v in con.execute(
            "SELECT year, hs6, sum(value_usd) FROM trade GROUP BY ALL"
        ).fetchall()
    }
    assert stored.keys() == raw.v_by_year_hs6.keys()
    assert len(stored) == 712  # 72 codes × 10 years, less 8 with no trade that year
    for key, v in raw.v_by_year_hs6.items():
        assert math.isclose(stored[key], v * 1000, rel_tol=1e-6), key


def test_missing_quantity_is_null_not_zero(
    loaded: tuple[duckdb.DuckDBPyConnection, BaciLoadReport], raw: Raw
) -> None:
    con, _ = loaded
    assert raw.missing_q == 24_388
    assert scalar(con, "SELECT count(*) FROM trade WHERE quantity_t IS NULL") == raw.missing_q


def test_china_rare_earth_metals_exports_2023(
    loaded: tuple[duckdb.DuckDBPyConnection, BaciLoadReport],
) -> None:
    # BACI V202401b, HS 280530 (rare-earth metals, scandium and yttrium), China (156)
    # 2023: 53 partners, 242,049.664 thousand USD in the raw file; Japan (392)
    # 194,109.433 thousand USD for 5,702.871 t.
    con, _ = loaded
    total, partners = con.execute(
        "SELECT sum(value_usd), count(*) FROM trade "
        "WHERE year = 2023 AND exporter = 'CHN' AND hs6 = '280530'"
    ).fetchone()
    assert partners == 53
    assert math.isclose(total, 242_049_664.0, rel_tol=1e-9)
    japan = con.execute(
        "SELECT value_usd, quantity_t, exporter_code, importer_code FROM trade "
        "WHERE year = 2023 AND exporter = 'CHN' AND importer = 'JPN' AND hs6 = '280530'"
    ).fetchall()
    assert len(japan) == 1
    value, quantity, i, j = japan[0]
    assert (i, j) == (156, 392)
    assert math.isclose(value, 194_109_433.0, rel_tol=1e-12)
    assert math.isclose(quantity, 5_702.871, rel_tol=1e-12)


def test_baci_own_codes_resolve_in_the_store(
    loaded: tuple[duckdb.DuckDBPyConnection, BaciLoadReport],
) -> None:
    con, _ = loaded
    pairs = dict(
        con.execute(
            "SELECT DISTINCT exporter_code, exporter FROM trade "
            "WHERE exporter_code IN (251, 699, 579, 757, 842)"
        ).fetchall()
    )
    assert pairs == {251: "FRA", 699: "IND", 579: "NOR", 757: "CHE", 842: "USA"}


def test_iso3_coverage_of_trade_value(
    loaded: tuple[duckdb.DuckDBPyConnection, BaciLoadReport], raw: Raw
) -> None:
    con, _ = loaded
    exp_share, imp_share = con.execute(
        "SELECT sum(value_usd) FILTER (exporter IS NOT NULL) / sum(value_usd), "
        "sum(value_usd) FILTER (importer IS NOT NULL) / sum(value_usd) FROM trade"
    ).fetchone()
    assert exp_share == imp_share == 1.0
    # Taiwan's trade sits under BACI code 490 "Other Asia, nes" (2.2 % of import value)
    taiwan = scalar(con, "SELECT sum(value_usd) FROM trade WHERE importer_code = 490")
    assert math.isclose(taiwan, raw.v_by_importer[490] * 1000, rel_tol=1e-9)
    assert scalar(con, "SELECT DISTINCT importer FROM trade WHERE importer_code = 490") == "TWN"


def test_unmapped_codes_are_listed_and_their_rows_kept(
    real_head: list[str], tmp_path: Path
) -> None:
    # Real rows re-addressed to 697 "Europe EFTA, nes", a BACI code that is no country.
    header, first, second, *rest = real_head
    t, _, j, k, v, q = first.split(",")
    moved = ",".join([t, "697", j, k, v, q])
    path = tmp_path / "BACI_HS92_Y2015_V202401b.csv"
    path.write_text("".join([header, moved, second, *rest]), encoding="utf-8")
    con = fresh_store()
    report = load_baci(con, path, release="V202401b", country_codes=CODES)
    assert report.unmapped == (697,)
    rows = con.execute("SELECT field, code, name, rows, value_usd FROM unmapped").fetchall()
    assert rows == [("exporter", "697", "Europe EFTA, nes", 1, float(v) * 1000)]
    # nothing dropped: the row is in trade with its published code and a NULL ISO3
    kept = con.execute(
        "SELECT exporter, exporter_code, value_usd FROM trade WHERE exporter IS NULL"
    ).fetchall()
    assert kept == [(None, 697, float(v) * 1000)]
    assert scalar(con, "SELECT count(*) FROM trade") == len(real_head) - 1


def test_progress_reports_bytes_to_completion() -> None:
    con = fresh_store()
    calls: list[tuple[int, int]] = []
    load_baci(
        con,
        TRADE_GZ,
        release=BUNDLED_RELEASE,
        country_codes=CODES,
        progress=lambda done, total: calls.append((done, total)),
    )
    total = 2 * TRADE_GZ.stat().st_size
    assert calls[-1] == (total, total)
    assert all(t == total for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    # DuckDB's progress settings are restored
    assert scalar(con, "SELECT current_setting('enable_progress_bar')") is False


# --------------------------------------------------------------------------- idempotence


def test_reimport_same_release_replaces_its_rows(
    raw: Raw, real_head: list[str], tmp_path: Path
) -> None:
    con = fresh_store()
    first = load_baci_bundled(con)
    everything = "SELECT * FROM trade ORDER BY ALL"
    before = con.execute(everything).fetchall()
    listed = "SELECT * EXCLUDE (value_usd), value_usd FROM unmapped ORDER BY field"
    unmapped = con.execute(listed).fetchall()
    second = load_baci_bundled(con)
    assert second.rows == first.rows
    assert con.execute(everything).fetchall() == before
    again = con.execute(listed).fetchall()
    assert [r[:-1] for r in again] == [r[:-1] for r in unmapped]
    for new, old in zip(again, unmapped, strict=True):  # sums: order of addition may differ
        assert math.isclose(new[-1], old[-1], rel_tol=1e-12)

    # A file holding only 2015 rows replaces only 2015 of that release, and only
    # when told to: it has fewer rows for 2015 than the store.
    head = tmp_path / "BACI_HS92_Y2015_V202401b.csv"
    head.write_text("".join(real_head), encoding="utf-8")
    with pytest.raises(DataError, match="199 rows for 2015 but the store holds 51,015") as info:
        load_baci(con, head, release=BUNDLED_RELEASE, country_codes=CODES)
    assert info.value.file == str(head)
    assert con.execute(everything).fetchall() == before
    report = load_baci(con, head, release=BUNDLED_RELEASE, country_codes=CODES, replace_year=True)
    assert report.years == (2015,)
    by_year = dict(con.execute("SELECT year, count(*) FROM trade GROUP BY year").fetchall())
    assert by_year[2015] == 199
    assert by_year[2016] == 47_969
    assert sum(by_year.values()) == raw.lines - 1 - 51_015 + 199

    # Another release is added beside it, not replacing it.
    load_baci(con, head, release="V202501", country_codes=CODES)
    assert scalar(con, "SELECT count(*) FROM trade WHERE release = 'V202501'") == 199
    assert scalar(con, f"SELECT count(*) FROM trade WHERE release = '{BUNDLED_RELEASE}'") == sum(
        by_year.values()
    )


def test_format_variants_of_real_releases(real_head: list[str], tmp_path: Path) -> None:
    """Space-padded values, ``NA`` quantities, CRLF, a 5-digit HS code, gzip."""
    rows = [line.rstrip("\n").split(",") for line in real_head[1:]]
    rows[0][4] = "   " + rows[0][4]
    rows[1][5] = "         NA"
    rows[2][3] = "10121"  # written as a number: HS 010121 lost its leading zero
    text = "t,i,j,k,v,q\r\n" + "".join(",".join(r) + "\r\n" for r in rows)
    path = tmp_path / "BACI_HS92_Y2015_V202401b.csv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    con = fresh_store()
    report = load_baci(con, path, release="V", country_codes=CODES)
    assert report.rows == 199
    stored = con.execute(
        "SELECT hs6, value_usd, quantity_t FROM trade WHERE exporter_code = $i "
        "AND importer_code = $j AND hs6 LIKE '%10121'",
        {"i": int(rows[2][1]), "j": int(rows[2][2])},
    ).fetchall()
    assert stored == [("010121", float(rows[2][4]) * 1000, float(rows[2][5]))]
    padded = con.execute(
        "SELECT value_usd FROM trade WHERE exporter_code = $i AND importer_code = $j AND hs6 = $k",
        {"i": int(rows[0][1]), "j": int(rows[0][2]), "k": rows[0][3]},
    ).fetchall()
    assert padded == [(float(rows[0][4]) * 1000,)]
    assert scalar(con, "SELECT count(*) FROM trade WHERE quantity_t IS NULL") == 1 + sum(
        r[5] == "" for r in rows
    )


# --------------------------------------------------------------------------- bad input


def _with_field(line: str, index: int, value: str) -> str:
    cells = line.rstrip("\n").split(",")
    cells[index] = value
    return ",".join(cells) + "\n"


def _edit(lines: list[str], number: int, fn: Callable[[str], str]) -> list[str]:
    out = list(lines)
    out[number - 1] = fn(out[number - 1])
    return out


Builder = Callable[[list[str], Path], Path]


def _text(name: str, fn: Callable[[list[str]], list[str]], encoding: str = "utf-8") -> Builder:
    def build(lines: list[str], tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes("".join(fn(lines)).encode(encoding))
        return path

    return build


def _truncated_gzip(lines: list[str], tmp: Path) -> Path:
    path = tmp / "BACI_HS92_Y2015_V202401b.csv.gz"
    path.write_bytes(gzip.compress("".join(lines).encode())[:1500])
    return path


BAD_INPUTS: list[tuple[str, Builder, int, str, str]] = [
    (
        "wrong delimiter",
        _text("semicolon.csv", lambda ls: [x.replace(",", ";") for x in ls]),
        1, "t", "wrong delimiter",
    ),
    (
        "missing column",
        _text("no_q.csv", lambda ls: [x.rsplit(",", 1)[0] + "\n" for x in ls]),
        1, "q", "missing column 'q'",
    ),
    (
        "missing value in a row",
        _text("short_row.csv", lambda ls: _edit(ls, 60, lambda x: x.rsplit(",", 1)[0] + "\n")),
        60, "q", "found 5",
    ),
    (
        "text in value",
        _text("text_v.csv", lambda ls: _edit(ls, 50, lambda x: _with_field(x, 4, "abc"))),
        50, "v", "'abc' is not a number",
    ),
    (
        "text in exporter code",
        _text("text_i.csv", lambda ls: _edit(ls, 51, lambda x: _with_field(x, 1, "1x6"))),
        51, "i", "not an integer",
    ),
    (
        "decimal in importer code",
        _text("dec_j.csv", lambda ls: _edit(ls, 52, lambda x: _with_field(x, 2, "4.4"))),
        52, "j", "not an integer",
    ),
    (
        "text in quantity",
        _text("text_q.csv", lambda ls: _edit(ls, 53, lambda x: _with_field(x, 5, "n/a"))),
        53, "q", "'n/a' is not a number",
    ),
    (
        "negative value",
        _text("neg_v.csv", lambda ls: _edit(ls, 54, lambda x: _with_field(x, 4, "-1.5"))),
        54, "v", "negative",
    ),
    (
        "implausible year",
        _text("year.csv", lambda ls: _edit(ls, 55, lambda x: _with_field(x, 0, "1888"))),
        55, "t", "implausible year",
    ),
    (
        "short HS code",
        _text("k4.csv", lambda ls: _edit(ls, 56, lambda x: _with_field(x, 3, "2503"))),
        56, "k", "not 5–6 digits",
    ),
    (
        "empty value",
        _text("empty_v.csv", lambda ls: _edit(ls, 59, lambda x: _with_field(x, 4, ""))),
        59, "v", "empty value",
    ),
    (
        "unknown country code",
        _text("unknown.csv", lambda ls: _edit(ls, 57, lambda x: _with_field(x, 2, "999"))),
        57, "j", "unknown BACI country code 999",
    ),
    (
        "duplicate key",
        _text("dup.csv", lambda ls: [*ls[:150], ls[120], *ls[150:]]),
        151, "k", "first on line 121",
    ),
    (
        "truncated file",
        _text("trunc.csv", lambda ls: ["".join(ls)[:5000]]),
        155, "q", "truncated",
    ),
    ("truncated gzip", _truncated_gzip, 147, "q", "truncated"),
    ("wrong encoding (UTF-16)", _text("utf16.csv", lambda ls: ls, "utf-16"), 1, "t", "UTF-16"),
    (
        "wrong encoding (Latin-1 byte)",
        _text(
            "latin.csv",
            lambda ls: _edit(ls, 58, lambda x: _with_field(x, 3, "25é310")),
            "latin-1",
        ),
        58, "k", "UTF-8",
    ),
    ("header only", _text("header.csv", lambda ls: ls[:1]), 2, "t", "no data rows"),
]  # fmt: skip


@pytest.mark.parametrize("case", [pytest.param(case[1:], id=case[0]) for case in BAD_INPUTS])
def test_bad_input_names_file_line_field_and_writes_nothing(
    case: tuple[Builder, int, str, str], real_head: list[str], tmp_path: Path
) -> None:
    build, line, field, fragment = case
    con = fresh_store()
    good = tmp_path / "good.csv"
    good.write_text("".join(real_head), encoding="utf-8")
    load_baci(con, good, release="V202401b", country_codes=CODES)
    snapshot = con.execute("SELECT * FROM trade ORDER BY ALL").fetchall()
    unmapped = con.execute("SELECT * FROM unmapped ORDER BY ALL").fetchall()

    bad = build(real_head, tmp_path)
    with pytest.raises(DataError) as info:
        load_baci(con, bad, release="V202401b", country_codes=CODES)
    err = info.value
    assert (err.file, err.line, err.field) == (str(bad), line, field)
    message = str(err)
    assert str(bad) in message
    assert f"line {line}" in message
    assert f"field {field!r}" in message
    assert fragment in message
    assert con.execute("SELECT * FROM trade ORDER BY ALL").fetchall() == snapshot
    assert con.execute("SELECT * FROM unmapped ORDER BY ALL").fetchall() == unmapped
    con.execute("BEGIN")  # no transaction was left open
    con.execute("ROLLBACK")


def test_unknown_country_code_is_an_unknown_country_error(
    real_head: list[str], tmp_path: Path
) -> None:
    bad = tmp_path / "unknown.csv"
    bad.write_text(
        "".join(_edit(real_head, 20, lambda x: _with_field(x, 1, "998"))), encoding="utf-8"
    )
    with pytest.raises(UnknownCountryError, match="998"):
        load_baci(fresh_store(), bad, release="V", country_codes=CODES)


def test_store_without_trade_table_is_refused() -> None:
    with pytest.raises(StoreError, match="'trade'"):
        load_baci(duckdb.connect(), TRADE_GZ, release="V", country_codes=CODES)


def test_open_transaction_is_refused() -> None:
    con = fresh_store()
    con.execute("BEGIN")
    with pytest.raises(StoreError, match="transaction"):
        load_baci(con, TRADE_GZ, release="V", country_codes=CODES)


def test_errors_are_translated_while_reporting_progress(
    real_head: list[str], tmp_path: Path
) -> None:
    bad = tmp_path / "text_v.csv"
    bad.write_text("".join(_edit(real_head, 80, lambda x: _with_field(x, 4, "1,5"))), "utf-8")
    calls: list[tuple[int, int]] = []
    con = fresh_store()
    with pytest.raises(DataError) as info:
        load_baci(
            con, bad, release="V", country_codes=CODES, progress=lambda d, t: calls.append((d, t))
        )
    assert (info.value.line, info.value.field) == (80, "q")
    assert scalar(con, "SELECT count(*) FROM trade") == 0
    assert scalar(con, "SELECT current_setting('enable_progress_bar')") is False


# --------------------------------------------------------------------------- HS17 2024 supplement


HS17_LOADED = {
    "251010", "280429", "280469", "280470", "283692", "740311", "750210",
    "810194", "810411", "810820", "811010", "811292", "850511",
}  # fmt: skip


def test_hs17_supplement_adds_only_codes_the_hs92_subset_lacks(
    con: duckdb.DuckDBPyConnection,
) -> None:
    loaded = {
        str(r[0])
        for r in con.execute(
            "SELECT DISTINCT hs6 FROM trade WHERE nomenclature = 'HS17'"
        ).fetchall()
    }
    assert loaded == HS17_LOADED
    both = con.execute(
        "SELECT count(*) FROM (SELECT hs6 FROM trade WHERE year = 2024 "
        "GROUP BY hs6 HAVING count(DISTINCT nomenclature) > 1)"
    ).fetchone()
    assert both == (0,)
    years = con.execute(
        "SELECT DISTINCT year, release FROM trade WHERE nomenclature = 'HS17'"
    ).fetchall()
    assert years == [(2024, "V202601")]
    # Every supplement code has a checks row: 13 loaded, 17 skipped (HS92 carries them).
    checks = con.execute(
        "SELECT status, count(*) FROM checks WHERE check_name = 'baci_hs17_supplement' "
        "GROUP BY status ORDER BY status"
    ).fetchall()
    assert checks == [("ok", 13), ("skipped", 17)]
    # tantalum 810320 is part of HS92 810310, which the subset carries: skipped.
    detail = con.execute("SELECT detail FROM checks WHERE subject = 'HS17 810320 2024'").fetchone()
    assert detail is not None
    assert "810310" in detail[0]


def test_hs17_rows_match_the_parquet_file(con: duckdb.DuckDBPyConnection) -> None:
    raw = pd.read_parquet(bundled_path("baci", "baci_hs17_v202601_2024_30codes.parquet"))
    raw = raw[raw["hs6"].isin(HS17_LOADED)]
    got = con.execute(
        "SELECT count(*), sum(value_usd) FROM trade WHERE nomenclature = 'HS17'"
    ).fetchone()
    assert got is not None
    assert got[0] == len(raw)
    assert got[1] == pytest.approx(raw["value_kusd"].sum() * 1000.0, rel=1e-12)
    # "Other Asia, nes" (S19) keeps BACI code 490 and maps to TWN as in the HS92 layer.
    s19 = con.execute(
        "SELECT DISTINCT exporter FROM trade WHERE nomenclature = 'HS17' AND exporter_code = 490"
    ).fetchall()
    assert s19 == [("TWN",)]
    assert (raw["exporter"] == "S19").sum() == con.execute(
        "SELECT count(*) FROM trade WHERE nomenclature = 'HS17' AND exporter_code = 490"
    ).fetchone()[0]  # type: ignore[index]


def test_eu_imports_of_unwrought_nickel_in_2024(store_path: Path) -> None:
    trade = read_mineral_trade(store_path)
    assert list(trade.columns) == [
        "year", "exporter", "importer", "hs6", "mineral_id", "stage",
        "value_usd", "quantity_t", "content_t",
    ]  # fmt: skip
    blocs = read_blocs()
    eu = set(blocs.loc[blocs["bloc"] == "EU27", "iso3"])
    assert len(eu) == 27
    nickel = trade[(trade["hs6"] == "750210") & (trade["year"] == 2024)]
    assert set(nickel["mineral_id"]) == {"nickel"}
    assert set(nickel["stage"]) == {"processing"}
    into_eu = nickel[nickel["importer"].isin(eu) & ~nickel["exporter"].isin(eu)]
    assert into_eu["value_usd"].sum() > 1e9  # about US$2 bn of extra-EU imports
    assert (into_eu["content_t"] == into_eu["quantity_t"]).all()  # factor 1, not alloyed
    # magnets: rare earths at the components stage, no content factor
    magnets = trade[trade["hs6"] == "850511"]
    assert set(magnets["stage"]) == {"components"}
    assert magnets["content_t"].isna().all()
    # HS92 trade is not duplicated by the join on (hs6, nomenclature)
    flows = trade.groupby(["year", "exporter", "importer", "hs6"], dropna=False).size()
    assert flows.max() == 1
