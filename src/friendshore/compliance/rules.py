"""Rule packs: versioned, dated, jurisdiction-tagged sets of rules, loaded from YAML/TOML.

A pack is data, never code: the evaluation (:mod:`friendshore.compliance.evaluate`)
interprets three rule types:

- ``origin_value_share``: a lot qualifies if at least ``lot_value_added_threshold_share``
  of the value added at extraction, or of the value added at processing, happened in
  a qualifying country, or it was recycled in a recycling country; a product qualifies
  if the value share of qualifying lots reaches the product threshold (fixed, or a
  schedule by date);
- ``feoc_exclusion``: no supplier is a foreign entity of concern (incorporated in a
  covered nation, or with ``control_threshold_share`` or more of its board seats,
  voting rights or equity held by the government of one);
- ``due_diligence``: every lot in scope holds, for each required step, a document
  valid on the evaluation date (from an accepted standard where the step lists them).

The models double as API bodies.
"""

from __future__ import annotations

import itertools
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import pydantic
from pydantic_core import ErrorDetails

from friendshore._core.errors import DataError
from friendshore.data.compliance_files import (
    read_mandatory_packs_file,
    read_rule_pack_file,
    shipped_rule_pack_paths,
)
from friendshore.data.documents import Document, shipped_or_file
from friendshore.model.fields import (
    STRICT_FINITE,
    Country,
    MineralId,
    Share,
    check_country,
    check_country_or_bloc,
    check_mineral,
    file_error,
    validate_document,
)
from friendshore.model.zone import Zone, expand

__all__ = [
    "CERTIFICATE_OF_ORIGIN",
    "DueDiligenceRule",
    "DueDiligenceStep",
    "FeocRule",
    "MandatoryPacks",
    "OriginRule",
    "Rule",
    "RulePack",
    "ThresholdPeriod",
    "check_country",
    "check_mineral",
    "list_rule_packs",
    "load_rule_pack",
    "mandatory_packs",
    "pydantic_file_error",
    "rule_pack_ids",
]

#: The credential type of a certificate of origin (the only type issued so far).
CERTIFICATE_OF_ORIGIN = "CertificateOfOrigin"

ZONE_MEMBERS = "ZONE:members"
ZONE_PARTNERS = "ZONE:partners"


def _check_country_group(code: str) -> str:
    if code in (ZONE_MEMBERS, ZONE_PARTNERS):
        return code
    return check_country_or_bloc(code)


CountryGroup = Annotated[str, pydantic.AfterValidator(_check_country_group)]
#: A mineral id of the catalog (the name the compliance models have used).
Mineral = MineralId
#: Validation error of a file as a DataError with its file, line and field.
pydantic_file_error = file_error


@cache
def _default_zone() -> Zone:
    return Zone.load()


def _expand_groups(codes: list[str]) -> frozenset[str]:
    return _expand_tuple(tuple(codes))


