"""What the installed package may import: nothing of the test bed or the development extras.

The wheel holds `inboxd` only (pyproject's package discovery); `testbed/` lives beside it in
the repo and imports aiosmtpd. An import of either from `inboxd/` would work in a checkout
with the dev extras and break `pip install inboxd` at run time, so it is refused here.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The dev extra (pyproject's [project.optional-dependencies] dev) and the repo's test bed.
NOT_INSTALLED = {"testbed", "tests", "aiosmtpd", "pytest", "_pytest", "selenium", "mypy", "ruff"}


def top_level_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_inboxd_imports_nothing_that_is_not_installed_with_it() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(top_level_imports(path) & NOT_INSTALLED)
        for path in sorted((ROOT / "inboxd").rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_psycopg_the_postgres_extra_is_imported_by_the_postgres_store_only() -> None:
    importers = sorted(
        str(path.relative_to(ROOT)) for path in (ROOT / "inboxd").rglob("*.py") if "psycopg" in top_level_imports(path)
    )
    assert importers == ["inboxd/store/postgres.py"]


def test_the_test_bed_is_not_a_subpackage_of_inboxd() -> None:
    assert not (ROOT / "inboxd" / "testbed").exists()
    assert (ROOT / "testbed" / "__init__.py").is_file()
