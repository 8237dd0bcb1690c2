"""The `kb` command: the composition root that wires kb, indexer and web together.

It is the only part of `kb` that imports `indexer` or `web` (docs/architecture.md). Each
command is a few lines around a library call, grouped by who runs it: writers
(:mod:`kb.cli.content`), the site (:mod:`kb.cli.site`), searching and search quality
(:mod:`kb.cli.searching`), reports (:mod:`kb.cli.insights`).
"""

from __future__ import annotations

import sys

import typer

from kb.cli import content, insights, searching, site

app = typer.Typer(
    help="Help center: build the search index, search it, serve the site.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (content.app, site.app, searching.app, insights.app):
    app.registered_commands += group.registered_commands
app.add_typer(insights.events_app, name="events")
app.add_typer(insights.synonyms_app, name="synonyms")


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())
