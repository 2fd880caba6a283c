"""Typed identifiers and enumerations used across layers."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NewType

from friendshore._core.errors import ValidationError

ISO3 = NewType("ISO3", str)
MineralId = NewType("MineralId", str)
HS6 = NewType("HS6", str)

_ISO3_RE = re.compile(r"^[A-Z]{3}$")
_HS6_RE = re.compile(r"^\d{6}$")


class Stage(StrEnum):
    """Supply-chain stage of a production or trade figure."""

    MINING = "mining"
    PROCESSING = "processing"
    COMPONENTS = "components"


class Status(StrEnum):
    """Status of a production or reserves figure."""

    REPORTED = "reported"
    ESTIMATED = "estimated"
    WITHHELD = "withheld"
    MISSING = "missing"


class OutputFormat(StrEnum):
    """Output formats of the CLI."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def check_iso3(code: str) -> ISO3:
    """Return ``code`` as an :data:`ISO3` if it has the shape of one, else raise."""
    if not _ISO3_RE.match(code):
        raise ValidationError(f"{code!r} is not an ISO 3166 alpha-3 code (three capital letters)")
    return ISO3(code)


def check_hs6(code: str) -> HS6:
    """Return ``code`` as an :data:`HS6` if it is six digits, else raise."""
    if not _HS6_RE.match(code):
        raise ValidationError(f"{code!r} is not an HS6 code (six digits)")
    return HS6(code)
