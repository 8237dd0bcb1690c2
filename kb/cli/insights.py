"""What the help center learned: stats, content gaps, synonyms, and event retention."""

from __future__ import annotations

from typing import Annotated

import typer

from kb.cli.common import (
    Format,
    FormatOption,
    IndexOption,
    LangOption,
    SinceOption,
    event_store,
    fail,
    friendly_errors,
    print_json,
    searcher_or_none,
    settings,
)

app = typer.Typer()
events_app = typer.Typer(help="The event store: searches, clicks and votes.", no_args_is_help=True)
synonyms_app = typer.Typer(help="Synonyms for the lexical search.", no_args_is_help=True)


@events_app.command("prune")
def events_prune(
    days: Annotated[
        int | None, typer.Option(help="Keep this many days [KB_RETENTION_DAYS].")
    ] = None,
) -> None:
    """Delete events older than the retention period."""
    with friendly_errors():
        config = settings()
        with event_store(config) as store:
            deleted = store.prune(days if days is not None else config.retention_days)
    typer.echo(", ".join(f"{table}: {n} deleted" for table, n in deleted.items()))


@app.command()
def gaps(
    since: SinceOption = 30,
    lang: LangOption = None,
    output: FormatOption = Format.table,
    index_dir: IndexOption = None,
) -> None:
    """Content gaps: unanswered questions grouped by meaning, largest first."""
    from kb.cli.render import print_gaps
    from kb.insights.gaps import gap_report, to_csv
    from kb.models.embeddings import embedder_for

    with friendly_errors():
        config = settings(index_dir=index_dir)
        searcher = searcher_or_none(config, "nearest articles")
        with event_store(config) as store:
            report = gap_report(store, embedder_for(config), searcher, since_days=since, lang=lang)
    if output is Format.json:
        print_json(report.to_dict())
    elif output is Format.csv:
        typer.echo(to_csv(report.topics), nl=False)
    else:
        print_gaps(report)


@app.command()
def stats(
    since: SinceOption = 30,
    lang: LangOption = None,
    output: FormatOption = Format.table,
    table: Annotated[
        str | None, typer.Option(help="Print one table as CSV (top_queries, gaps, ...).")
    ] = None,
    no_gaps: Annotated[
        bool, typer.Option("--no-gaps", help="Skip gap topics (they load the model).")
    ] = False,
    index_dir: IndexOption = None,
) -> None:
    """The dashboard's figures: success, unanswered, CTR, helpful %, effort, resolution."""
    from kb.cli.render import print_stats
    from kb.insights.analytics import dashboard

    with friendly_errors():
        config = settings(index_dir=index_dir)
        searcher = None if no_gaps else searcher_or_none(config, "article titles or gap topics")
        with event_store(config) as store:
            result = dashboard(store, searcher, days=since, lang=lang)
    if table is not None or output is Format.csv:
        if table not in result.tables:
            fail(f"no table {table!r}; there are: {', '.join(result.tables)}", 2)
        typer.echo(result.tables[table].to_csv(), nl=False)
    elif output is Format.json:
        typer.echo(result.to_json())
    else:
        print_stats(result, since, lang)


@synonyms_app.command("suggest")
def synonyms_suggest(
    since: Annotated[int, typer.Option(help="Look back this many days.")] = 90,
) -> None:
    """Suggest synonym pairs from failed queries that were reformulated into a hit."""
    from kb.cli.render import print_synonyms
    from kb.insights.synonyms import suggest

    with friendly_errors(), event_store(settings()) as store:
        suggestions = suggest(store, since)
    print_synonyms(suggestions)
