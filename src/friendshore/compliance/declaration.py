"""Product declarations: a product and its bill of critical-mineral lots (JSON).

A declaration states, for each lot, the mineral, mass (kg) and value (USD), where
its value added at extraction and at processing happened (country shares), where
it was recycled, the supplier entities with their government ownership, and the
evidence (audits against a standard such as IRMA or RMI RMAP, with certificate id
and validity dates). The model doubles as the API body.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import pydantic

from friendshore._core.errors import DataError
from friendshore.compliance.canonical import MAX_DEPTH, json_text_too_deep, sha256_hex
from friendshore.data.compliance_files import parse_json_document, shipped_declaration_paths
from friendshore.data.documents import Document, Loc, read_text, shipped_or_file
from friendshore.model.fields import STRICT_FINITE, Country, MineralId, Share, validate_document

__all__ = [
    "ID_PATTERN",
    "MAX_ID_LENGTH",
    "Applicant",
    "Declaration",
    "Evidence",
    "GovernmentHolding",
    "Lot",
    "Product",
    "StageShare",
    "Supplier",
    "load_declaration",
    "parse_declaration",
]

_SHARE_TOLERANCE = 1e-9
#: Declaration and applicant ids: the registry's columns hold 128 characters.
MAX_ID_LENGTH = 128
ID_PATTERN = r"^[A-Za-z0-9._:-]+$"


class _Model(pydantic.BaseModel):
    model_config = STRICT_FINITE


class StageShare(_Model):
    """Share (0-1] of a lot's value added at one stage that happened in one country."""

    country: Country
    share: float = pydantic.Field(gt=0, le=1)


class GovernmentHolding(_Model):
    """Shares (0-1) of a supplier's board seats, voting rights and equity held by a government."""

    nation: Country
    board_seats_share: Share = 0.0
    voting_rights_share: Share = 0.0
    equity_share: Share = 0.0

    @property
    def control_share(self) -> float:
        """The largest of the three shares (0-1)."""
        return max(self.board_seats_share, self.voting_rights_share, self.equity_share)


class Supplier(_Model):
    """A supplier entity in a lot's chain, with its government ownership.

    ``government_holdings`` lists every government holding board seats, voting rights
    or equity (``[]``: none); omitted or ``null`` means the ownership data is missing.
    """

    name: str = pydantic.Field(min_length=1)
    role: Literal["extractor", "processor", "recycler", "trader", "manufacturer"]
    country: Country = pydantic.Field(description="Country of incorporation (ISO3).")
    government_holdings: list[GovernmentHolding] | None = None


class Evidence(_Model):
    """A due-diligence document: an audit or report against a standard, valid between dates."""

    standard: str = pydantic.Field(min_length=1, description="e.g. IRMA, RMI RMAP")
    certificate_id: str = pydantic.Field(min_length=1)
    issued_by: str | None = None
    valid_from: date
    valid_to: date
    oecd_steps: list[int] = pydantic.Field(
        [4],
        min_length=1,
        description="OECD due-diligence steps (1-5) the document covers; an audit is step 4.",
    )

    @pydantic.field_validator("oecd_steps")
    @classmethod
    def _steps(cls, steps: list[int]) -> list[int]:
        bad = [s for s in steps if not 1 <= s <= 5]
        if bad:
            raise ValueError(f"OECD steps are 1 to 5, not {bad[0]}")
        return steps

    @pydantic.model_validator(mode="after")
    def _dates(self) -> Any:
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self

    def valid_on(self, on: date) -> bool:
        """Whether the document is valid on ``on`` (both ends inclusive)."""
        return self.valid_from <= on <= self.valid_to


def _single_country(data: Any, key: str, stage: str) -> Any:
    if isinstance(data, dict) and key in data:
        data = dict(data)
        country = data.pop(key)
        if stage in data:
            raise ValueError(f"give {stage} or {key}, not both")
        data[stage] = [] if country is None else [{"country": country, "share": 1.0}]
    return data


