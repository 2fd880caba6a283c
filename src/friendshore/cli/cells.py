"""Cells of the terminal tables: shares and intervals, quantities, money, reasons for "—".

Pure string formatting for the table output of the commands (JSON and CSV keep
the raw numbers). Intervals print as ``38–61%``; quantities carry their unit and
thousands separators (never ``7.76e+07``); money prints as ``-US$77.5 m``
(:func:`money_usd`); any other number plainly (:func:`plain`, :func:`table_cell`); a
blank prints as ``—`` followed by a footnote marker whose reason
:class:`Footnotes` lists under the table.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable
from typing import Any

DASH = "—"
EN_DASH = "–"
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def number(value: Any) -> float | None:
    """Return ``value`` as a finite-or-infinite float, or ``None`` if it is missing."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def percent(value: Any) -> str | None:
    """A fraction as a percentage: ``0.384 → '38%'``, ``0.0042 → '0.4%'``, ``None`` if missing.

    Examples
    --------
    >>> percent(0.384), percent(0.0042), percent(0.0), percent(-0.12), percent(None)
    ('38%', '0.4%', '0%', '-12%', None)
    """
    v = number(value)
    if v is None:
        return None
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    pct = 100 * v
    if pct != 0 and abs(pct) < 0.05:
        return "<0.1%" if pct > 0 else ">-0.1%"
    if abs(pct) < 1 and pct != 0:
        return f"{pct:.1f}%"
    return f"{pct:,.0f}%"


def percent_digits(value: Any, digits: int = 1) -> str | None:
    """A fraction as a percentage with ``digits`` decimals; a non-zero never prints as 0.

    Examples
    --------
    >>> percent_digits(0.3849), percent_digits(0.0002), percent_digits(0.0), percent_digits(None)
    ('38.5%', '<0.1%', '0.0%', None)
    >>> percent_digits(-0.0002, 0), percent_digits(0.004, 0)
    ('>-1%', '<1%')
    """
    v = number(value)
    if v is None:
        return None
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    pct = 100 * v
    step = 10.0**-digits
    if pct != 0 and abs(pct) < step / 2:
        return f"<{step:.{digits}f}%" if pct > 0 else f">-{step:.{digits}f}%"
    return f"{pct:,.{digits}f}%"


def decimal(value: Any, digits: int = 2) -> str | None:
    """A number with ``digits`` decimals and thousands separators, ``None`` if missing."""
    v = number(value)
    if v is None:
        return None
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    return f"{v:,.{digits}f}"


def interval(
    value: Any, low: Any = None, high: Any = None, *, kind: str = "percent", digits: int = 2
) -> str | None:
    """A point or an interval: ``'38%'``, ``'38–61%'``, ``'≥12%'``; ``None`` if nothing is known.

    ``kind`` is ``percent`` (fractions) or ``decimal`` (scores with ``digits``
    decimals). An interval whose ends print alike prints as the point.

    Examples
    --------
    >>> interval(None, 0.38, 0.61), interval(0.5), interval(None, 0.12, None)
    ('38–61%', '50%', '≥12%')
    >>> interval(None, 2.191, 2.4199, kind="decimal")
    '2.19–2.42'
    """

    def fmt(v: Any) -> str | None:
        return percent(v) if kind == "percent" else decimal(v, digits)

    point = fmt(value)
    if point is not None:
        return point
    lo, hi = fmt(low), fmt(high)
    if lo is None and hi is None:
        return None
    if hi is None or hi == "∞":
        return f"≥{lo}"
    if lo is None:
        return f"≤{hi}"
    if lo == hi:
        return lo
    if kind == "percent":
        return f"{lo.removesuffix('%')}{EN_DASH}{hi}"
    return f"{lo}{EN_DASH}{hi}"


_UNITS = ((1e9, "Gt"), (1e6, "Mt"), (1e3, "kt"))


def quantity_t(value: Any, *, scaled: bool = False) -> str | None:
    """Tonnes with thousands separators: ``77600000 → '77,600,000 t'`` (``'77.6 Mt'`` if scaled).

    Examples
    --------
    >>> quantity_t(77_600_000), quantity_t(77_600_000, scaled=True), quantity_t(0.25)
    ('77,600,000 t', '77.6 Mt', '0.25 t')
    >>> quantity_t(float("inf"), scaled=True)
    'unbounded'
    """
    v = number(value)
    if v is None:
        return None
    if math.isinf(v):
        return "unbounded" if v > 0 else "-unbounded"
    if scaled:
        for size, unit in _UNITS:
            if abs(v) >= size:
                return f"{v / size:,.1f} {unit}"
    if v != 0 and abs(v) < 10:
        return f"{v:,.2f} t"
    return f"{v:,.0f} t"


