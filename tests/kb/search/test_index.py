"""An index is read only with the model that built it, and says which model that was."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.build import build_index
from kb.errors import IndexMismatchError
from kb.models.embeddings import SentenceTransformerEmbedder, load_embedder
from kb.search.index import SearchIndex, read_manifest
from kb.settings import Settings
from tests.helpers import english_demo_articles


def test_an_index_built_with_another_model_is_refused_with_its_name(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    articles = english_demo_articles(tmp_path, 3)
    settings = Settings(articles_dir=articles, index_dir=tmp_path / "index")
    minilm = load_embedder("all-MiniLM-L6-v2")
    build_index(settings, minilm, quiet=True)
    manifest = read_manifest(settings.index_dir)
    assert manifest is not None and manifest["model"]["name"] == "all-MiniLM-L6-v2"
    assert embedder.name == "multilingual-e5-small"  # the default
    with pytest.raises(IndexMismatchError, match=r"all-MiniLM-L6-v2.*rebuild with `kb index`"):
        SearchIndex.load(settings.index_dir, embedder.fingerprint)
    SearchIndex.load(settings.index_dir, minilm.fingerprint)  # still selectable
