"""Validated field types of the input models, and validation errors named by file, line, field.

Scenarios, tariff schedules, project pipelines, rule packs and declarations are
pydantic models (that double as API bodies) checked against the bundled
catalogs: ISO3 countries and blocs (:mod:`friendshore.data.countries`), catalog
minerals and the HS concordance (:mod:`friendshore.data.catalog`). The field
types here carry those checks; :func:`file_error` turns a pydantic validation
error on a file read by :mod:`friendshore.data.documents` into a
:class:`~friendshore._core.errors.DataError` naming the file, the line and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from functools import cache
from typing import Annotated, Any, Final, TypeVar

import pandas as pd
import pydantic
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import ErrorDetails

from friendshore._core.errors import DataError
from friendshore.data.catalog import read_hs_concordance, read_minerals
from friendshore.data.countries import country_resolver
from friendshore.data.documents import Document, Loc
from friendshore.model.zone import expand

__all__ = [
    "STRICT",
    "STRICT_FINITE",
    "Country",
    "CountryOrBloc",
    "HS6Code",
    "MineralId",
    "Share",
    "check_country",
    "check_country_or_bloc",
    "check_hs6",
    "check_mineral",
    "code_text",
    "error_message",
    "error_text",
    "file_error",
    "hs6_codes",
    "mineral_ids",
    "validate_document",
]

_M = TypeVar("_M", bound=pydantic.BaseModel)


# --- catalogs ----------------------------------------------------------------------------


@cache
def mineral_ids() -> frozenset[str]:
    """Return the mineral ids of the bundled catalog."""
    return frozenset(read_minerals()["mineral_id"])


@cache
def hs6_codes() -> dict[str, str | None]:
    """Return the HS6 codes of the bundled concordance with their mineral (``None``: unmapped)."""
    hs = read_hs_concordance()
    return {
        str(code): (None if pd.isna(mineral) else str(mineral))
        for code, mineral in zip(hs["hs6"], hs["mineral_id"], strict=True)
    }


# --- checks ------------------------------------------------------------------------------


def check_country(code: str) -> str:
    """Return a known ISO 3166 alpha-3 code (upper-cased), not a bloc, else raise ``ValueError``."""
    text = code.strip().upper()
    iso3 = country_resolver().resolve(text)
    if iso3 is None or iso3 != text:
        hint = f" (did you mean {iso3}?)" if iso3 else ""
        raise ValueError(f"unknown country {code!r}: give an ISO 3166 alpha-3 code{hint}")
    return text


def check_country_or_bloc(code: str) -> str:
    """Return an ISO3 country or a bloc of ``blocs.csv`` (EU27, G7…), upper-cased.

    Raises
    ------
    ValueError
        If ``code`` is neither.
    """
    text = code.strip().upper()
    try:
        expand(text)
    except DataError as exc:
        raise ValueError(f"unknown country or bloc: {exc.message}") from None
    return text


def check_mineral(mineral: str) -> str:
    """Return a mineral id of the catalog (lower-cased), else raise ``ValueError``."""
    text = mineral.strip().lower()
    if text not in mineral_ids():
        raise ValueError(
            f"unknown mineral {mineral!r}: use a catalog id (`friendshore minerals`), "
            "e.g. lithium, cobalt, nickel, graphite, gallium, rare_earths"
        )
    return text


def code_text(value: Any) -> Any:
    """Return a code as text (YAML reads ``250410`` as an integer); text stripped."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:06d}"
    return value.strip() if isinstance(value, str) else value


def check_hs6(code: str, *, mapped: bool = True) -> str:
    """Return an HS6 code of the concordance (mapped to a catalog mineral if ``mapped``).

    Raises
    ------
    ValueError
        If the code is not in the concordance, or (``mapped``) not mapped to a mineral.
    """
    text = code.strip()
    known = hs6_codes()
    if text not in known:
        raise ValueError(
            f"unknown HS6 code {code!r}: not in the bundled HS 1992 concordance "
            "(concordances/hs_concordance.csv)"
        )
    if mapped and known[text] is None:
        raise ValueError(f"HS6 code {text} is in the concordance but not mapped to a mineral")
    return text


#: An ISO 3166 alpha-3 country code (not a bloc).
Country = Annotated[str, AfterValidator(check_country)]
#: An ISO3 country code or a bloc (EU27, G7, OECD, USMCA).
CountryOrBloc = Annotated[str, AfterValidator(check_country_or_bloc)]
#: A mineral id of the catalog.
MineralId = Annotated[str, AfterValidator(check_mineral)]
#: An HS6 code of the concordance mapped to a catalog mineral.
HS6Code = Annotated[str, BeforeValidator(code_text), AfterValidator(check_hs6)]
#: A fraction between 0 and 1.
Share = Annotated[float, Field(ge=0, le=1, description="fraction, 0-1")]


