"""Folder of articles -> a new, complete index version, published atomically."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import yaml
from tqdm import tqdm

from indexer.cache import EmbeddingCache, ParseCache, PublishedSources, text_key
from kb import links
from kb.articles import Article, LoadResult, Problem, iter_article_files, load_articles
from kb.chunks import CHUNKING_VERSION, Chunk
from kb.embeddings import Embedder, as_passages
from kb.errors import KBError
from kb.fusion import profile_for
from kb.index import INDEX_FORMAT, ArticleEntry, publish, read_manifest, write_version
from kb.lexical import LexicalIndex, stopwords
from kb.links import Site
from kb.settings import Settings
from kb.typos import Vocabulary

RELATED_PER_ARTICLE = 5


@dataclass
class BuildReport:
    version: str
    articles: int
    chunks: int
    embedded: int
    reused: int
    drafts: int
    skipped: int
    seconds: float
    index_kind: str
    problems: list[Problem] = field(default_factory=list)
    kept: int = 0  # broken files served as last published
    published: bool = True  # False: --strict refused because of errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def source_fingerprint(articles_dir: Path) -> str:
    """Cheap fingerprint of the article files (names, sizes, mtimes) to tell if a rebuild is due."""
    digest = hashlib.sha256()
    for path in iter_article_files(articles_dir):
        st = path.stat()
        digest.update(f"{path.relative_to(articles_dir)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


def _embed(
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


def _read_yaml(path: Path) -> Any:
    """libyaml when available: the pure-Python parser took a third of a one-edit rebuild
    (the synonym lists), and writers wait on that rebuild to see their edit live."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def _category_names(articles_dir: Path, languages: set[str]) -> dict[str, dict[str, str]]:
    """Display names from `articles/<lang>/_categories.yml` (slug: name): writers own them."""
    names: dict[str, dict[str, str]] = {}
    for lang in languages:
        path = articles_dir / lang / "_categories.yml"
        try:
            data = _read_yaml(path) if path.is_file() else None
        except (OSError, yaml.YAMLError):
            data = None
        if isinstance(data, dict):
            names[lang] = {str(k): str(v) for k, v in data.items()}
    return names


def _synonyms(articles_dir: Path, lang: str) -> list[list[str]]:
    """Writers' synonym groups from `articles/<lang>/_synonyms.yml` (a list of lists)."""
    path = articles_dir / lang / "_synonyms.yml"
    try:
        data = _read_yaml(path) if path.is_file() else None
    except (OSError, yaml.YAMLError):
        return []
    if not isinstance(data, list):
        return []
    return [[str(w) for w in group] for group in data if isinstance(group, list)]


def _dense_index(vectors: np.ndarray, hnsw_min: int) -> tuple[faiss.Index, str]:
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


