"""FastAPI app factory: the lifespan loads the model and index once; routes stay thin."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import faiss
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.embeddings import Embedder, embedder_for
from kb.errors import KBError, QueryError
from kb.events import EventStore
from kb.index import SearchIndex
from kb.search import Searcher
from kb.settings import Settings
from web import admin, agent, api, pages
from web.rendering import render_error
from web.security import SecurityHeadersMiddleware, SessionMiddleware, secret_key
from web.state import AppState

log = logging.getLogger("kb.web")

STATIC = Path(__file__).parent / "static"
SWAGGER = Path(str(resources.files("fastapi_swagger") / "resources"))


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """The site for ``settings``; ``embedder`` lets tests share one loaded model."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # a query is one short text: one thread per call, the requests are the parallelism
        # (more threads per call oversubscribe the cores once several requests run)
        threads = settings.embed_threads or 1
        model = embedder or embedder_for(settings.replace(embed_threads=threads))
        # the same for FAISS's OpenMP: with the cores busy, a two-thread search of one
        # query waits for a descheduled thread (measured 1 ms -> 16 ms on a loaded 2-core box)
        faiss.omp_set_num_threads(threads)
        index = SearchIndex.load(settings.index_dir, getattr(model, "fingerprint", None))
        searcher = Searcher(
            index,
            model,
            threshold_override=settings.answer_threshold,
            max_query_chars=settings.max_query_chars,
        )
        events = EventStore(
            settings.database_url, order_pattern=settings.order_number_pattern
        ).open()
        try:
            events.prune(settings.retention_days)
        except Exception as exc:  # an unreachable store must not stop the site
            log.error("could not prune old events: %s", exc)
        state = AppState(settings, model, searcher, events)
        app.state.kb = state
        stop = threading.Event()
        watcher = (
            state.watch_index(stop, settings.reload_interval) if settings.reload_interval else None
        )
        try:
            yield
        finally:
            stop.set()
            if watcher:
                watcher.join(5)
            events.close()

    app = FastAPI(
        docs_url=None,  # served below from the bundled Swagger UI: no CDN, works offline
        redoc_url=None,
        title="Help Center",
        description="Search the help center's articles (hybrid semantic + lexical search).",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.signing_key = secret_key(settings)
    app.add_middleware(SessionMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Help Center API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

    app.include_router(api.router)
    app.include_router(admin.router)
    app.include_router(agent.router)
    app.include_router(pages.router)

    def wants_json(request: Request) -> bool:
        path = request.url.path
        return path.startswith("/api/") or path == "/healthz"

    @app.exception_handler(QueryError)
    def query_error(request: Request, exc: QueryError) -> Response:
        status = 413 if "too long" in str(exc) else 422
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return render_error(request, status, str(exc))

    @app.exception_handler(KBError)
    def kb_error(request: Request, exc: KBError) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return render_error(request, 400, str(exc))

    @app.exception_handler(RequestValidationError)
    def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'][1:]) or 'request'}: {err['msg']}"
            for err in exc.errors()
        )
        if wants_json(request):
            return JSONResponse({"detail": problems}, status_code=422)
        return render_error(request, 422, problems)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        location = (getattr(exc, "headers", None) or {}).get("Location")
        if exc.status_code in (302, 303, 307) and location:
            return RedirectResponse(location, status_code=exc.status_code)
        if wants_json(request):
            return JSONResponse(
                {"detail": exc.detail},
                status_code=exc.status_code,
                headers=getattr(exc, "headers", None),
            )
        return render_error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": "internal error"}, status_code=500)
        return HTMLResponse("<h1>Something went wrong</h1>", status_code=500)

    return app
