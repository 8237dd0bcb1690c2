"""The ONNX Runtime backend: same vectors as torch, exported once, refused when it differs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.build import build_index
from kb.errors import IndexMismatchError
from kb.models import onnx_model
from kb.models.embeddings import OnnxEmbedder, SentenceTransformerEmbedder
from kb.search.index import SearchIndex
from kb.settings import Settings
from tests.helpers import english_demo_articles

SENTENCES = [
    "How do I reset my Outlook password?",
    "Kako vratiti proizvod u roku od 30 dana? Plaćanje karticom.",
    "Teams meeting recordings are missing from OneDrive " * 30,  # over the 256-token window
]


def test_onnx_vectors_match_torch(embedder: SentenceTransformerEmbedder, onnx_cache: Path) -> None:
    reference = embedder.encode(SENTENCES)
    fp32 = OnnxEmbedder(cache_dir=onnx_cache).encode(SENTENCES)
    int8 = OnnxEmbedder(cache_dir=onnx_cache, quantized=True).encode(SENTENCES)
    assert np.all((fp32 * reference).sum(axis=1) > 0.9999)
    assert np.all((int8 * reference).sum(axis=1) > 0.97)
    assert np.allclose(np.linalg.norm(fp32, axis=1), 1.0, atol=1e-4)


def test_token_counts_match_torch(embedder: SentenceTransformerEmbedder, onnx_cache: Path) -> None:
    """Chunking depends on the count, so both backends must chunk alike."""
    onnx = OnnxEmbedder(cache_dir=onnx_cache)
    for text in [*SENTENCES, "", "čćđšž ✓ e-mail@example.com 0x8004de40"]:
        assert onnx.count_tokens(text) == embedder.count_tokens(text)


def test_export_happens_once(onnx_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    OnnxEmbedder(cache_dir=onnx_cache, quantized=True)  # both files exist from here on

    def no_export(*args: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_model, "_export", no_export)
    monkeypatch.setattr(onnx_model, "_quantize", no_export)
    assert OnnxEmbedder(cache_dir=onnx_cache, quantized=True).dimension == 384
    assert len(list(onnx_cache.rglob("*.onnx"))) == 2


def test_fp32_shares_torch_index_and_int8_is_refused(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, onnx_cache: Path
) -> None:
    articles = english_demo_articles(tmp_path, 4)
    settings = Settings(articles_dir=articles, index_dir=tmp_path / "index")
    build_index(settings, embedder, quiet=True)
    onnx = OnnxEmbedder(cache_dir=onnx_cache)
    assert onnx.fingerprint == embedder.fingerprint
    SearchIndex.load(settings.index_dir, onnx.fingerprint)  # interchangeable
    int8 = OnnxEmbedder(cache_dir=onnx_cache, quantized=True)
    with pytest.raises(IndexMismatchError, match="KB_BACKEND"):
        SearchIndex.load(settings.index_dir, int8.fingerprint)
    report = build_index(settings, int8, quiet=True)  # its own embedding cache
    assert report.embedded == report.chunks
    SearchIndex.load(settings.index_dir, int8.fingerprint)
