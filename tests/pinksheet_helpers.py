"""A patched copy of the bundled World Bank Pink Sheet, shared by the price tests."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from friendshore.data.readers import pinksheet
from friendshore.data.resources import bundled_path

__all__ = ["PINK", "SHEET_XML", "patched_pinksheet"]

PINK = bundled_path(*pinksheet.BUNDLED)
#: The "Monthly Prices" sheet inside the workbook (sheet1 is the cover sheet).
SHEET_XML = "xl/worksheets/sheet2.xml"


def patched_pinksheet(target: Path, cells: dict[str, str | float]) -> Path:
    """A copy of the bundled Pink Sheet with some cells of "Monthly Prices" replaced."""
    with zipfile.ZipFile(PINK) as src:
        xml = src.read(SHEET_XML).decode("utf-8")
        for ref, value in cells.items():
            cell = (
                f'<c r="{ref}"><v>{value}</v></c>'
                if isinstance(value, float)
                else f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
            )
            xml, n = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', cell, xml, count=1)
            assert n == 1, ref
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                data = xml.encode("utf-8") if info.filename == SHEET_XML else src.read(info)
                out.writestr(info, data)
    return target
