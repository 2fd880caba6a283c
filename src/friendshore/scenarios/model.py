"""Scenario files: the pydantic model of a disruption scenario (also the API body).

A scenario is a dated measure (an export restriction, a production loss, a
by-product link) and the zone's response (sharing, re-routing, stockpiles,
demand response). :func:`load_scenario` reads a YAML file or a shipped scenario
by id and validates it against the bundled catalogs; errors name the file, the
line and the field. :meth:`Scenario.cuts` turns it into the plain records the
propagation engine takes (:mod:`friendshore.scenarios.cuts`), blocs expanded to
countries.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import pydantic
from pydantic import Field
from pydantic_core import ErrorDetails

from friendshore._core.errors import DataError
from friendshore._core.types import ISO3, Stage
from friendshore.data.documents import Document, shipped_or_file
from friendshore.data.scenario_files import read_scenario_file, shipped_scenario_paths
from friendshore.model.fields import (
    STRICT,
    Country,
    CountryOrBloc,
    HS6Code,
    MineralId,
    Share,
    validate_document,
)
from friendshore.model.zone import expand
from friendshore.scenarios.cuts import ByProductLink, ExportCut, ProductionCut

__all__ = [
    "ByProduct",
    "ExportRestriction",
    "ProductionLoss",
    "Response",
    "Scenario",
    "Shock",
    "Stockpile",
    "list_scenarios",
    "load_scenario",
    "scenario_ids",
    "scenario_minerals",
]


# --- shocks ------------------------------------------------------------------------------


class _Base(pydantic.BaseModel):
    model_config = STRICT


class ExportRestriction(_Base):
    """``country`` cuts ``share`` (0–1) of its exports of minerals or HS6 codes.

    ``minerals`` selects every HS6 code of those catalog minerals (all stages);
    ``hs6`` selects codes. ``destinations`` (countries or blocs), when given,
    limits the cut to exports to them (e.g. a ban on exports to the United
    States only); empty means every destination. Destinations in ``exempt``
    (countries or blocs such as EU27: licensed or friendly buyers) are not cut.
    ``start`` defaults to the scenario's date.
    """

    type: Literal["export_restriction"] = "export_restriction"
    country: Country
    minerals: list[MineralId] = []
    hs6: list[HS6Code] = []
    share: Share
    destinations: list[CountryOrBloc] = []
    exempt: list[CountryOrBloc] = []
    start: dt.date | None = None
    duration_months: int = Field(12, gt=0)

    @pydantic.model_validator(mode="after")
    def _something_cut(self) -> ExportRestriction:
        if not self.minerals and not self.hs6:
            raise ValueError("an export restriction needs minerals or hs6 codes (or both)")
        both = sorted(set(self.destinations) & set(self.exempt))
        if both:
            raise ValueError(
                f"{', '.join(both)} is both a destination and exempt: list it in one of them"
            )
        return self

    def summary(self) -> str:
        """One line: who cuts what, how much, to whom, exemptions and duration."""
        what = ", ".join([*self.minerals, *(f"HS {c}" for c in self.hs6)])
        to = f" to {', '.join(self.destinations)}" if self.destinations else ""
        exempt = f", exempt {', '.join(self.exempt)}" if self.exempt else ""
        return (
            f"{self.country} export restriction: {self.share:.0%} of {what}{to}{exempt}, "
            f"{self.duration_months} months"
        )


class ProductionLoss(_Base):
    """``country`` loses ``share`` (0–1) of its output of ``mineral`` at ``stage``."""

    type: Literal["production_loss"] = "production_loss"
    country: Country
    mineral: MineralId
    stage: Stage
    share: Share
    start: dt.date | None = None
    duration_months: int = Field(12, gt=0)

    def summary(self) -> str:
        """One line: who loses how much of what."""
        return (
            f"{self.country} production loss: {self.share:.0%} of {self.mineral} "
            f"({self.stage.value}), {self.duration_months} months"
        )


class ByProduct(_Base):
    """A fall of ``host_mineral`` output cuts ``mineral`` output by ``ratio`` of the fall."""

    type: Literal["by_product"] = "by_product"
    host_mineral: MineralId
    host_stage: Stage
    mineral: MineralId
    stage: Stage
    ratio: Share = 1.0

    def summary(self) -> str:
        """One line: the by-product link."""
        return (
            f"by-product: {self.mineral} ({self.stage.value}) falls {self.ratio:.0%} of the "
            f"fall of {self.host_mineral} ({self.host_stage.value})"
        )


Shock = Annotated[ExportRestriction | ProductionLoss | ByProduct, Field(discriminator="type")]
_SHOCK_TYPES = frozenset({"export_restriction", "production_loss", "by_product"})


# --- response ----------------------------------------------------------------------------


class Stockpile(_Base):
    """A member's stock of ``mineral``: ``days`` of its consumption, released by ``release``.

    ``pro_rata`` releases the stock evenly over the disruption; ``all`` makes the
    whole stock available at once. ``stage`` limits the stock to one stage;
    ``None`` (the default) gives every stage of the mineral ``days`` of that
    stage's consumption.
    """

    member: CountryOrBloc
    mineral: MineralId
    stage: Stage | None = None
    days: float = Field(ge=0, description="days of consumption")
    release: Literal["pro_rata", "all"] = "pro_rata"


class Response(_Base):
    """The zone's response: sharing among members, re-routing, stockpiles, demand response.

    Demand response: with ``demand_elasticity`` ε < 0, members' consumption falls
    by ``|ε| × price_change`` of their domestic use (at most all of it) before the
    other routes are optimised. ``price_change`` (a fraction: 0.5 is +50%) is
    given, or derived per mineral × stage from the world's loss after the cascade
    (see :func:`friendshore.scenarios.run.demand_reduction`). ε = 0 (the default)
    means no demand response.
    """

    sharing: bool = True
    rerouting: bool = True
    stockpiles: list[Stockpile] = []
    demand_elasticity: float = Field(
        0.0, le=0, ge=-5, description="price elasticity of demand, between -5 and 0"
    )
    price_change: float | None = Field(
        None,
        ge=0,
        le=100,
        description="price rise as a fraction (0.5 = +50%); default derived from the world loss",
    )


# --- scenario ----------------------------------------------------------------------------


class Scenario(_Base):
    """A disruption scenario: a dated measure, its shocks and the zone's response.

    ``date`` is the day the measure took effect. ``baseline_year`` (the year
    whose production and trade are disrupted) defaults to the year before
    ``date``; a shock's ``start`` defaults to ``date``.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    name: str = Field(min_length=1)
    description: str = ""
    date: dt.date
    source: str = Field(min_length=1, pattern=r"^[^\n]+$", description="one line: URL or citation")
    baseline_year: int | None = Field(None, ge=1990, le=2100)
    shocks: list[Shock] = []
    response: Response = Response()

    @pydantic.model_validator(mode="after")
    def _defaults(self) -> Scenario:
        if self.baseline_year is None:
            object.__setattr__(self, "baseline_year", self.date.year - 1)
        shocks = [
            shock.model_copy(update={"start": self.date})
            if isinstance(shock, ExportRestriction | ProductionLoss) and shock.start is None
            else shock
            for shock in self.shocks
        ]
        object.__setattr__(self, "shocks", shocks)
        return self

    @property
    def year(self) -> int:
        """The baseline year (``baseline_year``, else the year before ``date``)."""
        return self.baseline_year if self.baseline_year is not None else self.date.year - 1

    def measure(self) -> str:
        """One line per scenario: its shocks, or that it has none."""
        if not self.shocks:
            return "no direct trade or production shock"
        return "; ".join(shock.summary() for shock in self.shocks)

    def cuts(self) -> tuple[ExportCut | ProductionCut | ByProductLink, ...]:
        """Return the shocks as plain records for the engine, blocs expanded to countries."""
        out: list[ExportCut | ProductionCut | ByProductLink] = []
        for shock in self.shocks:
            if isinstance(shock, ExportRestriction):
                exempt: frozenset[ISO3] = frozenset()
                for code in shock.exempt:
                    exempt |= expand(code)
                destinations: frozenset[ISO3] | None = None
                if shock.destinations:
                    destinations = frozenset().union(*(expand(c) for c in shock.destinations))
                out.append(
                    ExportCut(
                        exporter=ISO3(shock.country),
                        share=shock.share,
                        minerals=tuple(dict.fromkeys(shock.minerals)),
                        hs6=tuple(dict.fromkeys(shock.hs6)),
                        destinations=destinations,
                        exempt=exempt,
                        months=shock.duration_months,
                    )
                )
            elif isinstance(shock, ProductionLoss):
                out.append(
                    ProductionCut(
                        country=ISO3(shock.country),
                        mineral=shock.mineral,
                        stage=shock.stage.value,
                        share=shock.share,
                        months=shock.duration_months,
                    )
                )
            else:
                out.append(
                    ByProductLink(
                        host_mineral=shock.host_mineral,
                        host_stage=shock.host_stage.value,
                        mineral=shock.mineral,
                        stage=shock.stage.value,
                        ratio=shock.ratio,
                    )
                )
        return tuple(out)

    @classmethod
    def from_document(cls, doc: Document) -> Scenario:
        """Validate a scenario file as read; errors name the file, line and field."""
        return validate_document(cls, doc, union_tags=_SHOCK_TYPES, message=_union_message)


