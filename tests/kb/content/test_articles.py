"""Loading articles: sensible defaults, and broken files reported with file and line."""

from pathlib import Path

from kb.content.articles import load_articles
from tests.helpers import write


def test_defaults_come_from_folder_file_name_and_first_heading(tmp_path: Path) -> None:
    write(tmp_path, "hr/dostava/brza-dostava.md", "# Brza dostava\n\nDostava sutra.\n")
    [article] = load_articles(tmp_path).articles
    assert (article.lang, article.category, article.slug) == ("hr", "dostava", "brza-dostava")
    assert article.title == "Brza dostava"
    assert article.url == "/hr/articles/brza-dostava"


def test_front_matter_wins_and_unknown_keys_are_ignored(tmp_path: Path) -> None:
    write(
        tmp_path,
        "en/help/x.md",
        "---\ntitle: Returns\nslug: returns-policy\nms.topic: article\nupdated: 2026-01-02\n"
        "tags: [refund, return]\ntranslation_key: returns\n---\nBody.\n",
    )
    [a] = load_articles(tmp_path).articles
    assert (a.title, a.slug, a.translation_key) == ("Returns", "returns-policy", "returns")
    assert a.tags == ("refund", "return") and str(a.updated) == "2026-01-02"


def test_broken_front_matter_names_file_and_line_and_others_still_load(tmp_path: Path) -> None:
    write(tmp_path, "en/a/good.md", "---\ntitle: Good\n---\nFine.\n")
    write(tmp_path, "en/a/bad.md", "---\ntitle: Fine\ntags: [one, two\n---\nText.\n")
    result = load_articles(tmp_path)
    assert [a.slug for a in result.articles] == ["good"]
    [problem] = result.problems
    assert problem.path == "en/a/bad.md"
    assert problem.line == 3
    assert "YAML" in problem.message


def test_article_without_title_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "en/a/untitled.md", "---\ndescription: no title here\n---\nJust text.\n")
    result = load_articles(tmp_path)
    assert result.articles == []
    assert str(result.problems[0]).startswith("en/a/untitled.md:1: error: article has no title")


def test_non_utf8_file_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "en" / "a" / "latin1.md"
    path.parent.mkdir(parents=True)
    path.write_bytes("# Title\n\nline two\ncaf\xe9\n".encode("latin-1"))
    [problem] = load_articles(tmp_path).problems
    assert (problem.line, problem.message) == (4, "file is not UTF-8 text")


def test_language_is_detected_when_no_folder_or_front_matter_says(tmp_path: Path) -> None:
    write(
        tmp_path, "faq/povrat.md", "# Povrat\n\nKako mogu vratiti proizvod koji mi se ne sviđa?\n"
    )
    write(
        tmp_path, "faq/returns.md", "# Returns\n\nHow can I return a product that I do not like?\n"
    )
    langs = {a.slug: a.lang for a in load_articles(tmp_path).articles}
    assert langs == {"povrat": "hr", "returns": "en"}


def test_duplicate_slugs_are_kept_apart_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "en/a/setup.md", "# Setup A\n\nA.\n")
    write(tmp_path, "en/b/setup.md", "# Setup B\n\nB.\n")
    result = load_articles(tmp_path)
    assert sorted(a.slug for a in result.articles) == ["en-b-setup", "setup"]
    assert result.problems[0].severity == "warning"


def test_hidden_underscore_and_include_files_are_not_articles(tmp_path: Path) -> None:
    write(tmp_path, "en/a/real.md", "# Real\n\nText.\n")
    write(tmp_path, "en/_synonyms.md", "# Not an article\n")
    write(tmp_path, "includes/note.md", "A fragment.\n")
    assert [a.slug for a in load_articles(tmp_path).articles] == ["real"]
