"""The article model and loading a folder of Markdown articles.

A broken file never stops the others: loading returns the good articles plus a list of
problems, each naming file and line, so writers can fix them while the site keeps going.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
from collections.abc import Iterator, Mapping, MutableMapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath

from kb import language
from kb.content import dialects, front_matter
from kb.content.front_matter import Parsed
from kb.content.links import article_url
from kb.content.markdown import Document, parse
from kb.errors import ArticleError, KBError
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
        return article_url(self.lang, self.slug)

    @property
    def anchors(self) -> frozenset[str]:
        """Every element id the page has for a `#section` link: its headings'."""
        return frozenset(h.id for h in self.doc.headings)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str
    severity: str = "error"  # "error": the file was skipped; "warning": indexed anyway
    # what `kb check` reports instead, as an error: the build worked around it, but the
    # writer must fix it (a duplicate slug published under another one)
    check_message: str | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass
class LoadResult:
    articles: list[Article]
    problems: list[Problem]
    skipped: int = 0
    kept: list[str] = field(default_factory=list)  # broken files loaded as last published


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


def default_slug(rel: PurePosixPath) -> str:
    """An article's slug when its front matter gives none: its file name."""
    return slugify(rel.stem, fallback="article")


def folder_language(rel: PurePosixPath) -> str | None:
    """The language an article's top folder names (`hr/`, `en-gb/`), if it names one."""
    if len(rel.parts) > 1 and _LANG_DIR.match(rel.parts[0]):
        return rel.parts[0].split("-")[0]
    return None


def _language(fm: Parsed, rel: PurePosixPath, text: str, default: str) -> str:
    """The folder decides; a `lang:` that contradicts it is an error, never a guess."""
    folder = folder_language(rel)
    declared = fm.meta.lang
    if folder and declared and declared != folder:
        raise ArticleError(
            rel,
            fm.lines.get("lang", 2),
            f"lang: '{declared}' contradicts the language folder '{rel.parts[0]}/'",
        )
    return folder or declared or fm.meta.locale or language.detect(text[:3000]) or default


def _category(fm: Parsed, rel: PurePosixPath) -> str:
    folders = list(rel.parts[:-1])
    if folders and _LANG_DIR.match(folders[0]):
        folders = folders[1:]
    if fm.meta.category:
        return slugify(fm.meta.category)
    return slugify(folders[0]) if folders else "general"


def read_text(raw: bytes, rel: PurePosixPath) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ArticleError(rel, line, "file is not UTF-8 text") from exc
    return clean_unicode(text)


def load_article(path: Path, root: Path, default_lang: str = "en") -> Article:
    """One article, or an :class:`ArticleError` that names file and line."""
    return parse_article(path.read_bytes(), path, root, default_lang)


def parse_article(raw: bytes, path: Path, root: Path, default_lang: str = "en") -> Article:
    """The article ``raw`` (the bytes of ``path``, now or as last published) describes.

    Every front-matter violation raises :class:`FrontMatterProblems` with all of them,
    each at its key's line.
    """
    rel = PurePosixPath(path.relative_to(root).as_posix())
    text = read_text(raw, rel)
    try:
        fm = front_matter.parse(text)
    except front_matter.FrontMatterError as exc:
        raise FrontMatterProblems(rel, exc.violations) from None
    meta = fm.meta
    lang = _language(fm, rel, f"{meta.title or ''}\n{fm.body}", default_lang)
    body = dialects.normalise(fm.body, lang=lang, path=path)
    doc = parse(body, asset_base=rel.parent)
    title = meta.title or (doc.first_heading or "").strip()
    if not title:
        raise ArticleError(
            rel, 1, "article has no title: add `title:` to the front matter or a `# ` heading"
        )
    slug = meta.slug or default_slug(rel)
    updated = meta.last_update
    if updated is None:
        try:
            updated = datetime.fromtimestamp(path.stat().st_mtime).date()
        except OSError:
            updated = None
    return Article(
        path=str(rel),
        lang=lang,
        slug=slug,
        category=_category(fm, rel),
        title=title,
        description=meta.description or "",
        body=body,
        doc=doc,
        tags=tuple(meta.tags or meta.keywords),
        draft=meta.draft,
        updated=updated,
        translation_key=meta.translation_key or meta.translation_of,
        aliases=tuple(meta.aliases),
        featured=meta.featured,
        content_hash=hashlib.sha256(raw).hexdigest(),
        body_line=fm.body_line,
        meta=(("translation_of", meta.translation_of),) if meta.translation_of else (),
    )


class FrontMatterProblems(ArticleError):
    """Several violations in one file's front matter: each is reported at its own line."""

    def __init__(self, path: PurePosixPath, violations: list[front_matter.Violation]) -> None:
        self.violations = violations
        first = violations[0]
        super().__init__(path, first.line, first.message)


def _problems(exc: ArticleError) -> list[Problem]:
    if isinstance(exc, FrontMatterProblems):
        return [Problem(str(exc.path), v.line, v.message) for v in exc.violations]
    return [Problem(str(exc.path), exc.line, exc.message)]


