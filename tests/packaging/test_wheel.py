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
    package = package_data_dir().parent
    # every file of the package that is not Python source: data, templates, web assets
    expected = {
        "friendshore/" + p.relative_to(package).as_posix()
        for p in package.rglob("*")
        if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts
    }
    assert len(expected) > 180
    assert expected <= names, sorted(expected - names)[:10]
    assert "friendshore/py.typed" in names
    assert f"friendshore-{friendshore.__version__}.dist-info/METADATA" in names
