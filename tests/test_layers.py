"""The parts stand on `core` alone: none of them imports the command-line package
`yiju`, which composes them (its registry path and version live in `core`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("core", "simulators", "ingest", "optimizer", "api", "dashboards")


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("part", PARTS)
def test_part_does_not_import_the_cli_package(part: str) -> None:
    offenders = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / part).rglob("*.py")
        if "yiju" in _imported_packages(path)
    )
    assert offenders == [], f"{part} imports the yiju package in {offenders}"


def test_core_imports_no_other_part() -> None:
    others = set(PARTS) - {"core"} | {"yiju"}
    offenders = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "core").rglob("*.py")
        if _imported_packages(path) & others
    )
    assert offenders == []
