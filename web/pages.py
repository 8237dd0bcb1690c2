"""Server-rendered pages: home, categories, articles with feedback, and what browsers
and crawlers ask for around them (sitemap, OpenSearch, the brand stylesheet, the widget).
The results page is ``web.results``."""

from __future__ import annotations

import json
import mimetypes
import re
from functools import cache
from html import escape
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from kb.content.links import asset_file
from kb.insights.events import VOTE_REASONS
from kb.search.index import ArticleEntry
from web.errors import VisitorError
from web.i18n import catalogue, catalogue_languages, message
from web.ratelimit import limiter
from web.rendering import brand, page_lang, render
from web.security import check_csrf, csrf_token, session_id
from web.structured import article_jsonld, website_jsonld

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
SEARCH_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_COMMENT = 1000
# pages a visitor may type without the language (/contact): sent on in their language
LANGUAGE_PAGES = ("contact",)
# other top-level routes reached with a trailing slash (/admin/): sent to the route
TOP_LEVEL = ("admin", "agent", "search", "docs", "healthz", "readyz", "metrics")


def known_lang(request: Request, lang: str) -> str:
    if lang not in request.app.state.kb.index.languages:
        raise VisitorError(404, f"no articles in language '{lang}'", "error.not_found_text")
    return lang


def _search_id(value: str | None) -> str | None:
    return value if value and SEARCH_ID.match(value) else None


def _base_url(request: Request) -> str:
    """Absolute links (sitemap, structured data) start with the configured public URL."""
    return (request.app.state.kb.settings.public_url or str(request.base_url)).rstrip("/")


