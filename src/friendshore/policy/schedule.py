"""Tariff schedules: the pydantic model of a set of rate changes (also the API body).

A schedule lists rate changes, one row per importer × exporter × HS6 code:
the ad valorem rate before and after, and when the new rate applies. Rates are
**ad valorem fractions** of the customs value (``0.25`` is 25%), ``>= 0``.

- ``importer``: an ISO3 country, a bloc of ``concordances/blocs.csv`` (``EU27``…)
  or ``zone`` (every country of the zone's members);
- ``exporter``: an ISO3 country, a bloc, or a group relative to the zone:
  ``zone`` (its countries), ``rival`` (its rivals, China by default),
  ``rest_of_world`` (neither) or ``all``;
- ``hs6``: a code of the bundled HS concordance (HS 1992) or ``all``.

Rows apply in order: where two rows cover the same flow, the later one wins
(write the general rule first, the exceptions after). Flows no row covers keep
a rate of 0 before and after: **baseline rates default to 0**, an assumption
:mod:`friendshore.policy.smart` reports in its output.

:func:`load_schedule` reads a CSV or YAML file (or a shipped schedule by id)
and validates it; errors name the file, the line and the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Final

import pandas as pd
import pydantic
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import ErrorDetails

from friendshore._core.errors import DataError
from friendshore._core.types import ISO3
from friendshore.data.countries import country_resolver
from friendshore.data.documents import Document, shipped_or_file
from friendshore.data.tariff_files import read_schedule_file, shipped_schedule_paths
from friendshore.model.fields import (
    STRICT,
    check_country_or_bloc,
    check_hs6,
    code_text,
    validate_document,
)
from friendshore.model.zone import Zone, expand

__all__ = [
    "EXPORTER_GROUPS",
    "MAX_RATE",
    "ResolvedRate",
    "TariffRate",
    "TariffSchedule",
    "list_schedules",
    "load_schedule",
    "schedule_ids",
]

#: Exporter groups relative to the zone, besides countries and blocs.
EXPORTER_GROUPS: Final = ("zone", "rival", "rest_of_world", "all")
#: Largest rate accepted (fraction): 10 = 1,000%. Catches percentages typed as 25.
MAX_RATE: Final = 10.0


def _check_party(value: str, *, role: str, groups: tuple[str, ...], hint: str) -> str:
    """A group name (lower-cased), or an ISO3 country or bloc (upper-cased)."""
    if value.lower() in groups:
        return value.lower()
    try:
        return check_country_or_bloc(value)
    except ValueError:
        iso3 = country_resolver().resolve(value)
        extra = f" (did you mean {iso3}?)" if iso3 else ""
        raise ValueError(
            f"unknown {role} {value!r}: give an ISO 3166 alpha-3 code, a bloc such as "
            f"EU27, or {hint}{extra}"
        ) from None


def _check_importer(value: str) -> str:
    return _check_party(value, role="importer", groups=("zone",), hint="'zone'")


def _check_exporter(value: str) -> str:
    groups = EXPORTER_GROUPS
    return _check_party(
        value, role="exporter", groups=groups, hint=f"a group ({', '.join(groups)})"
    )


def _check_hs6(value: str) -> str:
    if value.lower() == "all":
        return "all"
    try:
        return check_hs6(value, mapped=False)
    except ValueError as exc:
        raise ValueError(f"{exc}, nor 'all'") from None


def _check_rate(value: float) -> float:
    if value > MAX_RATE:
        raise ValueError(
            f"rate {value:g} is above {MAX_RATE:g} (1,000%): rates are ad valorem fractions, "
            "0.25 for 25%"
        )
    return value


Importer = Annotated[str, BeforeValidator(code_text), AfterValidator(_check_importer)]
Exporter = Annotated[str, BeforeValidator(code_text), AfterValidator(_check_exporter)]
HS6Spec = Annotated[str, BeforeValidator(code_text), AfterValidator(_check_hs6)]
Rate = Annotated[
    float,
    Field(ge=0, description="ad valorem fraction of the customs value (0.25 = 25%)"),
    AfterValidator(_check_rate),
]


class _Base(pydantic.BaseModel):
    model_config = STRICT


class TariffRate(_Base):
    """One rate change: ``importer`` charges ``exporter`` on ``hs6`` before → after.

    ``start`` is the day the new rate applies (``None``: in force); ``end`` the
    day it stops (``None``: open-ended). Rates are ad valorem fractions.
    """

    importer: Importer
    exporter: Exporter
    hs6: HS6Spec
    rate_before: Rate
    rate_after: Rate
    start: dt.date | None = None
    end: dt.date | None = None
    source: str = ""
    note: str = ""

    @pydantic.model_validator(mode="after")
    def _dates(self) -> TariffRate:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    def in_force(self, as_of: dt.date | None) -> bool:
        """Whether the new rate applies on ``as_of`` (``None``: always)."""
        if as_of is None:
            return True
        started = self.start is None or self.start <= as_of
        return started and (self.end is None or as_of < self.end)


@dataclass(frozen=True)
class ResolvedRate:
    """A schedule row with its groups expanded to countries (``None``: any).

    Attributes
    ----------
    row
        Index of the row in the schedule.
    importers, exporters
        ISO3 countries covered; ``exporters`` is ``None`` for ``all``.
    complement
        ``exporters`` lists the countries *not* covered (``rest_of_world``:
        every exporter outside the zone and its rivals).
    hs6
        The code, or ``None`` for ``all``.
    rate_before, rate_after
        Ad valorem fractions; ``rate_after`` equals ``rate_before`` when the
        row is not in force on the date asked.
    """

    row: int
    importers: frozenset[ISO3]
    exporters: frozenset[ISO3] | None
    hs6: str | None
    rate_before: float
    rate_after: float
    complement: bool = False


class TariffSchedule(_Base):
    """A tariff schedule: metadata and its rate rows (see the module docstring)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    name: str = Field(min_length=1)
    description: str = ""
    source: str = Field("", description="one line: URL or citation")
    illustrative: bool = False
    baseline_year: int | None = Field(None, ge=1990, le=2100)
    rates: list[TariffRate] = Field(min_length=1)

    def resolve(self, zone: Zone, *, as_of: dt.date | None = None) -> list[ResolvedRate]:
        """Return the rows with importers and exporters expanded to ISO3 countries.

        ``zone``, ``rival`` and ``rest_of_world`` are taken relative to ``zone``
        (rest of world: every country neither in the zone nor a rival).
        """
        zone_countries = zone.countries
        outside = zone_countries | zone.rivals
        out: list[ResolvedRate] = []
        for i, rate in enumerate(self.rates):
            importers = zone_countries if rate.importer == "zone" else expand(rate.importer)
            exporters: frozenset[ISO3] | None
            complement = rate.exporter == "rest_of_world"
            if rate.exporter == "all":
                exporters = None
            elif rate.exporter == "zone":
                exporters = zone_countries
            elif rate.exporter == "rival":
                exporters = zone.rivals
            elif complement:
                exporters = outside
            else:
                exporters = expand(rate.exporter)
            after = rate.rate_after if rate.in_force(as_of) else rate.rate_before
            out.append(
                ResolvedRate(
                    row=i,
                    importers=importers,
                    exporters=exporters,
                    hs6=None if rate.hs6 == "all" else rate.hs6,
                    rate_before=rate.rate_before,
                    rate_after=after,
                    complement=complement,
                )
            )
        return out

    @classmethod
    def from_document(cls, doc: Document) -> TariffSchedule:
        """Validate a schedule file as read; errors name the file, the line and the field."""
        data = dict(doc.data)
        if doc.tabular:
            data.setdefault("id", _slug(doc.path.stem))
            data.setdefault("name", doc.path.name)
            data.setdefault("source", f"user file {doc.path.name}")
        schedule = validate_document(cls, replace(doc, data=data), message=_rate_message, most=3)
        seen: dict[tuple[str, str, str], int] = {}
        for i, rate in enumerate(schedule.rates):
            key = (rate.importer, rate.exporter, rate.hs6)
            if key in seen:
                first, _ = doc.locate(("rates", seen[key]))
                line, field = doc.locate(("rates", i, "hs6"))
                raise DataError(
                    f"duplicate row: {'/'.join(key)} is already given at line {first}",
                    file=doc.path,
                    line=line,
                    field=field,
                )
            seen[key] = i
        return schedule