def _union_message(error: ErrorDetails) -> str | None:
    if error["type"] == "union_tag_invalid":
        return f"unknown shock type: use one of {', '.join(sorted(_SHOCK_TYPES))}"
    if error["type"] == "union_tag_not_found":
        return f"each shock needs a type: one of {', '.join(sorted(_SHOCK_TYPES))}"
    return None


# --- loading -----------------------------------------------------------------------------


def scenario_ids() -> list[str]:
    """Return the ids of the scenarios shipped with the package, sorted."""
    return list(shipped_scenario_paths())


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario: a shipped id (``cn-graphite-2023``) or a YAML file.

    Raises
    ------
    DataError
        If the file is malformed or invalid; the message names the file, the line
        and the field.
    InputError
        If ``name_or_path`` is neither a shipped id nor a file; the message lists
        the shipped ids.
    """
    shipped = shipped_scenario_paths()
    path = shipped_or_file(
        name_or_path, shipped, what="scenario", formats="YAML", suffixes=(".yaml", ".yml")
    )
    doc = read_scenario_file(path)
    scenario = Scenario.from_document(doc)
    if path in shipped.values() and scenario.id != path.stem:
        raise DataError(
            f"id {scenario.id!r} differs from the file name {path.stem!r}",
            file=path,
            line=doc.lines.get(("id",)),
            field="id",
        )
    return scenario


def scenario_minerals(scenario: Scenario) -> tuple[str, ...]:
    """Return the catalog minerals a scenario's shocks touch, sorted.

    An export restriction touches its ``minerals`` and the minerals its ``hs6``
    codes map to (``hs_concordance``); a production loss its mineral; a
    by-product link its host and its by-product.
    """
    from friendshore.data.catalog import read_hs_concordance  # noqa: PLC0415 (cached file read)

    found: set[str] = set()
    for shock in scenario.shocks:
        if isinstance(shock, ExportRestriction):
            found.update(shock.minerals)
            if shock.hs6:
                hs = read_hs_concordance()
                found.update(hs.loc[hs["hs6"].isin(shock.hs6), "mineral_id"].dropna())
        elif isinstance(shock, ProductionLoss):
            found.add(shock.mineral)
        else:
            found.update((shock.host_mineral, shock.mineral))
    return tuple(sorted(found))


def list_scenarios(*, mineral: str | None = None) -> pd.DataFrame:
    """Return the shipped scenarios: one row each, by date.

    Parameters
    ----------
    mineral
        A catalog mineral id: only the scenarios whose shocks touch it
        (:func:`scenario_minerals`).

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``date`` (the measure's date), ``baseline_year``,
        ``minerals`` (comma-separated ids the shocks touch), ``measure``
        (one-line summary of the shocks) and ``source`` (one line).
    """
    rows = []
    for scenario_id in scenario_ids():
        scenario = load_scenario(scenario_id)
        touched = scenario_minerals(scenario)
        if mineral is not None and mineral not in touched:
            continue
        rows.append(
            {
                "id": scenario.id,
                "name": scenario.name,
                "date": scenario.date,
                "baseline_year": scenario.year,
                "minerals": ", ".join(touched),
                "measure": scenario.measure(),
                "source": scenario.source,
            }
        )
    columns = ["id", "name", "date", "baseline_year", "minerals", "measure", "source"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["date", "id"], ignore_index=True)
