"""Jinja2 rendering with autoescape; trusted HTML arrives pre-wrapped as Markup.

Every page gets the visitor's catalogue (``t``), a locale formatter (``fmt``), the brand
and the language switch, so templates never build text or links of their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from kb.plurals import count
from web.branding import Brand
from web.i18n import LANGUAGE_NAMES, Formatter, category_title, strings
from web.state import serving_state
from web.urls import TEMPLATE_GLOBALS

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["language_names"] = LANGUAGE_NAMES
templates.env.globals["category_title"] = category_title
templates.env.globals["count"] = count  # "1 search", "2 pretrage": plurals per language
templates.env.globals.update(TEMPLATE_GLOBALS)  # home_url(lang), search_url(q=...), ...
STAFF_PATHS = ("/admin", "/agent")


def page_lang(request: Request, wanted: str | None = None) -> str:
    """The UI language: the one asked for if the help center has it, else the browser's,
    else the default."""
    state = serving_state(request.app.state)
    languages = state.index.languages if state else ()
    if wanted and wanted in languages:
        return wanted
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in languages:
            return code
    default = state.settings.default_lang if state else "en"
    if default in languages or not languages:
        return default
    return languages[0]


def requested_lang(request: Request) -> str:
    """The page language an error page should speak: the one in the path or the query
    (``/hr/...``, ``?hl=hr``), else the browser's."""
    first = request.url.path.strip("/").split("/")[0]
    for wanted in (
        request.path_params.get("lang"),
        request.query_params.get("hl"),
        request.query_params.get("lang"),
        first,
    ):
        lang = page_lang(request, wanted)
        if wanted and lang == wanted:
            return lang
    return page_lang(request)


def is_staff_page(request: Request) -> bool:
    return request.url.path.startswith(STAFF_PATHS)


def base_url(request: Request) -> str:
    """Absolute links (sitemap, structured data) start with the configured public URL."""
    state = serving_state(request.app.state)
    public = state.settings.public_url if state else ""
    return (public or str(request.base_url)).rstrip("/")


def brand(request: Request) -> Brand:
    state = serving_state(request.app.state)
    cached: Brand | None = getattr(request.app.state, "brand", None)
    if cached is None and state is not None:
        cached = request.app.state.brand = Brand.from_settings(state.settings)
    return cached or Brand("", "", "")


def render(
    request: Request, template: str, lang: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """``alternates`` are true equivalents in other languages (hreflang links); ``switch``
    is where the language switch goes, defaulting to them."""
    state = serving_state(request.app.state)
    languages = state.index.languages if state else ()
    alternates = context.pop("alternates", {})
    switch = context.pop("switch", None) or alternates
    site = brand(request)
    return templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": strings(lang),
            "fmt": Formatter(lang),
            "brand": site,
            "site_title": site.title(lang),
            "staff_page": is_staff_page(request),
            "languages": languages,
            "alternates": alternates,
            "switch": switch,
            **context,
        },
        status_code=status_code,
    )


def render_text(template: str, media_type: str, **context: Any) -> Response:
    """A file other than a page (sitemap.xml, robots.txt, the OpenSearch description) from
    its template, escaped like pages and ending with a newline."""
    body = templates.get_template(template).render(**context)
    return Response(body if body.endswith("\n") else body + "\n", media_type=media_type)
