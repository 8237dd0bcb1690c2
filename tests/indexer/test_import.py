"""Existing help centers index as they are and nothing raw reaches a reader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.build import build_index
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.search.index import SearchIndex
from kb.search.searcher import Searcher
from kb.settings import Settings

FIXTURES = Path(__file__).parents[1] / "fixtures" / "import"
RAW = re.compile(
    r":::|\[!(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION|INCLUDE|div|VIDEO)|&lt;a name|"
    r"&lt;/?(?:br|a)\b",
    re.I,
)


@pytest.mark.parametrize(
    ("folder", "lang", "query"),
    [
        ("ms", "en", "single sign-on stopped working"),
        ("hr", "hr", "kako ažurirati način plaćanja u Azureu"),
    ],
)
def test_docfx_content_imports_without_raw_syntax(
    tmp_path: Path,
    embedder: SentenceTransformerEmbedder,
    folder: str,
    lang: str,
    query: str,
) -> None:
    settings = Settings(
        articles_dir=FIXTURES / folder, index_dir=tmp_path / "index", default_lang="en"
    )
    report = build_index(settings, embedder, quiet=True)
    assert report.articles == len(list((FIXTURES / folder).rglob("*.md"))) - (
        2 if folder == "ms" else 0
    )  # the two include fragments are not articles
    assert report.skipped == 0
    index = SearchIndex.load(settings.index_dir)
    assert set(index.languages) == {lang}  # from ms.contentlocale / the text itself
    for article in index.articles.values():
        assert not RAW.search(article.html), (article.slug, RAW.search(article.html))
    for chunk in index.chunks:
        assert not RAW.search(chunk.text), chunk.text
    if folder == "ms":
        page = index.article("en", "chrome-behavior-affects-applications")
        assert "Third-party" in page.html or "third-party" in page.html  # include resolved
        assert "<strong>Note:</strong>" in "".join(a.html for a in index.articles.values())
    hits = Searcher(index, embedder).search(query, lang=lang).hits
    assert hits and not RAW.search(hits[0].snippet_html)
