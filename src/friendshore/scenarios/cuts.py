"""The shocks a scenario applies, in the plain form the propagation engine takes.

A :class:`~friendshore.scenarios.model.Scenario` (YAML, validated) resolves blocs
and names into these frozen records; the engine never sees the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from friendshore._core.types import ISO3


@dataclass(frozen=True)
class ExportCut:
    """``exporter`` cuts ``share`` (0–1) of its exports of the given minerals or HS6 codes.

    Destinations in ``exempt`` (licensed, or friendly) are not cut. ``minerals``
    selects every HS6 code of those minerals (all stages); ``hs6`` selects codes.
    """

    exporter: ISO3
    share: float
    minerals: tuple[str, ...] = ()
    hs6: tuple[str, ...] = ()
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
