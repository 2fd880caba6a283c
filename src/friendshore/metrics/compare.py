"""Two assessments compared: each metric then and now, and its change.

:func:`compare_assessments` puts two :class:`~friendshore.metrics.assessment.Assessment`
results (usually the same zone at two years, ``friendshore assess --compare
2020``) side by side, one row per mineral × stage × product, with the change of
each metric. Intervals stay intervals: where a figure is only known within
bounds, the change is the interval of the possible differences; where a figure
is unknown then or now, the change is unknown (``NaN``) with its reason, never 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import numpy as np
import pandas as pd

from friendshore._core.errors import InputError
from friendshore.metrics.assessment import Assessment
from friendshore.metrics.dependence import ZONE

__all__ = [
    "COMPARED_METRICS",
    "COMPARE_KEYS",
    "INTERVAL_METRICS",
    "METRIC_LABELS",
    "check_compare_year",
    "compare_assessments",
    "compare_columns",
]

#: Keys of a row of :func:`compare_assessments`.
COMPARE_KEYS: Final = ["mineral", "stage", "product"]

#: Metrics compared, with their unit (the unit of the change too).
COMPARED_METRICS: Final[dict[str, str]] = {
    "china_share": "fraction of world output (0-1)",
    "top3_share": "fraction of world output (0-1)",
    "hhi": "HHI points (0-10,000)",
    "zone_production_share": "fraction of world output (0-1)",
    "zone_reserves_share": "fraction of world reserves (0-1)",
    "zone_import_reliance": "fraction of the zone's apparent consumption",
    "zone_rival_import_share": "fraction of the value of the zone's imports",
    "zone_self_sufficiency": "production / apparent consumption",
    "supply_risk": "JRC supply-risk score",
    "geopolrisk": "GeoPolRisk score",
}

#: Each compared metric in words (reasons under tables).
METRIC_LABELS: Final[dict[str, str]] = {
    "china_share": "the rival's share of world output",
    "top3_share": "the top-3 producers' share",
    "hhi": "the HHI",
    "zone_production_share": "the zone's share of world output",
    "zone_reserves_share": "the zone's share of world reserves",
    "zone_import_reliance": "the zone's net import reliance",
    "zone_rival_import_share": "the share of the zone's imports from the rival",
    "zone_self_sufficiency": "the zone's self-sufficiency",
    "supply_risk": "supply risk",
    "geopolrisk": "GeoPolRisk",
}

#: Metrics whose summary columns carry bounds (``_min``, ``_max``) and a ``_note``.
INTERVAL_METRICS: Final = frozenset(
    {"zone_production_share", "zone_import_reliance", "zone_self_sufficiency", "supply_risk"}
)


def check_compare_year(available: Iterable[int], year: int, *, now: int) -> None:
    """Raise :class:`InputError` unless ``year`` has data and comes before ``now``.

    Parameters
    ----------
    available
        The years with production data (``network.default_production()`` rows).
    year
        The year to compare with.
    now
        The year of the assessment compared to it.

    Examples
    --------
    >>> check_compare_year([2020, 2021, 2022, 2024], 2021, now=2024)
    >>> check_compare_year([2020, 2021, 2024], 2015, now=2024)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    friendshore._core.errors.InputError: no production data for 2015; ...: 2020, 2021
    """
    years = sorted({int(y) for y in available})
    listed = ", ".join(str(y) for y in years if y < now) or "none"
    if year not in years:
        raise InputError(f"no production data for {year}; years with data before {now}: {listed}")
    if year >= now:
        raise InputError(
            f"{year} is not before the assessed year {now}; years to compare: {listed}"
        )


def _with_rival_sourcing(result: Assessment) -> pd.DataFrame:
    """The summary with ``zone_rival_import_share`` (the zone's row of ``members``)."""
    members = result.members
    zone_rows = members.loc[
        members["member"] == ZONE, ["mineral", "stage", "year", "china_import_share"]
    ].drop_duplicates(["mineral", "stage", "year"])
    zone_rows = zone_rows.rename(columns={"china_import_share": "zone_rival_import_share"})
    return result.summary.merge(zone_rows, on=["mineral", "stage", "year"], how="left")


def compare_columns() -> list[str]:
    """Columns of :func:`compare_assessments`, in order."""
    cols = [*COMPARE_KEYS, "year_then", "year_now"]
    for metric in COMPARED_METRICS:
        cols += [f"{metric}_then", f"{metric}_now", f"{metric}_change"]
        if metric in INTERVAL_METRICS:
            cols += [
                f"{metric}_then_min",
                f"{metric}_then_max",
                f"{metric}_now_min",
                f"{metric}_now_max",
                f"{metric}_change_min",
                f"{metric}_change_max",
            ]
        cols.append(f"{metric}_change_note")
    return cols


def _side(frame: pd.DataFrame, metric: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Point, lower and upper bound of ``metric`` (a point is its own bounds)."""
    point = frame[metric].astype("float64")
    if metric not in INTERVAL_METRICS:
        return point, point, point
    low = frame[f"{metric}_min"].astype("float64").where(point.isna(), point)
    high = frame[f"{metric}_max"].astype("float64").where(point.isna(), point)
    return point, low, high


def compare_assessments(then: Assessment, now: Assessment) -> pd.DataFrame:
    """Each metric of two assessments side by side and its change (``now − then``, same unit).

    Parameters
    ----------
    then, now
        Two assessments of the same zone (``assess(network, zone, year=…)``).

    Returns
    -------
    pandas.DataFrame
        One row per mineral × stage × product of either (:func:`compare_columns`):
        ``year_then``/``year_now`` (each series' latest year up to each
        assessment's year; NaN where it has none), and for each metric of
        :data:`COMPARED_METRICS` ``X_then``, ``X_now``, ``X_change`` (NaN
        unless both are points and of different years); for the
        :data:`INTERVAL_METRICS` also their bounds ``X_then_min`` …
        ``X_now_max`` and ``X_change_min``/``X_change_max``; and
        ``X_change_note``: why the change is not a point (``None`` where it is).

    Notes
    -----
    Interval arithmetic (Moore 1966): with ``then ∈ [a, b]`` and ``now ∈ [c, d]``
    the change lies in ``[c − b, d − a]``; an unknown bound leaves that side of
    the change open (NaN). A point ``x`` is the interval ``[x, x]``. Where both
    assessments read the same year of a series (it has no newer figure) the
    change over time is unknown, not 0.
    """
    a = _with_rival_sourcing(then)
    b = _with_rival_sourcing(now)
    merged = a.merge(b, on=COMPARE_KEYS, how="outer", suffixes=("_a", "_b"), indicator=True)
    out = merged[COMPARE_KEYS].copy()
    out["year_then"] = merged["year_a"].astype("Int64")
    out["year_now"] = merged["year_b"].astype("Int64")
    only_now = merged["_merge"].eq("right_only").to_numpy()
    only_then = merged["_merge"].eq("left_only").to_numpy()
    same_year = (out["year_then"] == out["year_now"]).fillna(False).to_numpy(dtype=bool)
    sides = {
        "then": merged.rename(columns=lambda c: c.removesuffix("_a")),
        "now": merged.rename(columns=lambda c: c.removesuffix("_b")),
    }
    for metric in COMPARED_METRICS:
        (p0, lo0, hi0), (p1, lo1, hi1) = _side(sides["then"], metric), _side(sides["now"], metric)
        out[f"{metric}_then"] = p0.to_numpy()
        out[f"{metric}_now"] = p1.to_numpy()
        change = (p1 - p0).to_numpy(dtype=float, copy=True)
        change_min = (lo1 - hi0).to_numpy(dtype=float, copy=True)
        change_max = (hi1 - lo0).to_numpy(dtype=float, copy=True)
        for arr in (change, change_min, change_max):
            arr[same_year] = np.nan
        out[f"{metric}_change"] = change
        if metric in INTERVAL_METRICS:
            out[f"{metric}_then_min"] = lo0.to_numpy()
            out[f"{metric}_then_max"] = hi0.to_numpy()
            out[f"{metric}_now_min"] = lo1.to_numpy()
            out[f"{metric}_now_max"] = hi1.to_numpy()
            out[f"{metric}_change_min"] = change_min
            out[f"{metric}_change_max"] = change_max
        notes = _notes(
            metric,
            then_year=then.year,
            now_year=now.year,
            year=out["year_now"],
            only_then=only_then,
            only_now=only_now,
            same_year=same_year,
            known_then=(lo0.notna() | hi0.notna()).to_numpy(),
            known_now=(lo1.notna() | hi1.notna()).to_numpy(),
            point=~np.isnan(change),
            note_then=sides["then"].get(f"{metric}_note"),
            note_now=sides["now"].get(f"{metric}_note"),
        )
        out[f"{metric}_change_note"] = notes
    return out.sort_values(COMPARE_KEYS, ignore_index=True)[compare_columns()]


def _notes(
    metric: str,
    *,
    then_year: int,
    now_year: int,
    year: pd.Series,
    only_then: np.ndarray,
    only_now: np.ndarray,
    same_year: np.ndarray,
    known_then: np.ndarray,
    known_now: np.ndarray,
    point: np.ndarray,
    note_then: pd.Series | None,
    note_now: pd.Series | None,
) -> list[str | None]:
    """Why the change of ``metric`` is not a point, per row (``None`` where it is)."""
    out: list[str | None] = []
    for i in range(len(point)):
        if only_now[i]:
            out.append(f"no figure for this record in or before {then_year}")
        elif only_then[i]:
            out.append(f"no figure for this record in or before {now_year}")
        elif same_year[i]:
            out.append(
                f"the same year ({year.iloc[i]}) on both dates: the source has no newer figure"
            )
        elif point[i]:
            out.append(None)
        elif known_then[i] and known_now[i]:
            out.append("known only within bounds then or now: the change is a range")
        else:
            when, note = (then_year, note_then) if not known_then[i] else (now_year, note_now)
            reason = note.iloc[i] if note is not None else None
            text = f"{METRIC_LABELS[metric]} is unknown for {when}"
            out.append(f"{text}: {reason}" if isinstance(reason, str) and reason else text)
    return out
