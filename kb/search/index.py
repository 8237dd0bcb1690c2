"""The index directory: its on-disk format, publishing a version, and loading it.

Layout (``KB_INDEX_DIR``)::

    CURRENT                 name of the live version (replaced atomically)
    versions/<name>/        manifest.json, articles.json, chunks.json,
                            vectors.npy, dense.faiss, lexical/<lang>/...

A build writes a complete new version folder, then swaps ``CURRENT`` with one
``os.replace``: readers see the old index or the new one, never half of either, and a
build killed half-way leaves the live index untouched.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from kb.content.chunks import CHUNKING_VERSION, Chunk
from kb.content.links import article_url
from kb.errors import IndexMismatchError, IndexNotFoundError
from kb.search.lexical import Analyzer, LexicalIndex

INDEX_FORMAT = 1
CURRENT = "CURRENT"
KEEP_VERSIONS = 3


@dataclass(frozen=True)
class ArticleEntry:
    """What pages need of an article, pre-rendered at build time."""

    lang: str
    slug: str
    title: str
    description: str
    category: str
    path: str
    html: str
    toc: list[tuple[int, str, str]]
    updated: str | None = None
    tags: list[str] = field(default_factory=list)
    translation_key: str | None = None
    featured: bool = False
    related: list[str] = field(default_factory=list)
    content_hash: str = ""

    @property
    def url(self) -> str:
        return article_url(self.lang, self.slug)


def _heading_terms(chunks: list[Chunk]) -> list[frozenset[str]]:
    """Each chunk's analysed heading, once per load instead of once per query and
    candidate (the search's heading bonus compares it with the query's terms)."""
    seen: dict[tuple[str, str], frozenset[str]] = {}
    out = []
    for c in chunks:
        key = (c.lang, c.heading)
        if key not in seen:
            seen[key] = frozenset(Analyzer(c.lang).terms(c.heading))
        out.append(seen[key])
    return out


def current_version(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    folder = index_dir / "versions" / name
    return folder if (folder / "manifest.json").is_file() else None


def named_version(index_dir: Path) -> str | None:
    """The version ``CURRENT`` names, complete or not (``current_version`` only returns
    complete ones): lets the server say why it is not serving it."""
    try:
        return (index_dir / CURRENT).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    folder = current_version(index_dir)
    if folder is None:
        return None
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return data


def update_manifest(index_dir: Path, changes: dict[str, Any]) -> dict[str, Any]:
    """Merge ``changes`` into the live version's manifest (atomic rewrite)."""
    folder = current_version(index_dir)
    if folder is None:
        raise IndexNotFoundError(f"no index in {index_dir}: build one with `kb index`")
    manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(changes)
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / "manifest.json")
    return manifest


def _records(items: Sequence[Any]) -> list[dict[str, Any]]:
    """Dataclasses as shallow dicts for JSON (same output as ``asdict``, whose deep copy
    took ~0.9 s for 20k chunks: a third of an incremental build)."""
    if not items:
        return []
    names = [f.name for f in fields(items[0])]
    return [{name: getattr(item, name) for name in names} for item in items]


def write_version(
    folder: Path,
    manifest: dict[str, Any],
    articles: list[ArticleEntry],
    chunks: list[Chunk],
    vectors: np.ndarray,
    dense: faiss.Index,
    lexical: dict[str, LexicalIndex],
    drafts: list[ArticleEntry] | None = None,
) -> None:
    """Write every file of one version; the manifest last, as the 'complete' marker."""
    folder.mkdir(parents=True, exist_ok=False)
    (folder / "drafts.json").write_text(
        json.dumps(_records(drafts or []), ensure_ascii=False), encoding="utf-8"
    )
    (folder / "articles.json").write_text(
        json.dumps(_records(articles), ensure_ascii=False), encoding="utf-8"
    )
    (folder / "chunks.json").write_text(
        json.dumps(_records(chunks), ensure_ascii=False), encoding="utf-8"
    )
    np.save(folder / "vectors.npy", vectors)
    faiss.write_index(dense, str(folder / "dense.faiss"))
    for lang, lex in lexical.items():
        lex.save(folder / "lexical" / lang)
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / "manifest.json")


def publish(index_dir: Path, name: str) -> None:
    """Make version ``name`` live atomically, then drop old versions beyond a few.

    The pointer is written to a file of this call's own, then renamed over ``CURRENT``:
    with one shared temporary name, workers publishing at once (each fetching the same
    version) renamed each other's file away and failed with FileNotFoundError."""
    tmp = index_dir / f"{CURRENT}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    tmp.write_text(name, encoding="utf-8")
    os.replace(tmp, index_dir / CURRENT)
    versions = index_dir / "versions"
    complete = sorted(p for p in versions.iterdir() if p.is_dir())
    for old in complete[:-KEEP_VERSIONS]:
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)


