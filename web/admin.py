"""Writers' admin pages: content gaps and per-article quality. Token-protected."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from kb.insights import analytics
from kb.insights.articles import article_quality
from kb.insights.gaps import GapReport, gap_report, to_csv
from web.charts import bars, sparkline
from web.deps import FilterLang, State
from web.i18n import agent_strings
from web.pages import article_body
from web.rendering import render
from web.security import (
    ADMIN_COOKIE,
    check_csrf,
    csrf_ok,
    csrf_token,
    login_response,
    require_admin,
    safe_next,
    token_role,
)
from web.state import AppState

router = APIRouter(prefix="/admin", include_in_schema=False)
Days = Annotated[int, Query(ge=1, le=3650)]
# the staff login's words, shared with the agents' own login (the admin pages are English)
LOGIN = agent_strings("en")


def _safe_next(target: str) -> str:
    return safe_next(target, "/admin")


def _login_page(request: Request, next: str, status_code: int = 200, error: str = "") -> Response:
    return render(
        request,
        "admin/login.html",
        "en",
        status_code=status_code,
        next=_safe_next(next),
        csrf=csrf_token(request),
        error=error,
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, state: State, next: Annotated[str, Query(max_length=200)] = "/admin"
) -> Response:
    """The login form. Its only error messages are the app's own (no ``?error=`` text
    from a link: that put any words a sender liked on the real login page)."""
    settings = state.settings
    if settings.admin_token is None and settings.agent_token is None:
        raise HTTPException(404, "admin pages are off: set KB_ADMIN_TOKEN to turn them on")
    return _login_page(request, next)


@router.post("/login")
def login(
    request: Request,
    state: State,
    token: Annotated[str, Form(max_length=512)],
    csrf: Annotated[str, Form(max_length=128)],
    next: Annotated[str, Form(max_length=200)] = "/admin",
) -> Response:
    if not csrf_ok(request, csrf):  # the form outlived its session cookie: ask again
        return _login_page(request, next, 403, LOGIN["login_expired"])
    role = token_role(state.settings, token)
    if role is None:
        return _login_page(request, next, 401, LOGIN["login_wrong"])
    target = _safe_next(next)
    if role == "agent" and not target.startswith("/agent"):
        target = "/agent"
    return login_response(request, role, target)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=128)]) -> Response:
    check_csrf(request, csrf)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(ADMIN_COOKIE, path="/")
    return response


TableName = Annotated[str, Query(max_length=40, pattern="^[a-z_]+$")]


def _stats(state: AppState, days: int, lang: str | None) -> analytics.Stats:
    state.events.flush(2.0)  # what was just done shows up
    return analytics.dashboard(state.events, state.searcher, days=days, lang=lang)


@router.get("", dependencies=[Depends(require_admin)], response_class=HTMLResponse)
def dashboard(
    request: Request, state: State, lang: FilterLang, days: Days = 30, format: str = "html"
) -> Response:
    """Managers' and writers' overview: the help center's CSAT, effort and deflection."""
    stats = _stats(state, days, lang)
    if format == "json":
        return Response(stats.to_json(), media_type="application/json")
    chart = bars([(d.isoformat(), n, u) for d, n, u in stats.per_day])
    return render(
        request,
        "admin/dashboard.html",
        "en",
        stats=stats,
        chart=chart,
        days=days,
        lang_filter=lang or "",
        csrf=csrf_token(request),
    )


@router.get("/stats.csv", dependencies=[Depends(require_admin)])
def stats_csv(state: State, table: TableName, lang: FilterLang, days: Days = 30) -> Response:
    """Every dashboard table as CSV (``table=per_day`` for the daily counts)."""
    stats = _stats(state, days, lang)
    if table not in stats.tables:
        raise HTTPException(404, f"no table '{table}'; there are: {', '.join(stats.tables)}")
    return PlainTextResponse(
        stats.tables[table].to_csv(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{table}-{days}d.csv"'},
    )


def _report(state: AppState, days: int, lang: str | None) -> GapReport:
    state.events.flush(2.0)
    return gap_report(state.events, state.embedder, state.searcher, since_days=days, lang=lang)


@router.get("/gaps", dependencies=[Depends(require_admin)], response_class=HTMLResponse)
def gaps(
    request: Request, state: State, lang: FilterLang, days: Days = 30, format: str = "html"
) -> Response:
    report = _report(state, days, lang)
    if format == "csv":
        return PlainTextResponse(
            to_csv(report.topics),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="gaps-{days}d.csv"'},
        )
    if format == "json":
        return Response(
            json.dumps(report.to_dict(), ensure_ascii=False, default=str),
            media_type="application/json",
        )
    rows = [{"topic": t, "spark": sparkline(t.trend)} for t in report.topics]
    return render(
        request,
        "admin/gaps.html",
        "en",
        rows=rows,
        report=report,
        days=days,
        lang_filter=lang or "",
        csrf=csrf_token(request),
    )


@router.get("/gaps/draft", dependencies=[Depends(require_admin)])
def gap_draft(
    request: Request,
    state: State,
    id: Annotated[str, Query(max_length=200)],
    lang: FilterLang,
    days: Days = 30,
    download: bool = False,
) -> Response:
    report = _report(state, days, lang)
    for topic in report.topics + report.answered:
        if topic.id == id:
            if download:
                return PlainTextResponse(
                    topic.draft_markdown(),
                    media_type="text/markdown",
                    headers={"Content-Disposition": f'attachment; filename="{topic.id}.md"'},
                )
            return render(
                request,
                "admin/draft.html",
                "en",
                topic=topic,
                draft=topic.draft_markdown(),
                days=days,
                lang_filter=lang or "",
                csrf=csrf_token(request),
            )
    raise HTTPException(404, "no such gap topic in this period")


@router.get("/articles", dependencies=[Depends(require_admin)], response_class=HTMLResponse)
def articles(request: Request, state: State, lang: FilterLang, days: Days = 30) -> Response:
    """Per-article quality for writers (kb.insights.articles): every visitor's and agent's
    views, votes and reuse, most reused first."""
    state.events.flush(2.0)
    rows = article_quality(state.events, state.index, days=days, lang=lang)
    return render(
        request,
        "admin/articles.html",
        "en",
        rows=rows,
        days=days,
        lang_filter=lang or "",
        csrf=csrf_token(request),
    )


@router.get(
    "/preview/{lang}/{slug}", dependencies=[Depends(require_admin)], response_class=HTMLResponse
)
def preview(request: Request, state: State, lang: str, slug: str) -> Response:
    """A draft (or a published article) as readers would see it, before it goes live."""
    index = state.index
    draft = index.drafts.get((lang, slug))
    article = draft or index.article(lang, slug)
    if article is None:
        raise HTTPException(404, f"no draft or article '{slug}' in '{lang}'")
    return render(
        request,
        "article.html",
        lang,
        article=article,
        body=article_body(article.html, lang),  # as readers see it
        related=[],
        translations=[],
        category_names=state.catalogue.category_names(lang),
        preview="draft" if draft else "published",
    )
