"""The README documents every setting and command, and the CI runs the README's test command."""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

from kb.cli import app
from kb.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    for name in Settings.model_fields:
        assert f"`KB_{name.upper()}`" in README, name


def test_every_command_is_in_the_readme() -> None:
    for command in app.registered_commands:
        name = command.name or command.callback.__name__  # type: ignore[union-attr]
        assert f"`kb {name}" in README, name
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:  # type: ignore[union-attr]
            name = command.name or command.callback.__name__  # type: ignore[union-attr]
            assert f"`kb {group.name} {name}" in README, name


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def _writing_commands() -> list[str]:
    """The shell lines of the README's "Writing articles" section, as a writer copies them."""
    section = README.split("\n## Writing articles", 1)[1]
    section = re.split(r"\n## (?!A section)", section, maxsplit=1)[0]  # its example has an H2
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]


def test_the_readme_writing_commands_work_as_written_on_a_fresh_copy(
    tmp_path: Path, demo_settings: Settings, demo_build: object, onnx_cache: Path
) -> None:
    """Every command of the writing section, run in a fresh copy of the repository's
    content with the installed .venv (only `make install`, done, and `make write`, a
    server that runs until stopped, are left out)."""
    commands = _writing_commands()
    assert ".venv/bin/kb check" in commands and "make check" in commands
    for name in ("articles", "kb.toml", "Makefile", "pyproject.toml"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy2(source, tmp_path / name)  # keeps the mtime: `make` sees it installed
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    # the copy must never look newer than the install: `make` would reinstall the shared
    # .venv from this throwaway copy, and break it for everything after
    stamp = (ROOT / ".venv" / ".installed").stat().st_mtime
    os.utime(tmp_path / "pyproject.toml", (stamp - 1, stamp - 1))
    # sections the demo index already embedded are reused, as on a writer's machine
    shutil.copytree(demo_settings.index_dir / "cache", tmp_path / "var" / "index" / "cache")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env["KB_MODEL_CACHE_DIR"] = str(onnx_cache)
    ran = []
    for command in commands:
        if command in ("make install", "make write"):
            continue
        result = subprocess.run(
            shlex.split(command), cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        ran.append(command)
    assert len(ran) >= 4
    assert (tmp_path / "articles/hr/dostava/promjena-adrese-dostave.md").is_file()
    assert (tmp_path / "var/index/CURRENT").is_file()
