"""Per-article figures from raw event rows: one tally for the dashboard's top articles and
the writers' article-quality page."""

from __future__ import annotations

import json

from kb.insights.articles import tally
from kb.search.index import ArticleEntry


def click(slug: str, search_id: str | None = None, lang: str = "en") -> dict[str, object]:
    return {"lang": lang, "slug": slug, "search_id": search_id}


def vote(
    slug: str, helpful: bool, reason: str | None = None, comment: str | None = None
) -> dict[str, object]:
    return {"lang": "en", "slug": slug, "helpful": helpful, "reason": reason, "comment": comment}


def test_views_searches_and_votes_per_article() -> None:
    stats = tally(
        [click("returns", "s1"), click("returns", "s2"), click("returns"), click("payment")],
        [vote("returns", True), vote("returns", False, "unclear", "which box?")],
        [{"id": "s1", "query": "send back"}, {"id": "s2", "query": "send back"}],
    )
    returns = stats[("en", "returns")]
    assert (returns.views, returns.from_search, returns.yes, returns.no) == (3, 2, 1, 1)
    assert returns.helpful_pct == 50
    assert returns.top_queries() == [("send back", 2)]
    assert returns.reasons == {"unclear": 1} and returns.comments == ["which box?"]
    assert stats[("en", "payment")].helpful_pct is None
    assert stats[("en", "never-seen")].views == 0  # absent reads as zeros


def test_a_draft_counts_each_section_it_reused() -> None:
    copies = [
        {"lang": "en", "slug": "returns", "section_id": "how", "sections": None},
        {
            "lang": "en",
            "slug": "returns",
            "section_id": "how",
            "sections": json.dumps(["en/returns#how", "en/returns#", "en/payment#cards"]),
        },
    ]
    stats = tally([], [], copies=copies)
    returns = stats[("en", "returns")]
    assert returns.copies == {"how": 2, "": 1} and returns.copy_count == 3
    article = ArticleEntry(
        "en", "returns", "Returns", "", "returns", "", "", [(2, "How to return", "how")]
    )
    assert returns.copied_sections(article) == [("How to return", 2), ("(top)", 1)]
    assert stats[("en", "payment")].copies == {"cards": 1}
