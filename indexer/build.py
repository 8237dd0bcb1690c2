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

import numpy as np
import yaml

from indexer.cache import EmbeddingCache, ParseCache, PublishedSources
from indexer.vectors import dense_index, embed, related_articles
from kb.content import links
from kb.content.articles import Article, LoadResult, Problem, iter_article_files, load_articles
from kb.content.chunks import CHUNKING_VERSION, Chunk
from kb.content.links import Site
from kb.errors import KBError
from kb.models.embeddings import Embedder
from kb.search.fusion import profile_for
from kb.search.index import INDEX_FORMAT, ArticleEntry, publish, read_manifest, write_version
from kb.search.lexical import LexicalIndex, stopwords
from kb.search.typos import Vocabulary
from kb.settings import Settings


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
    published, drafts = _published(loaded, publish_drafts, articles_dir)
    site = Site.of(loaded.articles, articles_dir)
    chunks, chunk_terms = _chunked(published, parsed, embedder)
    cache = EmbeddingCache(index_dir / "cache", model_id, embedder.dimension)
    vectors, embedded = _vectors(published, chunks, embedder, cache, settings, quiet)
    dense, kind = dense_index(vectors, settings.hnsw_min_chunks)
    lexical = _lexical(chunks, chunk_terms, published, articles_dir)
    related = related_articles(published, chunks, vectors)
    entries = [_entry(a, related.get((a.lang, a.slug), []), site) for a in published]
    draft_entries = [_entry(a, [], site) for a in loaded.articles if a.draft]
    now = datetime.now(UTC)
    version = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    manifest = _manifest(embedder, entries, chunks, kind, articles_dir, index_dir, now)
    manifest["source_fingerprint"] = fingerprint
    folder = index_dir / "versions" / version
    write_version(folder, manifest, entries, chunks, vectors, dense, lexical, drafts=draft_entries)
    publish(index_dir, version)
    if not publish_drafts:  # an impact build shows what-ifs; it is not the site's history
        last.record(_sources(articles_dir, loaded, last), now)
    return BuildReport(
        version=version, articles=len(entries), chunks=len(chunks), embedded=embedded,
        reused=len(chunks) - embedded, drafts=drafts, skipped=loaded.skipped,
        seconds=time.perf_counter() - started, index_kind=kind, problems=problems,
        kept=len(loaded.kept),
    )  # fmt: skip


def _published(
    loaded: LoadResult, publish_drafts: frozenset[str], articles_dir: Path
) -> tuple[list[Article], int]:
    """The articles the site shows (drafts named in ``publish_drafts`` too), and how many
    drafts stay hidden; nothing to show is an error, not an empty site."""
    if publish_drafts:
        loaded.articles = [
            replace(a, draft=False) if a.path in publish_drafts else a for a in loaded.articles
        ]
    published = [a for a in loaded.articles if not a.draft]
    drafts = len(loaded.articles) - len(published)
    if not published:
        raise KBError(
            f"no publishable articles in {articles_dir} "
            f"({loaded.skipped} skipped, {drafts} drafts); nothing to index"
        )
    return published, drafts


def _chunked(
    published: list[Article], parsed: ParseCache, embedder: Embedder
) -> tuple[list[Chunk], list[list[str]]]:
    """Every published article's sections and their lexical terms (cached by content)."""
    chunks: list[Chunk] = []
    chunk_terms: list[list[str]] = []
    for article in published:
        article_chunks, terms = parsed.chunks(article, embedder)
        chunks.extend(article_chunks)
        chunk_terms.extend(terms)
    parsed.save()
    return chunks, chunk_terms


def _vectors(
    published: list[Article],
    chunks: list[Chunk],
    embedder: Embedder,
    cache: EmbeddingCache,
    settings: Settings,
    quiet: bool,
) -> tuple[np.ndarray, int]:
    """Each section's vector (its article's title with it), and how many were embedded
    now rather than taken from the cache."""
    titles = {(a.lang, a.slug): a.title for a in published}
    texts = [c.embed_text(titles[(c.lang, c.slug)]) for c in chunks]
    return embed(texts, embedder, cache, settings.embed_batch_size, quiet)


def _lexical(
    chunks: list[Chunk], chunk_terms: list[list[str]], published: list[Article], articles_dir: Path
) -> dict[str, LexicalIndex]:
    """One BM25 index per language, with its synonyms and its typo vocabulary."""
    by_key = {(a.lang, a.slug): a for a in published}
    by_lang: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(chunks):
        by_lang[c.lang].append(i)
    return {
        lang: LexicalIndex.from_terms(
            lang,
            [chunk_terms[i] for i in ids],
            ids,
            _synonyms(articles_dir, lang),
            vocabulary(lang, [chunks[i] for i in ids], by_key),
        )
        for lang, ids in by_lang.items()
    }


def _thresholds(index_dir: Path, embedder: Embedder) -> tuple[dict[str, float], Any]:
    """The model's answer thresholds, with `kb calibrate`'s on top: they survive rebuilds
    with the same model and the same confidence (a calibration of an older one does not)."""
    profile = profile_for(embedder.name)
    thresholds: dict[str, float] = dict(profile.thresholds)
    previous = read_manifest(index_dir)
    fingerprint = getattr(embedder, "fingerprint", embedder.name)
    same_model = previous and previous.get("model", {}).get("fingerprint") == fingerprint
    if previous and same_model and profile.current_calibration(previous):
        thresholds.update(previous.get("answer_thresholds", {}))
        return thresholds, previous["calibration"]
    return thresholds, None


def _manifest(
    embedder: Embedder,
    entries: list[ArticleEntry],
    chunks: list[Chunk],
    kind: str,
    articles_dir: Path,
    index_dir: Path,
    now: datetime,
) -> dict[str, Any]:
    """What a version says about itself: format, model, contents, thresholds."""
    thresholds, calibration = _thresholds(index_dir, embedder)
    languages = sorted({c.lang for c in chunks})
    return {
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
        "languages": {lang: sum(1 for a in entries if a.lang == lang) for lang in languages},
        "content_hash": hashlib.sha256(
            "".join(sorted(a.content_hash for a in entries)).encode()
        ).hexdigest(),
        "articles_dir": str(articles_dir.resolve()),
        "built_at": now.isoformat(timespec="seconds"),
        "answer_thresholds": thresholds,
        "calibration": calibration,
        "categories": _category_names(articles_dir, set(languages)),
    }


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