def load_articles(
    root: Path,
    default_lang: str = "en",
    cache: MutableMapping[str, Article] | None = None,
    last_good: Mapping[str, bytes] | None = None,
) -> LoadResult:
    """Every article under ``root``; broken files become problems, not exceptions.

    ``cache`` maps a file's path + bytes to its parsed article, so a rebuild parses only
    the files that changed (the indexer keeps it between builds). ``last_good`` maps a
    path to the bytes it had when last published: a file that no longer parses is loaded
    from those instead (listed in ``LoadResult.kept``), so one bad save never takes a
    live article off the site.
    """
    if not root.is_dir():
        raise KBError(f"articles folder {root} does not exist (set KB_ARTICLES_DIR or --articles)")
    files = list(iter_article_files(root))
    loader = _Loader(root, default_lang, cache, _parse_many(files, root, default_lang, cache))
    result = LoadResult([], [])
    seen: dict[tuple[str, str], str] = {}
    for path in files:
        rel = path.relative_to(root).as_posix()
        article = loader.load(path, rel, result, last_good.get(rel) if last_good else None)
        if article is None:
            result.skipped += 1
            continue
        article = _unique_slug(article, seen, result.problems)
        seen[(article.lang, article.slug)] = article.path
        result.articles.append(article)
    return result


@dataclass
class _Loader:
    """Parses one file at a time: from the cache, from the parallel first pass, or now."""

    root: Path
    default_lang: str
    cache: MutableMapping[str, Article] | None
    prepared: dict[str, Article | list[Problem]]

    def load(
        self, path: Path, rel: str, result: LoadResult, previous: bytes | None
    ) -> Article | None:
        """The article, or its last published version (recorded as kept) when it no
        longer parses; None when neither does. Problems go to ``result``."""
        try:
            return self.parsed(path, path.read_bytes())
        except Exception as exc:  # one odd file must never stop the build
            if isinstance(exc, _Failed):
                result.problems += exc.problems
            elif isinstance(exc, ArticleError):
                result.problems += _problems(exc)
            else:
                result.problems.append(Problem(rel, 1, f"could not read article: {exc}"))
        if previous is None:
            return None
        try:
            article = self.parsed(path, previous, current=False)
        except Exception:
            return None  # the kept version no longer parses either (kb changed)
        result.kept.append(rel)
        return article

    def parsed(self, path: Path, raw: bytes, current: bool = True) -> Article:
        rel = path.relative_to(self.root).as_posix()
        file_key = ""
        if self.cache is not None:
            digest = hashlib.sha256(raw)
            digest.update(f"\0{rel}\0{self.default_lang}".encode())
            file_key = digest.hexdigest()
            cached = self.cache.get(file_key)
            if cached is not None:
                return cached
        done = self.prepared.pop(rel, None) if current else None
        if isinstance(done, list):
            raise _Failed(done)
        article = done or parse_article(raw, path, self.root, self.default_lang)
        if self.cache is not None:
            self.cache[file_key] = article
        return article


def _unique_slug(
    article: Article, seen: dict[tuple[str, str], str], problems: list[Problem]
) -> Article:
    """A second article with a taken slug is published under its path's slug instead."""
    key = (article.lang, article.slug)
    if key not in seen:
        return article
    new_slug = slugify(str(PurePosixPath(article.path).with_suffix("")))
    problems.append(
        Problem(
            article.path,
            1,
            f"slug '{article.slug}' is already used by {seen[key]}; published as '{new_slug}'",
            "warning",
            check_message=f"slug '{article.slug}' is already used by {seen[key]}",
        )
    )
    return _with_slug(article, new_slug)


# parsing this many new files at once is worth starting worker processes (a first build
# or check of a large help center); a writer's edit never is
PARALLEL_FROM = 200


class _Failed(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(problems[0].message if problems else "")


def _parse_job(job: tuple[bytes, str, str, str]) -> Article | list[Problem]:
    raw, path, root, default_lang = job
    try:
        return parse_article(raw, Path(path), Path(root), default_lang)
    except ArticleError as exc:
        return _problems(exc)
    except Exception as exc:
        rel = Path(path).relative_to(root).as_posix()
        return [Problem(rel, 1, f"could not read article: {exc}")]


def _parse_many(
    files: list[Path],
    root: Path,
    default_lang: str,
    cache: MutableMapping[str, Article] | None,
) -> dict[str, Article | list[Problem]]:
    """Uncached files parsed by worker processes, when there are enough of them to pay
    for starting the workers ("spawn": safe beside the server's and the model's threads)."""
    workers = min(os.cpu_count() or 1, 4)
    if workers < 2 or len(files) < PARALLEL_FROM:
        return {}
    jobs = []
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        rel = path.relative_to(root).as_posix()
        if cache is not None:
            digest = hashlib.sha256(raw)
            digest.update(f"\0{rel}\0{default_lang}".encode())
            if digest.hexdigest() in cache:
                continue
        jobs.append((raw, str(path), str(root), default_lang))
    if len(jobs) < PARALLEL_FROM:
        return {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        results = list(pool.map(_parse_job, jobs, chunksize=16))
    return {
        Path(job[1]).relative_to(root).as_posix(): result
        for job, result in zip(jobs, results, strict=True)
    }


def _with_slug(article: Article, slug: str) -> Article:
    from dataclasses import replace

    return replace(article, slug=slug)
