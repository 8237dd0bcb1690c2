"""When `kb serve` builds before serving: only when the index is not current."""

from __future__ import annotations

import json
from pathlib import Path

from indexer.build import source_fingerprint
from indexer.runner import is_current
from kb.content.chunks import CHUNKING_VERSION
from kb.models.embeddings import embedder_for
from kb.search.index import INDEX_FORMAT
from kb.settings import Settings


def test_an_index_from_an_older_chunker_or_another_model_is_not_current(tmp_path: Path) -> None:
    """After an upgrade that changes chunking or the default model, `make serve` rebuilds
    instead of starting a server that refuses its own index."""
    articles = tmp_path / "articles"
    (articles / "en").mkdir(parents=True)
    version = tmp_path / "index" / "versions" / "v1"
    version.mkdir(parents=True)
    (tmp_path / "index" / "CURRENT").write_text("v1")
    settings = Settings(articles_dir=articles, index_dir=tmp_path / "index")
    manifest = {"format": INDEX_FORMAT, "source_fingerprint": source_fingerprint(articles)}
    ours = {"fingerprint": embedder_for(settings).fingerprint}
    for chunking, model, current in [
        (CHUNKING_VERSION, ours, True),
        (CHUNKING_VERSION - 1, ours, False),
        (CHUNKING_VERSION, {"fingerprint": "an-older-default-model"}, False),
    ]:
        (version / "manifest.json").write_text(
            json.dumps({**manifest, "chunking_version": chunking, "model": model})
        )
        assert is_current(settings) is current, (chunking, model)
    (articles / "en" / "new.md").write_text("---\ntitle: New\n---\nText.\n")
    assert not is_current(settings), "a new article makes the index stale"
