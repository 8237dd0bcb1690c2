"""The catalogue lists the published articles as the site shows them: categories in the
writers' order, translations both ways, popular articles by views, then featured, then
newest."""

from __future__ import annotations

from indexer.build import BuildReport
from kb.search.catalogue import Catalogue
from kb.search.index import SearchIndex
from kb.settings import Settings


def catalogue(settings: Settings) -> Catalogue:
    return Catalogue(SearchIndex.load(settings.index_dir))


def test_categories_follow_the_writers_order_and_articles_their_titles(
    demo_settings: Settings, demo_build: BuildReport
) -> None:
    cat = catalogue(demo_settings)
    names = cat.category_names("en")
    assert names["delivery"] == "Delivery and tracking"
    listed = list(cat.by_category["en"])
    assert listed == [c for c in names if c in listed]  # _categories.yml's order
    for articles in cat.by_category["en"].values():
        titles = [a.title.lower() for a in articles]
        assert titles == sorted(titles)
    assert cat.category("en", "delivery") == cat.by_category["en"]["delivery"]
    assert cat.category("en", "nothing") == []


def test_translations_point_both_ways_and_categories_follow_them(
    demo_settings: Settings, demo_build: BuildReport
) -> None:
    cat = catalogue(demo_settings)
    translated = [a for a in cat.index.articles.values() if cat.translations(a)]
    assert translated
    for article in translated:
        for other in cat.translations(article):
            assert other.lang != article.lang
            assert article in cat.translations(other)
    assert cat.category_translations("hr", "dostava") == {"en": "delivery"}
    assert cat.category_translations("en", "delivery") == {"hr": "dostava"}


def test_a_slug_of_another_language_finds_the_translation(
    demo_settings: Settings, demo_build: BuildReport
) -> None:
    cat = catalogue(demo_settings)
    article = next(a for a in cat.index.articles.values() if a.lang == "hr" and cat.translations(a))
    english = next(t for t in cat.translations(article) if t.lang == "en")
    assert cat.in_another_language("en", article.slug) == english
    assert cat.in_another_language("en", "no-such-article") is None


def test_popular_is_most_viewed_then_featured_then_newest(
    demo_settings: Settings, demo_build: BuildReport
) -> None:
    cat = catalogue(demo_settings)
    english = [a for a in cat.index.articles.values() if a.lang == "en"]
    unviewed = cat.popular("en", {}, limit=len(english))
    featured = [a for a in unviewed if a.featured]
    assert unviewed[: len(featured)] == featured
    rest = unviewed[len(featured) :]
    assert [a.updated or "" for a in rest] == sorted((a.updated or "" for a in rest), reverse=True)
    least = unviewed[-1]
    views = {(least.lang, least.slug): 3, (unviewed[0].lang, unviewed[0].slug): 1}
    assert cat.popular("en", views, limit=2) == [least, unviewed[0]]
