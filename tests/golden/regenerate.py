"""Rewrite the golden JSON files of tests/golden/ from the bundled data.

Usage (from the repository root)::

    .venv/bin/python tests/golden/regenerate.py            # build a fresh store, rewrite
    .venv/bin/python tests/golden/regenerate.py --check    # only list what would change
    .venv/bin/python tests/golden/regenerate.py --store PATH   # reuse a built store

It builds a store from the bundled data in a temporary folder (as the test suite's
fixture does), runs each pinned command of ``golden_json.GOLDEN`` and writes its JSON,
after printing how many figures changed and the first of them. Update the golden files
deliberately, in the commit that explains why the figures moved (CONTRIBUTING.md).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from golden_json import GOLDEN, GOLDEN_DIR, differences, read_golden, run_cli_json, write_golden

from friendshore.data.store import build_store

#: How many changed values to print per file.
SHOWN = 25


def regenerate(store: Path, *, check: bool) -> int:
    """Compare (and unless ``check``, rewrite) every golden file; the number that changed."""
    changed = 0
    for name, args in GOLDEN.items():
        document = run_cli_json(args, store)
        path = GOLDEN_DIR / name
        diffs = differences(read_golden(name), document) if path.exists() else ["new file"]
        if diffs:
            changed += 1
            print(f"{name}: {len(diffs)} difference(s) (friendshore {' '.join(args)})")
            for line in diffs[:SHOWN]:
                print(f"  {line}")
            if len(diffs) > SHOWN:
                print(f"  … and {len(diffs) - SHOWN} more")
        else:
            print(f"{name}: unchanged within tolerance")
        if not check and (diffs or not path.exists()):
            write_golden(name, document)
            print(f"  wrote {path}")
    return changed


def main(argv: list[str] | None = None) -> int:
    """Command line: exit 0, or 1 with ``--check`` when a golden file is out of date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="use this built store instead of a fresh one")
    parser.add_argument(
        "--check", action="store_true", help="only report differences; write nothing"
    )
    ns = parser.parse_args(argv)
    if ns.store is not None:
        changed = regenerate(ns.store, check=ns.check)
    else:
        with tempfile.TemporaryDirectory(prefix="friendshore-golden-") as tmp:
            report = build_store(Path(tmp) / "friendshore.duckdb")
            changed = regenerate(report.path, check=ns.check)
    return 1 if ns.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
