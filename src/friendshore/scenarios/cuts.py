"""The shocks a scenario applies, in the plain form the propagation engine takes.

A :class:`~friendshore.scenarios.model.Scenario` (YAML, validated) resolves blocs
and names into these frozen records; the engine never sees the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from friendshore._core.types import ISO3

C = TypeVar("C")


@dataclass(frozen=True)
class ExportCut:
    """``exporter`` cuts ``share`` (0–1) of its exports of the given minerals or HS6 codes.

    ``destinations`` limits the cut to exports to those countries (``None``:
    every destination); destinations in ``exempt`` (licensed, or friendly) are
    not cut. ``minerals`` selects every HS6 code of those minerals (all stages);
    ``hs6`` selects codes.
    """

    exporter: ISO3
    share: float
    minerals: tuple[str, ...] = ()
    hs6: tuple[str, ...] = ()
    destinations: frozenset[ISO3] | None = None
    exempt: frozenset[ISO3] = frozenset()
    months: int = 12


@dataclass(frozen=True)
class ProductionCut:
    """``country`` loses ``share`` (0–1) of its production of ``mineral`` at ``stage``."""

    country: ISO3
    mineral: str
    stage: str
    share: float
    months: int = 12


@dataclass(frozen=True)
class ByProductLink:
    """A fall of ``host`` output cuts ``mineral`` output by ``ratio`` of the fall (0–1).

    E.g. gallium is recovered from alumina refining: a 50% fall in a country's
    alumina output with ``ratio = 1`` cuts its gallium output by 50%.
    """

    host_mineral: str
    host_stage: str
    mineral: str
    stage: str
    ratio: float = 1.0


def exempt_fellow_members(cuts: Iterable[C], members: Mapping[ISO3, str]) -> tuple[C, ...]:
    """Exempt, in each export cut, the other countries of the exporter's own zone member.

    ``members`` maps ISO3 countries to their zone member (``Zone.country_to_member()``).
    A country of a bloc member (e.g. DEU in EU27) cannot restrict exports to its
    fellow members' countries: the EU's single market forbids quantitative
    restrictions on exports between member states (Art. 35 TFEU). Without this, a
    bloc's losses would count flows inside it, which its baseline (trade with
    countries outside the member) leaves out. Other cuts are returned unchanged.
    """
    by_member: dict[str, set[ISO3]] = {}
    for country, member in members.items():
        by_member.setdefault(member, set()).add(country)
    out: list[C] = []
    for cut in cuts:
        if isinstance(cut, ExportCut) and cut.exporter in members:
            fellows = by_member[members[cut.exporter]] - {cut.exporter}
            if fellows:
                exempt = cut.exempt | frozenset(fellows)
                out.append(replace(cut, exempt=exempt))
                continue
        out.append(cut)
    return tuple(out)
