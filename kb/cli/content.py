"""Writers' commands: build the index, start an article, check articles, weigh a draft."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kb.cli.common import (
    ArticlesOption,
    IndexOption,
    SinceOption,
    event_store,
    friendly_errors,
    settings,
)
from kb.errors import KBError
from kb.plurals import count

app = typer.Typer()


@app.command()
def index(
    articles: ArticlesOption = None,
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
    from indexer.runner import run_index, watch_articles

    with friendly_errors():
        config = settings(articles_dir=articles, index_dir=index_dir)
        code = run_index(config, quiet, strict=strict, publish_to=publish_to)
    if watch:
        watch_articles(config, quiet=True, strict=strict, publish_to=publish_to)
    raise typer.Exit(code)


@app.command()
def new(
    title: Annotated[str, typer.Argument(help="The article's title.")],
    lang: Annotated[str | None, typer.Option(help="Language [KB_DEFAULT_LANG].")] = None,
    category: Annotated[str, typer.Option(help="Category folder.")] = "general",
    articles: ArticlesOption = None,
) -> None:
    """Write a new article with complete front matter; never overwrites."""
    from kb.content.check import new_article_text
    from kb.text import slugify

    with friendly_errors():
        config = settings(articles_dir=articles)
        language = (lang or config.default_lang).lower()
        path = config.articles_dir / language / slugify(category) / f"{slugify(title)}.md"
        if path.exists():
            raise KBError(f"{path} already exists; choose another title or edit that file")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_article_text(title, language), encoding="utf-8")
    typer.echo(str(path))


@app.command()
def check(
    articles: ArticlesOption = None,
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
    from kb.content.check import check_articles

    with friendly_errors():
        config = settings(articles_dir=articles)
        problems = check_articles(config, stale_days, near_duplicate, embeddings)
    for problem in problems:
        typer.echo(
            f"{config.articles_dir / problem.path}:{problem.line}: "
            f"{problem.severity}: {problem.message}"
        )
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    typer.echo(f"{count(errors, 'error')}, {count(warnings, 'warning')}", err=True)
    raise typer.Exit(1 if errors or (strict and warnings) else 0)


@app.command()
def impact(
    draft: Annotated[Path, typer.Argument(help="The draft article's file.")],
    since: SinceOption = 30,
) -> None:
    """What a draft would change: logged unanswered questions it would answer, and the
    articles it would take queries from."""
    from indexer.drafts import with_draft
    from kb.cli.render import print_impact
    from kb.insights.impact import draft_impact

    with (
        friendly_errors(),
        with_draft(settings(), draft) as (article, before, after),
        event_store(settings()) as store,
    ):
        result = draft_impact(store, before, after, article.lang, article.slug, since)
    print_impact(article, result, since)