def _slug(text: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return slug[:80] or "schedule"


def _rate_message(error: ErrorDetails) -> str | None:
    if error["type"] == "greater_than_equal" and error["loc"][-1] in (
        "rate_before",
        "rate_after",
    ):
        return "a rate must be >= 0 (an ad valorem fraction, 0.25 for 25%)"
    return None


def schedule_ids() -> list[str]:
    """Return the ids of the schedules shipped with the package, sorted."""
    return list(shipped_schedule_paths())


def load_schedule(name_or_path: str | Path) -> TariffSchedule:
    """Load and validate a schedule: a shipped id or a CSV/YAML file.

    Raises
    ------
    DataError
        If the file is malformed or invalid; the message names the file, the line
        and the field.
    InputError
        If ``name_or_path`` is neither a shipped id nor a file.
    """
    path = shipped_or_file(
        name_or_path,
        shipped_schedule_paths(),
        what="schedule",
        formats="CSV or YAML",
        suffixes=(".csv", ".yaml", ".yml"),
    )
    return TariffSchedule.from_document(read_schedule_file(path))


def list_schedules() -> pd.DataFrame:
    """Return the shipped schedules: ``id, name, rows, illustrative, baseline_year, source``."""
    rows = []
    for sid in schedule_ids():
        schedule = load_schedule(sid)
        rows.append(
            {
                "id": schedule.id,
                "name": schedule.name,
                "rows": len(schedule.rates),
                "illustrative": schedule.illustrative,
                "baseline_year": schedule.baseline_year,
                "source": schedule.source,
            }
        )
    frame = pd.DataFrame(
        rows, columns=["id", "name", "rows", "illustrative", "baseline_year", "source"]
    )
    frame["baseline_year"] = frame["baseline_year"].astype("Int64")
    return frame
