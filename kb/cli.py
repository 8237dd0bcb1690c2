"""The `kb` command: the composition root that wires kb, indexer and web together.

Each command is a few lines around a library call; library errors (KBError) become a
one-line message and exit code 1, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from kb.errors import KBError
from kb.settings import Settings

app = typer.Typer(
    help="Help center: build the search index, search it, serve the site.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@contextmanager
def _friendly_errors() -> Iterator[None]:
    try:
        yield
    except KBError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    except ValueError as exc:  # settings validation
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


def _settings(**overrides: Any) -> Settings:
    changes = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**changes)


def _echo_err(message: str) -> None:
    typer.echo(message, err=True)


def run_index(settings: Settings, quiet: bool, echo: Callable[[str], None] = _echo_err) -> int:
    """Build the index; print problems as `path:line: message`; exit code 1 if any errors."""
    from indexer.build import build_index
    from kb.embeddings import load_embedder

    report = build_index(settings, load_embedder(settings.model), quiet=quiet)
    for problem in report.problems:
        echo(
            f"{settings.articles_dir / problem.path}:{problem.line}: "
            f"{problem.severity}: {problem.message}"
        )
    echo(
        f"indexed {report.articles} articles ({report.chunks} chunks: {report.embedded} "
        f"embedded, {report.reused} reused; {report.index_kind} index) in "
        f"{report.seconds:.1f}s; skipped {report.skipped} with errors, {report.drafts} drafts; "
        f"version {report.version}"
    )
    return 1 if report.errors else 0


@app.command()
def index(
    articles: Annotated[
        Path | None, typer.Option(help="Articles folder [KB_ARTICLES_DIR].")
    ] = None,
    index_dir: Annotated[
        Path | None, typer.Option("--index", help="Index folder [KB_INDEX_DIR].")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Build the search index from the articles folder (broken files are reported, skipped)."""
    with _friendly_errors():
        settings = _settings(articles_dir=articles, index_dir=index_dir)
        code = run_index(settings, quiet)
    raise typer.Exit(code)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to search for.")],
    lang: Annotated[str | None, typer.Option(help="Language of the articles: hr, en, ...")] = None,
    limit: Annotated[int, typer.Option(help="Number of results.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Output as the HTTP API does.")] = False,
    index_dir: Annotated[
        Path | None, typer.Option("--index", help="Index folder [KB_INDEX_DIR].")
    ] = None,
) -> None:
    """Search the index from the command line."""
    from kb.embeddings import load_embedder
    from kb.index import SearchIndex
    from kb.search import Searcher

    with _friendly_errors():
        settings = _settings(index_dir=index_dir)
        embedder = load_embedder(settings.model)
        idx = SearchIndex.load(settings.index_dir, embedder.fingerprint)
        result = Searcher(
            idx,
            embedder,
            threshold_override=settings.answer_threshold,
            max_query_chars=settings.max_query_chars,
        ).search(query, lang, limit)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    if not result.answered:
        typer.echo("No good answer found. Maybe related:")
    for i, hit in enumerate(result.hits, 1):
        section = f" › {hit.section}" if hit.section else ""
        typer.echo(f"{i:2}. [{hit.score:.2f} {hit.confidence}] {hit.title}{section}")
        typer.echo(f"    {hit.url}")
        typer.echo(f"    {hit.snippet}")


def ensure_index(settings: Settings, echo: Callable[[str], None] = _echo_err) -> None:
    """Build the index when there is none or the articles changed since the last build."""
    from indexer.build import source_fingerprint
    from kb.index import read_manifest

    manifest = read_manifest(settings.index_dir)
    if manifest is not None and manifest.get("source_fingerprint") == source_fingerprint(
        settings.articles_dir
    ):
        return
    echo("building the index from " + str(settings.articles_dir) + " ...")
    run_index(settings, quiet=False, echo=echo)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [KB_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [KB_PORT].")] = None,
    no_build: Annotated[
        bool, typer.Option("--no-build", help="Serve the existing index, never build.")
    ] = False,
) -> None:
    """Serve the help center; builds the index first if it is missing or out of date."""
    import uvicorn

    from web.app import create_app

    with _friendly_errors():
        settings = _settings(host=host, port=port)
        if not no_build and settings.articles_dir.is_dir():
            ensure_index(settings)
        application = create_app(settings)
    typer.echo(f"serving the help center on http://{settings.host}:{settings.port}", err=True)
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")


events_app = typer.Typer(help="The event store: searches, clicks and votes.", no_args_is_help=True)
app.add_typer(events_app, name="events")


@events_app.command("prune")
def events_prune(
    days: Annotated[
        int | None, typer.Option(help="Keep this many days [KB_RETENTION_DAYS].")
    ] = None,
) -> None:
    """Delete events older than the retention period."""
    from kb.events import EventStore

    with _friendly_errors():
        settings = _settings()
        store = EventStore(settings.database_url).open()
        try:
            deleted = store.prune(days if days is not None else settings.retention_days)
        finally:
            store.close()
    typer.echo(", ".join(f"{table}: {n} deleted" for table, n in deleted.items()))


@app.command()
def gaps(
    since: Annotated[int, typer.Option(help="Look back this many days.")] = 30,
    lang: Annotated[str | None, typer.Option(help="Only this language.")] = None,
    output: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    index_dir: Annotated[
        Path | None, typer.Option("--index", help="Index folder [KB_INDEX_DIR].")
    ] = None,
) -> None:
    """Content gaps: unanswered questions grouped by meaning, largest first."""
    from kb.embeddings import load_embedder
    from kb.events import EventStore
    from kb.gaps import gap_report, to_csv
    from kb.index import SearchIndex
    from kb.search import Searcher

    if output not in ("table", "json", "csv"):
        typer.secho("error: --format must be table, json or csv", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    with _friendly_errors():
        settings = _settings(index_dir=index_dir)
        embedder = load_embedder(settings.model)
        searcher = None
        try:
            searcher = Searcher(
                SearchIndex.load(settings.index_dir, embedder.fingerprint), embedder
            )
        except KBError as exc:
            typer.echo(f"note: no nearest articles ({exc})", err=True)
        store = EventStore(settings.database_url).open()
        try:
            topics = gap_report(store, embedder, searcher, since_days=since, lang=lang)
        finally:
            store.close()
    if output == "json":
        typer.echo(
            json.dumps([t.to_dict() for t in topics], ensure_ascii=False, indent=2, default=str)
        )
    elif output == "csv":
        typer.echo(to_csv(topics), nl=False)
    else:
        if not topics:
            typer.echo("No unanswered questions in this period.")
        for t in topics:
            nearest = f"{t.nearest_slug} ({t.nearest_score:.2f})" if t.nearest_slug else "-"
            typer.echo(
                f"{t.searches:4} searches {t.sessions:3} sessions  [{t.lang}] "
                f"{t.representative}  (trend {t.trend_label}; nearest {nearest})"
            )
            for example in t.examples[1:4]:
                typer.echo(f"{'':26}- {example}")


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())
