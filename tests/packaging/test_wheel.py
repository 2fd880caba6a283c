"""The wheel carries the bundled data, the concordances and the schema."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import friendshore
from friendshore.data.resources import package_data_dir

ROOT = Path(__file__).parents[2]


def test_wheel_contains_every_data_file(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("friendshore-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data_dir = package_data_dir()
    expected = {
        "friendshore/data/" + str(p.relative_to(data_dir)).replace("\\", "/")
        for sub in ("bundled", "concordances", "schema", "scenarios", "zones")
        for p in (data_dir / sub).rglob("*")
        if p.is_file()
    }
    assert len(expected) > 180
    assert expected <= names, sorted(expected - names)[:10]
    assert "friendshore/py.typed" in names
    assert f"friendshore-{friendshore.__version__}.dist-info/METADATA" in names
