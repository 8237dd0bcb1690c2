"""Draft impact: before a draft is published, which logged questions would it answer, and
which articles would it take questions from? Run on a real index of the demo's ordering
articles, built once without the drafts (the live site) and once per draft with it
published (what `kb impact` builds), against searches logged in a real SQLite store the
way the site logs them: answered or not as the live index answered."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from indexer.build import BuildReport, build_index
from kb.insights import events
from kb.insights.events import EventStore
from kb.insights.impact import Impact, draft_impact
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.search.index import SearchIndex
from kb.search.searcher import Searcher
from kb.settings import Settings
from tests.helpers import ARTICLES, REFURBISHED_DRAFT, write

# a new topic carved out of an existing article (product-availability covers it today)
BACK_IN_STOCK = """---
title: Back-in-stock e-mails
description: How the Notify me button works and when the e-mail comes.
tags: [notify me, back in stock, restock alert]
draft: true
---
Click Notify me on a sold-out product's page and we e-mail you once when it is back in stock.

## When will a sold-out product be back in stock?

Most products are restocked within two to three weeks; the e-mail comes the day they arrive.
"""
DRAFTS = {
    "refurbished-phones": ("en/ordering/refurbished-phones.md", REFURBISHED_DRAFT),
    "back-in-stock": ("en/ordering/back-in-stock.md", BACK_IN_STOCK),
}

# (query, language, times asked, days ago): each time by a visitor of their own
LOGGED = [
    ("do you sell refurbished phones", "en", 3, 1),
    ("refurbished iphone", "en", 1, 2),
    ("what is the capital of France", "en", 2, 1),  # unanswered, and no draft answers it
    ("how do I place an order", "en", 2, 1),  # answered today, and stays so
    ("when will the product be back in stock", "en", 2, 3),
    ("notify me when back in stock", "en", 1, 1),
    ("prodajete li rabljene mobitele", "hr", 4, 1),  # another language than the drafts'
    ("refurbished samsung phone", "en", 5, 40),  # asked before the period looked at
]


@dataclass
class Site:
    live: Searcher  # the index the site serves: no draft published
    with_draft: dict[str, Searcher]  # per draft: the index with that draft published
    store: EventStore


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: SentenceTransformerEmbedder,
    demo_settings: Settings,
    demo_build: BuildReport,
) -> Iterator[Site]:
    """The whole demo help center: the answered decision weighs an article against its
    neighbours, so a three-article site would not decide as the real one does."""
    root = tmp_path_factory.mktemp("impact")
    articles = root / "articles"
    shutil.copytree(ARTICLES, articles)
    for path, text in DRAFTS.values():
        write(articles, path, text)
    # the demo's sections are embedded already: only the drafts are new
    shutil.copytree(demo_settings.index_dir / "cache", root / "live" / "cache")
    settings = demo_settings.replace(articles_dir=articles, index_dir=root / "live")
    report = build_index(settings, embedder, quiet=True)
    assert report.articles == demo_build.articles, "the drafts are not on the live site"
    live = Searcher(SearchIndex.load(root / "live", embedder.fingerprint), embedder)
    with_draft = {}
    for slug, (path, _) in DRAFTS.items():
        folder = root / f"with-{slug}"
        shutil.copytree(root / "live" / "cache", folder / "cache")  # only the draft is new
        build_index(
            settings.replace(index_dir=folder),
            embedder,
            quiet=True,
            publish_drafts=frozenset({path}),
        )
        with_draft[slug] = Searcher(SearchIndex.load(folder, embedder.fingerprint), embedder)
    store = EventStore(f"sqlite:///{root / 'events.sqlite3'}").open()
    log_searches(store, live)
    yield Site(live, with_draft, store)
    store.close()


def log_searches(store: EventStore, live: Searcher) -> None:
    """Every row of LOGGED, answered or not as the live index answers it; an answered
    search is opened (no visitor searched again, so nothing else counts as unanswered)."""
    for row, (query, lang, times, days_ago) in enumerate(LOGGED):
        result = live.search(query, prefer=lang)
        at = events.now() - timedelta(days=days_ago)
        for n in range(times):
            session = f"visitor-{row}-{n}"
            with pytest.MonkeyPatch.context() as clock:
                clock.setattr(events, "now", lambda at=at: at)
                search_id = store.record_search(
                    session_id=session,
                    query=query,
                    lang=lang,
                    results=len(result.hits),
                    best_score=result.hits[0].confidence_score if result.hits else None,
                    answered=result.answered,
                    slugs=[h.slug for h in result.hits],
                    latency_ms=5.0,
                )
                if result.answered:
                    store.record_click(
                        session_id=session,
                        lang=lang,
                        slug=result.hits[0].slug,
                        search_id=search_id,
                        position=1,
                    )
    assert store.flush()


def impact_of(site: Site, slug: str, since_days: int = 30) -> Impact:
    return draft_impact(site.store, site.live, site.with_draft[slug], "en", slug, since_days)


def test_the_live_index_leaves_the_drafts_questions_unanswered(site: Site) -> None:
    """The premise of the tests below, as the live index sees it today."""
    for query in (
        "do you sell refurbished phones",
        "refurbished iphone",
        "refurbished samsung phone",
        "what is the capital of France",
    ):
        assert not site.live.search(query, prefer="en").answered, query
    for query in ("when will the product be back in stock", "notify me when back in stock"):
        result = site.live.search(query, prefer="en")
        assert result.answered and result.hits[0].slug == "product-availability", query


def test_a_draft_would_answer_the_logged_questions_on_its_topic_most_asked_first(
    site: Site,
) -> None:
    impact = impact_of(site, "refurbished-phones")
    assert (impact.lang, impact.slug) == ("en", "refurbished-phones")
    answered = [(query, times) for query, times, _ in impact.would_answer]
    assert answered == [("do you sell refurbished phones", 3), ("refurbished iphone", 1)]
    assert all(0 < score <= 1 for *_, score in impact.would_answer)


def test_questions_the_draft_does_not_answer_are_checked_but_not_listed(site: Site) -> None:
    impact = impact_of(site, "refurbished-phones")
    listed = {query for query, _, _ in impact.would_answer}
    assert "what is the capital of France" not in listed
    # the period's English unanswered questions: the two on the topic and the off-topic one
    assert impact.checked_unanswered == 3
    # and every English question of the period, answered or not
    assert impact.checked_queries == 6


def test_questions_in_another_language_or_before_the_period_are_not_counted(
    site: Site,
) -> None:
    impact = impact_of(site, "refurbished-phones")
    listed = {query for query, _, _ in impact.would_answer}
    assert "prodajete li rabljene mobitele" not in listed
    assert "refurbished samsung phone" not in listed
    longer = impact_of(site, "refurbished-phones", since_days=60)
    assert ("refurbished samsung phone", 5) in [(q, n) for q, n, _ in longer.would_answer]
    assert longer.checked_unanswered == impact.checked_unanswered + 1


def test_a_draft_on_questions_nobody_was_answered_takes_from_no_article(site: Site) -> None:
    assert impact_of(site, "refurbished-phones").takes_from == {}


def test_a_draft_that_becomes_the_top_answer_takes_those_questions_from_the_article(
    site: Site,
) -> None:
    """Questions product-availability answers today go to the draft once it is published:
    asked three times in all, and none of them counts as newly answered."""
    impact = impact_of(site, "back-in-stock")
    assert impact.takes_from == {"product-availability": 3}
    assert impact.would_answer == []


def test_questions_whose_top_answer_stays_the_same_are_not_taken(site: Site) -> None:
    for slug, searcher in site.with_draft.items():
        top = searcher.search("how do I place an order", prefer="en").hits[0]
        assert top.slug == "how-to-order", slug
        assert "how-to-order" not in impact_of(site, slug).takes_from
