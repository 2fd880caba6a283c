"""`friendshore data import …` end to end on copies of the session store."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from friendshore.cli.main import app
from friendshore.data.resources import bundled_path
from friendshore.data.store import build_store, query

runner = CliRunner()
TRADE_GZ = bundled_path("baci", "baci_HS92_V202401b_trade_2015_2024.csv.gz")


@pytest.fixture
def store_copy(store_path: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store.duckdb"
    shutil.copyfile(store_path, target)
    return target


def invoke(store: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--store", str(store)])
    return result.exit_code, result.stderr


def counts(store: Path) -> dict[str, int]:
    frame = query(
        store,
        "SELECT 'trade' AS t, count(*) AS n FROM trade UNION ALL "
        "SELECT 'production', count(*) FROM production UNION ALL "
        "SELECT 'governance', count(*) FROM governance UNION ALL "
        "SELECT 'sources', count(*) FROM sources UNION ALL "
        "SELECT 'unmapped', count(*) FROM unmapped",
    )
    return dict(zip(frame["t"], frame["n"].astype(int), strict=True))


def baci_sample(tmp_path: Path, name: str, rows: int = 2000) -> Path:
    """The first ``rows`` real rows of the bundled BACI file, saved under ``name``."""
    with gzip.open(TRADE_GZ, "rt", encoding="utf-8", newline="") as fh:
        lines = [next(fh) for _ in range(rows + 1)]
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_import_baci_adds_a_release_and_is_idempotent(store_copy: Path, tmp_path: Path) -> None:
    before = counts(store_copy)
    sample = baci_sample(tmp_path, "BACI_HS92_Y2015_V209901.csv")
    for _ in range(2):  # a second import of the same release replaces it
        # 2,000 rows of 2015 supersede the bundled year: allowed with --replace-year only
        code, err = invoke(store_copy, "data", "import", "baci", str(sample), "--replace-year")
        assert code == 0, err
        after = counts(store_copy)
        assert after["trade"] == before["trade"] + 2000
    assert after["sources"] == before["sources"] + 1
    files = query(store_copy, "SELECT files FROM sources WHERE release = 'V209901'")
    assert files["files"].tolist() == ["[import] BACI_HS92_Y2015_V209901.csv"]
    # the newest release wins for 2015 in trade_latest; the bundled one stays queryable
    latest = query(store_copy, "SELECT DISTINCT release FROM trade_latest WHERE year = 2015")
    assert latest["release"].tolist() == ["V209901"]
    older = query(store_copy, "SELECT count(*) AS n FROM trade WHERE release <> 'V209901'")
    assert older["n"].iloc[0] == before["trade"]


def test_rejected_baci_file_exits_2_and_changes_nothing(store_copy: Path, tmp_path: Path) -> None:
    before = counts(store_copy)
    sample = baci_sample(tmp_path, "BACI_HS92_Y2015_V209901.csv", rows=300)
    lines = sample.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[250].split(",")
    fields[4] = "12.5O"  # a letter O for a zero: text in a numeric field
    lines[250] = ",".join(fields)
    sample.write_text("".join(lines), encoding="utf-8")
    code, err = invoke(store_copy, "data", "import", "baci", str(sample))
    assert code == 2
    assert "BACI_HS92_Y2015_V209901.csv" in err
    assert "line 251, field 'v'" in err
    assert counts(store_copy) == before


def test_import_baci_needs_a_release(store_copy: Path, tmp_path: Path) -> None:
    sample = baci_sample(tmp_path, "trade.csv", rows=10)
    code, err = invoke(store_copy, "data", "import", "baci", str(sample))
    assert code == 2
    assert "--release" in err
    code, err = invoke(
        store_copy, "data", "import", "baci", str(sample), "--release", "V209902", "--replace-year"
    )
    assert code == 0, err


def test_partial_baci_year_needs_replace_year(store_copy: Path, tmp_path: Path) -> None:
    # A 3-row file of 2023 (real rows of the store) must not replace the year's rows.
    held = query(
        store_copy,
        "SELECT count(*) AS n FROM trade_latest WHERE year = 2023 AND nomenclature = 'HS92'",
    )["n"].iloc[0]
    assert held > 50_000
    rows = query(
        store_copy,
        "SELECT year AS t, exporter_code AS i, importer_code AS j, hs6 AS k, "
        "value_usd / 1000 AS v, quantity_t AS q FROM trade "
        "WHERE year = 2023 AND nomenclature = 'HS92' ORDER BY i, j, k LIMIT 3",
    )
    for release in ("V202401b", "V209901"):  # the same release, or a newer one
        sample = tmp_path / f"BACI_HS92_Y2023_{release}.csv"
        rows.to_csv(sample, index=False)
        before = counts(store_copy)
        code, err = invoke(store_copy, "data", "import", "baci", str(sample))
        assert code == 2, err
        assert sample.name in err
        assert f"3 rows for 2023 but the store holds {held:,} rows" in err
        assert "--replace-year" in err
        assert counts(store_copy) == before
    code, err = invoke(store_copy, "data", "import", "baci", str(sample), "--replace-year")
    assert code == 0, err
    latest = query(store_copy, "SELECT count(*) AS n FROM trade_latest WHERE year = 2023")
    # the HS92 year is now the 3 rows of V209901 (no HS17 rows for 2023)
    assert latest["n"].iloc[0] == 3


def test_import_usgs_folder_of_the_same_edition_is_idempotent(store_copy: Path) -> None:
    before = counts(store_copy)
    folder = bundled_path("usgs_mcs2024", "world")
    code, err = invoke(store_copy, "data", "import", "usgs-mcs", str(folder))
    assert code == 0, err
    assert counts(store_copy)["production"] == before["production"]
    china = query(
        store_copy,
        "SELECT release, quantity_t FROM production WHERE source = 'USGS MCS' "
        "AND mineral_id = 'rare_earths' AND country = 'CHN' AND year = 2023 ORDER BY release",
    )
    # MCS2024 estimated 240 kt for 2023; MCS2025 reports 255 kt and wins in the views
    assert china["quantity_t"].tolist() == [240_000.0, 255_000.0]
    latest = query(
        store_copy,
        "SELECT release FROM production_latest WHERE source = 'USGS MCS' "
        "AND mineral_id = 'rare_earths' AND country = 'CHN' AND year = 2023",
    )
    assert latest["release"].tolist() == ["MCS2025"]


def test_import_wgi_csv_release(store_copy: Path, tmp_path: Path) -> None:
    wgi = pd.read_excel(bundled_path("wgi", "wgidataset.xlsx"), engine="calamine", dtype=str)
    recent = wgi[wgi["year"] == "2023"]
    path = tmp_path / "wgi_2023.csv"
    recent.to_csv(path, index=False)
    code, err = invoke(store_copy, "data", "import", "wgi", str(path), "--release", "2099 test")
    assert code == 0, err
    latest = query(store_copy, "SELECT DISTINCT release FROM governance_latest WHERE year = 2023")
    assert latest["release"].tolist() == ["2099 test"]
    assert counts(store_copy)["governance"] == 32_100 + len(recent)


def test_rebuild_refuses_to_discard_imports(store_copy: Path, tmp_path: Path) -> None:
    sample = baci_sample(tmp_path, "BACI_HS92_Y2015_V209901.csv", rows=10)
    assert invoke(store_copy, "data", "import", "baci", str(sample), "--replace-year")[0] == 0
    with duckdb.connect(str(store_copy)) as con:  # as if the package had been upgraded
        con.execute("UPDATE store_meta SET value = 'older' WHERE key = 'fingerprint'")
    code, err = invoke(store_copy, "data", "build")
    assert code == 1
    assert "V209901" in err
    assert "--force" in err
    assert build_store(store_copy, force=True).built
