"""The engine and the simulator meet only through WinRM: neither may import the other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_top_levels(package: str) -> dict[str, set[str]]:
    """Map each module file of ``package`` to the top-level packages it imports."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(("package", "forbidden"), [("hvrepl", "simulator"), ("simulator", "hvrepl")])
def test_package_does_not_import_the_other(package: str, forbidden: str) -> None:
    """No module of one side imports the other side (hvrepl.testing included: it joins them over WinRM)."""
    modules = imported_top_levels(package)
    assert modules, f"no modules found under {package}/"
    offenders = sorted(name for name, imports in modules.items() if forbidden in imports)
    assert offenders == [], f"{package} modules importing {forbidden}: {offenders}"