#: The config of an input model: frozen, unknown fields refused.
STRICT: Final = pydantic.ConfigDict(extra="forbid", frozen=True)
#: :data:`STRICT`, and NaN and infinite numbers refused.
STRICT_FINITE: Final = pydantic.ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# --- errors ------------------------------------------------------------------------------


def error_text(error: ErrorDetails) -> str:
    """Return pydantic's message of one error without its ``Value error,`` prefix."""
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message


#: Patterns of identifiers and text fields, in words (an error shows the allowed form).
PATTERN_WORDS: Final[dict[str, str]] = {
    r"^[a-z0-9][a-z0-9-]*$": "must be lower-case letters, digits and hyphens, starting with a "
    "letter or digit (e.g. cn-gallium-2025)",
    r"^[^\n]+$": "must be one line",
}


def plain_words(error: ErrorDetails | Mapping[str, Any]) -> str | None:
    """Words for a pattern (the allowed form, not the regular expression) and for a share
    written as a percentage (``share: 50`` → "a fraction: 0.5 for 50%"); ``None`` for
    any other error."""
    kind = error.get("type")
    ctx = error.get("ctx") or {}
    if kind == "string_pattern_mismatch" and str(ctx.get("pattern")) in PATTERN_WORDS:
        return f"{error.get('input')!r} {PATTERN_WORDS[str(ctx['pattern'])]}"
    value = error.get("input")
    if (
        kind == "less_than_equal"
        and ctx.get("le") == 1
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and 1 < value <= 100
    ):
        return (
            f"{str(error.get('msg', '')).removeprefix('Value error, ')}: a share is a "
            "fraction, not a percentage "
            f"(write {value / 100:g} for {value:g}%)"
        )
    return None


def error_message(error: ErrorDetails) -> str:
    """Return the message of one error, in words for a missing or an unknown field, a
    pattern and a share written as a percentage (:func:`plain_words`)."""
    if error["type"] == "missing":
        return "required field is missing"
    if error["type"] == "extra_forbidden":
        return "unknown field (a typo?)"
    return plain_words(error) or error_text(error)


def _error_loc(error: ErrorDetails, union_tags: Collection[str]) -> Loc:
    loc = tuple(error["loc"])
    # a discriminated union adds the tag after the list index: drop it
    loc = tuple(p for i, p in enumerate(loc) if not (i > 0 and p in union_tags))
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        loc = (*loc, "type")
    return loc


def file_error(
    exc: pydantic.ValidationError,
    doc: Document,
    *,
    union_tags: Collection[str] = (),
    fix_loc: Callable[[Loc], Loc] | None = None,
    message: Callable[[ErrorDetails], str | None] | None = None,
    most: int | None = None,
) -> DataError:
    """Return a validation error of a file as a :class:`DataError` naming file, line and field.

    The first error gives the line and field; the others are appended to the
    message (at most ``most`` of them, all if ``None``).

    Parameters
    ----------
    exc
        The error of validating ``doc.data``.
    doc
        The file as read.
    union_tags
        The tags of discriminated unions in the model (dropped from locations).
    fix_loc
        Maps a model location to the document's (e.g. a shorthand field).
    message
        The message of one error, or ``None`` for :func:`error_message`'s.
    """
    fix = fix_loc or (lambda loc: loc)

    def text(error: ErrorDetails) -> str:
        custom = message(error) if message is not None else None
        return custom if custom is not None else error_message(error)

    located = [(*doc.locate(fix(_error_loc(e, union_tags))), text(e)) for e in exc.errors()]
    line, field, first = located[0]
    if len(located) > 1:
        shown = located[1:] if most is None else located[1 : 1 + most]
        more = "; ".join(
            f"line {ln if ln is not None else '?'}, field {fd!r}: {msg}" for ln, fd, msg in shown
        )
        first = f"{first} (and {len(located) - 1} more: {more})"
    return DataError(first, file=doc.path, line=line, field=field or None)


def validate_document(
    model: type[_M],
    doc: Document,
    *,
    union_tags: Collection[str] = (),
    fix_loc: Callable[[Loc], Loc] | None = None,
    message: Callable[[ErrorDetails], str | None] | None = None,
    most: int | None = None,
) -> _M:
    """Return ``doc.data`` validated as ``model``; errors name the file, the line and the field.

    Raises
    ------
    DataError
        The first validation error, with its file, line and field, and the
        others in the message (see :func:`file_error` for the options).
    """
    try:
        return model.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        raise file_error(
            exc, doc, union_tags=union_tags, fix_loc=fix_loc, message=message, most=most
        ) from None
