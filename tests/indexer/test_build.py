"""Building an index: complete, atomic, cached, and honest about broken articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.build import build_index
from kb.errors import IndexMismatchError, KBError
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.search.index import SearchIndex, current_version
from kb.settings import Settings
from tests.helpers import write


@pytest.fixture()
def small(tmp_path: Path) -> Settings:
    articles = tmp_path / "articles"
    write(
        articles,
        "en/delivery/shipping.md",
        "---\ntitle: Shipping\n---\nWe ship in 2 days.\n\n## Costs\n\n3.99 EUR.\n",
    )
    write(
        articles,
        "en/returns/returns.md",
        "---\ntitle: Returns\n---\nReturn within 30 days.\n\n## Labels\n\nPrint the label.\n",
    )
    write(
        articles,
        "hr/dostava/dostava.md",
        "---\ntitle: Dostava\n---\nŠaljemo u 2 dana.\n\n## Cijena\n\n3,99 EUR.\n",
    )
    write(articles, "en/returns/broken.md", "---\ntitle: [unclosed\n---\nText\n")
    write(articles, "en/returns/draft.md", "---\ntitle: Secret\ndraft: true\n---\nSoon.\n")
    return Settings(articles_dir=articles, index_dir=tmp_path / "index")


def test_build_writes_manifest_and_reports_problems(
    small: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    report = build_index(small, embedder, quiet=True)
    assert (report.articles, report.skipped, report.drafts) == (3, 1, 1)
    assert [(p.path, p.line) for p in report.errors] == [("en/returns/broken.md", 2)]
    folder = current_version(small.index_dir)
    assert folder is not None
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model"]["name"] == "multilingual-e5-small"
    assert manifest["model"]["dimension"] == 384
    assert manifest["index_kind"] == "flat"
    assert manifest["articles"] == 3 and manifest["chunks"] == report.chunks
    assert manifest["languages"] == {"en": 2, "hr": 1}
    assert set(manifest["answer_thresholds"]) >= {"en", "hr"}
    index = SearchIndex.load(small.index_dir, embedder.fingerprint)
    assert index.article("en", "draft") is None
    assert index.article("en", "shipping").related == ["returns"]


def test_rebuild_reuses_cached_embeddings_and_swaps_version(
    small: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    first = build_index(small, embedder, quiet=True)
    write(
        small.articles_dir,
        "en/returns/returns.md",
        "---\ntitle: Returns\n---\nReturn within 30 days.\n\n## Labels\n\nPrint the new label.\n",
    )
    second = build_index(small, embedder, quiet=True)
    assert second.version != first.version
    assert second.embedded == 1 and second.reused == second.chunks - 1
    assert current_version(small.index_dir).name == second.version


def test_failed_build_leaves_the_live_index_intact(
    small: Settings, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    first = build_index(small, embedder, quiet=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(KBError, match="no publishable articles"):
        build_index(small, embedder, articles_dir=empty, quiet=True)
    assert current_version(small.index_dir).name == first.version


def test_index_built_with_another_model_is_refused(
    small: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    build_index(small, embedder, quiet=True)
    with pytest.raises(IndexMismatchError, match="built with model 'multilingual-e5-small'"):
        SearchIndex.load(small.index_dir, "another-model-fingerprint")


def test_hnsw_is_chosen_above_the_threshold(
    small: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    report = build_index(small.replace(hnsw_min_chunks=2), embedder, quiet=True)
    assert report.index_kind == "hnsw"
    index = SearchIndex.load(small.index_dir, embedder.fingerprint)
    assert index.manifest["index_kind"] == "hnsw"
