"""Paths to the data that ships inside the package."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_data_dir() -> Path:
    """Return the directory of the ``friendshore.data`` package on disk."""
    return Path(str(files("friendshore.data")))


def bundled_path(*parts: str) -> Path:
    """Return the path of a bundled raw data file, e.g. ``bundled_path("baci", "x.csv.gz")``."""
    return package_data_dir().joinpath("bundled", *parts)


def concordance_path(name: str) -> Path:
    """Return the path of a concordance file in ``concordances/``."""
    return package_data_dir().joinpath("concordances", name)