@router.get("/")
def root(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/{page_lang(request)}/", status_code=307)


@cache
def _widget_source() -> str:
    """widget.js with its strings from the catalogues (one localisation layer)."""
    texts = {lang: catalogue(lang)["widget"] for lang in catalogue_languages()}
    source = (STATIC / "widget.js").read_text(encoding="utf-8")
    return source.replace("/*TEXTS*/{}", json.dumps(texts, ensure_ascii=False), 1)


@router.get("/widget.js")
def widget() -> Response:
    """The embeddable search widget; see the comment at the top of the file."""
    return Response(
        _widget_source(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/brand.css")
def brand_css(request: Request) -> Response:
    """The accent colour as CSS custom properties (``KB_ACCENT_COLOR``)."""
    return Response(
        brand(request).css(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/assets/{path:path}")
def asset(request: Request, path: str) -> FileResponse:
    """Images referenced by articles, served from the articles folder (images only)."""
    target = asset_file(request.app.state.kb.settings.articles_dir, path)
    if target is None:  # `kb check` reports exactly these: kb.content.links.resolve asks the same
        raise VisitorError(404, "no such image", "error.not_found_text")
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(
        target,
        media_type=media_type,
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )


@router.get("/sitemap.xml")
def sitemap(request: Request) -> Response:
    """Every published article in every language, with its translations as alternates."""
    state = request.app.state.kb
    base = _base_url(request)
    entries = []
    for article in sorted(state.index.articles.values(), key=lambda a: a.url):
        links = [article, *state.translations(article)]
        alternates = "".join(
            f'<xhtml:link rel="alternate" hreflang="{escape(a.lang)}" '
            f'href="{escape(base + a.url)}"/>'
            for a in links
        )
        lastmod = f"<lastmod>{escape(article.updated)}</lastmod>" if article.updated else ""
        entries.append(f"<url><loc>{escape(base + article.url)}</loc>{lastmod}{alternates}</url>")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">' + "".join(entries) + "</urlset>\n"
    )
    return Response(body, media_type="application/xml")


@router.get("/robots.txt")
def robots(request: Request) -> Response:
    base = _base_url(request)
    text = (
        "User-agent: *\nDisallow: /admin\nDisallow: /agent\nDisallow: /*/contact/go\n"
        f"Sitemap: {base}/sitemap.xml\n"
    )
    return Response(text, media_type="text/plain")


@router.get("/opensearch.xml")
def opensearch(request: Request) -> Response:
    """Lets browsers add the help center as a search engine."""
    base = _base_url(request)
    lang = page_lang(request)
    site = brand(request)
    short = (site.name or message(lang, "help_center"))[:16]  # the spec's limit
    image = site.logo or "/static/favicon.svg"
    image = image if image.startswith(("http://", "https://")) else base + image
    image_type = mimetypes.guess_type(image.split("?")[0])[0] or "image/png"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">'
        f"<ShortName>{escape(short)}</ShortName>"
        f"<Description>{escape(message(lang, 'search_label'))}: "
        f"{escape(site.title(lang))}</Description>"
        f"<Language>{escape(lang)}</Language><InputEncoding>UTF-8</InputEncoding>"
        f'<Image type="{escape(image_type)}">{escape(image)}</Image>'
        f'<Url type="text/html" template="{escape(base)}/search?q={{searchTerms}}"/>'
        "</OpenSearchDescription>\n"
    )
    return Response(body, media_type="application/opensearchdescription+xml")


@router.get("/{lang}/", response_class=HTMLResponse)
def home(request: Request, lang: str) -> Response:
    state = request.app.state.kb
    if lang not in state.index.languages and lang in TOP_LEVEL:
        return RedirectResponse(f"/{lang}", status_code=307)  # /admin/ -> /admin
    if lang not in state.index.languages and lang in LANGUAGE_PAGES:
        return RedirectResponse(f"/{page_lang(request)}/{lang}", status_code=307)
    lang = known_lang(request, lang)
    base = _base_url(request)
    return render(
        request,
        "home.html",
        lang,
        categories=state.by_category.get(lang, {}),
        category_names=state.category_names(lang),
        popular=state.popular(lang),
        alternates={other: f"/{other}/" for other in state.index.languages if other != lang},
        canonical=f"{base}/{lang}/",
        jsonld=website_jsonld(brand(request), lang, base),
    )


@router.get("/{lang}")
def home_no_slash(request: Request, lang: str) -> RedirectResponse:
    """``/hr`` is the Croatian home; ``/contact`` the contact page in the visitor's
    language; anything else is not a page (a 404 in the visitor's language)."""
    if lang in LANGUAGE_PAGES:
        return RedirectResponse(f"/{page_lang(request)}/{lang}", status_code=307)
    known_lang(request, lang)
    return RedirectResponse(f"/{lang}/", status_code=307)


@router.get("/{lang}/categories/{category}", response_class=HTMLResponse)
def category_page(request: Request, lang: str, category: str) -> Response:
    state = request.app.state.kb
    lang = known_lang(request, lang)
    articles = state.by_category.get(lang, {}).get(category)
    if not articles:
        raise VisitorError(404, f"no category '{category}'", "error.category_not_found")
    base = _base_url(request)
    alternates = {
        other: f"/{other}/categories/{equivalent}"
        for other, equivalent in state.category_translations(lang, category).items()
    }
    switch = {o: f"/{o}/" for o in state.index.languages if o != lang} | alternates
    return render(
        request,
        "category.html",
        lang,
        category=category,
        articles=articles,
        category_names=state.category_names(lang),
        canonical=f"{base}/{lang}/categories/{category}",
        alternates=alternates,
        switch=switch,
    )


@router.get("/{lang}/articles/{slug}", response_class=HTMLResponse)
def article_page(
    request: Request,
    lang: str,
    slug: str,
    s: Annotated[str | None, Query(max_length=64, description="search id")] = None,
    p: Annotated[int | None, Query(ge=1, le=100)] = None,
    voted: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    state = request.app.state.kb
    lang = known_lang(request, lang)
    article = state.index.article(lang, slug)
    if article is None:
        elsewhere = _in_another_language(request, lang, slug)
        if elsewhere is not None:  # /en/articles/<croatian slug>: the English translation
            return RedirectResponse(elsewhere.url, status_code=301)
        raise VisitorError(404, f"no article '{slug}'", "error.article_not_found")
    search_id = _search_id(s)
    if state.events is not None:
        state.events.record_click(
            session_id=session_id(request),
            lang=lang,
            slug=slug,
            search_id=search_id,
            position=p if search_id else None,
        )
    related = [a for r in article.related if (a := state.index.article(lang, r))]
    translations = state.translations(article)
    alternates = {t.lang: t.url for t in translations}
    switch = {o: f"/{o}/" for o in state.index.languages if o != lang} | alternates
    base = _base_url(request)
    return render(
        request,
        "article.html",
        lang,
        article=article,
        body=article_body(article.html, lang),
        related=related,
        translations=translations,
        category_names=state.category_names(lang),
        alternates=alternates,
        switch=switch,
        search_id=search_id or "",
        csrf=csrf_token(request),
        voted=voted,
        reasons=VOTE_REASONS,
        canonical=base + article.url,
        jsonld=article_jsonld(article, state.index, brand(request), base),
    )


def _in_another_language(request: Request, lang: str, slug: str) -> ArticleEntry | None:
    """The article a slug of another language names, in ``lang`` if it is translated."""
    state = request.app.state.kb
    for other in state.index.languages:
        found = state.index.article(other, slug) if other != lang else None
        if found is not None:
            translated = [t for t in state.translations(found) if t.lang == lang]
            return translated[0] if translated else found
    return None


def article_body(html: str, lang: str) -> Markup:
    """The article's HTML (rendered by kb.content.markdown with raw HTML disabled, so trusted)
    with the visitor's words on its controls: wide tables scroll in a box of their own
    that keyboards can reach, and heading anchors get a name."""
    table = escape(message(lang, "article.table"))
    link = escape(message(lang, "article.section_link"))
    html = html.replace(
        "<table>",
        f'<div class="table-scroll" role="region" tabindex="0" aria-label="{table}"><table>',
    )
    html = html.replace("</table>", "</table></div>")
    html = html.replace(' aria-label="#">#</a>', f' aria-label="{link}">#</a>')
    return Markup(html)  # trusted: see above


@router.post("/{lang}/articles/{slug}/feedback", dependencies=[Depends(limiter("feedback"))])
def feedback(
    request: Request,
    lang: str,
    slug: str,
    helpful: Annotated[str, Form(pattern="^(yes|no)$")],
    csrf: Annotated[str, Form(max_length=128)],
    search_id: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=32)] = "",
    comment: Annotated[str, Form(max_length=MAX_COMMENT)] = "",
) -> RedirectResponse:
    """'Was this helpful?' Works as a plain form post; redirects back (no resubmission)."""
    state = request.app.state.kb
    lang = known_lang(request, lang)
    if state.index.article(lang, slug) is None:
        raise VisitorError(404, f"no article '{slug}'", "error.article_not_found")
    check_csrf(request, csrf)
    if state.events is not None:
        state.events.record_vote(
            session_id=session_id(request),
            lang=lang,
            slug=slug,
            helpful=helpful == "yes",
            search_id=_search_id(search_id),
            reason=reason or None,
            comment=comment.strip() or None,
        )
    back = f"/{lang}/articles/{slug}?voted={helpful}"
    return RedirectResponse(back + "#feedback", status_code=303)