class Lot(_Model):
    """A critical-mineral lot in the product's bill of materials.

    ``extraction`` and ``processing`` split the lot's value added at each stage by
    country (shares summing to 1); ``extraction_country`` / ``processing_country``
    are shorthands for a single country with share 1. A recycled lot may leave
    ``extraction`` empty.
    """

    id: str = pydantic.Field(min_length=1)
    mineral: MineralId
    mass_kg: float = pydantic.Field(gt=0)
    value_usd: float = pydantic.Field(ge=0)
    extraction: list[StageShare] = []
    processing: list[StageShare] = []
    recycler_country: Country | None = None
    suppliers: list[Supplier] = []
    evidence: list[Evidence] = []

    @pydantic.model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        data = _single_country(data, "extraction_country", "extraction")
        return _single_country(data, "processing_country", "processing")

    @pydantic.model_validator(mode="after")
    def _shares(self) -> Any:
        for stage, shares in (("extraction", self.extraction), ("processing", self.processing)):
            if shares and abs(sum(s.share for s in shares) - 1) > _SHARE_TOLERANCE:
                total = sum(s.share for s in shares)
                raise ValueError(f"{stage} shares sum to {total:g}, not 1")
            countries = [s.country for s in shares]
            if len(set(countries)) < len(countries):
                raise ValueError(f"{stage} lists a country twice")
        if not self.extraction and self.recycler_country is None:
            raise ValueError("a lot needs extraction countries unless it was recycled")
        return self


class Product(_Model):
    """The declared product (a cathode, a magnet, a battery …)."""

    name: str = pydantic.Field(min_length=1)
    hs6: str | None = pydantic.Field(None, pattern=r"^\d{6}$")
    description: str | None = None


class Applicant(_Model):
    """The company declaring: its identifier, name and country."""

    id: str = pydantic.Field(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        pattern=ID_PATTERN,
        description="Letters, digits and . _ : - (at most 128).",
    )
    name: str = pydantic.Field(min_length=1)
    country: Country


class Declaration(_Model):
    """A product declaration with its bill of critical-mineral lots."""

    id: str = pydantic.Field(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        pattern=ID_PATTERN,
        description="Letters, digits and . _ : - (at most 128).",
    )
    illustrative: bool = False
    declared_on: date
    applicant: Applicant
    product: Product
    lots: list[Lot] = pydantic.Field(min_length=1)

    @pydantic.model_validator(mode="after")
    def _unique_lots(self) -> Any:
        ids = [lot.id for lot in self.lots]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate lot id {dup[0]!r}")
        try:  # the rules add the values exactly (as written) and report the sum as a number
            float(sum((Fraction(str(lot.value_usd)) for lot in self.lots), Fraction(0)))
        except OverflowError:
            raise ValueError(
                "the lots' value_usd add up to more than the largest number (1.8e308)"
            ) from None
        return self

    @functools.cached_property
    def _digest(self) -> str:
        return sha256_hex(self.model_dump(mode="json"))

    def sha256(self) -> str:
        """The SHA-256 (hex) of the declaration's canonical JSON (RFC 8785)."""
        return self._digest

    @classmethod
    def from_document(cls, doc: Document) -> Declaration:
        """Validate a declaration as read; errors name the file, line and field."""
        return validate_document(cls, doc, fix_loc=_shorthand_loc(doc))


def _shorthand_loc(doc: Document) -> Callable[[Loc], Loc]:
    """Map ``lots[i].processing[0].country`` to ``lots[i].processing_country`` if written so."""

    def fix(loc: Loc) -> Loc:
        if len(loc) >= 3 and loc[0] == "lots" and loc[2] in ("extraction", "processing"):
            short = (*loc[:2], f"{loc[2]}_country")
            if short in doc.lines:
                return short
        return loc

    return fix


def load_declaration(name_or_path: str | Path) -> Declaration:
    """Read and validate a declaration: a shipped example's id or a file (JSON).

    The shipped examples (``cathode-nmc811-illustrative``,
    ``magnet-ndfeb-feoc-illustrative``) are addressable by id.

    Raises
    ------
    DataError
        If the file is malformed, invalid or nests deeper than
        :data:`~friendshore.compliance.canonical.MAX_DEPTH` levels; the message names
        the file, line and field.
    InputError
        If ``name_or_path`` is neither a shipped id nor a file; the message lists
        the shipped ids.
    """
    path = shipped_or_file(
        name_or_path,
        shipped_declaration_paths(),
        what="declaration",
        formats="JSON",
        suffixes=(".json",),
    )
    return parse_declaration(read_text(path, what="declaration"), name=str(path))


def parse_declaration(text: str, *, name: str = "<declaration>") -> Declaration:
    """Validate declaration JSON text (an upload); errors name ``name``, line and field."""
    path = Path(name)
    if json_text_too_deep(text):
        raise DataError(
            f"the JSON is nested deeper than {MAX_DEPTH} levels (a declaration nests about 7)",
            file=path,
            line=_deep_line(text),
        )
    return Declaration.from_document(parse_json_document(text, path=path))


def _deep_line(text: str) -> int | None:
    """The line where ``text`` first nests deeper than ``MAX_DEPTH`` (a refusal only)."""
    depth, line, in_string, escaped = 0, 1, False, False
    for char in text:
        if char == "\n":
            line += 1
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif char in "]}":
            depth -= 1
    return None
