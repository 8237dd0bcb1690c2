"""`kb check`'s rules one by one: each is a function of the parsed tree and one article
(or the whole tree), so a new rule is specified, and tested, on its own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kb.content.articles import Article, load_articles
from kb.content.check import (
    ARTICLE_RULES,
    Tree,
    broken_links,
    dangling_translation_of,
    empty_sections,
    stale,
    translations,
)
from kb.content.links import Site
from tests.helpers import write


def tree_of(root: Path, files: dict[str, str], today: date = date(2026, 11, 30)) -> Tree:
    for path, text in files.items():
        write(root, path, text)
    articles = load_articles(root, "en").articles
    return Tree(root, articles, Site.of(articles, root), today, stale_days=365)


def article(tree: Tree, path: str) -> Article:
    return next(a for a in tree.articles if a.path == path)


def test_every_article_rule_is_registered() -> None:
    assert set(ARTICLE_RULES) == {broken_links, empty_sections, stale, dangling_translation_of}


def test_a_link_to_a_missing_section_is_an_error_on_its_own_line(tmp_path: Path) -> None:
    tree = tree_of(
        tmp_path,
        {
            "en/a.md": "---\ntitle: A\n---\nIntro.\n\nSee [b](/en/articles/b#nowhere).\n",
            "en/b.md": "---\ntitle: B\n---\nText.\n\n## Somewhere\n\nMore.\n",
        },
    )
    [problem] = broken_links(tree, article(tree, "en/a.md"))
    assert (problem.severity, problem.line) == ("error", 6)
    assert "nowhere" in problem.message
    assert list(broken_links(tree, article(tree, "en/b.md"))) == []


def test_a_heading_with_nothing_under_it_is_a_warning(tmp_path: Path) -> None:
    text = "---\ntitle: A\n---\nIntro.\n\n## Empty\n\n## Full\n\nx\n"
    tree = tree_of(tmp_path, {"en/a.md": text})
    [problem] = empty_sections(tree, article(tree, "en/a.md"))
    assert (problem.severity, problem.message) == ("warning", "empty section 'Empty'")


def test_an_article_not_updated_for_longer_than_the_limit_is_stale(tmp_path: Path) -> None:
    tree = tree_of(
        tmp_path,
        {
            "en/old.md": "---\ntitle: Old\nupdated: 2024-01-02\n---\nText.\n",
            "en/new.md": "---\ntitle: New\nupdated: 2026-06-01\n---\nText.\n",
        },
    )
    [problem] = stale(tree, article(tree, "en/old.md"))
    assert problem.line == 3 and "2024-01-02" in problem.message
    assert list(stale(tree, article(tree, "en/new.md"))) == []


def test_translation_of_must_name_an_article_in_another_language(tmp_path: Path) -> None:
    tree = tree_of(
        tmp_path,
        {
            "en/a.md": "---\ntitle: A\ntranslation_of: nothing-here\n---\nText.\n",
            "hr/b.md": "---\ntitle: B\nlang: hr\ntranslation_of: a\n---\nTekst.\n",
        },
    )
    [problem] = dangling_translation_of(tree, article(tree, "en/a.md"))
    assert problem.severity == "error" and "nothing-here" in problem.message
    assert list(dangling_translation_of(tree, article(tree, "hr/b.md"))) == []


@pytest.mark.parametrize("second", ["hr/one.md", "en/two.md"])
def test_a_translation_key_wants_one_article_per_language(tmp_path: Path, second: str) -> None:
    lang = second.split("/")[0]
    tree = tree_of(
        tmp_path,
        {
            "en/one.md": "---\ntitle: One\ntranslation_key: k\n---\nText.\n",
            second: f"---\ntitle: Two\nlang: {lang}\ntranslation_key: k\n---\nText.\n",
            "hr/other.md": "---\ntitle: Drugi\nlang: hr\n---\nTekst.\n",
        },
    )
    found = {(p.path, p.severity) for p in translations(tree)}
    if lang == "hr":  # present in both languages: nothing to say
        assert found == set()
    else:  # two English articles for one key, and no Croatian one
        assert ("en/two.md", "error") in found
        assert ("en/one.md", "warning") in found and ("en/two.md", "warning") in found
