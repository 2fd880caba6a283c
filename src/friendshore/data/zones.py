"""Zone files: read a TOML zone definition (the model layer validates it)."""

from __future__ import annotations

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
