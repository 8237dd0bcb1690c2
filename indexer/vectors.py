"""The dense half of a build: section vectors (cached by text), the FAISS index over
them, and each article's nearest neighbours for "related articles".

Embedding is most of a build's time, so vectors are cached by section text and model:
a writer's save re-embeds only the sections it changed.
"""

from __future__ import annotations

from collections import defaultdict

import faiss
import numpy as np
from tqdm import tqdm

from indexer.cache import EmbeddingCache, text_key
from kb.content.articles import Article
from kb.content.chunks import Chunk
from kb.models.embeddings import Embedder, as_passages

RELATED_PER_ARTICLE = 5


def embed(
    texts: list[str], embedder: Embedder, cache: EmbeddingCache, batch: int, quiet: bool
) -> tuple[np.ndarray, int]:
    keys = [text_key(t) for t in texts]
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    missing = []
    for i, key in enumerate(keys):
        cached = cache.get(key)
        if cached is None:
            missing.append(i)
        else:
            vectors[i] = cached
    bar = tqdm(total=len(missing), desc="embedding", unit="chunk", disable=quiet or not missing)
    # longest first across the whole build, not just within one call: batches of alike
    # lengths waste little on padding, and the slowest batches show in the bar early
    missing.sort(key=lambda i: -len(texts[i]))
    for start in range(0, len(missing), batch * 4):
        ids = missing[start : start + batch * 4]
        vectors[ids] = embedder.encode(as_passages(embedder, [texts[i] for i in ids]), batch)
        bar.update(len(ids))
    bar.close()
    cache.save(keys, vectors)
    return vectors, len(missing)


def dense_index(vectors: np.ndarray, hnsw_min: int) -> tuple[faiss.Index, str]:
    dim = vectors.shape[1]
    index: faiss.Index
    if len(vectors) >= hnsw_min:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
        kind = "hnsw"
    else:
        index = faiss.IndexFlatIP(dim)
        kind = "flat"
    if len(vectors):
        index.add(vectors)
    return index, kind


def related_articles(
    articles: list[Article], chunks: list[Chunk], vectors: np.ndarray
) -> dict[tuple[str, str], list[str]]:
    """Nearest articles in embedding space, same language: the 'related articles' box."""
    rows: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, c in enumerate(chunks):
        rows[(c.lang, c.slug)].append(i)
    related: dict[tuple[str, str], list[str]] = {}
    by_lang: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        by_lang[a.lang].append(a)
    for group in by_lang.values():
        means = np.stack([vectors[rows[(a.lang, a.slug)]].mean(axis=0) for a in group]).astype(
            np.float32
        )
        means /= np.linalg.norm(means, axis=1, keepdims=True) + 1e-9
        sims = means @ means.T
        np.fill_diagonal(sims, -1.0)
        k = min(RELATED_PER_ARTICLE, len(group) - 1)
        for i, a in enumerate(group):
            if k <= 0:
                related[(a.lang, a.slug)] = []
                continue
            top = np.argsort(-sims[i])[:k]
            related[(a.lang, a.slug)] = [group[j].slug for j in top]
    return related