def money_usd(value: Any) -> str | None:
    """US dollars, scaled: ``-77_500_000 → '-US$77.5 m'``, ``2.1e9 → 'US$2.1 bn'``.

    The sign comes before the currency (never ``US$-77.5 m``), thousands are
    separated (never ``7.76703e+07``), an amount that rounds to zero is
    ``US$0`` without a sign; ``None`` if missing (``None``, NaN) and
    ``'unbounded'`` for an infinite amount.

    Examples
    --------
    >>> money_usd(-77_500_000), money_usd(2.1e9), money_usd(5_400), money_usd(None)
    ('-US$77.5 m', 'US$2.1 bn', 'US$5,400', None)
    >>> money_usd(0), money_usd(-0.4), money_usd(float("nan")), money_usd(1.5e15)
    ('US$0', 'US$0', None, 'US$1,500,000.0 bn')
    """
    v = number(value)
    if v is None:
        return None
    if math.isinf(v):
        return "unbounded" if v > 0 else "-unbounded"
    sign = "-" if v < 0 else ""
    a = abs(v)
    if a >= 1e9:
        return f"{sign}US${a / 1e9:,.1f} bn"
    if a >= 1e6:
        return f"{sign}US${a / 1e6:,.1f} m"
    whole = round(a)
    return f"{sign if whole else ''}US${whole:,.0f}"


#: The smallest magnitude :func:`plain` writes with digits (below it: ``<0.000000000001``).
_SMALLEST = 1e-12


def plain(value: Any) -> str | None:
    """A number with six significant digits and thousands separators, never in scientific notation.

    ``None`` if missing; integers keep every digit; ``∞`` for infinity; a
    magnitude below 10⁻¹² prints as ``<0.000000000001`` (never as 0, which only a
    zero prints as).

    Examples
    --------
    >>> plain(2_500_000.0), plain(0.546), plain(12_345.678), plain(-0.00001234), plain(0.0)
    ('2,500,000', '0.546', '12,345.7', '-0.00001234', '0')
    >>> plain(1e20), plain(7), plain(None)
    ('100,000,000,000,000,000,000', '7', None)
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    v = number(value)
    if v is None:
        return None
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if v == 0:
        return "0"
    a = abs(v)
    if a < _SMALLEST:
        return f"{'-' if v < 0 else ''}<{_SMALLEST:.12f}"
    if a >= 1e5:
        return f"{v:,.0f}"
    digits = min(12, max(0, 5 - math.floor(math.log10(a))))
    text = f"{v:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def table_cell(value: Any, column: str = "") -> str:
    """One cell of a command's table: money (``*_usd``) scaled, numbers plain, blanks ``—``.

    Years (``year``, ``*_year``) print without separators; booleans and text as
    they are. JSON and CSV keep the raw values.

    Examples
    --------
    >>> table_cell(-77_500_000.0, "welfare_usd"), table_cell(7.76703e7, "quantity_t")
    ('-US$77.5 m', '77,670,300')
    >>> table_cell(2024, "year"), table_cell(None, "share"), table_cell(True, "estimated")
    ('2024', '—', 'True')
    """
    if isinstance(value, bool) or (value is not None and not isinstance(value, int | float)):
        return str(value)
    if column == "year" or column.endswith("_year"):
        v = number(value)
        return DASH if v is None else str(int(v)) if v == int(v) else str(v)
    text = money_usd(value) if column.endswith("_usd") else plain(value)
    return DASH if text is None else text


class Footnotes:
    """Reasons for the blanks of one table, each numbered once (``—¹``, ``—²`` …)."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}

    def marker(self, reason: str) -> str:
        """Return the superscript number of ``reason`` (numbering it if it is new)."""
        number = self._numbers.setdefault(reason, len(self._numbers) + 1)
        return str(number).translate(_SUPERSCRIPT)

    def blank(self, reason: str) -> str:
        """Return ``—`` with the marker of ``reason``."""
        return DASH + self.marker(reason)

    def cell(self, text: str | None, reason: str) -> str:
        """Return ``text``, or ``—`` with the marker of ``reason`` where ``text`` is ``None``."""
        return text if text is not None else self.blank(reason)

    def __len__(self) -> int:
        return len(self._numbers)

    def lines(self, *, width: int = 100) -> list[str]:
        """The footnotes, one per reason, wrapped to ``width`` columns."""
        out: list[str] = []
        for reason, n in self._numbers.items():
            mark = f"{DASH}{str(n).translate(_SUPERSCRIPT)} "
            out.extend(
                textwrap.wrap(
                    reason,
                    width=width,
                    initial_indent=mark,
                    subsequent_indent=" " * len(mark),
                    break_on_hyphens=False,
                )
            )
        return out


def first_text(values: Iterable[Any]) -> str | None:
    """The first non-empty string among ``values`` (notes, reasons), else ``None``."""
    for v in values:
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None
