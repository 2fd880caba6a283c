"""Country concordance: names, codes and aliases resolve to ISO3; blocs are data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from friendshore._core.errors import UnknownCountryError
from friendshore.data.countries import (
    classify_aggregate,
    country_resolver,
    normalise_label,
    read_blocs,
    read_countries,
    read_country_aliases,
)


@pytest.mark.parametrize(
    ("label", "iso3"),
    [
        ("Burma", "MMR"),
        ("Congo (Kinshasa)", "COD"),
        ("United\xa0States", "USA"),
        ("  united   states ", "USA"),
        ("Korea, Republic of", "KOR"),
        ("Côte d’Ivoire", "CIV"),
        ("ROM", "ROU"),
        ("ZAR", "COD"),
        ("YUG", "SRB"),
        ("Democratic Republic of Congo", "COD"),
        ("JPN", "JPN"),
        ("Japan", "JPN"),
    ],
)
def test_resolves_source_names(label: str, iso3: str) -> None:
    assert country_resolver().resolve(label) == iso3


def test_unknown_country_names_file_and_line() -> None:
    with pytest.raises(UnknownCountryError) as err:
        country_resolver().resolve_or_raise("Atlantis", file="x.csv", line=7, field="Country")
    assert str(err.value).startswith("x.csv, line 7, field 'Country': unknown country 'Atlantis'")


def test_aliases_point_to_known_countries_and_are_unique() -> None:
    codes = set(read_countries()["iso3"])
    aliases = read_country_aliases()
    assert set(aliases["iso3"]) <= codes
    folded = aliases["alias"].map(lambda a: normalise_label(a).casefold())
    assert not folded.duplicated().any(), folded[folded.duplicated()].tolist()


def test_iso3_codes_are_unique_and_well_formed() -> None:
    countries = read_countries()
    assert countries["iso3"].is_unique
    assert countries["iso3"].str.fullmatch(r"[A-Z]{3}").all()


def test_eu27_has_27_members_without_the_uk() -> None:
    blocs = read_blocs()
    eu = set(blocs.loc[blocs["bloc"] == "EU27", "iso3"])
    assert len(eu) == 27
    assert "GBR" not in eu
    assert {"DEU", "FRA", "ITA", "ESP", "POL", "SWE", "FIN"} <= eu


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("World total (rounded)", "world"),
        ("Other countries\xa0", "other"),
        ("Rest of world", "other"),
        ("Total", "world"),
        ("Mexico", None),
    ],
)
def test_classify_aggregate(label: str, kind: str | None) -> None:
    assert classify_aggregate(label) == kind


@given(st.sampled_from(sorted(read_countries()["name"])), st.sampled_from(["", " ", "\xa0"]))
def test_names_resolve_whatever_the_padding(name: str, pad: str) -> None:
    resolver = country_resolver()
    code = resolver.resolve(pad + name.upper() + pad)
    assert code is not None
    assert code == resolver.resolve(name)
