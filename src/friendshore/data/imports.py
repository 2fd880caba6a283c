"""Bring a user's own release of a source (in the publisher's format) into the store."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from friendshore._core.errors import DataError
from friendshore.data import store
from friendshore.data.readers import baci, pinksheet, usgs_mcs, usgs_salient, wgi
from friendshore.data.resources import bundled_path

_BACI_RELEASE = re.compile(r"_(V\d{6}[a-z]?)", re.IGNORECASE)


def check_input_file(path: Path) -> None:
    """Raise :class:`DataError` unless ``path`` is an existing file or folder."""
    if not path.exists():
        raise DataError("no such file or folder", file=path)


def infer_baci_release(path: Path) -> str:
    """Return the BACI release (e.g. ``V202401b``) from a file name such as
    ``BACI_HS92_Y2022_V202401b.csv``.

    Raises
    ------
    DataError
        If the name carries no release; pass ``release`` explicitly then.
    """
    match = _BACI_RELEASE.search(path.name)
    if match is None:
        raise DataError(
            "cannot tell the BACI release from the file name; pass --release (e.g. V202401b)",
            file=path,
        )
    return match.group(1)


def find_baci_country_codes(path: Path) -> Path:
    """Return the ``country_codes_V*.csv`` next to a BACI file, else the bundled list."""
    candidates = sorted(path.parent.glob("country_codes_V*.csv"))
    return candidates[-1] if candidates else bundled_path("baci", "baci_country_codes_V202401b.csv")


def import_baci(
    store_path: Path,
    path: Path,
    *,
    release: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    replace_year: bool = False,
) -> baci.BaciLoadReport:
    """Stream a BACI release file into the store's ``trade`` table (one transaction).

    The import writes into a copy of the store that replaces it only on success
    (:func:`friendshore.data.store.importing`): a rejected file leaves the store
    byte-identical. A file that covers fewer rows of a year than the store holds
    for that year is refused with a :class:`DataError` unless ``replace_year``;
    see :func:`friendshore.data.readers.baci.check_year_coverage`.
    """
    check_input_file(path)
    rel = release or infer_baci_release(path)
    with store.importing(store_path) as con:
        report = baci.load_baci(
            con,
            path,
            release=rel,
            country_codes=find_baci_country_codes(path),
            progress=progress,
            replace_year=replace_year,
        )
        loaded = store.LoadedReleases()
        loaded.add("CEPII BACI", rel, {f"[import] {path.name}"})
        store.write_sources(con, loaded)
    return report


def import_usgs_mcs(store_path: Path, path: Path, *, release: str | None = None) -> dict[str, int]:
    """Import a folder (or one file) of USGS MCS world CSVs in USGS's own format."""
    check_input_file(path)
    frames = usgs_mcs.read_usgs_mcs_dir(path, release=release)
    return store.import_frames(store_path, frames, label=path.name)


def import_wgi(store_path: Path, path: Path, *, release: str | None = None) -> dict[str, int]:
    """Import a World Bank WGI release (the World Bank's xlsx or a CSV of the same columns)."""
    check_input_file(path)
    frames = wgi.read_wgi(path, release=release) if release else wgi.read_wgi(path)
    return store.import_frames(store_path, frames, label=path.name)


def import_salient(store_path: Path, path: Path, *, release: str | None = None) -> dict[str, int]:
    """Import USGS MCS salient statistics (a folder, the released zip or one CSV).

    Every file is read before anything is written: a drifted header, an unknown
    unit suffix or a cell that is not a number nor a USGS code raises
    :class:`DataError` naming file, line and column, and the store is unchanged.
    """
    check_input_file(path)
    frames = usgs_salient.read_salient_dir(path, release=release)
    # Only the salient rows: an import replaces every row of its source and
    # release in each table it writes, and ``checks`` also holds the world files'.
    return store.import_frames(store_path, {"salient": frames["salient"]}, label=path.name)


def import_pinksheet(store_path: Path, path: Path, *, release: str | None = None) -> dict[str, int]:
    """Import a World Bank Pink Sheet workbook (``CMO-Historical-Data-Monthly.xlsx`` layout).

    The release (``CMO 2026-01``) is read from the sheet's "Updated on" line
    unless given. The whole sheet is read before anything is written: a
    missing series code, an unknown unit or a cell that is not a number raises
    :class:`DataError` naming file, Excel row and column, and the store is
    unchanged. Rows of the same release already in the store are replaced; the
    queries keep the newest release per series and month.
    """
    check_input_file(path)
    if path.is_dir():
        raise DataError("expected a Pink Sheet workbook (.xlsx), got a folder", file=path)
    frames = pinksheet.read_pinksheet(path, release=release, file=f"[import] {path.name}")
    return store.import_frames(store_path, frames, label=path.name)
