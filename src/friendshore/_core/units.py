"""Units: everything normalises to metric tonnes (``t``) and US dollars (``USD``)."""

from __future__ import annotations

from typing import Final

from friendshore._core.errors import ValidationError

#: Factor that converts a quantity in the key unit to metric tonnes.
TO_TONNES: Final[dict[str, float]] = {
    "kg": 1e-3,
    "t": 1.0,
    "kt": 1e3,
    "Mt": 1e6,
}

#: Factor that converts a value in the key unit to US dollars.
TO_USD: Final[dict[str, float]] = {
    "USD": 1.0,
    "kUSD": 1e3,
    "MUSD": 1e6,
}


def tonnes_factor(unit: str) -> float:
    """Return the factor converting ``unit`` to metric tonnes (t per unit).

    Raises
    ------
    ValidationError
        If ``unit`` is not a mass unit friendshore knows.
    """
    try:
        return TO_TONNES[unit]
    except KeyError:
        known = ", ".join(TO_TONNES)
        raise ValidationError(f"unknown mass unit {unit!r}; expected one of {known}") from None
