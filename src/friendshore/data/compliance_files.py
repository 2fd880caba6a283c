"""Compliance files: rule packs (YAML or TOML) and declarations (JSON), with field lines.

The compliance layer validates the content (:mod:`friendshore.compliance.rules`,
:mod:`friendshore.compliance.declaration`); this module only reads text (with
:mod:`friendshore.data.documents`), recording the 1-based line of every field, so
that a validation error can name the file, the line and the field.
"""

from __future__ import annotations

from pathlib import Path

from friendshore._core.errors import DataError
from friendshore.data.documents import (
    Document,
    Loc,
    dotted,
    parse_json,
    parse_toml,
    parse_yaml,
    read_text,
)
from friendshore.data.resources import package_data_dir

__all__ = [
    "MANDATORY_PACKS_FILE",
    "ComplianceDocument",
    "Loc",
    "declarations_dir",
    "dotted",
    "parse_json_document",
    "read_certificate_file",
    "read_declaration_file",
    "read_mandatory_packs_file",
    "read_rule_pack_file",
    "rule_packs_dir",
    "shipped_declaration_paths",
    "shipped_rule_pack_paths",
]

#: The file of the rule packs the zone makes mandatory per certificate type (in
#: ``rulepacks/``; not a pack itself).
MANDATORY_PACKS_FILE = "mandatory.toml"

#: A rule pack or declaration file as read (see :class:`friendshore.data.documents.Document`).
ComplianceDocument = Document


def parse_json_document(text: str, *, path: Path) -> Document:
    """Parse JSON text (a declaration, an API body saved to a file) with field lines.

    Raises
    ------
    DataError
        If the text is not valid JSON (the message names the line and column),
        repeats a key, or is not an object.
    """
    doc = parse_json(text, path)
    if not isinstance(doc.data, dict):
        raise DataError("the file must hold a JSON object", file=path, line=1)
    return doc


def read_declaration_file(path: str | Path) -> Document:
    """Read a product declaration (JSON) with the line of every field.

    Raises
    ------
    DataError
        If the file is missing, not UTF-8, not valid JSON (naming the line), not an
        object or repeats a key.
    """
    path = Path(path)
    return parse_json_document(read_text(path, what="declaration"), path=path)


def read_rule_pack_file(path: str | Path) -> Document:
    """Read a rule pack (YAML ``.yaml``/``.yml`` or TOML ``.toml``) with field lines.

    Raises
    ------
    DataError
        If the file is missing, not UTF-8, not valid YAML/TOML (naming the line),
        empty, not a mapping, or repeats a key.
    """
    path = Path(path)
    text = read_text(path, what="rule pack")
    if path.suffix == ".toml":
        doc = parse_toml(text, path)
    else:
        doc = parse_yaml(text, path, what="rule pack")
    if not isinstance(doc.data, dict):
        raise DataError("a rule pack is a mapping of fields (id, version, rules…)", file=path)
    return doc


def read_certificate_file(path: str | Path) -> str:
    """Read a certificate file (JSON text, UTF-8).

    Raises
    ------
    DataError
        If the file is missing or not UTF-8.
    """
    return read_text(Path(path), what="certificate")


def rule_packs_dir() -> Path:
    """Return the folder of the rule packs shipped with the package."""
    return package_data_dir() / "rulepacks"


def shipped_rule_pack_paths() -> dict[str, Path]:
    """Return the shipped rule pack files by id (the file name without suffix), sorted."""
    paths = [*rule_packs_dir().glob("*.yaml"), *rule_packs_dir().glob("*.toml")]
    return {p.stem: p for p in sorted(paths) if p.name != MANDATORY_PACKS_FILE}


def read_mandatory_packs_file(path: str | Path | None = None) -> Document:
    """Read the mandatory rule packs per certificate type (TOML) with field lines.

    Parameters
    ----------
    path
        The file; default: ``rulepacks/mandatory.toml`` shipped with the package.

    Raises
    ------
    DataError
        If the file is missing, not UTF-8, not valid TOML (naming the line), or
        repeats a key.
    """
    path = Path(path) if path is not None else rule_packs_dir() / MANDATORY_PACKS_FILE
    return parse_toml(read_text(path, what="mandatory rule pack list"), path)


def declarations_dir() -> Path:
    """Return the folder of the example declarations shipped with the package."""
    return package_data_dir() / "declarations"


def shipped_declaration_paths() -> dict[str, Path]:
    """Return the example declarations shipped with the package by id (file name without suffix)."""
    return {p.stem: p for p in sorted(declarations_dir().glob("*.json"))}
