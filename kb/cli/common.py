"""What every command shares: settings, one-line errors, the searcher, the event store,
option types and output in table / JSON / CSV.

Library errors (KBError) and impossible settings become one line on stderr and an exit
code, never a traceback: the CLI is used by writers, not only by developers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError

from kb.errors import KBError
from kb.settings import Settings

if TYPE_CHECKING:
    from kb.insights.events import EventStore
    from kb.search.searcher import Searcher

IndexOption = Annotated[Path | None, typer.Option("--index", help="Index folder [KB_INDEX_DIR].")]
ArticlesOption = Annotated[
    Path | None, typer.Option("--articles", help="Articles folder [KB_ARTICLES_DIR].")
]
SinceOption = Annotated[int, typer.Option("--since", help="Look back this many days.")]
LangOption = Annotated[str | None, typer.Option("--lang", help="Only this language.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Output as the HTTP API does.")]


class Format(StrEnum):
    """How a report is printed: for people, for scripts, for spreadsheets."""

    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[Format, typer.Option("--format", help="table, json or csv.")]


@contextmanager
def friendly_errors() -> Iterator[None]:
    try:
        yield
    except KBError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    except ValidationError as exc:  # a setting with a value that cannot work
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"])
            message = str(err["msg"]).removeprefix("Value error, ")
            typer.secho(
                f"error: setting {name} (KB_{name.upper()}): {message} (got {err.get('input')!r})",
                fg=typer.colors.RED,
                err=True,
            )
        raise typer.Exit(2) from None


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr and an exit code: how every command reports a usage error."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def note(message: str) -> None:
    typer.echo(message, err=True)


def settings(**overrides: Any) -> Settings:
    """The configured settings with the command's options (those given) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def searcher(config: Settings) -> Searcher:
    """The configured model and the live index, as every searching command needs them."""
    from kb.search.searcher import open_searcher

    return open_searcher(config)


def searcher_or_none(config: Settings, without: str) -> Searcher | None:
    """The searcher, or None with a note saying what the report will lack without it."""
    try:
        return searcher(config)
    except KBError as exc:
        note(f"note: no {without} ({exc})")
        return None


@contextmanager
def event_store(config: Settings) -> Iterator[EventStore]:
    from kb.insights.events import EventStore

    store = EventStore(config.database_url).open()
    try:
        yield store
    finally:
        store.close()


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
