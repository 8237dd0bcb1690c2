"""Embedding cache keyed by model fingerprint + chunk text hash.

Re-embedding is the whole cost of a build; with the cache an edit to one article
re-embeds only that article's changed chunks. The cache is rewritten with just the
current chunks' vectors, so it never grows beyond one index's worth.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from kb.content.article_cache import ArticleCache
from kb.content.articles import Article
from kb.content.chunks import CHUNKING_VERSION, Chunk, chunk_article, token_budget
from kb.models.embeddings import Embedder
from kb.search.lexical import Analyzer

_PUBLISHED_FORMAT = 1
_PARSE_FORMAT = 2  # chunks moved out of the shared article cache


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class EmbeddingCache:
    def __init__(self, folder: Path, fingerprint: str, dimension: int) -> None:
        self.folder = folder / fingerprint
        self.dimension = dimension
        self._vectors: dict[str, np.ndarray] = {}
        keys_file, vec_file = self.folder / "keys.json", self.folder / "vectors.npy"
        if keys_file.is_file() and vec_file.is_file():
            try:
                saved = json.loads(keys_file.read_text(encoding="utf-8"))
                keys = saved["keys"] if isinstance(saved, dict) else saved  # list: older kb
                vectors = np.load(vec_file)
                paired = not isinstance(saved, dict) or saved.get("vectors_sha256") == _digest(
                    vec_file
                )
                if paired and vectors.shape == (len(keys), dimension):
                    self._vectors = dict(zip(keys, vectors, strict=True))
            except (OSError, ValueError, KeyError, TypeError):
                self._vectors = {}  # a damaged cache only costs time

    def get(self, key: str) -> np.ndarray | None:
        return self._vectors.get(key)

    def save(self, keys: list[str], vectors: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp_vec = self.folder / "vectors.tmp.npy"
        np.save(tmp_vec, vectors)
        # the keys name the vectors file they belong to: a build killed between the two
        # replaces below leaves a pair that does not match, which loads as an empty cache
        # instead of giving chunks each other's vectors
        tmp_keys = self.folder / "keys.json.tmp"
        tmp_keys.write_text(
            json.dumps({"keys": keys, "vectors_sha256": _digest(tmp_vec)}), encoding="utf-8"
        )
        os.replace(tmp_vec, self.folder / "vectors.npy")
        os.replace(tmp_keys, self.folder / "keys.json")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class ParseCache:
    """Parsed articles (shared with `kb check`), their chunks and analysed lexical terms.

    Parsing Markdown, counting word pieces for chunking and stemming dominate a rebuild of
    a large help center; an edit to one file should redo that file only. Rewritten with
    just the current entries after each build; a damaged or outdated cache is ignored.
    """

    def __init__(self, folder: Path, model_id: str) -> None:
        self.path = folder / f"chunks-v{CHUNKING_VERSION}.{_PARSE_FORMAT}-{model_id}.pickle"
        self.articles = ArticleCache(folder)
        self._chunks: dict[tuple[str, str, str], tuple[list[Chunk], list[list[str]]]] = {}
        self._used: set[tuple[str, str, str]] = set()
        try:
            with self.path.open("rb") as f:
                self._chunks = pickle.load(f)
        except (
            OSError,
            EOFError,
            pickle.UnpicklingError,
            AttributeError,
            ImportError,
        ):
            pass  # a cold cache only costs time
        if not isinstance(self._chunks, dict):
            self._chunks = {}

    def chunks(self, article: Article, embedder: Embedder) -> tuple[list[Chunk], list[list[str]]]:
        key = (article.path, article.slug, article.content_hash)
        self._used.add(key)
        if key not in self._chunks:
            budget = token_budget(embedder.max_tokens)
            pieces = chunk_article(article, budget, embedder.count_tokens)
            analyzer = Analyzer(article.lang)
            terms = [analyzer.terms(c.lexical_text(article.title, article.tags)) for c in pieces]
            self._chunks[key] = (pieces, terms)
        return self._chunks[key]

    def save(self) -> None:
        self.articles.save()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        chunks = {k: v for k, v in self._chunks.items() if k in self._used}
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(chunks, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.path)


@dataclass(frozen=True)
class Published:
    source: bytes  # the file as it was when published
    content_hash: str
    on: str  # when this content was first published, UTC, "YYYY-MM-DD HH:MM"


class PublishedSources:
    """The last published bytes of every article file, so a file that stops parsing is
    served as it was instead of vanishing from the live site.

    Model-independent and kept beside the index versions; rewritten only when a build
    publishes something new. A damaged file only loses the fallback.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / f"published-v{_PUBLISHED_FORMAT}.pickle"
        self.entries: dict[str, Published] = {}
        try:
            with self.path.open("rb") as f:
                data = pickle.load(f)
            if isinstance(data, dict):
                self.entries = data
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            pass

    def sources(self) -> dict[str, bytes]:
        return {path: p.source for path, p in self.entries.items()}

    def record(self, files: dict[str, bytes], now: datetime) -> None:
        """Remember what a build just published (path -> bytes); files no longer
        published are forgotten."""
        stamp = f"{now:%Y-%m-%d %H:%M} UTC"
        entries = {}
        for path, source in files.items():
            digest = hashlib.sha256(source).hexdigest()
            old = self.entries.get(path)
            entries[path] = (
                old
                if old is not None and old.content_hash == digest
                else Published(source, digest, stamp)
            )
        if entries == self.entries and self.path.is_file():
            return
        self.entries = entries
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(entries, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.path)
