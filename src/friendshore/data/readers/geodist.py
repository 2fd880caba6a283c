"""Read CEPII GeoDist (``dist_cepii`` and ``geo_cepii``) into ``distance`` and ``geography``.

``dist_cepii.csv`` has one row per ordered country pair, self-pairs included,
semicolon-separated: ``iso_o;iso_d;contig;comlang_off;comlang_ethno;colony;
comcol;curcol;col45;smctry;dist;distcap;distw;distwces``. The eight dummies are
0/1 and become booleans; the four distances are in kilometres. ``distw`` and
``distwces`` (population-weighted) are ``.`` where CEPII could not compute them;
they become NULL. ``geo_cepii.csv`` (semicolon-separated, ISO-8859-1; a UTF-8
copy is read too) has one row per city: a country appears twice when its
capital is not its main city (``cap`` = 1 marks the capital).

Country codes are CEPII's: ISO 3166 alpha-3 except legacy codes (``ROM``
Romania, ``ZAR`` DR Congo, ``TMP`` Timor-Leste, ``PAL`` Palestine, ``YUG``
Serbia and Montenegro) that resolve through ``concordances/country_aliases.csv``.
A code that does not resolve is not an error: rows that carry it are left out of
``distance``/``geography`` and the code is listed in ``unmapped`` with its row
count, so nothing is dropped silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from friendshore._core.errors import DataError
from friendshore.data.countries import country_resolver
from friendshore.data.readers._text import (
    check_unique,
    decode_text,
    parse_delimited,
    parse_numeric,
    read_bytes,
)
from friendshore.data.schema import columns, conform

SOURCE: Final = "CEPII GeoDist"
DEFAULT_RELEASE: Final = "GeoDist 2011"
DELIMITER: Final = ";"

#: 0/1 pair dummies, in file order.
FLAGS: Final = (
    "contig",
    "comlang_off",
    "comlang_ethno",
    "colony",
    "comcol",
    "curcol",
    "col45",
    "smctry",
)

#: Distance columns (km) and whether CEPII always fills them.
DISTANCES: Final[dict[str, bool]] = {
    "dist": True,
    "distcap": True,
    "distw": False,
    "distwces": False,
}

DIST_COLUMNS: Final = ("iso_o", "iso_d", *FLAGS, *DISTANCES)
GEO_COLUMNS: Final = (
    "iso3",
    "country",
    "area",
    "landlocked",
    "continent",
    "city_en",
    "lat",
    "lon",
    "cap",
)

#: How CEPII writes a missing value.
MISSING: Final = "."
#: ``continent`` values that are not continents (CEPII writes "No" for the
#: French Southern Territories).
_NO_CONTINENT: Final = frozenset({"", MISSING, "No"})


def read_geodist(
    dist_path: Path,
    geo_path: Path | None = None,
    *,
    release: str = DEFAULT_RELEASE,
) -> dict[str, pd.DataFrame]:
    """Read CEPII GeoDist pair and country files into the store schema.

    Parameters
    ----------
    dist_path
        ``dist_cepii.csv`` (or ``.csv.gz``), semicolon-separated.
    geo_path
        ``geo_cepii.csv``, semicolon-separated, ISO-8859-1 or UTF-8; if
        omitted, ``geography`` is empty.
    release
        Release label stored with every row.

    Returns
    -------
    dict of str to DataFrame
        ``distance``: one row per ordered pair of resolved countries (ISO3),
        dummies as booleans, distances in km (``distw_km`` and ``distwces_km``
        NULL where CEPII writes ``.``). ``geography``: one row per country,
        area in km², capital and its coordinates in decimal degrees.
        ``unmapped``: codes that do not resolve, by field, with the number of
        rows carrying them.

    Raises
    ------
    DataError
        If a file is unreadable, not delimited by ``;``, lacks a column, has a
        line cut short, text in a numeric or 0/1 field, a negative distance,
        coordinates out of range, or a repeated key (pair, or country capital).
        The message names the file, line (header = 1) and field.
    """
    dist_path = Path(dist_path)
    names: dict[str, str] = {}
    geography = pd.DataFrame({c.name: pd.Series(dtype=object) for c in columns("geography")})
    unmapped: list[pd.DataFrame] = []
    if geo_path is not None:
        geo_path = Path(geo_path)
        geography, geo_unmapped, names = _read_geo(geo_path, release=release)
        unmapped.append(geo_unmapped)
    distance, dist_unmapped = _read_dist(dist_path, release=release, names=names)
    unmapped.insert(0, dist_unmapped)
    frames = [u for u in unmapped if not u.empty]
    unmapped_frame = (
        pd.concat(frames, ignore_index=True) if frames else _unmapped_frame([], release=release)
    )
    return {
        "distance": conform("distance", distance, source=str(dist_path)),
        "geography": conform("geography", geography, source=str(geo_path or "")),
        "unmapped": conform("unmapped", unmapped_frame, source=str(dist_path)),
    }


def _read_dist(
    path: Path, *, release: str, names: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read ``dist_cepii``; return the ``distance`` rows and the unmapped codes."""
    text = decode_text(read_bytes(path), path, delimiter=DELIMITER, columns=DIST_COLUMNS)
    raw, lines = parse_delimited(text, path, delimiter=DELIMITER, required=DIST_COLUMNS)
    origin_code = _code(raw["iso_o"], lines, file=path, field="iso_o")
    destination_code = _code(raw["iso_d"], lines, file=path, field="iso_d")
    flags = {f: _flag(raw[f], lines, file=path, field=f) for f in FLAGS}
    km = {
        f: parse_numeric(
            raw[f],
            lines,
            file=path,
            field=f,
            required=always,
            low=0.0,
            missing_values=(MISSING, ""),
        )
        for f, always in DISTANCES.items()
    }
    check_unique(
        pd.DataFrame({"iso_o": origin_code, "iso_d": destination_code}),
        lines,
        file=path,
        field="iso_d",
        what="(iso_o, iso_d)",
    )
    resolver = country_resolver()
    mapping = {
        c: resolver.resolve(c) for c in pd.unique(pd.concat([origin_code, destination_code]))
    }
    origin = origin_code.map(mapping)
    destination = destination_code.map(mapping)
    mapped = (origin.notna() & destination.notna()).to_numpy()
    check_unique(
        pd.DataFrame({"origin": origin, "destination": destination})[mapped],
        lines[mapped],
        file=path,
        field="iso_d",
        what="(origin, destination) after resolving codes to ISO3",
    )
    distance = pd.DataFrame(
        {
            "origin": origin,
            "destination": destination,
            **flags,
            **{f"{f}_km": v for f, v in km.items()},
            "source": SOURCE,
            "release": release,
        }
    )[mapped].reset_index(drop=True)

    rows: list[tuple[str, str, str | None, int]] = []
    for field, codes, resolved in (
        ("iso_o", origin_code, origin),
        ("iso_d", destination_code, destination),
    ):
        counts = codes[resolved.isna()].value_counts(sort=False)
        for code, count in sorted(counts.items()):
            rows.append((field, str(code), names.get(str(code)), int(count)))
    return distance, _unmapped_frame(rows, release=release)


