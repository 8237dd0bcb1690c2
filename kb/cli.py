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
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError

from kb.errors import KBError
from kb.settings import Settings

if TYPE_CHECKING:
    from kb.search import Searcher

IndexOption = Annotated[Path | None, typer.Option("--index", help="Index folder [KB_INDEX_DIR].")]

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


def _fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr and an exit code: how every command reports a usage error."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _settings(**overrides: Any) -> Settings:
    changes = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**changes)


def _searcher(settings: Settings) -> Searcher:
    """The configured model and the live index, as every searching command needs them."""
    from kb.embeddings import embedder_for
    from kb.index import SearchIndex
    from kb.search import Searcher

    embedder = embedder_for(settings)
    return Searcher(
        SearchIndex.load(settings.index_dir, embedder.fingerprint),
        embedder,
        threshold_override=settings.answer_threshold,
        max_query_chars=settings.max_query_chars,
    )


def _echo_err(message: str) -> None:
    typer.echo(message, err=True)


def run_index(
    settings: Settings,
    quiet: bool,
    echo: Callable[[str], None] = _echo_err,
    *,
    strict: bool = False,
    publish_to: str | None = None,
) -> int:
    """Build and publish the index; print problems as `path:line: severity: message`.

    Exit code 0: everything published as written; 1: some files have errors (each kept
    as last published or left out; with ``strict``, nothing published at all).
    """
    from indexer.build import build_index
    from kb.distribution import location
    from kb.embeddings import embedder_for

    shared = location(publish_to) if publish_to else None  # a bad URL: before the build
    report = build_index(settings, embedder_for(settings), quiet=quiet, strict=strict)
    for problem in report.problems:
        echo(
            f"{settings.articles_dir / problem.path}:{problem.line}: "
            f"{problem.severity}: {problem.message}"
        )
    if not report.published:
        echo(
            f"nothing published: {len(report.errors)} errors (--strict); "
            "the live index is unchanged"
        )
        return 1
    kept = f", {report.kept} kept as last published" if report.kept else ""
    echo(
        f"indexed {report.articles} articles ({report.chunks} chunks: {report.embedded} "
        f"embedded, {report.reused} reused; {report.index_kind} index) in "
        f"{report.seconds:.1f}s; {report.skipped} left out with errors{kept}, "
        f"{report.drafts} drafts; version {report.version}"
    )
    if shared is not None:
        shared.publish(settings.index_dir / "versions" / report.version)
        echo(f"published version {report.version} to {publish_to}")
    return 1 if report.errors else 0


@app.command()
def index(
    articles: Annotated[
        Path | None, typer.Option(help="Articles folder [KB_ARTICLES_DIR].")
    ] = None,
    index_dir: IndexOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep running; rebuild when articles change.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Publish nothing while any file has an error (CI).")
    ] = False,
    publish_to: Annotated[
        str | None,
        typer.Option(
            "--publish-to",
            help="Also publish the version to this shared location (file:///srv/kb-index), "
            "where servers with KB_INDEX_SOURCE fetch it.",
        ),
    ] = None,
) -> None:
    """Build and publish the search index. A broken file keeps its last published version
    (a new one is left out); exit 1 when any file has an error."""
    with _friendly_errors():
        settings = _settings(articles_dir=articles, index_dir=index_dir)
        code = run_index(settings, quiet, strict=strict, publish_to=publish_to)
    if watch:
        watch_articles(settings, quiet=True, strict=strict, publish_to=publish_to)
    raise typer.Exit(code)


def watch_articles(
    settings: Settings,
    quiet: bool = True,
    stop: Any = None,
    *,
    strict: bool = False,
    on_publish: Callable[[], object] | None = None,
    publish_to: str | None = None,
) -> None:
    """Rebuild (incrementally: only changed sections are embedded) on every change.

    ``on_publish`` runs after each build: `kb serve --reload-content` swaps its site to
    the new index at once instead of at its next poll.
    """
    import importlib

    import watchfiles

    from kb.embeddings import embedder_for

    # the builder and its model are loaded now, not on the writer's first save
    importlib.import_module("indexer.build")
    embedder_for(settings)
    _echo_err(f"watching {settings.articles_dir} for changes (Ctrl+C to stop)")
    for changes in watchfiles.watch(
        settings.articles_dir,
        debounce=_WATCH_DEBOUNCE_MS,
        step=_WATCH_STEP_MS,
        stop_event=stop,
        raise_interrupt=False,
    ):
        names = sorted({Path(p).name for _, p in changes})
        _echo_err(f"changed: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}")
        try:
            run_index(settings, quiet, strict=strict, publish_to=publish_to)
        except (KBError, OSError) as exc:
            _echo_err(f"error: {exc}")
        if on_publish is not None:
            try:
                on_publish()
            except Exception as exc:  # the site keeps polling; the watcher must not die
                _echo_err(f"error: could not swap the site to the new index: {exc}")


