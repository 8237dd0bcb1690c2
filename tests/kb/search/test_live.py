"""The live index waits for a first published version, swaps to new ones as one unit
(index, searcher, catalogue, type-ahead), and keeps serving when the next one is broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.build import BuildReport
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.search.live import LiveIndex, NotServing
from kb.settings import Settings


def test_waits_for_an_index_then_serves_it_and_refuses_an_incomplete_one(
    tmp_path: Path,
    demo_settings: Settings,
    demo_build: BuildReport,
    embedder: SentenceTransformerEmbedder,
) -> None:
    settings = demo_settings.replace(index_dir=tmp_path / "index", reload_interval=0)
    live = LiveIndex(settings, embedder).start()
    live.stop()  # the test swaps by hand from here on
    assert not live.ready and "no index" in (live.not_ready or "")
    with pytest.raises(NotServing):
        _ = live.searcher

    shutil.copytree(demo_settings.index_dir, settings.index_dir)
    assert live.reload_if_changed() and live.ready and live.not_ready is None
    serving = live.current()
    assert serving.searcher.index is serving.index is serving.catalogue.index
    assert not live.reload_if_changed()  # nothing new

    version = live.index.version
    (settings.index_dir / "versions" / "zz-unfinished").mkdir()
    (settings.index_dir / "CURRENT").write_text("zz-unfinished", encoding="utf-8")
    assert not live.reload_if_changed()
    assert live.index.version == version  # still serving the last good one
    assert live.error is not None
    assert "zz-unfinished not loaded" in live.error and "manifest.json" in live.error