class SearchIndex:
    """One loaded, read-only index version; safe to share between threads."""

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        articles: list[ArticleEntry],
        chunks: list[Chunk],
        vectors: np.ndarray,
        dense: faiss.Index,
        lexical: dict[str, LexicalIndex],
    ) -> None:
        self.folder = folder
        self.version = folder.name
        self.manifest = manifest
        self.articles = {(a.lang, a.slug): a for a in articles}
        self.chunks = chunks
        self.vectors = vectors
        self.dense = dense
        self.lexical = lexical
        self.languages = tuple(sorted({a.lang for a in articles}))
        self.chunk_article = [(c.lang, c.slug) for c in chunks]
        # position of each chunk in its language's lexical index (-1: none)
        self.lexical_position = np.full(len(chunks), -1, dtype=np.int64)
        for lex in lexical.values():
            self.lexical_position[lex.chunk_ids] = np.arange(len(lex.chunk_ids))
        self.heading_terms = _heading_terms(chunks)
        self.drafts: dict[tuple[str, str], ArticleEntry] = {}
        self._sections: dict[tuple[str, str, str | None], str] | None = None
        self._size: int | None = None

    def size_bytes(self) -> int:
        """Bytes of this version's files on disk (computed once: versions never change)."""
        if self._size is None:
            self._size = sum(f.stat().st_size for f in self.folder.rglob("*") if f.is_file())
        return self._size

    @classmethod
    def load(cls, index_dir: Path, model_fingerprint: str | None = None) -> SearchIndex:
        folder = current_version(index_dir)
        if folder is None:
            raise IndexNotFoundError(
                f"no index in {index_dir}: build one with `kb index` (or `make serve`)"
            )
        return cls.load_version(folder, model_fingerprint)

    @classmethod
    def load_version(cls, folder: Path, model_fingerprint: str | None = None) -> SearchIndex:
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexMismatchError(f"index manifest in {folder} is unreadable: {exc}") from exc
        if manifest.get("format") != INDEX_FORMAT or (
            manifest.get("chunking_version") != CHUNKING_VERSION
        ):
            raise IndexMismatchError(
                f"index in {folder} was built by another version of kb; rebuild it with `kb index`"
            )
        model = manifest.get("model", {})
        if model_fingerprint is not None and model.get("fingerprint") != model_fingerprint:
            raise IndexMismatchError(
                f"index in {folder} was built with model {model.get('name')!r} "
                f"({model.get('fingerprint')}, backend {model.get('backend', 'torch')}), but "
                f"the configured model gives {model_fingerprint}; rebuild with `kb index` or "
                "set KB_MODEL / KB_BACKEND to what it was built with"
            )
        articles = [
            ArticleEntry(**{**a, "toc": [tuple(t) for t in a["toc"]]})
            for a in json.loads((folder / "articles.json").read_text(encoding="utf-8"))
        ]
        chunks = [
            Chunk(**{**c, "path": tuple(c["path"])})
            for c in json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        ]
        vectors = np.load(folder / "vectors.npy")
        dense = faiss.read_index(str(folder / "dense.faiss"))
        lexical = (
            {
                sub.name: LexicalIndex.load(sub.name, sub)
                for sub in sorted((folder / "lexical").iterdir())
                if sub.is_dir()
            }
            if (folder / "lexical").is_dir()
            else {}
        )
        if dense.ntotal != len(chunks) or len(vectors) != len(chunks):
            raise IndexMismatchError(f"index in {folder} is incomplete; rebuild it with `kb index`")
        missing = sorted({c.lang for c in chunks} - set(lexical))
        if missing:
            raise IndexMismatchError(
                f"index in {folder} is incomplete: no lexical index for {', '.join(missing)}; "
                "rebuild it with `kb index`"
            )
        index = cls(folder, manifest, articles, chunks, vectors, dense, lexical)
        drafts_file = folder / "drafts.json"
        if drafts_file.is_file():
            for d in json.loads(drafts_file.read_text(encoding="utf-8")):
                entry = ArticleEntry(**{**d, "toc": [tuple(t) for t in d["toc"]]})
                index.drafts[(entry.lang, entry.slug)] = entry
        return index

    def section_text(self, lang: str, slug: str, section_id: str | None) -> str:
        """All chunks of one section joined (long sections were split for the model)."""
        if self._sections is None:
            sections: dict[tuple[str, str, str | None], list[str]] = {}
            for c in self.chunks:
                if c.text:
                    sections.setdefault((c.lang, c.slug, c.section_id), []).append(c.text)
            self._sections = {k: "\n\n".join(v) for k, v in sections.items()}
        return self._sections.get((lang, slug, section_id), "")

    def article(self, lang: str, slug: str) -> ArticleEntry | None:
        return self.articles.get((lang, slug))
