"""Names a person types, resolved to catalog ids: minerals, stages, members.

One implementation for the CLI, the API and the Python library:

- :func:`resolve_mineral` takes a mineral id, a catalog name or a common
  synonym (``concordances/mineral_synonyms.csv``), in any case, with spaces,
  hyphens or underscores (``"rare earths"``, ``"Lithium"``, ``"REE"``,
  ``"neodymium"``), and returns a :class:`MineralMatch`: the catalog id, its
  name and, for a synonym the catalog holds only as part of a group, a note
  (``neodymium`` → ``rare_earths``: the catalog is at the group level). A typo
  gets a did-you-mean (``"lithum"`` → lithium).
- :func:`resolve_stage` picks the stage a mineral has when none is given
  (gallium has only processing) and names the stages that exist when the one
  given has no data.
- :func:`resolve_member` takes a member id in any case (``eu27``), a bloc
  name (``European Union``), a country name or code (``Japan``, ``jpn``) or
  ``zone`` and returns the id used in zone files (``EU27``, ``JPN``, ``zone``).

Every failure is an :class:`UnknownNameError` (a ``ValidationError``: exit code 2
in the CLI, 404/422 in the API) whose message carries the suggestion.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import pandas as pd

from friendshore._core.errors import DataError, ValidationError
from friendshore._core.types import Stage
from friendshore.data.catalog import read_minerals
from friendshore.data.countries import country_resolver, read_blocs, read_countries
from friendshore.data.resources import concordance_path

#: The word that stands for the zone as a bloc where a member is asked for.
ZONE_WORD: Final = "zone"
#: How close a typo must be to a known name to be suggested (difflib ratio, 0-1).
SUGGEST_CUTOFF: Final = 0.75
#: Names of blocs a person types, by bloc id of ``blocs.csv``.
BLOC_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "EU27": ("EU", "EU-27", "EU 27", "European Union"),
    "USMCA": ("CUSMA", "T-MEC"),
}
_SEPARATORS = re.compile(r"[\s_\-]+")
_PAREN = re.compile(r"\s*\([^)]*\)\s*$")


class UnknownNameError(ValidationError):
    """A name that resolves to nothing (or to a stage without data).

    Attributes
    ----------
    kind
        What was asked for: ``"mineral"``, ``"stage"`` or ``"member"``.
    value
        The name as given.
    suggestions
        Names to suggest (may be empty).
    """

    def __init__(
        self, message: str, *, kind: str, value: str, suggestions: tuple[str, ...] = ()
    ) -> None:
        self.message = message
        self.kind = kind
        self.value = value
        self.suggestions = suggestions
        super().__init__(message)


@dataclass(frozen=True)
class MineralMatch:
    """A mineral name resolved to the catalog.

    Attributes
    ----------
    mineral_id
        The catalog id (``rare_earths``).
    name
        The catalog name (``Rare earths``).
    given
        The text as typed.
    note
        Why the match is not one-to-one (a group-level synonym such as
        ``neodymium``), else ``None``.
    """

    mineral_id: str
    name: str
    given: str
    note: str | None = None


def _key(text: str) -> str:
    """Normalise a typed name: case folded, ``_``/``-``/spaces collapsed to one space."""
    return _SEPARATORS.sub(" ", text).strip().casefold()


def read_mineral_synonyms(*, path: Path | None = None) -> pd.DataFrame:
    """Read the mineral synonyms (``concordances/mineral_synonyms.csv``).

    Parameters
    ----------
    path
        A file of the same columns; defaults to the bundled one.

    Returns
    -------
    pandas.DataFrame
        ``synonym`` (matched ignoring case, spaces, ``-`` and ``_``), ``mineral_id``
        (a catalog id) and ``note`` (empty unless the synonym is one part of a
        catalog mineral, e.g. neodymium of rare earths).

    Raises
    ------
    DataError
        If a row names a mineral not in the catalog, repeats a synonym or
        leaves a field empty (message names file, line and field).
    """
    source = path or concordance_path("mineral_synonyms.csv")
    shown = "concordances/mineral_synonyms.csv" if path is None else str(source)
    known = set(read_minerals()["mineral_id"])
    rows: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != ["synonym", "mineral_id", "note"]:
            raise DataError(
                f"columns {reader.fieldnames} must be synonym, mineral_id, note", file=shown, line=1
            )
        for line, row in enumerate(reader, start=2):
            synonym = (row["synonym"] or "").strip()
            mineral = (row["mineral_id"] or "").strip()
            if not synonym:
                raise DataError("empty synonym", file=shown, line=line, field="synonym")
            if mineral not in known:
                raise DataError(
                    f"{mineral!r} is not a catalog mineral (concordances/minerals.csv)",
                    file=shown,
                    line=line,
                    field="mineral_id",
                )
            key = _key(synonym)
            if key in seen:
                raise DataError(
                    f"synonym {synonym!r} repeats line {seen[key]}",
                    file=shown,
                    line=line,
                    field="synonym",
                )
            seen[key] = line
            rows.append({"synonym": synonym, "mineral_id": mineral, "note": row["note"] or ""})
    return pd.DataFrame(rows, columns=["synonym", "mineral_id", "note"])


@dataclass(frozen=True)
class _MineralIndex:
    ids: dict[str, str]  # key -> mineral id
    notes: dict[str, str]  # key -> note (group-level synonyms)
    names: dict[str, str]  # mineral id -> catalog name
    stages: dict[str, tuple[str, ...]]  # mineral id -> catalog stages
    shown: dict[str, str]  # key -> how a suggestion is written


@cache
def _mineral_index() -> _MineralIndex:
    catalog = read_minerals()
    ids: dict[str, str] = {}
    shown: dict[str, str] = {}
    names: dict[str, str] = {}
    stages: dict[str, tuple[str, ...]] = {}
    for row in catalog.itertuples(index=False):
        mineral = str(row.mineral_id)
        name = str(row.name)
        names[mineral] = name
        stages[mineral] = tuple(str(row.stages).split(";"))
        for text in (mineral, name, _PAREN.sub("", name)):
            ids.setdefault(_key(text), mineral)
            shown.setdefault(_key(text), mineral)
    notes: dict[str, str] = {}
    for syn in read_mineral_synonyms().itertuples(index=False):
        key = _key(str(syn.synonym))
        ids.setdefault(key, str(syn.mineral_id))
        shown.setdefault(key, str(syn.synonym))
        if syn.note:
            notes[key] = str(syn.note)
    return _MineralIndex(ids, notes, names, stages, shown)


def mineral_names() -> dict[str, str]:
    """Return the catalog name of every mineral, by id (``rare_earths`` → ``Rare earths``)."""
    return dict(_mineral_index().names)


def mineral_name(mineral_id: str, *, short: bool = False) -> str:
    """Return the catalog name of ``mineral_id`` (the id itself if it is not in the catalog).

    ``short``: without a trailing qualifier in parentheses (``Graphite (natural)`` →
    ``Graphite``), for a name followed by a product of its own.
    """
    name = _mineral_index().names.get(mineral_id, mineral_id)
    return _PAREN.sub("", name) if short else name


def with_mineral_names(frame: pd.DataFrame, *, column: str = "mineral_id") -> pd.DataFrame:
    """Return ``frame`` with ``mineral_name`` (the catalog name) right after ``column``.

    A frame without ``column`` (or that has ``mineral_name`` already) is returned as is.
    """
    if column not in frame.columns or "mineral_name" in frame.columns:
        return frame
    names = _mineral_index().names
    out = frame.copy()
    values = [names.get(str(v), v) if isinstance(v, str) else v for v in out[column]]
    out.insert(list(out.columns).index(column) + 1, "mineral_name", values)
    return out


def _suggest(key: str, candidates: dict[str, str], shown: dict[str, str]) -> tuple[str, ...]:
    """Close names to ``key``, one per target, best first."""
    out: list[str] = []
    targets: set[str] = set()
    for match in difflib.get_close_matches(key, list(candidates), n=6, cutoff=SUGGEST_CUTOFF):
        target = candidates[match]
        if target not in targets:
            targets.add(target)
            out.append(shown[match])
    return tuple(out[:3])


def _did_you_mean(suggestions: tuple[str, ...]) -> str:
    if not suggestions:
        return ""
    return f"; did you mean {' or '.join(suggestions)}?"


def resolve_mineral(text: str) -> MineralMatch:
    """Return the catalog mineral that ``text`` names: an id, a name or a synonym.

    Parameters
    ----------
    text
        As typed: any case; spaces, ``-`` and ``_`` alike (``"rare earths"``,
        ``"Rare-Earths"``, ``"rare_earths"``); a synonym of
        ``concordances/mineral_synonyms.csv`` (``"REE"``, ``"neodymium"``,
        ``"aluminium"``); a trailing plural ``s`` is tolerated.

    Returns
    -------
    MineralMatch
        The id, its catalog name and a note for group-level synonyms.

    Raises
    ------
    UnknownNameError
        If nothing matches; the message suggests the closest names (did you
        mean …?) and points at ``friendshore minerals``.

    Examples
    --------
    >>> resolve_mineral("Rare earths").mineral_id
    'rare_earths'
    >>> resolve_mineral("REE").mineral_id
    'rare_earths'
    >>> resolve_mineral("neodymium").note is not None
    True
    """
    index = _mineral_index()
    key = _key(str(text))
    for candidate in (key, key.removesuffix("s"), f"{key}s"):
        if candidate and candidate in index.ids:
            mineral = index.ids[candidate]
            note = index.notes.get(candidate)
            return MineralMatch(mineral, index.names[mineral], str(text), note)
    suggestions = _suggest(key, index.ids, index.shown) if key else ()
    what = f"unknown mineral {text!r}" if key else "no mineral given"
    raise UnknownNameError(
        f"{what}{_did_you_mean(suggestions)} (a catalog id or name, or a synonym such as "
        "REE or aluminium: `friendshore minerals` or /api/v1/minerals lists the catalog)",
        kind="mineral",
        value=str(text),
        suggestions=suggestions,
    )


def mineral_stages(mineral_id: str) -> tuple[str, ...]:
    """Return the stages the catalog lists for ``mineral_id`` (empty if unknown)."""
    return _mineral_index().stages.get(mineral_id, ())


def resolve_stage(
    mineral_id: str,
    stage: Stage | str | None,
    *,
    available: Iterable[str] | None = None,
) -> Stage:
    """Return the stage to use for ``mineral_id``: the one given, else the one it has.

    Parameters
    ----------
    mineral_id
        A catalog id.
    stage
        The stage asked for (any case), or ``None`` for the mineral's first
        stage with data (gallium → processing).
    available
        Stages with data (e.g. those of the production table); default: the
        catalog's ``stages``.

    Returns
    -------
    Stage
        The stage.

    Raises
    ------
    UnknownNameError
        If ``stage`` is not a stage, or the mineral has no data at it: the
        message names the stages that exist.
    """
    have = [s for s in (available if available is not None else mineral_stages(mineral_id))]
    order = [s.value for s in Stage]
    have = sorted(set(have), key=lambda s: order.index(s) if s in order else len(order))
    name = mineral_name(mineral_id)
    if stage is None:
        if not have:
            raise UnknownNameError(
                f"{name} ({mineral_id}) has no data at any stage",
                kind="stage",
                value="",
            )
        return Stage(have[0])
    text = _key(str(stage.value if isinstance(stage, Stage) else stage))
    if text not in order:
        raise UnknownNameError(
            f"unknown stage {str(stage)!r}: one of {', '.join(order)}",
            kind="stage",
            value=str(stage),
            suggestions=tuple(difflib.get_close_matches(text, order, n=1, cutoff=0.6)),
        )
    if text not in have:
        listed = ", ".join(have) or "none"
        raise UnknownNameError(
            f"{name} ({mineral_id}) has no data at stage {text}; stages with data: {listed} "
            "(leave the stage out to take the one it has)",
            kind="stage",
            value=text,
            suggestions=tuple(have),
        )
    return Stage(text)


@dataclass(frozen=True)
class _MemberIndex:
    ids: dict[str, str]  # key -> bloc id or ISO3
    shown: dict[str, str]


@cache
def _member_index() -> _MemberIndex:
    ids: dict[str, str] = {}
    shown: dict[str, str] = {}
    for bloc in sorted(set(read_blocs()["bloc"])):
        for text in (bloc, *BLOC_NAMES.get(str(bloc), ())):
            ids[_key(text)] = str(bloc)
            shown[_key(text)] = str(bloc)
    for row in read_countries().itertuples(index=False):
        if row.obsolete_since:
            continue
        for text in (str(row.iso3), str(row.name)):
            ids.setdefault(_key(text), str(row.iso3))
            shown.setdefault(_key(text), str(row.name))
    return _MemberIndex(ids, shown)


def resolve_member(text: str, members: Collection[str] | None = None) -> str:
    """Return the member id (or ISO3 code) that ``text`` names.

    Parameters
    ----------
    text
        ``zone``; a member or bloc id in any case (``eu27``); a bloc name
        (``European Union``, ``EU``); a country code or name, as the country
        resolver knows them (``jpn``, ``Japan``, ``Korea, Republic of``).
    members
        The zone's member ids; where given, a text that names one of them
        in any case gives that id as the zone spells it.

    Returns
    -------
    str
        ``"zone"``, a bloc id (``EU27``) or an ISO3 code (``JPN``). Whether it is
        a member of a zone is the caller's check.

    Raises
    ------
    UnknownNameError
        If the text names no bloc or country (did you mean …?).

    Examples
    --------
    >>> resolve_member("eu27"), resolve_member("Japan"), resolve_member("Zone")
    ('EU27', 'JPN', 'zone')
    """
    key = _key(str(text))
    if key == ZONE_WORD:
        return ZONE_WORD
    for member in members or ():
        if _key(member) == key:
            return member
    index = _member_index()
    if key in index.ids:
        return index.ids[key]
    code = country_resolver().resolve(str(text))
    if code is not None:
        return str(code)
    suggestions = _suggest(key, index.ids, index.shown) if key else ()
    raise UnknownNameError(
        f"unknown member or country {text!r}{_did_you_mean(suggestions)} (an ISO3 code, a "
        "country name, a bloc such as EU27, or 'zone')",
        kind="member",
        value=str(text),
        suggestions=suggestions,
    )