def _swapper(application: Any) -> Callable[[], object]:
    def swap() -> object:
        state = getattr(application.state, "kb", None)  # None until the site has started
        return state.reload_if_changed() if state is not None else None

    return swap


# an editor's save is one burst of events: wait this long for quiet, at most the debounce
_WATCH_STEP_MS = 30
_WATCH_DEBOUNCE_MS = 300


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to search for.")],
    lang: Annotated[str | None, typer.Option(help="Language of the articles: hr, en, ...")] = None,
    limit: Annotated[int, typer.Option(help="Number of results.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Output as the HTTP API does.")] = False,
    index_dir: IndexOption = None,
) -> None:
    """Search the index from the command line."""
    with _friendly_errors():
        settings = _settings(index_dir=index_dir)
        result = _searcher(settings).search(query, lang, limit)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    if not result.answered:
        typer.echo("No good answer found. Maybe related:")
    for i, hit in enumerate(result.hits, 1):
        section = f" › {hit.section}" if hit.section else ""
        typer.echo(f"{i:2}. [{hit.confidence_score:.2f} {hit.confidence}] {hit.title}{section}")
        typer.echo(f"    {hit.url}")
        typer.echo(f"    {hit.snippet}")


def ensure_index(settings: Settings, echo: Callable[[str], None] = _echo_err) -> None:
    """Build the index when there is none, the articles changed since the last build, or
    it was built by a kb whose on-disk format or chunking differs, or with another model
    (it would be refused: e.g. an index from before the default model changed)."""
    from indexer.build import source_fingerprint
    from kb.chunks import CHUNKING_VERSION
    from kb.embeddings import embedder_for
    from kb.index import INDEX_FORMAT, read_manifest

    manifest = read_manifest(settings.index_dir)
    if (
        manifest is not None
        and manifest.get("source_fingerprint") == source_fingerprint(settings.articles_dir)
        and manifest.get("format") == INDEX_FORMAT
        and manifest.get("chunking_version") == CHUNKING_VERSION
        and manifest.get("model", {}).get("fingerprint") == embedder_for(settings).fingerprint
    ):
        return
    echo("building the index from " + str(settings.articles_dir) + " ...")
    run_index(settings, quiet=False, echo=echo)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [KB_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [KB_PORT].")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes [KB_WORKERS].", min=1, max=64)
    ] = None,
    no_build: Annotated[
        bool, typer.Option("--no-build", help="Serve the existing index, never build.")
    ] = False,
    reload_content: Annotated[
        bool,
        typer.Option("--reload-content", help="Rebuild on article changes; the site swaps in."),
    ] = False,
) -> None:
    """Serve the help center; builds the index first if it is missing or out of date."""
    import os
    import secrets

    import uvicorn

    from kb.logs import logging_config

    with _friendly_errors():
        settings = _settings(host=host, port=port, workers=workers)
        if settings.index_source:  # built elsewhere: fetch it, never build here
            from kb.distribution import sync

            try:
                sync(settings.index_source, settings.index_dir)
            except (KBError, OSError) as exc:  # the workers keep trying (503 until then)
                _echo_err(f"warning: could not fetch the index from {settings.index_source}: {exc}")
        elif not no_build and settings.articles_dir.is_dir():
            ensure_index(settings)
        from kb.index import read_manifest

        if read_manifest(settings.index_dir) is None and not settings.index_source:
            raise KBError(
                f"no index in {settings.index_dir}: build one with `kb index` "
                f"(articles from {settings.articles_dir})"
            )
        if settings.workers == 1:
            from web.app import create_app

            application: Any = create_app(settings)
        else:
            # each worker builds its app from KB_* variables; they must sign cookies and
            # forms with one key, or a form served by one is refused by another
            if settings.secret_key is None and settings.admin_token is None:
                os.environ["KB_SECRET_KEY"] = secrets.token_hex(32)
            application = "web.app:create_app"
    if reload_content:
        import threading

        # one process: swap its site right after each build; several workers poll
        swap = _swapper(application) if settings.workers == 1 else None
        threading.Thread(
            target=watch_articles, args=(settings,), kwargs={"on_publish": swap}, daemon=True
        ).start()
    typer.echo(
        f"serving the help center on http://{settings.host}:{settings.port}"
        + (f" with {settings.workers} workers" if settings.workers > 1 else ""),
        err=True,
    )
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        workers=settings.workers if settings.workers > 1 else None,
        factory=settings.workers > 1,
        # several workers: Nagle off on every connection, or each response waits ~40 ms
        http="web.nodelay:HTTP" if settings.workers > 1 else "auto",
        log_config=logging_config(settings),
        timeout_graceful_shutdown=20,
    )


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
    index_dir: IndexOption = None,
) -> None:
    """Content gaps: unanswered questions grouped by meaning, largest first."""
    from kb.embeddings import embedder_for
    from kb.events import EventStore
    from kb.gaps import gap_report, to_csv
    from kb.plurals import count

    if output not in ("table", "json", "csv"):
        typer.secho("error: --format must be table, json or csv", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    with _friendly_errors():
        settings = _settings(index_dir=index_dir)
        embedder = embedder_for(settings)
        searcher = None
        try:
            searcher = _searcher(settings)
        except KBError as exc:
            typer.echo(f"note: no nearest articles ({exc})", err=True)
        store = EventStore(settings.database_url).open()
        try:
            report = gap_report(store, embedder, searcher, since_days=since, lang=lang)
        finally:
            store.close()
    if output == "json":
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
    elif output == "csv":
        typer.echo(to_csv(report.topics), nl=False)
    else:
        if not report.topics:
            typer.echo("No unanswered questions in this period.")
        for t in report.topics:
            nearest = f"{t.nearest_slug} ({t.nearest_score:.2f})" if t.nearest_slug else "-"
            agents = f", {count(t.agent_searches, 'search')} by agents" if t.agent_searches else ""
            typer.echo(
                f"{count(t.searches, 'search'):>13} {count(t.sessions, 'session'):>13}  "
                f"[{t.lang}] {t.representative}  (trend {t.trend_label}; nearest {nearest}"
                f"{agents})"
            )
            for example in t.examples[1:4]:
                typer.echo(f"{'':30}- {example}")
        for t in report.answered:
            typer.echo(
                f"answered since {t.answered_since} by {t.answered_by}: [{t.lang}] "
                f"{t.representative} ({count(t.searches, 'search')})"
            )
        if report.garbage_count:
            typer.echo(
                f"{count(report.garbage_count, 'query')} left out as no question "
                "(mojibake, markup, other scripts, only stop words)"
            )


@app.command()
def stats(
    since: Annotated[int, typer.Option(help="Look back this many days.")] = 30,
    lang: Annotated[str | None, typer.Option(help="Only this language.")] = None,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    table: Annotated[
        str | None, typer.Option(help="Print one table as CSV (top_queries, gaps, ...).")
    ] = None,
    no_gaps: Annotated[
        bool, typer.Option("--no-gaps", help="Skip gap topics (they load the model).")
    ] = False,
    index_dir: IndexOption = None,
) -> None:
    """The dashboard's figures: success, unanswered, CTR, helpful %, effort, resolution."""
    from kb import analytics
    from kb.events import EventStore
    from kb.gaps import gap_report

    if output not in ("table", "json"):
        typer.secho("error: --format must be table or json", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    with _friendly_errors():
        settings = _settings(index_dir=index_dir)
        searcher = None
        try:
            searcher = _searcher(settings) if not no_gaps else None
        except KBError as exc:
            typer.echo(f"note: no article titles or gap topics ({exc})", err=True)
        store = EventStore(settings.database_url).open()
        try:
            result = analytics.compute(
                store, searcher.index if searcher else None, days=since, lang=lang
            )
            if searcher is not None:
                report = gap_report(store, searcher.embedder, searcher, since_days=since, lang=lang)
                result.tables["gaps"] = analytics.gap_table(report)
                result.gap_garbage = report.garbage_count
        finally:
            store.close()
    if table is not None:
        if table not in result.tables:
            typer.secho(
                f"error: no table {table!r}; there are: {', '.join(result.tables)}",
                fg=typer.colors.RED,
                err=True,
            )
            raise typer.Exit(2)
        typer.echo(result.tables[table].to_csv(), nl=False)
        return
    if output == "json":
        typer.echo(result.to_json())
        return
    scope = f"last {since} days" + (f", language {lang}" if lang else "")
    typer.echo(f"Help center, {scope}")
    for _key, label, value in result.figures():
        typer.echo(f"  {label:46} {'-' if value is None else value}")
    typer.echo("Agents (counted apart from customers)")
    for _key, label, value in result.agent_figures():
        typer.echo(f"  {label:46} {'-' if value is None else value}")
    for t in result.tables.values():
        if t.name == "per_day" or not t.rows:
            continue
        typer.echo(f"\n{t.title}")
        typer.echo("  " + " | ".join(t.columns))
        for row in t.rows[:10]:
            typer.echo("  " + " | ".join("-" if c is None else str(c) for c in row))


@app.command()
def new(
    title: Annotated[str, typer.Argument(help="The article's title.")],
    lang: Annotated[str | None, typer.Option(help="Language [KB_DEFAULT_LANG].")] = None,
    category: Annotated[str, typer.Option(help="Category folder.")] = "general",
    articles: Annotated[
        Path | None, typer.Option(help="Articles folder [KB_ARTICLES_DIR].")
    ] = None,
) -> None:
    """Write a new article with complete front matter; never overwrites."""
    from kb.check import new_article_text
    from kb.text import slugify

    with _friendly_errors():
        settings = _settings(articles_dir=articles)
        language = (lang or settings.default_lang).lower()
        path = settings.articles_dir / language / slugify(category) / f"{slugify(title)}.md"
        if path.exists():
            raise KBError(f"{path} already exists; choose another title or edit that file")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_article_text(title, language), encoding="utf-8")
    typer.echo(str(path))


@app.command()
def check(
    articles: Annotated[
        Path | None, typer.Option(help="Articles folder [KB_ARTICLES_DIR].")
    ] = None,
    stale_days: Annotated[int, typer.Option(help="Warn about articles older than this.")] = 365,
    near_duplicate: Annotated[
        float | None,
        typer.Option(
            help="Similarity from which two articles are near-duplicates "
            "[the model's own: 0.97 for e5, 0.92 for MiniLM]."
        ),
    ] = None,
    embeddings: Annotated[
        bool | None,
        typer.Option(
            "--embeddings/--no-embeddings",
            help="Near-duplicates: embed every article with the model (slow), or skip them. "
            "Default: reuse the last `kb index`'s vectors for unchanged articles.",
        ),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Warnings fail too.")] = False,
) -> None:
    """Validate the articles without building an index: `path:line: severity: message`."""
    from kb.article_cache import ArticleCache
    from kb.check import check_tree

    with _friendly_errors():
        settings = _settings(articles_dir=articles)
        embedder = None
        if embeddings:
            from kb.embeddings import embedder_for

            embedder = embedder_for(settings)
        cache = ArticleCache(settings.index_dir / "cache")
        findings = check_tree(
            settings.articles_dir,
            default_lang=settings.default_lang,
            embedder=embedder,
            index_dir=settings.index_dir if embeddings is None else None,
            stale_days=stale_days,
            near_duplicate=near_duplicate,
            cache=cache,
        )
        cache.save()
    for finding in findings:
        typer.echo(
            f"{settings.articles_dir / finding.path}:{finding.line}: "
            f"{finding.severity}: {finding.message}"
        )
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    typer.echo(f"{errors} errors, {warnings} warnings", err=True)
    raise typer.Exit(1 if errors or (strict and warnings) else 0)


@app.command()
def impact(
    draft: Annotated[Path, typer.Argument(help="The draft article's file.")],
    since: Annotated[int, typer.Option(help="Look back this many days.")] = 30,
) -> None:
    """What a draft would change: logged unanswered questions it would answer, and the
    articles it would take queries from."""
    import shutil
    import tempfile

    from indexer.build import build_index
    from kb.articles import load_article
    from kb.embeddings import embedder_for
    from kb.events import EventStore
    from kb.impact import draft_impact
    from kb.index import SearchIndex
    from kb.plurals import count
    from kb.search import Searcher

    with _friendly_errors(), tempfile.TemporaryDirectory(prefix="kb-impact-") as tmp:
        settings = _settings()
        root = settings.articles_dir.resolve()
        path = draft.resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise KBError(f"{draft} is not an article file under {settings.articles_dir}")
        article = load_article(path, root, settings.default_lang)
        embedder = embedder_for(settings)
        before = _searcher(settings)
        work = Path(tmp) / "index"
        if (settings.index_dir / "cache").is_dir():  # reuse embeddings: only the draft is new
            shutil.copytree(settings.index_dir / "cache", work / "cache")
        build_index(
            settings.replace(index_dir=work),
            embedder,
            quiet=True,
            publish_drafts=frozenset({article.path}),
        )
        after = Searcher(SearchIndex.load(work, embedder.fingerprint), embedder)
        store = EventStore(settings.database_url).open()
        try:
            result = draft_impact(store, before, after, article.lang, article.slug, since)
        finally:
            store.close()
    typer.echo(
        f"{article.path} ({article.lang}/{article.slug}): checked "
        f"{result.checked_unanswered} unanswered and {result.checked_queries} logged "
        f"queries of the last {since} days"
    )
    if result.would_answer:
        typer.echo("Would now answer:")
        for query, n, score in result.would_answer:
            typer.echo(f"  {n:4}x  {query}  ({score:.2f})")
    else:
        typer.echo("Would answer none of the logged unanswered questions.")
    for slug, n in result.takes_from.most_common():
        typer.echo(f"Takes {count(n, 'query')} from {slug}")


@app.command("suggest")
def suggest_command(
    lang: Annotated[str | None, typer.Option(help="Reply language; detected if unset.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Output as POST /api/suggest.")] = False,
    markdown: Annotated[bool, typer.Option(help="Print the Markdown replies.")] = False,
    base_url: Annotated[
        str | None, typer.Option(help="Site URL for links [KB_PUBLIC_URL].")
    ] = None,
) -> None:
    """Read a customer's message from stdin; print one reply ready to send, then the
    ready-to-paste answers per section."""
    from kb.suggest import suggest

    message = sys.stdin.read()
    if not message.strip():
        typer.secho("error: paste the customer's message on stdin", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    with _friendly_errors():
        settings = _settings()
        searcher = _searcher(settings)
        base = base_url or settings.public_url or f"http://{settings.host}:{settings.port}"
        result = suggest(
            searcher, message, lang, base_url=base, order_pattern=settings.order_number_pattern
        )
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    if result.note:
        typer.echo(f"note: {result.note}\n")
    if result.draft is not None:
        typer.echo("=== Reply ready to send ===")
        typer.echo(result.draft.text + "\n")
        for question in result.draft.uncovered:
            typer.echo(f"    (not answered in the reply: {question})")
    for i, s in enumerate(result.suggestions, 1):
        section = f" › {s.section}" if s.section else ""
        typer.echo(f"=== {i}. {s.title}{section} [{s.confidence}] — answers: {s.question}")
        typer.echo((s.reply_markdown if markdown else s.reply_text) + "\n")


synonyms_app = typer.Typer(help="Synonyms for the lexical search.", no_args_is_help=True)
app.add_typer(synonyms_app, name="synonyms")


@synonyms_app.command("suggest")
def synonyms_suggest(
    since: Annotated[int, typer.Option(help="Look back this many days.")] = 90,
) -> None:
    """Suggest synonym pairs from failed queries that were reformulated into a hit."""
    from kb.events import EventStore
    from kb.synonyms import suggest

    with _friendly_errors():
        settings = _settings()
        store = EventStore(settings.database_url).open()
        try:
            suggestions = suggest(store, since)
        finally:
            store.close()
    if not suggestions:
        typer.echo("No suggestions yet: no failed search was reformulated into a found article.")
    for s in suggestions:
        typer.echo(
            f"[{s.lang}] {s.failed!r} -> {s.worked!r}  ({s.count}x; e.g. "
            f"{s.example[0]!r} -> {s.example[1]!r})"
        )
    if suggestions:
        typer.echo("Add the good ones to articles/<lang>/_synonyms.yml as `- [word, synonym]`.")


def _temporary_index(settings: Settings, articles: Path, work: Path) -> Settings:
    from indexer.build import build_index
    from kb.embeddings import embedder_for

    scratch = settings.replace(articles_dir=articles, index_dir=work / "index")
    report = build_index(scratch, embedder_for(settings), quiet=True)
    typer.echo(
        f"indexed {report.articles} articles, {report.chunks} chunks ({report.skipped} skipped)",
        err=True,
    )
    return scratch


@app.command("eval")
def eval_command(
    corpus: Annotated[Path | None, typer.Option(help="BEIR corpus.jsonl.")] = None,
    queries: Annotated[Path | None, typer.Option(help="BEIR queries.jsonl.")] = None,
    qrels: Annotated[Path | None, typer.Option(help="BEIR qrels .tsv.")] = None,
    articles: Annotated[
        Path | None, typer.Option(help="Articles folder to evaluate with --golden.")
    ] = None,
    golden: Annotated[
        Path | None,
        typer.Option(help="Golden set: lang<TAB>query<TAB>slugs or article paths, `|`-separated."),
    ] = None,
    unanswerable: Annotated[
        list[Path] | None,
        typer.Option(help="Off-topic or near-miss questions (lang<TAB>query); repeatable."),
    ] = None,
    split: Annotated[
        str, typer.Option(help="Half of the labelled sets: test (report), dev (tune) or all.")
    ] = "test",
    lang: Annotated[str, typer.Option(help="Language of a BEIR corpus.")] = "en",
    index_dir: Annotated[
        Path | None,
        typer.Option("--index", help="Evaluate this already-built index instead of building one."),
    ] = None,
    show_failures: Annotated[bool, typer.Option(help="List queries that missed.")] = False,
    evidence: Annotated[
        Path | None,
        typer.Option(
            help="Append each labelled question's top-hit evidence (JSON lines) "
            "for `kb fit-confidence`."
        ),
    ] = None,
) -> None:
    """Measure search quality: hybrid beside its parts and baselines (lexical, whole-article
    BM25, dense, plain reciprocal-rank fusion), and how well the answered decision holds."""
    import tempfile

    from kb import evaluate as ev
    from kb.embeddings import embedder_for
    from kb.index import SearchIndex
    from kb.search import Searcher

    beir = (corpus, queries, qrels)
    if not ((all(beir) and golden is None) or (not any(beir) and golden is not None)):
        _fail("give either --corpus, --queries and --qrels, or --golden (with --articles)", 2)
    if split not in (*ev.SPLITS, "all"):
        _fail(f"--split must be one of {', '.join(ev.SPLITS)}, all", 2)
    half = None if split == "all" else split
    with _friendly_errors(), tempfile.TemporaryDirectory(prefix="kb-eval-") as tmp:
        settings = _settings()
        work = Path(tmp)
        strict = False
        if corpus and queries and qrels:
            ids = ev.beir_to_articles(corpus, work / "articles", lang)
            labelled = [
                q
                for q in ev.load_beir_queries(queries, qrels, ids, lang)
                if half is None or ev.split_of(q.text) == half
            ]
            scratch = _temporary_index(settings, work / "articles", work)
            strict = True
            title = corpus.parent.name
        else:
            assert golden is not None
            labelled = ev.load_golden(golden, half)
            scratch = (
                settings.replace(index_dir=index_dir)
                if index_dir
                else _temporary_index(settings, articles or settings.articles_dir, work)
            )
            title = golden.name
        embedder = embedder_for(settings)
        searcher = Searcher(SearchIndex.load(scratch.index_dir, embedder.fingerprint), embedder)
        labelled = ev.resolve_paths(labelled, searcher.index)
        baseline = ev.ArticleBM25(searcher.index)
        langs = sorted({q.lang or "" for q in labelled})
        for lg in langs if len(langs) > 1 else [None]:
            subset = [q for q in labelled if lg is None or q.lang == lg]
            results = [ev.evaluate(searcher, subset, m, strict, baseline) for m in ev.MODES]
            heading = f"{title} [{split}{', ' + lg if lg else ''}] ({len(subset)} queries)"
            typer.echo(ev.table(results, heading) + "\n")
            if show_failures:
                for text, got, want in results[-1].failures:
                    typer.echo(f"  MISS {text!r}: got {got}, want {want}")
        if unanswerable:
            sets = {p.stem: ev.load_unanswerable(p, half) for p in unanswerable}
            typer.echo(ev.decision_table(ev.decisions(searcher, labelled, sets)) + "\n")
        if evidence:
            rows = ev.evidence_rows(
                searcher, title.split(".")[0], labelled, sets if unanswerable else {}
            )
            with evidence.open("a", encoding="utf-8") as f:
                f.writelines(row.to_json() + "\n" for row in rows)
            typer.echo(f"{len(rows)} evidence rows appended to {evidence}", err=True)


@app.command("fit-confidence")
def fit_confidence(
    evidence: Annotated[list[Path], typer.Argument(help="Files written by kb eval --evidence.")],
    keep: Annotated[float, typer.Option(help="Share of in-domain questions to answer.")] = 0.95,
) -> None:
    """Fit the answer model per language (logistic, numpy) on labelled evidence from
    every help center at once; prints what goes into the model's profile (kb/fusion.py)."""
    from kb.evaluate import EvidenceRow, fit_answer_model

    rows = [
        EvidenceRow.from_json(line)
        for path in evidence
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    for fitted in fit_answer_model(rows, keep):
        typer.echo(
            f"[{fitted.lang}] {fitted.questions} questions: model={fitted.model!r} "
            f"threshold={fitted.threshold} strong={fitted.strong}"
        )


@app.command()
def calibrate(
    golden: Annotated[
        list[Path], typer.Option(help="In-domain queries: lang<TAB>query<TAB>answers; repeatable.")
    ],
    offtopic: Annotated[
        list[Path] | None,
        typer.Option(help="Off-topic or near-miss queries: lang<TAB>query; repeatable."),
    ] = None,
    lang: Annotated[str | None, typer.Option(help="Language of one-per-line queries.")] = None,
    keep: Annotated[float, typer.Option(help="Share of in-domain queries to answer.")] = 0.95,
    split: Annotated[
        str, typer.Option(help="Half of the labelled sets to calibrate on: dev, test or all.")
    ] = "dev",
    index_dir: IndexOption = None,
) -> None:
    """Choose the answer threshold per language from labelled data; write it to the index."""
    from datetime import UTC, datetime

    from kb.evaluate import calibrate as choose
    from kb.evaluate import load_golden, load_unanswerable
    from kb.index import update_manifest

    half = None if split == "all" else split
    with _friendly_errors():
        settings = _settings(index_dir=index_dir)
        searcher = _searcher(settings)
        index = searcher.index
        in_domain = [q for path in golden for q in load_golden(path, half)]
        off = [
            (q_lang or lang, text)
            for path in offtopic or []
            for q_lang, text in load_unanswerable(path, half)
        ]
        # languages not calibrated now keep today's defaults or a current calibration
        profile = searcher.profile
        thresholds = {**profile.thresholds, **profile.current_calibration(index.manifest)}
        report = {}
        for lg in sorted({q.lang or lang or "" for q in in_domain}):
            ins = [
                searcher.search(q.text, prefer=q.lang or lang).hits[0].confidence_score
                for q in in_domain
                if (q.lang or lang or "") == lg
            ]
            outs = [
                searcher.search(text, prefer=q_lang).hits[0].confidence_score
                for q_lang, text in off
                if (q_lang or "") == lg
            ]
            result = choose(ins, outs, lg, keep)
            thresholds[lg] = result.threshold
            report[lg] = result.__dict__
            flagged = (
                "-"
                if result.flagged_off_topic is None
                else f"{result.flagged_off_topic:.0%} of {result.off_topic}"
            )
            typer.echo(
                f"[{lg}] threshold {result.threshold:.3f}: answers "
                f"{result.answered_in_domain:.0%} of {result.in_domain} in-domain, "
                f"flags {flagged} off-topic"
            )
        update_manifest(
            settings.index_dir,
            {
                "answer_thresholds": thresholds,
                "calibration": {
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "golden": [str(p) for p in golden],
                    "offtopic": [str(p) for p in offtopic or []],
                    "split": split,
                    "keep": keep,
                    "confidence": profile.confidence_version,
                    "languages": report,
                },
            },
        )
    typer.echo(f"written to the manifest of {settings.index_dir}; restart or reload the server")


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())
