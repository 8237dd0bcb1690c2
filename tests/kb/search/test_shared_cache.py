"""With Redis, a question embedded by one worker (or machine) is not embedded again by
another serving the same index version, and the same search's result is reused; another
version shares nothing; Redis down is only a cache miss."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from indexer.build import BuildReport
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.search.index import SearchIndex
from kb.search.searcher import Searcher
from kb.search.shared_cache import SharedCache
from kb.settings import Settings
from tests.helpers import REDIS_URL


class CountingEmbedder:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.texts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def encode(self, texts: list[str], **kwargs: Any) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.encode(texts, **kwargs)


@pytest.fixture(scope="module")
def index(demo_settings: Settings, demo_build: BuildReport) -> SearchIndex:
    return SearchIndex.load(demo_settings.index_dir)


def worker(index: SearchIndex, embedder: SentenceTransformerEmbedder, cache: SharedCache | None):
    counting = CountingEmbedder(embedder)
    return Searcher(index, counting, shared=cache), counting  # type: ignore[arg-type]


def test_a_question_is_embedded_once_per_fleet(
    index: SearchIndex, embedder: SentenceTransformerEmbedder, redis_prefix: str
) -> None:
    first, first_model = worker(
        index, embedder, SharedCache(REDIS_URL, redis_prefix, index.version)
    )
    second, second_model = worker(
        index, embedder, SharedCache(REDIS_URL, redis_prefix, index.version)
    )
    asked = first.search("how long does a refund take", limit=5)
    assert first_model.texts == 1
    again = second.search("how long does a refund take", limit=5)
    assert second_model.texts == 0, "the other worker's result was reused"
    assert again.to_dict() == asked.to_dict() and again.threshold == asked.threshold
    other_limit = second.search("how long does a refund take", limit=3)
    assert second_model.texts == 0, "a new search of the same question reuses its vector"
    assert [h.slug for h in other_limit.hits] == [h.slug for h in asked.hits][:3]


def test_another_index_version_shares_nothing(
    index: SearchIndex, embedder: SentenceTransformerEmbedder, redis_prefix: str
) -> None:
    old, _ = worker(index, embedder, SharedCache(REDIS_URL, redis_prefix, "20000101T000000-old"))
    old.search("gift card")
    new, new_model = worker(index, embedder, SharedCache(REDIS_URL, redis_prefix, index.version))
    new.search("gift card")
    assert new_model.texts == 1


def test_redis_down_is_only_a_cache_miss(
    index: SearchIndex, embedder: SentenceTransformerEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    cache = SharedCache("redis://127.0.0.1:1/0", "kb", index.version)
    searcher, model = worker(index, embedder, cache)
    plain, _ = worker(index, embedder, None)
    assert searcher.search("delivery cost").to_dict() == plain.search("delivery cost").to_dict()
    assert model.texts == 1
    assert caplog.text.count("Redis is unavailable for the shared query cache") == 1
