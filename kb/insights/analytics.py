"""Help-center figures from the event log: what a manager reads on /admin and `kb stats`.

Customer-service metrics translated for self-service. Agents are left out of them: their
searches, and the article views, votes and contacts of the sessions agents work in, are
counted apart, as the agent-assist figures (messages pasted, questions, answered share,
replies and drafts copied).

- **search success rate** (quality of answers): answered searches that were clicked, or
  were not followed by a reformulation in the same session;
- **unanswered / zero-result rate**: searches below the confidence threshold / with no
  result at all;
- **click-through rate**: searches followed by a click on one of their results;
- **helpful %** (the help center's CSAT): "yes" votes among all votes;
- **effort** (its CES): searches a session needs before its first click, or before it
  leaves without one;
- **self-service resolution** (its FCR / deflection): sessions that voted an article
  helpful and did not go on to a contact channel afterwards, among sessions that searched
  or read; the **contact rate** is its counterpart.

**Translation demand** ranks articles that answered searches asked in another language
(the search fell back to a language the visitor did not ask in), so translators know
what to translate first.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from kb.insights import schema
from kb.insights.articles import tally
from kb.insights.events import CUSTOMER_SOURCES, EventStore, now
from kb.insights.gaps import REFORMULATION_WINDOW, GapReport
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


@dataclass
class Stats:
    days: int
    lang: str | None
    since: datetime
    searches: int = 0
    sessions: int = 0
    answered: int = 0
    zero_results: int = 0
    successful: int = 0
    clicked: int = 0
    votes: int = 0
    helpful_votes: int = 0
    resolved_sessions: int = 0
    contact_sessions: int = 0
    effort: float | None = None
    agent_messages: int = 0
    agent_questions: int = 0
    agent_answered: int = 0
    agent_copies: int = 0
    agent_drafts: int = 0
    gap_garbage: int = 0
    per_day: list[tuple[date, int, int]] = field(default_factory=list)  # day, all, unanswered
    tables: dict[str, Table] = field(default_factory=dict)

    @staticmethod
    def _pct(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    @property
    def success_rate(self) -> float | None:
        return self._pct(self.successful, self.searches)

    @property
    def unanswered_rate(self) -> float | None:
        return self._pct(self.searches - self.answered, self.searches)

    @property
    def zero_result_rate(self) -> float | None:
        return self._pct(self.zero_results, self.searches)

    @property
    def click_through_rate(self) -> float | None:
        return self._pct(self.clicked, self.searches)

    @property
    def helpful_pct(self) -> float | None:
        return self._pct(self.helpful_votes, self.votes)

    @property
    def resolution_rate(self) -> float | None:
        return self._pct(self.resolved_sessions, self.sessions)

    @property
    def contact_rate(self) -> float | None:
        return self._pct(self.contact_sessions, self.sessions)

    @property
    def agent_answered_rate(self) -> float | None:
        return self._pct(self.agent_answered, self.agent_questions)

    def agent_figures(self) -> list[tuple[str, str, Any]]:
        """What agents did, counted apart from customers: one pasted message is one
        message however many questions it holds."""
        return [
            ("agent_messages", "Messages pasted by agents", self.agent_messages),
            ("agent_questions", "Questions in them", self.agent_questions),
            ("agent_answered_rate", "Questions answered %", self.agent_answered_rate),
            ("agent_copies", "Replies copied", self.agent_copies),
            ("agent_drafts", "Drafts copied", self.agent_drafts),
        ]

    def figures(self) -> list[tuple[str, str, Any]]:
        """(key, label, value) for the headline numbers, in reading order."""
        return [
            ("searches", "Searches", self.searches),
            ("sessions", "Sessions", self.sessions),
            ("success_rate", "Search success rate %", self.success_rate),
            ("unanswered_rate", "Unanswered rate %", self.unanswered_rate),
            ("zero_result_rate", "Zero-result rate %", self.zero_result_rate),
            ("click_through_rate", "Click-through rate %", self.click_through_rate),
            ("helpful_pct", "Helpful % (CSAT)", self.helpful_pct),
            ("effort", "Searches per session before a click (effort)", self.effort),
            ("resolution_rate", "Self-service resolution %", self.resolution_rate),
            ("contact_rate", "Contact rate %", self.contact_rate),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "lang": self.lang,
            "since": self.since.isoformat(),
            **{key: value for key, _, value in self.figures()},
            "agents": {key: value for key, _, value in self.agent_figures()},
            "gap_garbage": self.gap_garbage,
            "per_day": [
                {"day": d.isoformat(), "searches": n, "unanswered": u} for d, n, u in self.per_day
            ],
            "tables": {
                name: [dict(zip(t.columns, row, strict=True)) for row in t.rows]
                for name, t in self.tables.items()
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str)


def compute(
    store: EventStore,
    index: SearchIndex | None = None,
    *,
    days: int = 30,
    lang: str | None = None,
    top: int = 20,
    at: datetime | None = None,
) -> Stats:
    """The dashboard's figures over the last ``days`` days, optionally for one language."""
    end = at or now()
    since = end - timedelta(days=days)
    stats = Stats(days=days, lang=lang, since=since)

    def keep(row: dict[str, Any]) -> bool:
        return row["ts"] <= end and (lang is None or row["lang"] == lang)

    all_searches = [r for r in store.rows(schema.searches, since) if keep(r)]
    messages = [r for r in store.rows(schema.agent_messages, since) if keep(r)]
    copies = [r for r in store.rows(schema.copies, since) if keep(r)]
    # sessions agents work in: their article views and votes are not customers'
    agent_sessions = {r["session_id"] for r in all_searches if r["source"] == "agent"}
    agent_sessions |= {r["session_id"] for r in messages + copies}
    searches = [r for r in all_searches if r["source"] in CUSTOMER_SOURCES]

    def customer(row: dict[str, Any]) -> bool:
        return keep(row) and row["session_id"] not in agent_sessions

    clicks = [r for r in store.rows(schema.clicks, since) if customer(r)]
    votes = [r for r in store.rows(schema.votes, since) if customer(r)]
    contacts = [r for r in store.rows(schema.contacts, since) if customer(r)]
    stats.agent_messages = len(messages)
    stats.agent_questions = sum(int(r["questions"]) for r in messages)
    stats.agent_answered = sum(int(r["answered"]) for r in messages)
    stats.agent_drafts = sum(r["format"] == "draft" for r in copies)
    stats.agent_copies = len(copies) - stats.agent_drafts

    clicked_ids = {r["search_id"] for r in clicks if r["search_id"]}
    by_session: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in searches:
        by_session[row["session_id"]].append(row)
    clicks_at: dict[str, list[datetime]] = defaultdict(list)
    for row in clicks:
        clicks_at[row["session_id"]].append(row["ts"])

    stats.searches = len(searches)
    stats.answered = sum(bool(r["answered"]) for r in searches)
    stats.zero_results = sum(r["results"] == 0 for r in searches)
    stats.clicked = sum(r["id"] in clicked_ids for r in searches)
    efforts = []
    for session, rows in by_session.items():  # each session's searches, oldest first
        for i, row in enumerate(rows):
            if not row["answered"]:
                continue
            reformulated = (
                i + 1 < len(rows)
                and rows[i + 1]["ts"] - row["ts"] <= REFORMULATION_WINDOW
                and rows[i + 1]["query"] != row["query"]
            )
            if row["id"] in clicked_ids or not reformulated:
                stats.successful += 1
        # searches up to the first click that follows a search (an article opened from
        # the home page before searching is not the end of the effort)
        start = rows[0]["ts"]
        clicked_at = min((ts for ts in clicks_at[session] if ts >= start), default=None)
        efforts.append(sum(1 for r in rows if clicked_at is None or r["ts"] <= clicked_at))
    stats.effort = round(sum(efforts) / len(efforts), 2) if efforts else None

    stats.votes = len(votes)
    stats.helpful_votes = sum(bool(v["helpful"]) for v in votes)
    sessions = set(by_session) | {r["session_id"] for r in clicks + contacts}
    stats.sessions = len(sessions)
    contacted: dict[str, datetime] = {}
    for row in contacts:  # oldest first: the last one is the latest contact
        contacted[row["session_id"]] = row["ts"]
    stats.contact_sessions = len(set(contacted) & sessions)
    helped: dict[str, datetime] = {}
    for vote in votes:
        if vote["helpful"] and vote["session_id"] in sessions:
            helped.setdefault(vote["session_id"], vote["ts"])  # oldest first: the first one
    stats.resolved_sessions = sum(
        1 for s, ts in helped.items() if s not in contacted or contacted[s] < ts
    )

    per_day: dict[date, list[int]] = {
        (since + timedelta(days=i + 1)).date(): [0, 0] for i in range(days)
    }
    for row in searches:
        counts = per_day.setdefault(row["ts"].date(), [0, 0])
        counts[0] += 1
        counts[1] += not row["answered"]
    stats.per_day = [(d, n, u) for d, (n, u) in sorted(per_day.items())]

    titles = {(a.lang, a.slug): a.title for a in index.articles.values()} if index else {}
    stats.tables = {
        t.name: t
        for t in (
            _top_queries(searches, clicked_ids, top),
            _top_articles(clicks, votes, titles, top),
            _languages(searches),
            translation_demand(searches, index, top),
            Table(
                "per_day",
                "Searches per day",
                ("day", "searches", "unanswered"),
                [(d.isoformat(), n, u) for d, n, u in stats.per_day],
            ),
        )
    }
    return stats


def _top_queries(searches: list[dict[str, Any]], clicked: set[str], top: int) -> Table:
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


def _top_articles(
    clicks: list[dict[str, Any]],
    votes: list[dict[str, Any]],
    titles: dict[tuple[str, str], str],
    top: int,
) -> Table:
    stats = tally(clicks, votes)
    keys = sorted(stats, key=lambda k: (-stats[k].views, -stats[k].yes, k))
    rows = []
    for key in keys[:top]:
        entry = stats[key]
        rows.append(
            (
                titles.get(key, key[1]),
                key[0],
                key[1],
                entry.views,
                entry.from_search,
                entry.yes,
                entry.no,
                entry.helpful_pct,
            )
        )
    return Table(
        "top_articles",
        "Top articles",
        ("title", "lang", "slug", "views", "from_search", "helpful", "not_helpful", "helpful_pct"),
        rows,
    )


def _languages(searches: list[dict[str, Any]]) -> Table:
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
