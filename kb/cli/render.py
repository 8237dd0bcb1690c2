"""Reports printed for people: the table format of each command, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from kb.plurals import count

if TYPE_CHECKING:
    from kb.assist.suggest import SuggestResult
    from kb.content.articles import Article
    from kb.insights.analytics import Stats
    from kb.insights.gaps import GapReport
    from kb.insights.impact import Impact
    from kb.insights.synonyms import Suggestion
    from kb.search.searcher import SearchResult


def print_hits(result: SearchResult) -> None:
    if not result.answered:
        typer.echo("No good answer found. Maybe related:")
    for i, hit in enumerate(result.hits, 1):
        section = f" › {hit.section}" if hit.section else ""
        typer.echo(f"{i:2}. [{hit.confidence_score:.2f} {hit.confidence}] {hit.title}{section}")
        typer.echo(f"    {hit.url}")
        typer.echo(f"    {hit.snippet}")


def print_gaps(report: GapReport) -> None:
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


def print_stats(result: Stats, since: int, lang: str | None) -> None:
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


def print_impact(article: Article, result: Impact, since: int) -> None:
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


def print_suggestions(result: SuggestResult, markdown: bool) -> None:
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


def print_synonyms(suggestions: list[Suggestion]) -> None:
    if not suggestions:
        typer.echo("No suggestions yet: no failed search was reformulated into a found article.")
        return
    for s in suggestions:
        typer.echo(
            f"[{s.lang}] {s.failed!r} -> {s.worked!r}  ({s.count}x; e.g. "
            f"{s.example[0]!r} -> {s.example[1]!r})"
        )
    typer.echo("Add the good ones to articles/<lang>/_synonyms.yml as `- [word, synonym]`.")
