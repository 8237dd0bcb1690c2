"""Jinja2 rendering with autoescape; trusted HTML arrives pre-wrapped as Markup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from web.i18n import LANGUAGE_NAMES, category_title, strings

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["language_names"] = LANGUAGE_NAMES
templates.env.globals["category_title"] = category_title


def page_lang(request: Request, wanted: str | None = None) -> str:
    """The UI language: the one asked for if the help center has it, else the default."""
    state = getattr(request.app.state, "kb", None)
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


def render(
    request: Request, template: str, lang: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    state = getattr(request.app.state, "kb", None)
    languages = state.index.languages if state else ()
    return templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": strings(lang),
            "languages": languages,
            "alternates": context.pop("alternates", {}),
            **context,
        },
        status_code=status_code,
    )


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    lang = page_lang(request, request.path_params.get("lang") or request.query_params.get("lang"))
    return render(request, "error.html", lang, status_code=status, status=status, message=message)
