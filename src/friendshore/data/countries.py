"""Resolve country names and codes from every source to ISO 3166 alpha-3.

The concordance is data (``concordances/countries.csv`` and
``concordances/country_aliases.csv``); this module only normalises text and looks
it up. Aggregates such as "Other countries" or "World total" are not countries:
:func:`classify_aggregate` recognises them so that readers keep them apart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from friendshore._core.errors import UnknownCountryError
from friendshore._core.types import ISO3
from friendshore.data.resources import concordance_path

_SPACES = re.compile(r"\s+")
_AGGREGATES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^world\b", re.IGNORECASE), "world"),
    (re.compile(r"^total\b", re.IGNORECASE), "world"),
    (re.compile(r"^other( countries)?\b", re.IGNORECASE), "other"),
    (re.compile(r"^rest of (the )?world\b", re.IGNORECASE), "other"),
)


def normalise_label(label: str) -> str:
    """Return ``label`` with Unicode compatibility forms folded and spaces collapsed.

    Non-breaking spaces (``\\xa0``) become spaces, runs of whitespace become one
    space, and the result is stripped.
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", label)).strip()


def classify_aggregate(label: str) -> str | None:
    """Return ``"world"`` or ``"other"`` if ``label`` names an aggregate row, else ``None``."""
    text = normalise_label(label)
    for pattern, kind in _AGGREGATES:
        if pattern.search(text):
            return kind
    return None


@dataclass(frozen=True)
class CountryResolver:
    """Look up ISO3 codes by code (alpha-3, alpha-2, numeric), name or alias."""

    countries: pd.DataFrame
    aliases: pd.DataFrame
    _index: dict[str, ISO3] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, ISO3] = {}
        for row in self.countries.itertuples(index=False):
            iso3 = ISO3(str(row.iso3))
            index[iso3.casefold()] = iso3
            index[normalise_label(str(row.name)).casefold()] = iso3
        for alias_row in self.aliases.itertuples(index=False):
            index[normalise_label(str(alias_row.alias)).casefold()] = ISO3(str(alias_row.iso3))
        object.__setattr__(self, "_index", index)

    @property
    def iso3_codes(self) -> frozenset[str]:
        """All ISO3 codes the resolver knows (current and obsolete)."""
        return frozenset(self.countries["iso3"])

    def resolve(self, label: str) -> ISO3 | None:
        """Return the ISO3 code for ``label`` or ``None`` if it is not known."""
        return self._index.get(normalise_label(label).casefold())

    def resolve_or_raise(
        self,
        label: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> ISO3:
        """Return the ISO3 code for ``label`` or raise :class:`UnknownCountryError`."""
        code = self.resolve(label)
        if code is None:
            raise UnknownCountryError(
                f"unknown country {label!r}: add it to concordances/country_aliases.csv "
                "if it is a real country under another name",
                file=file,
                line=line,
                field=field,
            )
        return code


def read_countries() -> pd.DataFrame:
    """Read the country table (ISO3, ISO numeric, ISO2, short name, continent)."""
    return pd.read_csv(
        concordance_path("countries.csv"), dtype=str, keep_default_na=False, encoding="utf-8"
    )


def read_country_aliases() -> pd.DataFrame:
    """Read the alias table mapping source-specific names and legacy codes to ISO3."""
    return pd.read_csv(
        concordance_path("country_aliases.csv"), dtype=str, keep_default_na=False, encoding="utf-8"
    )


def read_blocs() -> pd.DataFrame:
    """Read bloc memberships (EU27, G7, OECD, USMCA…) with their validity dates."""
    return pd.read_csv(
        concordance_path("blocs.csv"), dtype=str, keep_default_na=False, encoding="utf-8"
    )


@cache
def country_resolver() -> CountryResolver:
    """Return the process-wide resolver built from the bundled concordances."""
    return CountryResolver(read_countries(), read_country_aliases())