@cache
def _expand_tuple(codes: tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for code in codes:
        if code == ZONE_MEMBERS:
            out |= _default_zone().countries
        elif code == ZONE_PARTNERS:
            out |= _default_zone().partners
        else:
            out |= expand(code)
    return frozenset(out)


class _RuleBase(pydantic.BaseModel):
    model_config = STRICT_FINITE

    id: str = pydantic.Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = pydantic.Field(min_length=1)
    source: str = pydantic.Field(min_length=1)
    valid_from: date | None = None
    valid_to: date | None = None
    minerals: list[Mineral] | None = pydantic.Field(
        None, description="Minerals in scope (catalog ids); all lots when omitted."
    )

    @pydantic.model_validator(mode="after")
    def _dates(self) -> Any:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self

    def in_scope(self, mineral: str) -> bool:
        """Whether a lot of ``mineral`` falls under the rule."""
        return self.minerals is None or mineral in self.minerals


class ThresholdPeriod(pydantic.BaseModel):
    """A product threshold (share of value) for a date range (both ends inclusive)."""

    model_config = STRICT_FINITE

    valid_from: date
    valid_to: date | None = None
    share: Share


class OriginRule(_RuleBase):
    """Rule of origin on the value share of qualifying critical-mineral lots."""

    type: Literal["origin_value_share"] = "origin_value_share"
    qualifying_countries: list[CountryGroup] = pydantic.Field(min_length=1)
    recycling_countries: list[CountryGroup] = []
    lot_value_added_threshold_share: Share = 0.5
    product_threshold_share: Share | None = None
    product_threshold_schedule: list[ThresholdPeriod] | None = None

    @pydantic.model_validator(mode="after")
    def _one_threshold(self) -> Any:
        if (self.product_threshold_share is None) == (self.product_threshold_schedule is None):
            raise ValueError(
                "give exactly one of product_threshold_share and product_threshold_schedule"
            )
        schedule = self.product_threshold_schedule or []
        for before, after in itertools.pairwise(schedule):
            if before.valid_to is None or before.valid_to >= after.valid_from:
                raise ValueError("product_threshold_schedule periods overlap or are unsorted")
        return self

    def qualifying(self) -> frozenset[str]:
        """The countries (ISO3) where extraction or processing qualifies."""
        return _expand_groups(self.qualifying_countries)

    def recycling(self) -> frozenset[str]:
        """The countries (ISO3) where recycling qualifies."""
        return _expand_groups(self.recycling_countries)

    def product_threshold(self, on: date) -> float | None:
        """The product threshold share on ``on``; ``None`` if the schedule has none."""
        if self.product_threshold_share is not None:
            return self.product_threshold_share
        for period in self.product_threshold_schedule or []:
            if period.valid_from <= on and (period.valid_to is None or on <= period.valid_to):
                return period.share
        return None


class FeocRule(_RuleBase):
    """Foreign-entity-of-concern exclusion over every supplier of every lot in scope."""

    type: Literal["feoc_exclusion"] = "feoc_exclusion"
    covered_nations: list[Country] = pydantic.Field(min_length=1)
    control_threshold_share: Share = 0.25
    missing_ownership: Literal["fail", "pass"] = pydantic.Field(
        "fail",
        description="Outcome for a supplier whose ownership data is missing: 'fail' "
        "(it cannot be shown not to be a FEOC) or 'pass'.",
    )


class DueDiligenceStep(pydantic.BaseModel):
    """One evidence requirement: an OECD due-diligence step (1-5)."""

    model_config = STRICT_FINITE

    step: int = pydantic.Field(ge=1, le=5)
    name: str = pydantic.Field(min_length=1)
    reference: str = pydantic.Field(min_length=1)
    accepted_standards: list[str] | None = None


class DueDiligenceRule(_RuleBase):
    """Evidence requirements: each lot in scope documents every listed step."""

    type: Literal["due_diligence"] = "due_diligence"
    steps: list[DueDiligenceStep] = pydantic.Field(min_length=1)


Rule = Annotated[OriginRule | FeocRule | DueDiligenceRule, pydantic.Field(discriminator="type")]
_RULE_TYPES = ("origin_value_share", "feoc_exclusion", "due_diligence")


class RulePack(pydantic.BaseModel):
    """A versioned, dated, jurisdiction-tagged rule pack (as written in YAML/TOML)."""

    model_config = STRICT_FINITE

    id: str = pydantic.Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str = pydantic.Field(min_length=1)
    name: str = pydantic.Field(min_length=1)
    jurisdiction: str = pydantic.Field(min_length=1)
    valid_from: date
    valid_to: date | None = None
    source: str = pydantic.Field(min_length=1)
    url: str | None = None
    illustrative: bool = False
    rules: list[Rule] = pydantic.Field(min_length=1)

    @pydantic.model_validator(mode="after")
    def _check(self) -> Any:
        if self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        ids = [r.id for r in self.rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate rule id {dup[0]!r}")
        return self

    def valid_on(self, on: date) -> bool:
        """Whether the pack is in force on ``on`` (both ends inclusive)."""
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    @classmethod
    def from_document(cls, doc: Document) -> RulePack:
        """Validate a rule pack file as read; errors name the file, line and field."""
        return validate_document(cls, doc, union_tags=_RULE_TYPES, message=_union_message)


def _union_message(error: ErrorDetails) -> str | None:
    if error["type"] == "union_tag_invalid":
        return f"unknown type: use one of {', '.join(_RULE_TYPES)}"
    if error["type"] == "union_tag_not_found":
        return f"each rule needs a type: one of {', '.join(_RULE_TYPES)}"
    return None


@cache
def _shipped() -> dict[str, Path]:
    return shipped_rule_pack_paths()  # package data: listed once per process


def rule_pack_ids() -> list[str]:
    """Return the ids of the rule packs shipped with the package, sorted."""
    return list(_shipped())


@cache
def _load_path(path: Path, mtime_ns: int) -> RulePack:
    del mtime_ns  # part of the cache key only: an edited file is read again
    doc = read_rule_pack_file(path)
    pack = RulePack.from_document(doc)
    return pack


def load_rule_pack(name_or_path: str | Path) -> RulePack:
    """Load and validate a rule pack: a shipped id (``zone-feoc``) or a YAML/TOML file.

    Raises
    ------
    DataError
        If the file is malformed or invalid; the message names the file, line and field.
    InputError
        If ``name_or_path`` is neither a shipped id nor a file.
    """
    shipped = _shipped()
    path = shipped_or_file(
        name_or_path,
        shipped,
        what="rule pack",
        formats="YAML/TOML",
        suffixes=(".yaml", ".yml", ".toml"),
    )
    if not path.is_file():
        read_rule_pack_file(path)  # raises the right DataError
    pack = _load_path(path.resolve(), path.stat().st_mtime_ns)
    if path in shipped.values() and pack.id != path.stem:
        raise DataError(
            f"id {pack.id!r} differs from the file name {path.stem!r}", file=path, field="id"
        )
    return pack


def list_rule_packs() -> pd.DataFrame:
    """Return the shipped rule packs: one row each.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``version``, ``jurisdiction``, ``valid_from``, ``valid_to``, ``rules``
        (ids, ``;``-separated), ``illustrative`` and ``source``.
    """
    rows = []
    for pack_id in rule_pack_ids():
        pack = load_rule_pack(pack_id)
        rows.append(
            {
                "id": pack.id,
                "version": pack.version,
                "jurisdiction": pack.jurisdiction,
                "valid_from": pack.valid_from.isoformat(),
                "valid_to": pack.valid_to.isoformat() if pack.valid_to else None,
                "rules": ";".join(r.id for r in pack.rules),
                "illustrative": pack.illustrative,
                "source": " ".join(pack.source.split()),
            }
        )
    return pd.DataFrame(rows)


def _shipped_id(pack_id: str) -> str:
    if pack_id not in _shipped():
        raise ValueError(f"unknown rule pack {pack_id!r}: use one of {', '.join(_shipped())}")
    return pack_id


def _no_repeats(ids: list[str]) -> list[str]:
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"lists {dup[0]!r} twice")
    return ids


class MandatoryPacks(pydantic.BaseModel):
    """The rule packs the zone makes mandatory, by certificate type (``mandatory.toml``).

    ``mandatory`` maps a certificate type (the credential type, e.g.
    ``CertificateOfOrigin``) to shipped pack ids that issuance evaluates whatever
    packs the issuer requests.
    """

    model_config = pydantic.ConfigDict(extra="forbid", strict=True)

    mandatory: dict[
        Annotated[str, pydantic.StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9]*$")],
        Annotated[
            list[Annotated[str, pydantic.AfterValidator(_shipped_id)]],
            pydantic.Field(min_length=1),
            pydantic.AfterValidator(_no_repeats),
        ],
    ]


@cache
def _mandatory() -> MandatoryPacks:
    return validate_document(MandatoryPacks, read_mandatory_packs_file())


def mandatory_packs(certificate_type: str = CERTIFICATE_OF_ORIGIN) -> tuple[str, ...]:
    """Return the ids of the rule packs the zone makes mandatory for ``certificate_type``.

    Read from ``rulepacks/mandatory.toml`` (once per process); a type the file
    does not list has no mandatory pack.

    Raises
    ------
    DataError
        If the file is malformed or names a pack that is not shipped (file, line, field).
    """
    return tuple(_mandatory().mandatory.get(certificate_type, ()))
