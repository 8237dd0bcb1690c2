"""The dashboard's tables: top queries and articles, languages, translation demand, gaps.

Each is a titled :class:`Table` so /admin renders it and offers it as CSV, and `kb stats
--table NAME` prints the same CSV: one shape for every table a manager reads.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from kb.insights.articles import tally
from kb.insights.gaps import GapReport
from kb.search.index import SearchIndex
from kb.text import query_key


@dataclass(frozen=True)
class Table:
    """A titled table: rendered on the dashboard and downloadable as CSV."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return out.getvalue()


def top_queries(searches: list[dict[str, Any]], clicked: set[str], top: int) -> Table:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in searches:
        groups[query_key(row["query"])].append(row)
    rows = []
    for rows_ in sorted(groups.values(), key=lambda g: (-len(g), g[0]["query"]))[:top]:
        n = len(rows_)
        shown = Counter(r["query"] for r in rows_).most_common(1)[0][0]
        rows.append(
            (
                shown,
                rows_[0]["lang"] or "",
                n,
                round(100 * sum(bool(r["answered"]) for r in rows_) / n),
                round(100 * sum(r["id"] in clicked for r in rows_) / n),
            )
        )
    return Table(
        "top_queries",
        "Top queries",
        ("query", "lang", "searches", "answered_pct", "clicked_pct"),
        rows,
    )


def top_articles(
    clicks: list[dict[str, Any]],
    votes: list[dict[str, Any]],
    titles: dict[tuple[str, str], str],
    top: int,
) -> Table:
    stats = tally(clicks, votes)  # the same per-article tally as the article-quality page
    keys = sorted(stats, key=lambda k: (-stats[k].views, -stats[k].yes, k))
    rows = [
        (
            titles.get(key, key[1]),
            key[0],
            key[1],
            stats[key].views,
            stats[key].from_search,
            stats[key].yes,
            stats[key].no,
            stats[key].helpful_pct,
        )
        for key in keys[:top]
    ]
    return Table(
        "top_articles",
        "Top articles",
        ("title", "lang", "slug", "views", "from_search", "helpful", "not_helpful", "helpful_pct"),
        rows,
    )


def languages(searches: list[dict[str, Any]]) -> Table:
    by_lang: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in searches:
        by_lang[row["lang"] or "?"].append(row)
    total = len(searches) or 1
    rows = [
        (
            lg,
            len(rows_),
            round(100 * len(rows_) / total, 1),
            round(100 * sum(not r["answered"] for r in rows_) / len(rows_), 1),
        )
        for lg, rows_ in sorted(by_lang.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    return Table(
        "languages",
        "Language split",
        ("lang", "searches", "share_pct", "unanswered_pct"),
        rows,
    )


def translation_demand(
    searches: list[dict[str, Any]], index: SearchIndex | None, top: int = 20
) -> Table:
    """Articles that answered searches asked in a language they are not written in.

    An article that has since been translated into the asked language drops out: the
    demand is met. Ranked by distinct sessions, then searches.
    """
    translated: set[tuple[str, str]] = set()  # (translation_key, lang) pairs that exist
    keys: dict[tuple[str, str], str | None] = {}
    titles: dict[tuple[str, str], str] = {}
    if index is not None:
        for article in index.articles.values():
            keys[(article.lang, article.slug)] = article.translation_key
            titles[(article.lang, article.slug)] = article.title
            if article.translation_key:
                translated.add((article.translation_key, article.lang))
    demand: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in searches:
        hit_lang, asked = row.get("hit_lang"), row["lang"]
        if not row["answered"] or not hit_lang or not asked or hit_lang == asked:
            continue
        slugs = json.loads(row["slugs"] or "[]")
        if not slugs:
            continue
        key = keys.get((hit_lang, slugs[0]))
        if key and (key, asked) in translated:
            continue
        demand[(asked, hit_lang, slugs[0])].append(row)
    ranked = sorted(
        demand.items(),
        key=lambda kv: (-len({r["session_id"] for r in kv[1]}), -len(kv[1]), kv[0]),
    )
    rows = []
    for (asked, hit_lang, slug), rows_ in ranked[:top]:
        examples = [q for q, _ in Counter(r["query"] for r in rows_).most_common(3)]
        rows.append(
            (
                asked,
                titles.get((hit_lang, slug), slug),
                hit_lang,
                slug,
                len({r["session_id"] for r in rows_}),
                len(rows_),
                " | ".join(examples),
            )
        )
    return Table(
        "translation_demand",
        "Translation demand",
        ("needed_in", "article", "written_in", "slug", "sessions", "searches", "example_queries"),
        rows,
    )


def gap_table(report: GapReport, top: int = 10) -> Table:
    """The biggest open content gaps (from kb.insights.gaps) in the dashboard's table shape."""
    return Table(
        "gaps",
        "Top gap topics",
        ("lang", "topic", "searches", "sessions", "by_agents", "trend", "nearest_article"),
        [
            (
                t.lang,
                t.representative,
                t.searches,
                t.sessions,
                t.agent_searches,
                t.trend_label,
                t.nearest_title or "",
            )
            for t in report.topics[:top]
        ],
    )
