"""The README documents every setting and command, and the CI runs the README's test command."""

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
