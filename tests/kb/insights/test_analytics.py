"""Dashboard figures from a real event log (SQLite file), for a scripted set of visits."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.insights import analytics
from kb.insights.events import EventStore
from kb.search.index import SearchIndex


def search(store: EventStore, session: str, query: str, lang: str, **kw: object) -> str:
    args: dict = {
        "session_id": session,
        "query": query,
        "lang": lang,
        "results": 3,
        "best_score": 0.8,
        "answered": True,
        "slugs": ["refunds"],
        "latency_ms": 5.0,
        "hit_lang": lang,
    }
    args.update(kw)
    return store.record_search(**args)


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    """Four customer sessions and one agent search.

    A (hr) searched once, read, found it helpful.  B (en) asked, asked again in other
    words, read, voted not helpful and e-mailed support.  C (en) found nothing and left.
    D (hr) was answered only by an English article.
    """
    s = EventStore(f"sqlite:///{tmp_path / 'events.sqlite3'}").open()
    a = search(s, "A", "dostava na otoke", "hr", slugs=["dostava"])
    s.record_click(session_id="A", lang="hr", slug="dostava", search_id=a, position=1)
    s.record_vote(session_id="A", lang="hr", slug="dostava", helpful=True, search_id=a)
    search(s, "B", "refund", "en")
    b2 = search(s, "B", "money back", "en")
    s.record_click(session_id="B", lang="en", slug="refunds", search_id=b2, position=1)
    s.record_vote(session_id="B", lang="en", slug="refunds", helpful=False, search_id=b2)
    s.record_contact(session_id="B", lang="en", channel="email", query="money back")
    search(s, "C", "xyzzy", "en", results=0, answered=False, slugs=[], best_score=None)
    search(s, "D", "povrat novca", "hr", hit_lang="en", slugs=["refunds"])
    search(s, "agent1", "refund for a customer", "en", source="agent")
    assert s.flush()
    return s


def test_headline_figures_follow_their_definitions(store: EventStore) -> None:
    stats = analytics.compute(store, days=7)
    assert stats.searches == 5  # the agent's search is not a customer's
    assert stats.sessions == 4
    assert stats.unanswered_rate == 20.0 and stats.zero_result_rate == 20.0
    # A, B's second and D succeed; B's first was reformulated without a click
    assert stats.success_rate == 60.0
    assert stats.click_through_rate == 40.0
    assert stats.helpful_pct == 50.0
    assert stats.effort == 1.25  # A 1, B 2, C 1, D 1
    assert stats.resolution_rate == 25.0  # only A: B contacted support
    assert stats.contact_rate == 25.0
    assert sum(n for _, n, _ in stats.per_day) == 5
    assert len(stats.per_day) >= 7


def test_a_language_filter_keeps_only_that_languages_events(store: EventStore) -> None:
    stats = analytics.compute(store, days=7, lang="hr")
    assert (stats.searches, stats.sessions, stats.resolution_rate) == (2, 2, 50.0)
    assert stats.tables["languages"].rows == [("hr", 2, 100.0, 0.0)]


def test_tables_rank_queries_articles_and_languages(store: EventStore) -> None:
    tables = analytics.compute(store, days=7).tables
    assert [r[0] for r in tables["top_queries"].rows][:1] == ["dostava na otoke"]
    articles = {r[2]: r for r in tables["top_articles"].rows}
    assert articles["refunds"][3:] == (1, 1, 0, 1, 0)  # views, from search, yes, no, %
    assert tables["languages"].rows[0][:2] in {("en", 3), ("hr", 2)}
    csv_text = tables["top_articles"].to_csv()
    assert (
        csv_text.splitlines()[0]
        == "title,lang,slug,views,from_search,helpful,not_helpful,helpful_pct"
    )


def test_translation_demand_lists_articles_missing_in_the_asked_language(
    store: EventStore, tmp_path: Path
) -> None:
    demand = analytics.compute(store, days=7).tables["translation_demand"]
    assert demand.rows == [("hr", "refunds", "en", "refunds", 1, 1, "povrat novca")]


def test_translation_demand_drops_articles_that_have_been_translated(
    store: EventStore, demo_settings, demo_build
) -> None:
    """In the demo content "refunds" exists in Croatian too, so there is nothing to do."""
    index = SearchIndex.load(demo_settings.index_dir)
    assert analytics.compute(store, index, days=7).tables["translation_demand"].rows == []


def test_old_events_fall_outside_the_period(store: EventStore) -> None:
    from datetime import timedelta

    from kb.insights.events import now

    later = analytics.compute(store, days=1, at=now() + timedelta(days=3))
    assert later.searches == 0 and later.success_rate is None and later.effort is None
    assert later.to_dict()["searches"] == 0
