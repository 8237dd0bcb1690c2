"""Where each link and image of an article leads on the site, and whether it is there.

One function, :func:`resolve`, answers both questions: the renderer writes the URL it
returns into the page, and `kb check` reports the problem it returns. So a link that
`kb check` accepts is exactly a link that does not 404 (or miss its section) on the site.

Writers link the way their old tool taught them: to site URLs (`/hr/articles/povrat-novca`),
or to Markdown files relative to the article (`povrat-novca.md#rok`,
`../../en/returns/refunds.md`), the form DocFX, MkDocs and Docusaurus use. File links are
rewritten to the target article's URL; a section anchor that differs only in spelling
(`#Refund-times`, GitHub's `#povrat--rok`) is rewritten to the heading's real `id`.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol
from urllib.parse import unquote

from kb.text import slugify

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdx")
ASSET_PREFIX = "/assets/"
# what the /assets/ route serves: images only, never the Markdown sources
ASSET_TYPES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"})
# site pages an article may link to besides articles (see web/pages.py and web/contact.py)
_SITE_FILES = frozenset({"/search", "/sitemap.xml", "/robots.txt", "/opensearch.xml"})
_SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.I)
_ARTICLE = re.compile(r"^/(?P<lang>[a-z]{2,3})/articles/(?P<slug>[^/]+)/?$")
_CATEGORY = re.compile(r"^/(?P<lang>[a-z]{2,3})/categories/(?P<category>[^/]+)/?$")
_HOME = re.compile(r"^/(?P<lang>[a-z]{2,3})(?:/|/contact/?)?$")
_FRAGMENT_DIRS = frozenset({"includes", "partials"})  # kb.content.articles skips these folders
_HREF = re.compile(r'<a href="([^"]*)"')


class Linkable(Protocol):
    """What a link needs of an article (kb.content.articles.Article provides it)."""

    @property
    def path(self) -> str: ...

    @property
    def lang(self) -> str: ...

    @property
    def category(self) -> str: ...

    @property
    def draft(self) -> bool: ...

    @property
    def url(self) -> str: ...

    @property
    def anchors(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class Target:
    url: str
    anchors: frozenset[str]
    draft: bool
    # False: a file that does not parse now; the site still serves its last published
    # version, so links to it (and its sections) work, and only the file is reported
    readable: bool = True


@dataclass
class Site:
    """The published site as links see it: articles by file and by URL, categories, assets."""

    root: Path  # the articles folder: /assets/ serves its images
    by_path: dict[str, Target] = field(default_factory=dict)
    by_url: dict[str, Target] = field(default_factory=dict)
    categories: set[tuple[str, str]] = field(default_factory=set)
    languages: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, articles: Iterable[Linkable], root: Path) -> Site:
        """Drafts are listed (a link to one is reported as such) but are not pages of the
        public site."""
        site = cls(root)
        for a in articles:
            target = Target(a.url, a.anchors, a.draft)
            site.by_path[a.path] = target
            if a.draft and a.url in site.by_url:
                continue
            site.by_url[a.url] = target
            if not a.draft:
                site.categories.add((a.lang, a.category))
                site.languages.add(a.lang)
        return site

    def add_unreadable(self, path: str, url: str) -> None:
        """An article file that fails to parse, at the URL it is most likely served at."""
        target = Target(url, frozenset(), False, readable=False)
        self.by_path.setdefault(path, target)
        self.by_url.setdefault(url, target)


@dataclass(frozen=True)
class Resolved:
    url: str  # what the page links to
    problem: str | None = None  # why following it would fail on the site; None: it works
    checked: bool = True  # False: another site's address, not checked (offline)


def article_url(lang: str, slug: str) -> str:
    """Where the site serves an article: the one place its path is spelt."""
    return f"/{lang}/articles/{slug}"


def asset_file(root: Path, url_path: str) -> Path | None:
    """The file `/assets/<url_path>` serves, or None (404): images inside the articles
    folder only. The web route serves exactly this; `kb check` asks the same question."""
    base = root.resolve()
    target = (base / url_path).resolve()
    if (
        not target.is_relative_to(base)
        or target.suffix.lower() not in ASSET_TYPES
        or not target.is_file()
    ):
        return None
    return target


def _join(folder: PurePosixPath, relative: str) -> str | None:
    """`folder/relative` with `.` and `..` applied; None when it climbs out of the root."""
    parts: list[str] = list(folder.parts)
    for part in relative.split("/"):
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)


def asset_url(src: str, folder: PurePosixPath | None) -> str:
    """Where a relative image path points on the site: `/assets/<folder>/<src>`."""
    if folder is None or not src or _SCHEME.match(src) or src.startswith(("/", "#")):
        return src
    joined = _join(folder, src.split("#")[0].split("?")[0])
    return ASSET_PREFIX + joined if joined is not None else src


def _split(href: str) -> tuple[str, str, str | None]:
    """path, ?query, anchor (None when there is no '#')."""
    path, _, anchor = href.partition("#")
    path, mark, query = path.partition("?")
    return path, mark + query, anchor if "#" in href else None


def _anchor(target: Target, anchor: str | None, shown: str) -> Resolved:
    if not anchor or not target.readable:
        return Resolved(f"{target.url}#{anchor}" if anchor else target.url)
    if anchor in target.anchors:
        return Resolved(f"{target.url}#{anchor}")
    decoded = unquote(anchor)
    spelled = slugify(decoded, fallback="")
    if spelled in target.anchors:
        return Resolved(f"{target.url}#{spelled}")
    return Resolved(
        f"{target.url}#{anchor}",
        f"broken anchor {shown}: {target.url} has no section '#{decoded}'",
    )


def _article(
    target: Target | None, anchor: str | None, shown: str, source: Target | None
) -> Resolved:
    if target is None:
        return Resolved(shown, f"broken link {shown}: no such article")
    if target.draft and not (source is not None and source.draft):
        return Resolved(
            target.url,
            f"broken link {shown}: {target.url} is a draft (`draft: true`), not on the site",
        )
    return _anchor(target, anchor, shown)


def resolve(href: str, source: str, site: Site, *, image: bool = False) -> Resolved:
    """The URL the page shows for ``href`` in the article at path ``source``, and the
    problem a visitor following it would meet (None: the page or image is there)."""
    if not href.strip():
        return Resolved(href, "empty link")
    if _SCHEME.match(href):
        return Resolved(href, checked=False)
    here = site.by_path.get(source)
    folder = PurePosixPath(source).parent
    if image:
        url = asset_url(href, folder)
        if not url.startswith(ASSET_PREFIX):
            return Resolved(url, f"missing image {href}: images live beside the articles")
        if asset_file(site.root, unquote(_split(url)[0]).removeprefix(ASSET_PREFIX)) is None:
            return Resolved(url, f"missing image {href}: no image file there")
        return Resolved(url)
    path, _query, anchor = _split(href)
    if not path:  # '#section' on the same page
        if here is None:
            return Resolved(href)
        own = _anchor(here, anchor, href)
        url = own.url.removeprefix(here.url)
        return Resolved(url, own.problem and f"broken anchor {href}: no section '#{anchor}' here")
    if path.startswith("/"):
        return _site_path(unquote(path), anchor, href, site, here)
    joined = _join(folder, unquote(path))
    suffix = PurePosixPath(joined or "").suffix.lower()
    if joined is not None and suffix in MARKDOWN_SUFFIXES:
        target = site.by_path.get(joined)
        if target is not None:
            return _article(target, anchor, href, here)
        return Resolved(href, f"broken link {href}: {joined} {_why_not(site.root, joined)}")
    for markdown in MARKDOWN_SUFFIXES if joined is not None else ():
        # Docusaurus and MkDocs let writers leave the suffix off
        target = site.by_path.get(joined.rstrip("/") + markdown)  # type: ignore[union-attr]
        if target is not None:
            return _article(target, anchor, href, here)
    if joined is not None and suffix in ASSET_TYPES:
        url = ASSET_PREFIX + joined
        if asset_file(site.root, joined) is None:
            return Resolved(url, f"broken link {href}: no image file {joined}")
        return Resolved(url)
    # anything else stays as written, and the browser resolves it against the page's URL
    page = here.url if here is not None else "/"
    browser = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(path)))
    if _site_path(browser, anchor, href, site, here).problem is None:
        return Resolved(href)
    where = f"at {joined}" if joined is not None else "there"
    return Resolved(
        href,
        f"broken link {href}: no article or image {where} (only Markdown articles and "
        "images are published)",
    )


def _why_not(root: Path, path: str) -> str:
    if not (root / path).is_file():
        return "file not found"
    if any(p.startswith((".", "_")) or p.lower() in _FRAGMENT_DIRS for p in path.split("/")):
        return "is not an article (an include or a hidden file)"
    return "is not published (a file with errors: see its own report)"


def _site_path(
    path: str, anchor: str | None, href: str, site: Site, here: Target | None
) -> Resolved:
    article = _ARTICLE.match(path)
    if article:
        return _article(
            site.by_url.get(article_url(article["lang"], article["slug"])), anchor, href, here
        )
    if path.startswith(ASSET_PREFIX):
        if asset_file(site.root, path.removeprefix(ASSET_PREFIX)) is None:
            return Resolved(href, f"broken link {href}: no image file there")
        return Resolved(href)
    category = _CATEGORY.match(path)
    if category:
        if (category["lang"], category["category"]) not in site.categories:
            return Resolved(href, f"broken link {href}: no category '{category['category']}'")
        return Resolved(href)
    home = _HOME.match(path)
    if path == "/" or path in _SITE_FILES or (home and home["lang"] in site.languages):
        return Resolved(href)
    return Resolved(
        href,
        f"broken link {href}: not a page of this help center "
        "(write another site's full https:// address)",
    )


def rewrite(page_html: str, source: str, site: Site) -> str:
    """Rendered article HTML with every link pointing where :func:`resolve` says.

    Article HTML comes from markdown-it with raw HTML escaped, so every `<a href="`
    in it is a Markdown link: its attribute can be replaced without parsing the page.
    """

    def replace(match: re.Match[str]) -> str:
        href = html.unescape(match.group(1))
        url = resolve(href, source, site).url
        return f'<a href="{html.escape(url, quote=True)}"'

    return _HREF.sub(replace, page_html)
