"""The import contract between the top-level packages: web -> kb <- indexer. The core
library imports neither the site nor the indexer, except `kb.cli`, the composition root
that wires them into the `kb` command; the indexer and the site do not import each other.

Read from the source with ``ast``, imports inside functions included (the CLI's lazy
imports are imports too), so a new module cannot slip past the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGES = ("kb", "indexer", "web")
COMPOSITION_ROOT = "kb.cli"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_packages(path: Path) -> set[str]:
    """The top-level packages of this repository that a module imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.add(module_name(path).split(".")[0])  # relative: its own package
    return found & set(PACKAGES)


def imports_of(package: str) -> dict[str, set[str]]:
    """Each module of ``package``: the other top-level packages it imports."""
    return {
        module_name(path): imported_packages(path) - {package}
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def test_the_core_library_imports_neither_the_site_nor_the_indexer() -> None:
    breaking = {
        module: sorted(imported)
        for module, imported in imports_of("kb").items()
        if imported and module != COMPOSITION_ROOT
    }
    assert breaking == {}, "only kb.cli may import indexer or web"


def test_the_indexer_does_not_import_the_site() -> None:
    breaking = {m: sorted(i) for m, i in imports_of("indexer").items() if "web" in i}
    assert breaking == {}


def test_the_site_does_not_import_the_indexer() -> None:
    breaking = {m: sorted(i) for m, i in imports_of("web").items() if "indexer" in i}
    assert breaking == {}


@pytest.mark.parametrize("package", PACKAGES)
def test_the_contract_reads_every_module_of_each_package(package: str) -> None:
    """The walk finds the modules and their imports: without this, an empty walk would
    pass every rule above."""
    modules = imports_of(package)
    assert (
        package in modules
        and {"kb": "kb.cli", "indexer": "indexer.build", "web": "web.app"}[package] in modules
    )
    if package == "kb":
        assert modules[COMPOSITION_ROOT] == {"indexer", "web"}, "the CLI's lazy imports count"
    else:
        assert any("kb" in imported for imported in modules.values()), "web -> kb <- indexer"
