"""Type-ahead: what fits the words typed so far, the last one unfinished or mistyped."""

from __future__ import annotations

import pytest

from kb.search.index import ArticleEntry
from kb.search.typeahead import Typeahead


def article(lang: str, slug: str, title: str, *headings: str) -> ArticleEntry:
    toc = [(2, h, h.lower().replace(" ", "-")) for h in headings]
    return ArticleEntry(lang, slug, title, "", "help", f"{lang}/help/{slug}.md", "", toc)


@pytest.fixture(scope="module")
def typeahead() -> Typeahead:
    return Typeahead(
        [
            article("en", "forgotten-password", "Reset your password", "Link expired"),
            article("en", "refunds", "Refunds", "Refund to a card", "How long a refund takes"),
            article("en", "delivery", "Delivery options and costs", "Delivery to the islands"),
            article("hr", "placanje", "Plaćanje karticom", "Odbijena kartica"),
            article("hr", "povrat", "Povrat novca", "Povrat na karticu"),
        ]
    )


def texts(typeahead: Typeahead, typed: str, lang: str = "en", **kw: object) -> list[str]:
    return [s.text for s in typeahead.suggest(typed, lang, **kw)]  # type: ignore[arg-type]


def test_titles_and_headings_match_by_word_prefix(typeahead: Typeahead) -> None:
    assert texts(typeahead, "ref") == [
        "Refunds",
        "Refunds › Refund to a card",
        "Refunds › How long a refund takes",
    ]
    assert texts(typeahead, "deliv isl") == ["Delivery options and costs › Delivery to the islands"]
    found = typeahead.suggest("reset pass", "en")
    assert [(s.kind, s.url) for s in found] == [("article", "/en/articles/forgotten-password")]
    section = typeahead.suggest("link exp", "en")[0]
    assert (section.kind, section.url) == (
        "section",
        "/en/articles/forgotten-password#link-expired",
    )


def test_accents_and_stop_words_do_not_matter(typeahead: Typeahead) -> None:
    assert texts(typeahead, "placanje kar", "hr") == ["Plaćanje karticom"]
    assert texts(typeahead, "PLAĆ", "hr") == ["Plaćanje karticom"]
    assert texts(typeahead, "how to reset pas") == ["Reset your password"]


def test_the_last_word_may_be_mistyped_the_others_not(typeahead: Typeahead) -> None:
    assert texts(typeahead, "reset pasword") == ["Reset your password"]
    assert texts(typeahead, "karticz", "hr")[0] == "Plaćanje karticom"
    assert texts(typeahead, "resed password") == []  # a finished word must be right
    assert texts(typeahead, "refnd")[0] == "Refunds"  # one edit: a missing letter
    assert texts(typeahead, "rafnd") == []  # 5 letters, 2 edits from "refund"


def test_nothing_for_too_little_or_an_unknown_language(typeahead: Typeahead) -> None:
    assert (
        texts(typeahead, "") == [] and texts(typeahead, "r") == [] and texts(typeahead, "  ") == []
    )
    assert texts(typeahead, "refund", "de") == []
    assert texts(typeahead, "zzzz") == []


def test_popular_questions_that_continue_the_typing_come_first(typeahead: Typeahead) -> None:
    popular = ["how long does a refund take", "refund to gift card", "delivery costs", "refund"]
    found = typeahead.suggest("refund", "en", popular, limit=4)
    assert [(s.kind, s.text) for s in found[:2]] == [
        ("query", "how long does a refund take"),
        ("query", "refund to gift card"),
    ]
    assert found[0].url == "/search?q=how+long+does+a+refund+take&hl=en"
    assert len(found) == 4 and found[2].kind == "article"