def _related(
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


def _entry(a: Article, related: list[str], site: Site) -> ArticleEntry:
    return ArticleEntry(
        lang=a.lang,
        slug=a.slug,
        title=a.title,
        description=a.description,
        category=a.category,
        path=a.path,
        html=links.rewrite(a.doc.html, a.path, site),
        toc=[(h.level, h.text, h.id) for h in a.doc.headings if h.level in (2, 3)],
        updated=a.updated.isoformat() if a.updated else None,
        tags=list(a.tags),
        translation_key=a.translation_key,
        featured=a.featured,
        related=related,
        content_hash=a.content_hash,
    )


def vocabulary(
    lang: str, chunks: list[Chunk], articles: dict[tuple[str, str], Article]
) -> Vocabulary:
    """The words typed queries are corrected to: everything the lexical index sees."""
    texts = (
        c.lexical_text(articles[(c.lang, c.slug)].title, articles[(c.lang, c.slug)].tags)
        for c in chunks
    )
    return Vocabulary.build(lang, texts, stopwords(lang))


def build_index(
    settings: Settings,
    embedder: Embedder,
    *,
    articles_dir: Path | None = None,
    index_dir: Path | None = None,
    quiet: bool = False,
    publish_drafts: frozenset[str] = frozenset(),
    strict: bool = False,
) -> BuildReport:
    """Load, chunk, embed (cached), index and publish. Broken articles become problems.

    A file that no longer parses is published as it was last published (its problems
    say since when); a new broken file is left out. ``strict``: publish nothing while
    any file has an error (for CI). ``publish_drafts``: article paths to treat as
    published (draft impact).
    """
    started = time.perf_counter()
    articles_dir = articles_dir or settings.articles_dir
    index_dir = index_dir or settings.index_dir
    fingerprint = source_fingerprint(articles_dir) if articles_dir.is_dir() else ""
    index_dir.mkdir(parents=True, exist_ok=True)
    model_id = getattr(embedder, "fingerprint", embedder.name)
    parsed = ParseCache(index_dir / "cache", model_id)
    last = PublishedSources(index_dir / "cache")
    loaded: LoadResult = load_articles(
        articles_dir, settings.default_lang, parsed.articles, None if strict else last.sources()
    )
    problems = _explain(loaded, last, strict)
    if strict and any(p.severity == "error" for p in problems):
        return _refused(loaded, problems, started)
    if publish_drafts:
        loaded.articles = [
            replace(a, draft=False) if a.path in publish_drafts else a for a in loaded.articles
        ]
    published = [a for a in loaded.articles if not a.draft]
    drafts = len(loaded.articles) - len(published)
    site = Site.of(loaded.articles, articles_dir)
    if not published:
        raise KBError(
            f"no publishable articles in {articles_dir} "
            f"({loaded.skipped} skipped, {drafts} drafts); nothing to index"
        )
    chunks: list[Chunk] = []
    chunk_terms: list[list[str]] = []
    titles: dict[tuple[str, str], str] = {}
    by_key = {(a.lang, a.slug): a for a in published}
    for article in published:
        titles[(article.lang, article.slug)] = article.title
        article_chunks, terms = parsed.chunks(article, embedder)
        chunks.extend(article_chunks)
        chunk_terms.extend(terms)
    parsed.save()

    cache = EmbeddingCache(index_dir / "cache", model_id, embedder.dimension)
    embed_texts = [c.embed_text(titles[(c.lang, c.slug)]) for c in chunks]
    vectors, embedded = _embed(embed_texts, embedder, cache, settings.embed_batch_size, quiet)
    dense, kind = _dense_index(vectors, settings.hnsw_min_chunks)

    by_lang: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(chunks):
        by_lang[c.lang].append(i)
    lexical = {
        lang: LexicalIndex.from_terms(
            lang,
            [chunk_terms[i] for i in ids],
            ids,
            _synonyms(articles_dir, lang),
            vocabulary(lang, [chunks[i] for i in ids], by_key),
        )
        for lang, ids in by_lang.items()
    }
    related = _related(published, chunks, vectors)
    entries = [_entry(a, related.get((a.lang, a.slug), []), site) for a in published]
    draft_entries = [_entry(a, [], site) for a in loaded.articles if a.draft]
    profile = profile_for(embedder.name)
    thresholds: dict[str, float] = dict(profile.thresholds)
    previous = read_manifest(index_dir)
    calibration = None
    if (
        previous
        and profile.current_calibration(previous)
        and previous.get("model", {}).get("fingerprint")
        == getattr(embedder, "fingerprint", embedder.name)
    ):
        # `kb calibrate` results survive rebuilds with the same model and confidence
        thresholds.update(previous.get("answer_thresholds", {}))
        calibration = previous["calibration"]
    now = datetime.now(UTC)
    version = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    manifest: dict[str, Any] = {
        "format": INDEX_FORMAT,
        "chunking_version": CHUNKING_VERSION,
        "model": {
            "name": embedder.name,
            "fingerprint": getattr(embedder, "fingerprint", embedder.name),
            "dimension": embedder.dimension,
            "backend": getattr(embedder, "backend", "torch"),
        },
        "index_kind": kind,
        "articles": len(entries),
        "chunks": len(chunks),
        "languages": {lang: sum(1 for a in entries if a.lang == lang) for lang in by_lang},
        "content_hash": hashlib.sha256(
            "".join(sorted(a.content_hash for a in entries)).encode()
        ).hexdigest(),
        "source_fingerprint": fingerprint,
        "articles_dir": str(articles_dir.resolve()),
        "built_at": now.isoformat(timespec="seconds"),
        "answer_thresholds": thresholds,
        "calibration": calibration,
        "categories": _category_names(articles_dir, set(by_lang)),
    }
    write_version(
        index_dir / "versions" / version,
        manifest,
        entries,
        chunks,
        vectors,
        dense,
        lexical,
        drafts=draft_entries,
    )
    publish(index_dir, version)
    if not publish_drafts:  # an impact build shows what-ifs; it is not the site's history
        last.record(_sources(articles_dir, loaded, last), now)
    return BuildReport(
        version=version,
        articles=len(entries),
        chunks=len(chunks),
        embedded=embedded,
        reused=len(chunks) - embedded,
        drafts=drafts,
        skipped=loaded.skipped,
        seconds=time.perf_counter() - started,
        index_kind=kind,
        problems=problems,
        kept=len(loaded.kept),
    )


def _explain(loaded: LoadResult, last: PublishedSources, strict: bool) -> list[Problem]:
    """Each error says what became of its file: kept as last published, or left out."""
    broken = {p.path for p in loaded.problems if p.severity == "error"}
    kept = set(loaded.kept)
    out = []
    for p in loaded.problems:
        if p.severity != "error" or p.path not in broken:
            out.append(p)
        elif strict:
            out.append(replace(p, message=f"{p.message}; nothing published (--strict)"))
        elif p.path in kept:
            out.append(
                replace(
                    p,
                    message=f"{p.message}; keeping the version published on "
                    f"{last.entries[p.path].on}",
                )
            )
        else:
            out.append(replace(p, message=f"{p.message}; not published"))
    return out


def _sources(articles_dir: Path, loaded: LoadResult, last: PublishedSources) -> dict[str, bytes]:
    """The bytes each article was built from: the file's, or the kept version's."""
    out: dict[str, bytes] = {}
    kept = set(loaded.kept)
    for a in loaded.articles:
        if a.path in kept:
            out[a.path] = last.entries[a.path].source
            continue
        try:
            out[a.path] = (articles_dir / a.path).read_bytes()
        except OSError:
            continue
    return out


def _refused(loaded: LoadResult, problems: list[Problem], started: float) -> BuildReport:
    return BuildReport(
        version="",
        articles=0,
        chunks=0,
        embedded=0,
        reused=0,
        drafts=sum(a.draft for a in loaded.articles),
        skipped=loaded.skipped,
        seconds=time.perf_counter() - started,
        index_kind="",
        problems=problems,
        published=False,
    )
