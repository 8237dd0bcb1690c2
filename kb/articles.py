"""The article model and loading a folder of Markdown articles.

A broken file never stops the others: loading returns the good articles plus a list of
problems, each naming file and line, so writers can fix them while the site keeps going.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import frontmatter
import yaml

from kb import dialects, language
from kb.errors import ArticleError, KBError
from kb.markdown import Document, parse
from kb.text import clean_unicode, slugify

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdx")
INCLUDE_DIRS = frozenset({"includes", "_includes", "partials", "_partials"})
_LANG_DIR = re.compile(r"^[a-z]{2}(?:-[a-z]{2})?$")


@dataclass(frozen=True)
class Article:
    path: str  # relative to the articles root, POSIX separators
    lang: str
    slug: str
    category: str
    title: str
    description: str
    body: str  # CommonMark after dialect normalisation
    doc: Document = field(repr=False, compare=False)
    tags: tuple[str, ...] = ()
    draft: bool = False
    updated: date | None = None
    translation_key: str | None = None
    aliases: tuple[str, ...] = ()
    featured: bool = False
    content_hash: str = ""
    body_line: int = 1  # file line where the body starts (after front matter)
    meta: tuple[tuple[str, str], ...] = ()  # other front-matter keys, as text

    @property
    def url(self) -> str:
        return f"/{self.lang}/articles/{self.slug}"


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str
    severity: str = "error"  # "error": the file was skipped; "warning": indexed anyway

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass
class LoadResult:
    articles: list[Article]
    problems: list[Problem]
    skipped: int = 0


def iter_article_files(root: Path) -> Iterator[Path]:
    """Markdown files that are articles: not hidden, not `_`-prefixed, not include fragments."""
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in MARKDOWN_SUFFIXES or not path.is_file():
            continue
        rel_parts = path.relative_to(root).parts
        if any(p.startswith((".", "_")) for p in rel_parts):
            continue
        if any(p.lower() in INCLUDE_DIRS for p in rel_parts[:-1]):
            continue
        if path.stem.lower() in ("readme", "toc", "index") and path.parent == root:
            continue
        yield path


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%d.%m.%Y.", "%Y/%m/%d"):
            try:
                return datetime.strptime(value.strip()[:10], fmt).date()
            except ValueError:
                continue
    return None


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return (str(value),)


def _split_front_matter(text: str, path: PurePosixPath) -> tuple[dict[str, Any], str, int]:
    """Metadata, body and the body's first line number; YAML errors carry the real line."""
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        # the context mark is where the broken construct began (an unclosed quote, say)
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1  # the YAML text starts after ---
        problem = (
            " ".join(p for p in (getattr(exc, "context", None), getattr(exc, "problem", None)) if p)
            or str(exc).splitlines()[0]
        )
        raise ArticleError(path, line, f"invalid YAML front matter: {problem}") from exc
    metadata = dict(post.metadata)
    if text.startswith("---") and not metadata and text.count("\n---") == 0:
        raise ArticleError(path, 1, "front matter starts with '---' but is never closed")
    body_start = 1
    if metadata:
        m = re.match(r"\A---[^\n]*\n.*?\n---[ \t]*\n", text, re.S)
        body_start = text[: m.end()].count("\n") + 1 if m else 1
    if not isinstance(post.metadata, dict):
        raise ArticleError(path, 2, "front matter must be a mapping of `key: value` lines")
    return metadata, post.content, body_start


def _language(meta: dict[str, Any], rel: PurePosixPath, text: str, default: str) -> str:
    if len(rel.parts) > 1 and _LANG_DIR.match(rel.parts[0]):
        return rel.parts[0].split("-")[0]
    for key in ("lang", "language", "locale", "ms.contentlocale"):
        value = meta.get(key)
        if isinstance(value, str) and re.match(r"^[A-Za-z]{2}", value):
            return value[:2].lower()
    return language.detect(text[:3000]) or default


def _category(meta: dict[str, Any], rel: PurePosixPath) -> str:
    folders = list(rel.parts[:-1])
    if folders and _LANG_DIR.match(folders[0]):
        folders = folders[1:]
    if isinstance(meta.get("category"), str) and meta["category"].strip():
        return slugify(meta["category"])
    return slugify(folders[0]) if folders else "general"


