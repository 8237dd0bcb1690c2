"""What the results page shows of a search: labels and related items only as far as the
evidence goes, and the ways on when nothing answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kb.search.searcher import Hit, SearchResult
from kb.settings import Settings
from tests.helpers import AppFactory
from web.results import EVIDENCE_SHARE, MAX_RELATED, shown_hits


def hit(slug: str, confidence: float) -> Hit:
    return Hit(
        slug=slug,
        lang="en",
        title=slug,
        url=f"/en/articles/{slug}",
        section=None,
        snippet="",
        score=confidence,
        section_id=None,
        snippet_html="",
        confidence="weak",
        dense=0.0,
        lexical=0.0,
        confidence_score=confidence,
    )


def test_shown_hits_keep_only_evidence_relative_to_the_threshold() -> None:
    threshold = 0.6
    floor = threshold * EVIDENCE_SHARE
    scores = [floor + 0.2, floor + 0.1, floor, floor - 0.01, 0.0, 0.0]
    hits = [hit(f"a{i}", s) for i, s in enumerate(scores)]
    unanswered = SearchResult("q", "en", False, hits, threshold)
    assert [h.slug for h in shown_hits(unanswered)] == ["a0", "a1", "a2"][:MAX_RELATED]
    nothing = SearchResult("q", "en", False, [hit("z", 0.0), hit("y", 0.0)], threshold)
    assert shown_hits(nothing) == []
    answered = SearchResult("q", "en", True, [hit("best", 0.9), *hits], threshold)
    assert [h.slug for h in shown_hits(answered)] == ["best", "a0", "a1", "a2"]


@pytest.fixture(scope="module")
def small(branded_settings: Settings, make_app: AppFactory) -> Iterator[TestClient]:
    with make_app.client(branded_settings) as client:
        yield client


def test_no_answer_offers_the_language_that_answers(small: TestClient) -> None:
    """Asked in English of a question only the Croatian articles answer (an exact title),
    the page offers to search in Croatian, keeping the English interface."""
    searcher = small.app.state.kb.searcher
    assert not searcher.search("Recept za sarmu", "en").answered
    page = small.get("/search", params={"q": "Recept za sarmu", "lang": "en", "hl": "en"}).text
    assert "find a good answer" in page
    link = '<a class="button secondary" href="/search?q=Recept+za+sarmu&amp;lang=hr&amp;hl=en">'
    assert link + "Search in Croatian instead</a>" in page
    offered = small.get("/search", params={"q": "Recept za sarmu", "lang": "hr", "hl": "en"})
    assert 'class="hit-title" href="/hr/articles/sarma' in offered.text
    assert '<html lang="en">' in offered.text


def test_an_article_in_one_language_only_is_reached_from_the_other(small: TestClient) -> None:
    moved = small.get("/en/articles/sarma", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/hr/articles/sarma"


def test_a_misspelt_query_shows_the_correction_with_both_links(client: TestClient) -> None:
    page = client.get("/search", params={"q": "my parcle never arived", "hl": "en"}).text
    assert (
        'Showing results for <a href="/search?q=my+parcel+never+arrived&amp;hl=en&amp;exact=1">'
        "<strong>my parcel never arrived</strong></a>. Search instead for "
        '<a href="/search?q=my+parcle+never+arived&amp;hl=en&amp;exact=1">'
        "my parcle never arived</a>"
    ) in page
    assert 'class="hit-title" href="/en/articles/track-your-order' in page
    typed = client.get("/search", params={"q": "my parcle never arived", "hl": "en", "exact": "1"})
    assert "Showing results for" not in typed.text
    assert "find a good answer" in typed.text


def test_the_correction_speaks_the_visitors_language_and_is_escaped(client: TestClient) -> None:
    query = "<b>my parcle is brokn</b>"
    page = client.get("/search", params={"q": query, "hl": "hr", "lang": "en"}).text
    assert "Prikazani su rezultati za" in page and "Umjesto toga traži" in page
    assert "<strong>&lt;b&gt;my parcel is broken&lt;/b&gt;</strong>" in page
    assert "<b>my" not in page
