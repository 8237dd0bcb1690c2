"""Counts read right in both languages: never "1 searches"."""

import pytest

from kb.plurals import count


@pytest.mark.parametrize(
    ("n", "en", "hr"),
    [
        (1, "1 search", "1 pretraga"),
        (2, "2 searches", "2 pretrage"),
        (4, "4 searches", "4 pretrage"),
        (5, "5 searches", "5 pretraga"),
        (11, "11 searches", "11 pretraga"),
        (21, "21 searches", "21 pretraga"),
        (22, "22 searches", "22 pretrage"),
        (0, "0 searches", "0 pretraga"),
    ],
)
def test_search_counts(n: int, en: str, hr: str) -> None:
    assert count(n, "search", "en") == en
    assert count(n, "search", "hr") == hr


def test_other_nouns_and_an_unknown_language() -> None:
    assert count(1, "query") == "1 query" and count(3, "query") == "3 queries"
    assert count(3, "question", "hr") == "3 pitanja"
    assert count(2, "search", "xx") == "2 searches"  # no rules known: English forms
