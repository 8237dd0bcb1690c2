"""What browsers and crawlers ask for around the pages: the sitemap, robots.txt, the
OpenSearch description (all three from templates in ``web/templates/files``), the brand
stylesheet, the embeddable widget, the favicon and the articles' images.

Registered before ``web.pages``, whose ``/{lang}`` would otherwise catch ``/robots.txt``.
"""

from __future__ import annotations

import json
import mimetypes
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from kb.content.links import asset_file
from web.deps import State
from web.errors import VisitorError
from web.i18n import catalogue, catalogue_languages, message
from web.rendering import base_url, brand, page_lang, render_text
from web.urls import absolute

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"


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
def asset(state: State, path: str) -> FileResponse:
    """Images referenced by articles, served from the articles folder (images only)."""
    target = asset_file(state.settings.articles_dir, path)
    if target is None:  # `kb check` reports exactly these: kb.content.links.resolve asks the same
        raise VisitorError(404, "no such image", "error.not_found_text")
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(
        target,
        media_type=media_type,
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )


@router.get("/sitemap.xml")
def sitemap(request: Request, state: State) -> Response:
    """Every published article in every language, with its translations as alternates."""
    catalogue = state.catalogue
    entries = [
        (article, [article, *catalogue.translations(article)])
        for article in sorted(state.index.articles.values(), key=lambda a: a.url)
    ]
    return render_text(
        "files/sitemap.xml", "application/xml", base=base_url(request), entries=entries
    )


@router.get("/robots.txt")
def robots(request: Request) -> Response:
    return render_text("files/robots.txt", "text/plain", base=base_url(request))


@router.get("/opensearch.xml")
def opensearch(request: Request) -> Response:
    """Lets browsers add the help center as a search engine."""
    base = base_url(request)
    lang = page_lang(request)
    site = brand(request)
    image = absolute(base, site.logo or "/static/favicon.svg")
    return render_text(
        "files/opensearch.xml",
        "application/opensearchdescription+xml",
        base=base,
        lang=lang,
        short_name=(site.name or message(lang, "help_center"))[:16],  # the spec's limit
        label=message(lang, "search_label"),
        title=site.title(lang),
        image=image,
        image_type=mimetypes.guess_type(image.split("?")[0])[0] or "image/png",
    )
