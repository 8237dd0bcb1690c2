"""Server-rendered pages: home, categories, articles with feedback. The results page is
``web.results``; what browsers and crawlers ask for around the pages (sitemap, OpenSearch,
the brand stylesheet, the widget) is ``web.sitefiles``."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from kb.insights.events import VOTE_REASONS
from kb.search.index import ArticleEntry
from web.deps import PageLang, PublishedArticle, SessionId, State, known_lang
from web.errors import VisitorError
from web.i18n import message
from web.ratelimit import limiter
from web.rendering import base_url, brand, page_lang, render
from web.security import csrf_ok, csrf_token
from web.state import AppState
from web.structured import article_jsonld, website_jsonld
from web.urls import category_url, contact_url, home_url, voted_url
from web.validation import search_id as valid_search_id

router = APIRouter(include_in_schema=False)
MAX_COMMENT = 1000
# pages a visitor may type without the language (/contact): sent on in their language
LANGUAGE_PAGES = {"contact": contact_url}
# other top-level routes reached with a trailing slash (/admin/): sent to the route
TOP_LEVEL = ("admin", "agent", "search", "docs", "healthz", "readyz", "metrics")


def language_switch(state: State, lang: str) -> dict[str, str]:
    """Where the language switch goes by default: the other languages' home pages."""
    return {other: home_url(other) for other in state.index.languages if other != lang}


@router.get("/")
def root(request: Request) -> RedirectResponse:
    return RedirectResponse(home_url(page_lang(request)), status_code=307)


@router.get("/{lang}/", response_class=HTMLResponse)
def home(request: Request, state: State, lang: str) -> Response:
    if lang not in state.index.languages and lang in TOP_LEVEL:
        return RedirectResponse(f"/{lang}", status_code=307)  # /admin/ -> /admin
    if lang not in state.index.languages and lang in LANGUAGE_PAGES:
        return RedirectResponse(LANGUAGE_PAGES[lang](page_lang(request)), status_code=307)
    lang = known_lang(state, lang)
    base = base_url(request)
    catalogue = state.catalogue
    return render(
        request,
        "home.html",
        lang,
        categories=catalogue.by_category.get(lang, {}),
        category_names=catalogue.category_names(lang),
        popular=state.popular(lang),
        alternates=language_switch(state, lang),
        canonical=base + home_url(lang),
        jsonld=website_jsonld(brand(request), lang, base),
    )


@router.get("/{lang}")
def home_no_slash(request: Request, state: State, lang: str) -> RedirectResponse:
    """``/hr`` is the Croatian home; ``/contact`` the contact page in the visitor's
    language; anything else is not a page (a 404 in the visitor's language)."""
    if lang in LANGUAGE_PAGES:
        return RedirectResponse(LANGUAGE_PAGES[lang](page_lang(request)), status_code=307)
    return RedirectResponse(home_url(known_lang(state, lang)), status_code=307)


@router.get("/{lang}/categories/{category}", response_class=HTMLResponse)
def category_page(request: Request, state: State, lang: PageLang, category: str) -> Response:
    catalogue = state.catalogue
    articles = catalogue.category(lang, category)
    if not articles:
        raise VisitorError(404, f"no category '{category}'", "error.category_not_found")
    alternates = {
        other: category_url(other, equivalent)
        for other, equivalent in catalogue.category_translations(lang, category).items()
    }
    return render(
        request,
        "category.html",
        lang,
        category=category,
        articles=articles,
        category_names=catalogue.category_names(lang),
        canonical=base_url(request) + category_url(lang, category),
        alternates=alternates,
        switch=language_switch(state, lang) | alternates,
    )


@router.get("/{lang}/articles/{slug}", response_class=HTMLResponse)
def article_page(
    request: Request,
    state: State,
    session: SessionId,
    lang: PageLang,
    slug: str,
    s: Annotated[str | None, Query(max_length=64, description="search id")] = None,
    p: Annotated[int | None, Query(ge=1, le=100)] = None,
    voted: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    catalogue = state.catalogue
    article = state.index.article(lang, slug)
    if article is None:
        elsewhere = catalogue.in_another_language(lang, slug)
        if elsewhere is not None:  # /en/articles/<croatian slug>: the English translation
            return RedirectResponse(elsewhere.url, status_code=301)
        raise VisitorError(404, f"no article '{slug}'", "error.article_not_found")
    clicked = valid_search_id(s)
    state.events.record_click(
        session_id=session, lang=lang, slug=slug, search_id=clicked, position=p if clicked else None
    )
    return article_response(request, state, article, search_id=clicked or "", voted=voted)


def article_response(
    request: Request,
    state: AppState,
    article: ArticleEntry,
    *,
    search_id: str = "",
    voted: str | None = None,
    status_code: int = 200,
    unsaved: dict[str, str] | None = None,
) -> Response:
    """The article page. ``unsaved`` is a vote whose form had expired: the feedback form
    comes back filled in as it was sent, with a fresh token, saying to send it again."""
    catalogue = state.catalogue
    lang = article.lang
    translations = catalogue.translations(article)
    alternates = {t.lang: t.url for t in translations}
    base = base_url(request)
    return render(
        request,
        "article.html",
        lang,
        status_code=status_code,
        article=article,
        body=article_body(article.html, lang),
        related=[a for r in article.related if (a := state.index.article(lang, r))],
        translations=translations,
        category_names=catalogue.category_names(lang),
        alternates=alternates,
        switch=language_switch(state, lang) | alternates,
        search_id=search_id,
        csrf=csrf_token(request),
        voted=voted,
        unsaved=unsaved,
        reasons=VOTE_REASONS,
        canonical=base + article.url,
        jsonld=article_jsonld(article, state.index, brand(request), base),
    )


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
    state: State,
    session: SessionId,
    article: PublishedArticle,
    helpful: Annotated[str, Form(pattern="^(yes|no)$")],
    csrf: Annotated[str, Form(max_length=128)],
    search_id: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=32)] = "",
    # twice the box's maxlength: browsers send its line breaks as CR LF
    comment: Annotated[str, Form(max_length=2 * MAX_COMMENT)] = "",
) -> Response:
    """'Was this helpful?' Works as a plain form post; redirects back (no resubmission).
    A form whose token expired (the session cookie lasts half an hour, so the page was left
    open) is not taken: the page comes back (403) with the form as it was sent."""
    comment = comment.replace("\r\n", "\n")  # as the box counted it
    if len(comment) > MAX_COMMENT:
        raise VisitorError(
            422, f"comment: at most {MAX_COMMENT} characters", "error.bad_request_text"
        )
    if not csrf_ok(request, csrf):
        kept = {"helpful": helpful, "reason": reason, "comment": comment}
        return article_response(
            request,
            state,
            article,
            search_id=valid_search_id(search_id) or "",
            status_code=403,
            unsaved=kept,
        )
    state.events.record_vote(
        session_id=session,
        lang=article.lang,
        slug=article.slug,
        helpful=helpful == "yes",
        search_id=valid_search_id(search_id),
        reason=reason or None,
        comment=comment.strip() or None,
    )
    return RedirectResponse(voted_url(article.lang, article.slug, helpful), status_code=303)
