"""Writers' admin pages: content gaps and per-article quality. Token-protected."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from kb.insights import analytics, schema
from kb.insights.events import now
from kb.insights.gaps import GapReport, gap_report, to_csv
from web.charts import bars, sparkline
from web.pages import article_body
from web.rendering import render
from web.security import (
    ADMIN_COOKIE,
    check_csrf,
    csrf_token,
    login_response,
    require_admin,
    safe_next,
    token_role,
)
from web.validation import check_lang

router = APIRouter(prefix="/admin", include_in_schema=False)
Days = Annotated[int, Query(ge=1, le=3650)]
Lang = Annotated[str | None, Query(max_length=8)]  # checked by web.validation: 422 + list


def _safe_next(target: str) -> str:
    return safe_next(target, "/admin")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/admin", error: str = "") -> Response:
    settings = request.app.state.kb.settings
    if settings.admin_token is None and settings.agent_token is None:
        raise HTTPException(404, "admin pages are off: set KB_ADMIN_TOKEN to turn them on")
    return render(
        request,
        "admin/login.html",
        "en",
        next=_safe_next(next),
        csrf=csrf_token(request),
        error=error,
    )


@router.post("/login")
def login(
    request: Request,
    token: Annotated[str, Form(max_length=512)],
    csrf: Annotated[str, Form(max_length=128)],
    next: Annotated[str, Form(max_length=200)] = "/admin",
) -> Response:
    check_csrf(request, csrf)
    role = token_role(request.app.state.kb.settings, token)
    if role is None:
        return render(
            request,
            "admin/login.html",
            "en",
            status_code=401,
            next=_safe_next(next),
            csrf=csrf_token(request),
            error="That token is not right.",
        )
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


def _stats(request: Request, days: int, lang: str | None) -> analytics.Stats:
    state = request.app.state.kb
    lang = check_lang(request, lang)
    if state.events is None:
        return analytics.Stats(days=days, lang=lang, since=now())
    state.events.flush(2.0)
    stats = analytics.compute(state.events, state.index, days=days, lang=lang)
    report = _report(request, days, lang)
    stats.tables["gaps"] = analytics.gap_table(report)
    stats.gap_garbage = report.garbage_count
    return stats


@router.get("", dependencies=[Depends(require_admin)], response_class=HTMLResponse)
def dashboard(
    request: Request, days: Days = 30, lang: Lang = None, format: str = "html"
) -> Response:
    """Managers' and writers' overview: the help center's CSAT, effort and deflection."""
    stats = _stats(request, days, lang)
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
def stats_csv(request: Request, table: TableName, days: Days = 30, lang: Lang = None) -> Response:
    """Every dashboard table as CSV (``table=per_day`` for the daily counts)."""
    stats = _stats(request, days, lang)
    if table not in stats.tables:
        raise HTTPException(404, f"no table '{table}'; there are: {', '.join(stats.tables)}")
    return PlainTextResponse(
        stats.tables[table].to_csv(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{table}-{days}d.csv"'},
    )


def _report(request: Request, days: int, lang: str | None) -> GapReport:
    state = request.app.state.kb
    lang = check_lang(request, lang)
    if state.events is None:
        return GapReport([])
    state.events.flush(2.0)
    return gap_report(state.events, state.embedder, state.searcher, since_days=days, lang=lang)


@router.get("/gaps", dependencies=[Depends(require_admin)], response_class=HTMLResponse)
def gaps(request: Request, days: Days = 30, lang: Lang = None, format: str = "html") -> Response:
    report = _report(request, days, lang)
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
    id: Annotated[str, Query(max_length=200)],
    days: Days = 30,
    lang: Lang = None,
    download: bool = False,
) -> Response:
    report = _report(request, days, lang)
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
def articles(request: Request, days: Days = 30, lang: Lang = None) -> Response:
    state = request.app.state.kb
    lang = check_lang(request, lang)
    since = now() - timedelta(days=days)
    stats: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {
            "views": 0,
            "from_search": 0,
            "yes": 0,
            "no": 0,
            "reasons": Counter(),
            "queries": Counter(),
            "comments": [],
            "copies": Counter(),
        }
    )
    if state.events is not None:
        state.events.flush(2.0)
        searches = {r["id"]: r for r in state.events.rows(schema.searches, since)}
        for click in state.events.rows(schema.clicks, since):
            entry = stats[(click["lang"], click["slug"])]
            entry["views"] += 1
            if click["search_id"]:
                entry["from_search"] += 1
                if click["search_id"] in searches:
                    entry["queries"][searches[click["search_id"]]["query"]] += 1
        for copy in state.events.rows(schema.copies, since):
            # a draft is one copy that reused several sections: each counts as reused
            used = json.loads(copy["sections"] or "[]") or [
                f"{copy['lang']}/{copy['slug']}#{copy['section_id'] or ''}"
            ]
            for key in used:
                key_lang, rest = key.split("/", 1)
                key_slug, _, key_section = rest.partition("#")
                stats[(key_lang, key_slug)]["copies"][key_section] += 1
        for vote in state.events.rows(schema.votes, since):
            entry = stats[(vote["lang"], vote["slug"])]
            entry["yes" if vote["helpful"] else "no"] += 1
            if vote["reason"]:
                entry["reasons"][vote["reason"]] += 1
            if vote["comment"]:
                entry["comments"].append(vote["comment"])
    rows = []
    for article in sorted(state.index.articles.values(), key=lambda a: (a.lang, a.title)):
        if lang and article.lang != lang:
            continue
        entry = stats[(article.lang, article.slug)]
        votes = entry["yes"] + entry["no"]
        rows.append(
            {
                "article": article,
                **entry,
                "helpful_pct": round(100 * entry["yes"] / votes) if votes else None,
                "top_queries": entry["queries"].most_common(5),
                "copied_sections": [
                    (dict((i, t) for _, t, i in article.toc).get(sid, sid or "(top)"), n)
                    for sid, n in entry["copies"].most_common(5)
                ],
                "copy_count": sum(entry["copies"].values()),
            }
        )
    rows.sort(key=lambda r: (-r["copy_count"], -r["views"], r["article"].title))
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
def preview(request: Request, lang: str, slug: str) -> Response:
    """A draft (or a published article) as readers would see it, before it goes live."""
    index = request.app.state.kb.index
    article = index.drafts.get((lang, slug)) or index.article(lang, slug)
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
        category_names=request.app.state.kb.category_names(lang),
        preview=True,
    )