def _read_geo(path: Path, *, release: str) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Read ``geo_cepii``; return ``geography``, unmapped codes and code -> country name."""
    data = read_bytes(path)
    text = decode_text(data, path, delimiter=DELIMITER, columns=GEO_COLUMNS, fallback="latin-1")
    raw, lines = parse_delimited(text, path, delimiter=DELIMITER, required=GEO_COLUMNS)
    code = _code(raw["iso3"], lines, file=path, field="iso3")
    area = parse_numeric(
        raw["area"], lines, file=path, field="area", low=0.0, missing_values=(MISSING, "")
    )
    lat = parse_numeric(
        raw["lat"],
        lines,
        file=path,
        field="lat",
        low=-90.0,
        high=90.0,
        missing_values=(MISSING, ""),
    )
    lon = parse_numeric(
        raw["lon"],
        lines,
        file=path,
        field="lon",
        low=-180.0,
        high=180.0,
        missing_values=(MISSING, ""),
    )
    landlocked = _flag(raw["landlocked"], lines, file=path, field="landlocked", nullable=True)
    capital_flag = raw["cap"].astype(str).str.strip() == "1"
    names = dict(zip(code, raw["country"].astype(str).str.strip(), strict=True))

    # One row per country: the capital (cap = 1), else the first row listed.
    capitals = pd.DataFrame({"iso3": code, "cap": capital_flag})
    check_unique(
        capitals[capital_flag.to_numpy()],
        lines[capital_flag.to_numpy()],
        file=path,
        field="cap",
        what="(iso3, cap = 1): two capitals",
    )
    order = np.lexsort((np.arange(len(code)), ~capital_flag.to_numpy()))
    keep = np.zeros(len(code), dtype=bool)
    seen: set[str] = set()
    for i in order:
        if code.iloc[i] not in seen:
            seen.add(code.iloc[i])
            keep[i] = True

    resolver = country_resolver()
    mapping = {c: resolver.resolve(c) for c in code.unique()}
    country = code.map(mapping)
    mapped = country.notna().to_numpy()
    continent = raw["continent"].astype(str).str.strip()
    capital = raw["city_en"].astype(str).str.strip()
    chosen = keep & mapped
    check_unique(
        pd.DataFrame({"country": country})[chosen],
        lines[chosen],
        file=path,
        field="iso3",
        what="country after resolving codes to ISO3",
    )
    geography = pd.DataFrame(
        {
            "country": country,
            "area_km2": area,
            "landlocked": landlocked,
            "continent": continent.where(~continent.isin(list(_NO_CONTINENT)), None),
            "capital": capital.where(capital.ne("") & capital.ne(MISSING), None),
            "lat": lat,
            "lon": lon,
            "source": SOURCE,
            "release": release,
        }
    )[chosen]
    geography = geography.sort_values("country", kind="stable").reset_index(drop=True)

    counts = code[~mapped].value_counts(sort=False)
    rows = [("iso3", str(c), names.get(str(c)), int(n)) for c, n in sorted(counts.items())]
    return geography, _unmapped_frame(rows, release=release), names


def _code(
    series: pd.Series,
    lines: np.ndarray[Any, np.dtype[np.int64]],
    *,
    file: Path,
    field: str,
) -> pd.Series:
    """Return stripped country codes; raise on an empty one."""
    code = series.astype(str).str.strip().reset_index(drop=True)
    empty = (code == "").to_numpy()
    if empty.any():
        first = int(np.flatnonzero(empty)[0])
        raise DataError("empty country code", file=file, line=int(lines[first]), field=field)
    return code


def _flag(
    series: pd.Series,
    lines: np.ndarray[Any, np.dtype[np.int64]],
    *,
    file: Path,
    field: str,
    nullable: bool = False,
) -> pd.Series:
    """Parse a 0/1 dummy into booleans; raise DataError naming the first other value."""
    text = series.astype(str).str.strip().reset_index(drop=True)
    allowed = ["0", "1", *([MISSING, ""] if nullable else [])]
    bad = (~text.isin(allowed)).to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{series.iloc[first]!r} is not a 0/1 flag",
            file=file,
            line=int(lines[first]),
            field=field,
        )
    if nullable:
        return text.map({"1": True, "0": False}).astype("boolean")
    return text == "1"


def _unmapped_frame(rows: list[tuple[str, str, str | None, int]], *, release: str) -> pd.DataFrame:
    """Return ``unmapped`` rows (field, code, name, rows) for this source and release."""
    return pd.DataFrame(
        {
            "source": pd.Series([SOURCE] * len(rows), dtype=object),
            "release": pd.Series([release] * len(rows), dtype=object),
            "field": pd.Series([r[0] for r in rows], dtype=object),
            "code": pd.Series([r[1] for r in rows], dtype=object),
            "name": pd.Series([r[2] for r in rows], dtype=object),
            "rows": pd.Series([r[3] for r in rows], dtype="int64"),
            "value_usd": pd.Series([np.nan] * len(rows), dtype="float64"),
        }
    )
