"""Server-rendered pages: home, categories, articles with feedback, search results."""

from __future__ import annotations

import mimetypes
import re
import time
from html import escape
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from kb.errors import QueryError
from kb.events import VOTE_REASONS
from kb.search import SearchResult
from web.ratelimit import limiter
from web.rendering import page_lang, render
from web.security import check_csrf, csrf_token, session_id
from web.structured import faq_jsonld

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
ASSET_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
SEARCH_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_COMMENT = 1000


def known_lang(request: Request, lang: str) -> str:
    if lang not in request.app.state.kb.index.languages:
        raise HTTPException(404, f"no articles in language '{lang}'")
    return lang


def _search_id(value: str | None) -> str | None:
    return value if value and SEARCH_ID.match(value) else None


def _base_url(request: Request) -> str:
    """Absolute links (sitemap, structured data) start with the configured public URL."""
    return (request.app.state.kb.settings.public_url or str(request.base_url)).rstrip("/")


def tracked_hits(result: SearchResult, search_id: str) -> list[dict[str, object]]:
    """Hits for a template, linked through the click log (search id and position)."""
    hits = []
    for position, hit in enumerate(result.hits, 1):
        base, _, anchor = hit.url.partition("#")
        tracked = f"{base}?s={search_id}&p={position}" + (f"#{anchor}" if anchor else "")
        hits.append(
            {
                **hit.to_dict(),
                "href": tracked,
                "snippet_html": Markup(hit.snippet_html),  # escaped by the highlighter
            }
        )
    return hits


@router.get("/")
def root(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/{page_lang(request)}/", status_code=307)


@router.get("/widget.js")
def widget() -> FileResponse:
    """The embeddable search widget; see the comment at the top of the file."""
    return FileResponse(
        STATIC / "widget.js",
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/search", response_class=HTMLResponse, dependencies=[Depends(limiter("search"))])
def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=2000)] = "",
    lang: Annotated[str | None, Query(max_length=8)] = None,
    hl: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """`lang` restricts results to one language; `hl` is the page's language, used when
    the query itself does not tell which language it is in."""
    state = request.app.state.kb
    ui_lang = page_lang(request, lang or hl)
    if not q.strip():
        return RedirectResponse(f"/{ui_lang}/", status_code=303)
    started = time.perf_counter()
    try:
        result = state.searcher.search(q, lang or None, prefer=hl or ui_lang)
    except QueryError as exc:
        return render(
            request,
            "search.html",
            ui_lang,
            status_code=422,
            query=q,
            error=str(exc),
            result=None,
            hits=[],
        )
    latency = (time.perf_counter() - started) * 1000
    search_id = state.log_search(session_id(request), result, "page", latency)
    if not lang and result.lang and not result.fallback_from:
        ui_lang = result.lang
    hits = tracked_hits(result, search_id)
    others = [code for code in state.index.languages if code != ui_lang]
    return render(
        request,
        "search.html",
        ui_lang,
        query=q,
        result=result,
        hits=hits,
        error=None,
        alternates={code: f"/search?{urlencode({'q': q, 'lang': code})}" for code in others},
    )


@router.get("/assets/{path:path}")
def asset(request: Request, path: str) -> FileResponse:
    """Images referenced by articles, served from the articles folder (images only)."""
    root = request.app.state.kb.settings.articles_dir.resolve()
    target = (root / path).resolve()
    if (
        not target.is_relative_to(root)
        or target.suffix.lower() not in ASSET_TYPES
        or not target.is_file()
    ):
        raise HTTPException(404, "no such image")
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(
        Path(target),
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
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">'
        "<ShortName>Bura Help</ShortName><Description>Search the help center</Description>"
        "<InputEncoding>UTF-8</InputEncoding>"
        f'<Url type="text/html" template="{escape(base)}/search?q={{searchTerms}}"/>'
        "</OpenSearchDescription>\n"
    )
    return Response(body, media_type="application/opensearchdescription+xml")


@router.get("/{lang}/", response_class=HTMLResponse)
def home(request: Request, lang: str) -> Response:
    state = request.app.state.kb
    lang = known_lang(request, lang)
    return render(
        request,
        "home.html",
        lang,
        categories=state.by_category.get(lang, {}),
        category_names=state.category_names(lang),
        popular=state.popular(lang),
        alternates={other: f"/{other}/" for other in state.index.languages if other != lang},
        canonical=f"{_base_url(request)}/{lang}/",
    )


@router.get("/{lang}")
def home_no_slash(lang: str) -> RedirectResponse:
    return RedirectResponse(f"/{lang}/", status_code=307)


@router.get("/{lang}/categories/{category}", response_class=HTMLResponse)
def category_page(request: Request, lang: str, category: str) -> Response:
    state = request.app.state.kb
    lang = known_lang(request, lang)
    articles = state.by_category.get(lang, {}).get(category)
    if not articles:
        raise HTTPException(404, f"no category '{category}'")
    return render(
        request,
        "category.html",
        lang,
        category=category,
        articles=articles,
        category_names=state.category_names(lang),
        canonical=f"{_base_url(request)}/{lang}/categories/{category}",
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
        raise HTTPException(404, f"no article '{slug}'")
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
    for other in state.index.languages:
        if other != lang:
            alternates.setdefault(other, f"/{other}/")
    return render(
        request,
        "article.html",
        lang,
        article=article,
        body=Markup(article.html),  # rendered by kb.markdown with raw HTML disabled
        related=related,
        translations=translations,
        category_names=state.category_names(lang),
        alternates=alternates,
        search_id=search_id or "",
        csrf=csrf_token(request),
        voted=voted,
        reasons=VOTE_REASONS,
        canonical=_base_url(request) + article.url,
        jsonld=faq_jsonld(article, state.index, _base_url(request)),
    )


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
        raise HTTPException(404, f"no article '{slug}'")
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