def load_article(path: Path, root: Path, default_lang: str = "en") -> Article:
    """One article, or an :class:`ArticleError` that names file and line."""
    rel = PurePosixPath(path.relative_to(root).as_posix())
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ArticleError(rel, line, "file is not UTF-8 text") from exc
    text = clean_unicode(text)
    meta, body, body_line = _split_front_matter(text, rel)
    lang = _language(meta, rel, f"{meta.get('title', '')}\n{body}", default_lang)
    body = dialects.normalise(body, lang=lang, path=path)
    doc = parse(body, asset_base=rel.parent)
    title = meta.get("title")
    if title is not None and not isinstance(title, str):
        title = str(title)
    title = (title or "").strip() or (doc.first_heading or "").strip()
    if not title:
        raise ArticleError(
            rel, 1, "article has no title: add `title:` to the front matter or a `# ` heading"
        )
    slug_value = meta.get("slug")
    slug = slugify(str(slug_value)) if slug_value else slugify(rel.stem, fallback="article")
    description = str(meta.get("description") or meta.get("summary") or "").strip()
    translation_key = meta.get("translation_key") or meta.get("translation_of")
    updated = None
    for key in ("updated", "last_updated", "date", "ms.date", "lastmod"):
        updated = _as_date(meta.get(key))
        if updated:
            break
    if updated is None:
        updated = datetime.fromtimestamp(path.stat().st_mtime).date()
    return Article(
        path=str(rel),
        lang=lang,
        slug=slug,
        category=_category(meta, rel),
        title=title,
        description=description,
        body=body,
        doc=doc,
        tags=_as_tuple(meta.get("tags") or meta.get("keywords")),
        draft=bool(meta.get("draft", False)),
        updated=updated,
        translation_key=str(translation_key) if translation_key else None,
        aliases=_as_tuple(meta.get("aliases")),
        featured=bool(meta.get("featured", False)),
        content_hash=hashlib.sha256(raw).hexdigest(),
        body_line=body_line,
        meta=tuple((str(k), str(v)) for k, v in meta.items() if k == "translation_of"),
    )


def load_articles(
    root: Path, default_lang: str = "en", cache: MutableMapping[str, Article] | None = None
) -> LoadResult:
    """Every article under ``root``; broken files become problems, not exceptions.

    ``cache`` maps a file's path + bytes to its parsed article, so a rebuild parses only
    the files that changed (the indexer keeps it between builds).
    """
    if not root.is_dir():
        raise KBError(f"articles folder {root} does not exist (set KB_ARTICLES_DIR or --articles)")
    articles: list[Article] = []
    problems: list[Problem] = []
    skipped = 0
    seen: dict[tuple[str, str], str] = {}
    for path in iter_article_files(root):
        try:
            file_key = ""
            if cache is not None:
                digest = hashlib.sha256(path.read_bytes())
                digest.update(f"\0{path.relative_to(root).as_posix()}\0{default_lang}".encode())
                file_key = digest.hexdigest()
            cached = cache.get(file_key) if cache is not None else None
            article = cached or load_article(path, root, default_lang)
            if cache is not None:
                cache[file_key] = article
        except ArticleError as exc:
            problems.append(Problem(str(exc.path), exc.line, exc.message))
            skipped += 1
            continue
        except Exception as exc:  # one odd file must never stop the build
            rel = path.relative_to(root).as_posix()
            problems.append(Problem(rel, 1, f"could not read article: {exc}"))
            skipped += 1
            continue
        key = (article.lang, article.slug)
        if key in seen:
            new_slug = slugify(str(PurePosixPath(article.path).with_suffix("")))
            problems.append(
                Problem(
                    article.path,
                    1,
                    f"slug '{article.slug}' is already used by {seen[key]}; "
                    f"published as '{new_slug}'",
                    "warning",
                )
            )
            article = _with_slug(article, new_slug)
            key = (article.lang, article.slug)
        seen[key] = article.path
        articles.append(article)
    return LoadResult(articles, problems, skipped)


def _with_slug(article: Article, slug: str) -> Article:
    from dataclasses import replace

    return replace(article, slug=slug)
