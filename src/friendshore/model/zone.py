"""The zone: its members (countries or blocs such as EU27), rivals, partners, candidates."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pydantic

from friendshore._core.errors import DataError, ValidationError
from friendshore._core.types import ISO3
from friendshore.data.countries import country_resolver, read_blocs
from friendshore.data.zones import default_zone_path, key_line, read_zone_file


class _SupplyRiskSpec(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    trade_parameter_default: float = pydantic.Field(1.0, gt=0, le=1)
    trade_parameter_member: float = pydantic.Field(0.8, gt=0, le=1)
    trade_parameter_partner: float = pydantic.Field(0.8, gt=0, le=1)


class ZoneSpec(pydantic.BaseModel):
    """A zone file as written (TOML); doubles as the API body for a zone."""

    model_config = pydantic.ConfigDict(extra="forbid")

    name: str = pydantic.Field(min_length=1)
    members: list[str]
    rivals: list[str] = ["CHN"]
    partners: list[str] = []
    candidates: list[str] = []
    supply_risk: _SupplyRiskSpec = _SupplyRiskSpec()


def _bloc_members() -> dict[str, frozenset[ISO3]]:
    blocs = read_blocs()
    current = blocs[blocs["valid_to"] == ""]
    return {
        str(bloc): frozenset(ISO3(str(c)) for c in group["iso3"])
        for bloc, group in current.groupby("bloc")
    }


def expand(code: str, *, file: str | None = None, field: str | None = None) -> frozenset[ISO3]:
    """Return the countries a member code stands for: a bloc's members or one country.

    Raises
    ------
    DataError
        If ``code`` is neither a bloc in ``blocs.csv`` nor a known country.
    """
    blocs = _bloc_members()
    if code in blocs:
        return blocs[code]
    iso3 = country_resolver().resolve(code)
    if iso3 is None or iso3 != code.strip().upper():
        hint = f" (did you mean {iso3}?)" if iso3 else ""
        raise DataError(
            f"{code!r} is neither an ISO 3166 alpha-3 code nor a bloc "
            f"({', '.join(sorted(blocs))}){hint}",
            file=file,
            field=field,
        )
    return frozenset({iso3})


@dataclass(frozen=True)
class Zone:
    """A preferential trade zone.

    ``members`` maps each member (an ISO3 code or a bloc id such as ``EU27``) to
    the countries it stands for; trade among the countries of one member, and
    among all members for the zone as a bloc, counts as domestic.
    """

    name: str
    members: Mapping[str, frozenset[ISO3]]
    rivals: frozenset[ISO3] = frozenset({ISO3("CHN")})
    partners: frozenset[ISO3] = frozenset()
    candidates: tuple[str, ...] = ()
    trade_parameter_default: float = 1.0
    trade_parameter_member: float = 0.8
    trade_parameter_partner: float = 0.8
    source: str = field(default="", compare=False)

    @property
    def countries(self) -> frozenset[ISO3]:
        """All countries inside the zone."""
        out: set[ISO3] = set()
        for group in self.members.values():
            out |= group
        return frozenset(out)

    def member_of(self, country: str) -> str | None:
        """Return the member a country belongs to, or ``None`` if it is outside."""
        for member, group in self.members.items():
            if country in group:
                return member
        return None

    def country_to_member(self) -> dict[ISO3, str]:
        """Return the mapping country → member for every country in the zone."""
        return {c: m for m, group in self.members.items() for c in group}

    def trade_parameter(self, country: str) -> float:
        """Return the supply-risk trade parameter t_c of a supplier country."""
        if country in self.countries:
            return self.trade_parameter_member
        if country in self.partners:
            return self.trade_parameter_partner
        return self.trade_parameter_default

    def with_member(self, code: str) -> Zone:
        """Return a copy of the zone with ``code`` (a country or bloc) as a new member.

        Raises
        ------
        ValidationError
            If ``code`` is unknown, already inside the zone, or a rival.
        """
        try:
            group = expand(code)
        except DataError as exc:
            raise ValidationError(str(exc)) from None
        if group & self.countries:
            raise ValidationError(f"{code} is already in the zone")
        if group & self.rivals:
            raise ValidationError(f"{code} is a rival of the zone and cannot join it")
        members = {**self.members, code: group}
        candidates = tuple(c for c in self.candidates if c != code)
        return replace(self, members=members, candidates=candidates)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "") -> Zone:
        """Validate a zone definition (as read from TOML or an API body).

        Raises
        ------
        DataError
            Naming ``source`` and the field at fault.
        """
        try:
            spec = ZoneSpec.model_validate(dict(data))
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise DataError(_plain_words(first), file=source or None, field=where) from None
        file = source or None
        members: dict[str, frozenset[ISO3]] = {}
        seen: dict[ISO3, str] = {}
        for i, code in enumerate(spec.members):
            group = expand(code, file=file, field=f"members[{i}]")
            clash = sorted(c for c in group if c in seen)
            if clash:
                raise DataError(
                    f"{code} overlaps member {seen[clash[0]]} ({', '.join(clash)})",
                    file=file,
                    field=f"members[{i}]",
                )
            members[code] = group
            seen.update(dict.fromkeys(group, code))
        rivals = _expand_all(spec.rivals, file=file, name="rivals")
        partners = _expand_all(spec.partners, file=file, name="partners")
        for name, group in (("rivals", rivals), ("partners", partners)):
            clash = sorted(group & set(seen))
            if clash:
                raise DataError(
                    f"{', '.join(clash)} cannot be both a member and in {name}",
                    file=file,
                    field=name,
                )
        for i, code in enumerate(spec.candidates):
            expand(code, file=file, field=f"candidates[{i}]")
        return cls(
            name=spec.name,
            members=members,
            rivals=rivals,
            partners=partners,
            candidates=tuple(spec.candidates),
            trade_parameter_default=spec.supply_risk.trade_parameter_default,
            trade_parameter_member=spec.supply_risk.trade_parameter_member,
            trade_parameter_partner=spec.supply_risk.trade_parameter_partner,
            source=source,
        )

    @classmethod
    def load(cls, path: Path | None = None) -> Zone:
        """Read and validate a zone file; the default zone if ``path`` is ``None``.

        An error names the file, the line that sets the key at fault and the key.
        """
        path = path or default_zone_path()
        try:
            return cls.from_mapping(read_zone_file(path), source=str(path))
        except DataError as exc:
            if exc.line is not None or exc.field is None:
                raise
            line = key_line(path, exc.field)
            raise DataError(exc.message, file=exc.file, line=line, field=exc.field) from None


#: The keys a zone file takes, by table ("" for the top level).
_ZONE_KEYS: dict[str, tuple[str, ...]] = {}


def _keys(table: str) -> tuple[str, ...]:
    if not _ZONE_KEYS:
        _ZONE_KEYS[""] = tuple(ZoneSpec.model_fields)
        _ZONE_KEYS["supply_risk"] = tuple(_SupplyRiskSpec.model_fields)
    return _ZONE_KEYS.get(table, ())


def _plain_words(error: Mapping[str, Any]) -> str:
    """A pydantic error about a zone file in words a person acts on."""
    loc = [str(p) for p in error.get("loc", ())]
    key = loc[-1] if loc else ""
    kind = str(error.get("type", ""))
    if kind == "extra_forbidden":
        table = ".".join(loc[:-1])
        allowed = _keys(table)
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        where = f"in [{table}]" if table else "in a zone file"
        return f"unknown key {key!r} {where}{hint} (the keys are: {', '.join(allowed)})"
    if kind == "missing":
        return f"the key {key!r} is required and missing"
    if kind == "list_type":
        return f'{key!r} must be a list in brackets, e.g. {key} = ["USA", "EU27"]'
    if kind == "string_type":
        return f"{key!r} must be text in quotes"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type"):
        return f"{key!r} must be a number"
    if kind in ("greater_than", "less_than_equal", "greater_than_equal", "less_than"):
        return f"{key!r}: {error.get('msg', 'out of range')}".replace("Input should be", "must be")
    if kind == "string_too_short":
        return f"{key!r} must not be empty"
    return str(error.get("msg", "invalid value")).replace("Input should be", "must be")


def _expand_all(codes: list[str], *, file: str | None, name: str) -> frozenset[ISO3]:
    out: set[ISO3] = set()
    for i, code in enumerate(codes):
        out |= expand(code, file=file, field=f"{name}[{i}]")
    return frozenset(out)


def default_zone() -> Zone:
    """Return the default zone: USA, MEX, EU27, JPN; rival CHN."""
    return Zone.load()
