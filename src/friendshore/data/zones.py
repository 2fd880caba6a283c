"""Zone files: read a TOML zone definition (the model layer validates it)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from friendshore._core.errors import DataError
from friendshore.data.resources import package_data_dir


def default_zone_path() -> Path:
    """Return the path of the default zone file that ships with the package."""
    return package_data_dir() / "zones" / "default.toml"


def read_zone_file(path: Path) -> dict[str, Any]:
    """Read a zone file (TOML) into a mapping.

    Raises
    ------
    DataError
        If the file is missing or is not valid TOML (the message names the line).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError("no such zone file", file=path) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text: {exc}", file=path) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise DataError(f"not valid TOML: {exc}", file=path, line=line) from exc


_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\-\" ]+?)\s*=")


def key_line(path: Path, field: str) -> int | None:
    """Return the 1-based line of ``path`` that sets ``field``, or ``None`` if none does.

    ``field`` is dotted as the zone validation names it: ``members``, ``members[2]``
    (the line of ``members``), ``supply_risk.trade_parameter_member`` (a key of the
    ``[supply_risk]`` table, or the dotted key at the top), ``supply_risk`` (its
    table header).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    parts = [p for p in re.sub(r"\[\d+\]", "", field).split(".") if p]
    if not parts:
        return None
    table: list[str] = []
    for number, text in enumerate(lines, start=1):
        header = _TABLE.match(text)
        if header:
            table = [p.strip().strip('"') for p in header.group(1).split(".")]
            if table == parts:
                return number
            continue
        key = _KEY.match(text)
        if key:
            written = [p.strip().strip('"') for p in key.group(1).split(".")]
            if [*table, *written] == parts:
                return number
    return None
