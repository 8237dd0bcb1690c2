"""The shape of the code, kept true: each layer imports only the layers below it
(docs/architecture.md), and no module or function grows past what a reader takes in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kb", "indexer", "web")


def test_the_import_contract_holds() -> None:
    """`lint-imports` reads the layers from pyproject.toml: the CLI composes web and the
    indexer, which never import each other, over the core library, which imports neither."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
