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

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kb.insights import schema
from kb.insights.events import CUSTOMER_SOURCES, EventStore, now
from kb.insights.gaps import REFORMULATION_WINDOW, gap_report
from kb.insights.tables import (
    Table,
    gap_table,
    languages,
    top_articles,
    top_queries,
    translation_demand,
)
from kb.search.index import SearchIndex

if TYPE_CHECKING:
    from kb.search.searcher import Searcher


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


@dataclass(frozen=True)
class _Events:
    """One period's rows, agents' sessions told apart from customers'."""

    searches: list[dict[str, Any]]  # customers' only
    clicks: list[dict[str, Any]]
    votes: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    messages: list[dict[str, Any]]  # agents' pasted messages
    copies: list[dict[str, Any]]  # agents' copied replies


def _events(store: EventStore, since: datetime, end: datetime, lang: str | None) -> _Events:
    def keep(row: dict[str, Any]) -> bool:
        return row["ts"] <= end and (lang is None or row["lang"] == lang)

    all_searches = [r for r in store.rows(schema.searches, since) if keep(r)]
    messages = [r for r in store.rows(schema.agent_messages, since) if keep(r)]
    copies = [r for r in store.rows(schema.copies, since) if keep(r)]
    # sessions agents work in: their article views and votes are not customers'
    agent_sessions = {r["session_id"] for r in all_searches if r["source"] == "agent"}
    agent_sessions |= {r["session_id"] for r in messages + copies}

    def customer(row: dict[str, Any]) -> bool:
        return keep(row) and row["session_id"] not in agent_sessions

    return _Events(
        [r for r in all_searches if r["source"] in CUSTOMER_SOURCES],
        [r for r in store.rows(schema.clicks, since) if customer(r)],
        [r for r in store.rows(schema.votes, since) if customer(r)],
        [r for r in store.rows(schema.contacts, since) if customer(r)],
        messages,
        copies,
    )


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
    ev = _events(store, since, end, lang)
    _count_agents(stats, ev)
    clicked_ids = {r["search_id"] for r in ev.clicks if r["search_id"]}
    _count_searches(stats, ev, clicked_ids)
    _count_sessions(stats, ev)
    stats.per_day = _per_day(ev.searches, since, days)
    titles = {(a.lang, a.slug): a.title for a in index.articles.values()} if index else {}
    stats.tables = {
        t.name: t
        for t in (
            top_queries(ev.searches, clicked_ids, top),
            top_articles(ev.clicks, ev.votes, titles, top),
            languages(ev.searches),
            translation_demand(ev.searches, index, top),
            Table(
                "per_day",
                "Searches per day",
                ("day", "searches", "unanswered"),
                [(d.isoformat(), n, u) for d, n, u in stats.per_day],
            ),
        )
    }
    return stats


def dashboard(
    store: EventStore, searcher: Searcher | None, *, days: int = 30, lang: str | None = None
) -> Stats:
    """Figures, tables and (with a searcher: they need the model) the top gap topics."""
    stats = compute(store, searcher.index if searcher else None, days=days, lang=lang)
    if searcher is not None:
        report = gap_report(store, searcher.embedder, searcher, since_days=days, lang=lang)
        stats.tables["gaps"] = gap_table(report)
        stats.gap_garbage = report.garbage_count
    return stats


def _count_agents(stats: Stats, ev: _Events) -> None:
    stats.agent_messages = len(ev.messages)
    stats.agent_questions = sum(int(r["questions"]) for r in ev.messages)
    stats.agent_answered = sum(int(r["answered"]) for r in ev.messages)
    stats.agent_drafts = sum(r["format"] == "draft" for r in ev.copies)
    stats.agent_copies = len(ev.copies) - stats.agent_drafts


def _count_searches(stats: Stats, ev: _Events, clicked_ids: set[str]) -> None:
    """Answered, clicked and successful searches, and the effort per session."""
    by_session: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in ev.searches:
        by_session[row["session_id"]].append(row)
    clicks_at: dict[str, list[datetime]] = defaultdict(list)
    for row in ev.clicks:
        clicks_at[row["session_id"]].append(row["ts"])
    stats.searches = len(ev.searches)
    stats.answered = sum(bool(r["answered"]) for r in ev.searches)
    stats.zero_results = sum(r["results"] == 0 for r in ev.searches)
    stats.clicked = sum(r["id"] in clicked_ids for r in ev.searches)
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


def _count_sessions(stats: Stats, ev: _Events) -> None:
    """Votes, and sessions resolved (voted helpful, no contact after) or contacting."""
    stats.votes = len(ev.votes)
    stats.helpful_votes = sum(bool(v["helpful"]) for v in ev.votes)
    sessions = {r["session_id"] for r in ev.searches + ev.clicks + ev.contacts}
    stats.sessions = len(sessions)
    contacted: dict[str, datetime] = {}
    for row in ev.contacts:  # oldest first: the last one is the latest contact
        contacted[row["session_id"]] = row["ts"]
    stats.contact_sessions = len(set(contacted) & sessions)
    helped: dict[str, datetime] = {}
    for vote in ev.votes:
        if vote["helpful"] and vote["session_id"] in sessions:
            helped.setdefault(vote["session_id"], vote["ts"])  # oldest first: the first one
    stats.resolved_sessions = sum(
        1 for s, ts in helped.items() if s not in contacted or contacted[s] < ts
    )


def _per_day(
    searches: list[dict[str, Any]], since: datetime, days: int
) -> list[tuple[date, int, int]]:
    per_day: dict[date, list[int]] = {
        (since + timedelta(days=i + 1)).date(): [0, 0] for i in range(days)
    }
    for row in searches:
        counts = per_day.setdefault(row["ts"].date(), [0, 0])
        counts[0] += 1
        counts[1] += not row["answered"]
    return [(d, n, u) for d, (n, u) in sorted(per_day.items())]
