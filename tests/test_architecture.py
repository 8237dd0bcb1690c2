"""The shape of the code, kept true: each layer imports only the layers below it
(docs/architecture.md), no module or function grows past what a reader takes in, and a
CLI command stays a few lines around library calls."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kb", "indexer", "web")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MAX_COMMAND_LINES = 25  # a CLI command's body, below its options and docstring


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


def _sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_no_module_is_longer_than_a_reader_takes_in() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _sources()
        if (n := p.read_text(encoding="utf-8").count("\n")) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_longer_than_a_screen() -> None:
    long = {}
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = lines
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_cli_commands_are_a_few_lines_around_library_calls() -> None:
    long = {}
    for path in sorted((ROOT / "kb" / "cli").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef) or not any(
                isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "command"
                for d in node.decorator_list
            ):
                continue
            body = node.body[1:] if isinstance(node.body[0], ast.Expr) else node.body
            lines = (node.end_lineno or node.lineno) - body[0].lineno + 1
            if lines > MAX_COMMAND_LINES:
                long[f"{path.relative_to(ROOT)} {node.name}"] = lines
    assert not long, f"commands over {MAX_COMMAND_LINES} lines: {long}"
