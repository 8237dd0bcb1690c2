"""`kb check`: everything a writer can get wrong, as `path:line: severity: message`.

Runs without building an index, so it fits a pre-commit hook or a writers' CI job. Errors
(exit code 1) break the site or a link; warnings are worth a look (stale, untranslated,
empty sections, near-duplicate articles that should be merged).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import numpy as np

from kb.content.articles import (
    Article,
    Problem,
    default_slug,
    folder_language,
    load_articles,
)
from kb.content.links import Site, article_url, resolve
from kb.models.embeddings import as_passages, near_duplicate_for

if TYPE_CHECKING:  # the model is loaded only when asked: the hook must stay fast
    from kb.models.embeddings import Embedder
    from kb.settings import Settings


def _line_of(root: Path, article: Article, needle: str) -> int:
    try:
        lines = (root / article.path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    for number, line in enumerate(lines, 1):
        if needle in line:
            return number
    return article.body_line


@dataclass(frozen=True)
class Tree:
    """What the rules look at: the parsed articles and where they came from."""

    root: Path
    articles: list[Article]
    site: Site
    today: date
    stale_days: int

    @property
    def languages(self) -> list[str]:
        return sorted({a.lang for a in self.articles})


def broken_links(tree: Tree, a: Article) -> Iterator[Problem]:
    """A link or image to a page, section or file that does not exist: an error."""
    for ref, image in [(r, False) for r in a.doc.links] + [(r, True) for r in a.doc.images]:
        verdict = resolve(ref.target, a.path, tree.site, image=image)
        if verdict.problem:
            yield Problem(a.path, a.body_line + ref.line - 1, verdict.problem, "error")


def empty_sections(tree: Tree, a: Article) -> Iterator[Problem]:
    """A heading with nothing under it is a promise the page does not keep."""
    for section in a.doc.sections:
        if section.heading is not None and not section.text.strip():
            line = a.body_line + section.first_line - 1
            yield Problem(a.path, line, f"empty section '{section.heading.text}'", "warning")


def stale(tree: Tree, a: Article) -> Iterator[Problem]:
    if a.updated and tree.today - a.updated > timedelta(days=tree.stale_days):
        yield Problem(
            a.path,
            _line_of(tree.root, a, "updated:"),
            f"not updated since {a.updated} (over {tree.stale_days} days)",
            "warning",
        )


def dangling_translation_of(tree: Tree, a: Article) -> Iterator[Problem]:
    target = dict(a.meta).get("translation_of")
    if target and not any(o.slug == target and o.lang != a.lang for o in tree.articles):
        line = _line_of(tree.root, a, "translation_of")
        yield Problem(a.path, line, f"translation_of '{target}' points to no article", "error")


ARTICLE_RULES: tuple[Callable[[Tree, Article], Iterator[Problem]], ...] = (
    broken_links,
    empty_sections,
    stale,
    dangling_translation_of,
)


def translations(tree: Tree) -> Iterator[Problem]:
    """Per translation key: a language missing (warning) or present twice (error)."""
    groups: dict[str, list[Article]] = defaultdict(list)
    for a in tree.articles:
        if a.translation_key:
            groups[a.translation_key].append(a)
    for key, members in groups.items():
        present = {m.lang for m in members}
        for m in members:
            for lang in tree.languages:
                if lang not in present:
                    line = _line_of(tree.root, m, "translation_")
                    yield Problem(m.path, line, f"no '{lang}' translation for '{key}'", "warning")
        for lang in present:
            same = [m for m in members if m.lang == lang]
            for extra in same[1:]:
                yield Problem(
                    extra.path,
                    _line_of(tree.root, extra, "translation_"),
                    f"'{key}' has two '{lang}' articles: {same[0].path} and {extra.path}",
                    "error",
                )


def check_tree(
    root: Path,
    *,
    default_lang: str = "en",
    embedder: Embedder | None = None,
    index_dir: Path | None = None,
    stale_days: int = 365,
    near_duplicate: float | None = None,
    today: date | None = None,
    cache: MutableMapping[str, Article] | None = None,
) -> list[Problem]:
    """Every finding for the tree at ``root``.

    Near-duplicates: with ``embedder``, every article is embedded (complete, slow);
    otherwise with ``index_dir``, the vectors the last `kb index` made are reused for the
    articles that have not changed since (fast enough for a pre-commit hook).
    ``cache``: parsed articles by file content (shared with the indexer).
    """
    loaded = load_articles(root, default_lang, cache)
    # what the build works around (a duplicate slug published under another) is still
    # the writer's error to fix
    findings = [
        Problem(p.path, p.line, p.check_message, "error") if p.check_message else p
        for p in loaded.problems
    ]
    articles = loaded.articles
    site = Site.of(articles, root)
    _add_unreadable(site, loaded.problems, {a.path for a in articles}, default_lang)
    tree = Tree(root, articles, site, today or date.today(), stale_days)
    findings += [p for a in articles for rule in ARTICLE_RULES for p in rule(tree, a)]
    findings += translations(tree)
    findings += near_duplicates(articles, embedder, index_dir, near_duplicate)
    return sorted(findings, key=lambda f: (f.path, f.line, f.message))


def _add_unreadable(
    site: Site, problems: list[Problem], loaded: set[str], default_lang: str
) -> None:
    """Files that did not parse stay on the site in their last published version: links
    to them are not broken, and one mistake should read as one error, not one per link."""
    for p in problems:
        if p.severity == "error" and p.path not in loaded:
            rel = PurePosixPath(p.path)
            lang = folder_language(rel) or default_lang
            site.add_unreadable(p.path, article_url(lang, default_slug(rel)))


def check_articles(
    settings: Settings,
    stale_days: int = 365,
    near_duplicate: float | None = None,
    embeddings: bool | None = None,
) -> list[Problem]:
    """`kb check` as configured: ``embeddings`` True embeds every article with the model,
    False skips near-duplicates, None reuses the last build's vectors; parsed articles are
    cached by content for the next check and the next build."""
    from kb.content.article_cache import ArticleCache

    embedder = None
    if embeddings:
        from kb.models.embeddings import embedder_for

        embedder = embedder_for(settings)
    cache = ArticleCache(settings.index_dir / "cache")
    problems = check_tree(
        settings.articles_dir,
        default_lang=settings.default_lang,
        embedder=embedder,
        index_dir=settings.index_dir if embeddings is None else None,
        stale_days=stale_days,
        near_duplicate=near_duplicate,
        cache=cache,
    )
    cache.save()
    return problems


def near_duplicates(
    articles: list[Article],
    embedder: Embedder | None,
    index_dir: Path | None,
    threshold: float | None,
) -> list[Problem]:
    """Two articles of one language saying the same (by the model's own threshold)."""
    if len(articles) < 2:
        return []
    if embedder is not None:
        limit = threshold or near_duplicate_for(embedder.name)
        return _near_duplicates(articles, _embedded(articles, embedder), limit)
    indexed = _indexed_vectors(index_dir, articles) if index_dir is not None else None
    if indexed is None:
        return []
    same, vectors, model = indexed
    return _near_duplicates(same, vectors, threshold or near_duplicate_for(model))


def _embedded(articles: list[Article], embedder: Embedder) -> np.ndarray:
    texts = [
        f"{a.title}\n{a.description}\n{a.doc.first_paragraph}\n"
        + " ".join(s.text for s in a.doc.sections)[:1500]
        for a in articles
    ]
    return embedder.encode(as_passages(embedder, texts))


def _indexed_vectors(
    index_dir: Path, articles: list[Article]
) -> tuple[list[Article], np.ndarray, str] | None:
    """Each unchanged article's vector from the live index: the mean of its sections'.

    Read straight from the version files (the `CURRENT` pointer kb.search.index publishes):
    loading the search index would cost the hook more than the whole check.
    """
    try:
        name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
        folder = index_dir / "versions" / name
        entries = json.loads((folder / "articles.json").read_text(encoding="utf-8"))
        chunks = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        vectors = np.load(folder / "vectors.npy")
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    hashes = {(e["lang"], e["slug"]): e["content_hash"] for e in entries}
    rows: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, c in enumerate(chunks):
        rows[(c["lang"], c["slug"])].append(i)
    same = [a for a in articles if hashes.get((a.lang, a.slug)) == a.content_hash]
    if len(same) < 2 or len(vectors) != len(chunks):
        return None
    means = np.stack([vectors[rows[(a.lang, a.slug)]].mean(axis=0) for a in same])
    means /= np.linalg.norm(means, axis=1, keepdims=True) + 1e-9
    return same, means.astype(np.float32), str(manifest.get("model", {}).get("name", ""))


def _near_duplicates(
    articles: list[Article], vectors: np.ndarray, threshold: float
) -> list[Problem]:
    """Two articles answering the same question confuse search and readers: merge them."""
    sims = vectors @ vectors.T
    findings = []
    for i, a in enumerate(articles):
        for j in range(i + 1, len(articles)):
            b = articles[j]
            if a.lang == b.lang and sims[i, j] >= threshold:
                findings.append(
                    Problem(
                        b.path,
                        1,
                        f"near-duplicate of {a.path} (similarity "
                        f"{float(sims[i, j]):.2f}): consider merging",
                        "warning",
                    )
                )
    return findings


def new_article_text(title: str, lang: str, today: date | None = None) -> str:
    today = today or date.today()
    quoted = title.replace('"', '\\"')
    intro = (
        "Kratak odgovor na najčešće pitanje, u dvije-tri rečenice."
        if lang == "hr"
        else "The short answer to the most common question, in two or three sentences."
    )
    section = "Prvi odjeljak" if lang == "hr" else "First section"
    return (
        "---\n"
        f'title: "{quoted}"\n'
        'description: ""\n'
        "tags: []\n"
        f"lang: {lang}\n"
        "translation_key: \n"
        f"updated: {today.isoformat()}\n"
        "draft: true\n"
        "---\n\n"
        f"{intro}\n\n"
        f"## {section}\n\n"
    )
