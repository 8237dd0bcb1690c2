"""FastAPI app factory: the lifespan loads the model and index once; routes stay thin."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import faiss
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from kb.errors import IndexNotFoundError, KBError, QueryError
from kb.insights.events import EventStore
from kb.logs import configure_logging
from kb.models.embeddings import Embedder, embedder_for
from kb.ratelimit import RateLimits, parse_rate
from kb.search.index import SearchIndex
from kb.search.searcher import Searcher
from kb.settings import Settings
from web import admin, agent, api, contact, pages, results, typeahead
from web.draining import CloseWhenDraining, drain_on_signals
from web.errors import query_error_key, render_error
from web.metrics import Metrics, MetricsMiddleware
from web.security import (
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    SessionMiddleware,
    add_security_headers,
    secret_key,
)
from web.state import AppState, fetch_published, shared_cache

log = logging.getLogger("kb.web")

STATIC = Path(__file__).parent / "static"
SWAGGER = Path(str(resources.files("fastapi_swagger") / "resources"))


def rate_limits(settings: Settings, metrics: Metrics) -> RateLimits:
    """The configured budgets (one left empty is no limit), shared through Redis when
    ``KB_REDIS_URL`` is set; checks that fall back to process memory are counted."""
    budgets = {
        "search": settings.rate_limit_search,
        "feedback": settings.rate_limit_feedback,
        "typeahead": settings.rate_limit_typeahead,
    }
    return RateLimits(
        {name: rate for name, text in budgets.items() if (rate := parse_rate(text))},
        settings.redis_url,
        settings.redis_prefix,
        on_fallback=metrics.rate_limit_fallbacks.inc,
    )


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """The site for ``settings``; ``embedder`` lets tests share one loaded model."""
    settings = settings or Settings()

    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        drain_on_signals()  # from SIGTERM on, connections close after their response
        # a query is one short text: one thread per call, the requests are the parallelism
        # (more threads per call oversubscribe the cores once several requests run)
        threads = settings.embed_threads or 1
        model = embedder or embedder_for(settings.replace(embed_threads=threads))
        # the same for FAISS's OpenMP: with the cores busy, a two-thread search of one
        # query waits for a descheduled thread (measured 1 ms -> 16 ms on a loaded 2-core box)
        faiss.omp_set_num_threads(threads)
        events = EventStore(
            settings.database_url,
            order_pattern=settings.order_number_pattern,
            shutdown_timeout=settings.shutdown_timeout,
        ).open()
        try:
            events.prune(settings.retention_days)
        except Exception as exc:  # an unreachable store must not stop the site
            log.error("could not prune old events: %s", exc)

        def serve(index: SearchIndex, why_not_current: str | None = None) -> AppState:
            searcher = Searcher(
                index,
                model,
                threshold_override=settings.answer_threshold,
                max_query_chars=settings.max_query_chars,
                shared=shared_cache(settings, index),
                typo_tolerance=settings.typo_tolerance,
            )
            state = AppState(
                settings, model, searcher, events, metrics=metrics, index_error=why_not_current
            )
            if why_not_current:
                log.error(why_not_current)
            _ = state.typeahead  # built before the first keystroke asks for it
            app.state.kb = state
            log.info("serving index %s", index.version)
            return state

        def load() -> tuple[SearchIndex, str | None]:
            """The current version, or the newest that loads if it does not (and why);
            with KB_INDEX_SOURCE, the location's current version is fetched first."""
            fetch_published(settings)
            return SearchIndex.load_serving(settings.index_dir, getattr(model, "fingerprint", None))

        stop = threading.Event()
        interval = settings.reload_interval
        try:
            state: AppState | None = serve(*load())
        except IndexNotFoundError as exc:
            # not ready yet (an index job has not published one): answer 503 until it has
            log.warning("%s; not ready until an index is published", exc)
            app.state.not_ready = str(exc)
            state = None
        watcher = threading.Thread(
            target=_watch, args=(app, state, load, serve, stop, interval), name="kb-index-watch"
        )
        watcher.daemon = True
        if interval or state is None:
            watcher.start()
        try:
            yield
        finally:
            stop.set()
            if watcher.is_alive():
                watcher.join(5)
            # writes the events still queued (bounded by KB_SHUTDOWN_TIMEOUT, and what is
            # left then is logged): nothing is lost silently on SIGTERM
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
    app.state.metrics = metrics
    app.state.rate_limits = rate_limits(settings, metrics)
    app.add_middleware(BodyLimitMiddleware)  # innermost: its 413 reaches the error pages
    app.add_middleware(SessionMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(ReadinessGate)
    if settings.cors_origin_list:  # the widget and other pages may call the search API
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET"],
            allow_headers=[],
            max_age=3600,
        )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(CloseWhenDraining)  # outermost: every response of a stopping worker
    if settings.log_format == "json":
        configure_logging(settings)
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
    app.include_router(typeahead.router)
    app.include_router(admin.router)
    app.include_router(agent.router)
    app.include_router(agent.login_router)
    app.include_router(contact.router)
    app.include_router(results.router)
    app.include_router(pages.router)

    def wants_json(request: Request) -> bool:
        path = request.url.path
        return path.startswith("/api/") or path in ("/healthz", "/readyz")

    @app.exception_handler(QueryError)
    def query_error(request: Request, exc: QueryError) -> Response:
        # what the request says is wrong (empty, too long, unknown language): 422 on
        # every route (web.validation); 413 is only for a body too large to read
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=422)
        state = request.app.state.kb
        return render_error(
            request,
            422,
            str(exc),
            query_error_key(exc),
            max=state.settings.max_query_chars,
            available=", ".join(state.searcher.index.languages),
        )

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
        too_long = any(
            err["type"] == "string_too_long" and err["loc"][-1] == "q" for err in exc.errors()
        )
        if too_long:  # a query past even the route's limit: say so, not pydantic's words
            max_chars = request.app.state.kb.settings.max_query_chars
            return render_error(request, 422, problems, "error.query_too_long", max=max_chars)
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
        # Retry-After, WWW-Authenticate go on the page too
        return render_error(
            request,
            exc.status_code,
            str(exc.detail),
            getattr(exc, "key", None),
            getattr(exc, "headers", None),
            **getattr(exc, "params", {}),
        )

    @app.exception_handler(SQLAlchemyError)
    def event_store_down(request: Request, exc: SQLAlchemyError) -> Response:
        # reports read the event database; searching never waits for it (see kb.insights.events)
        log.error("event database error on %s: %s", request.url.path, exc)
        message = (
            "the event database is unavailable right now; searching still works and the "
            "reports are back when it is"
        )
        if wants_json(request):
            return JSONResponse({"detail": message}, status_code=503, headers={"Retry-After": "30"})
        return render_error(request, 503, message, headers={"Retry-After": "30"})

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> Response:
        if wants_json(request):
            response: Response = JSONResponse({"detail": "internal error"}, status_code=500)
        else:
            try:  # the visitor's language if the templates still render
                response = render_error(request, 500, "internal error")
            except Exception:
                response = HTMLResponse("<h1>Something went wrong</h1>", status_code=500)
        return add_security_headers(response, request.url.path)

    return app


def _watch(
    app: FastAPI,
    state: AppState | None,
    load: Callable[[], tuple[SearchIndex, str | None]],
    serve: Callable[[SearchIndex, str | None], AppState],
    stop: threading.Event,
    interval: float,
) -> None:
    """Wait for a first index if there was none, then follow newly published versions."""
    while state is None and not stop.wait(max(interval, 0.5)):
        try:
            state = serve(*load())
            app.state.not_ready = None
        except IndexNotFoundError:
            continue
        except Exception as exc:
            app.state.not_ready = f"index not loaded: {exc}"
            log.error(app.state.not_ready)
    if state is not None and interval:
        state.watch_loop(stop, interval)


class ReadinessGate:
    """Until an index is loaded, answer 503 with Retry-After instead of failing: the
    health, readiness and metrics endpoints (and static files) still answer."""

    OPEN = ("/healthz", "/readyz", "/metrics", "/static/")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.OPEN):
            await self.app(scope, receive, send)
            return
        application = scope["app"]
        if getattr(application.state, "kb", None) is not None:
            await self.app(scope, receive, send)
            return
        reason = getattr(application.state, "not_ready", None) or "starting up"
        response = JSONResponse(
            {"detail": f"the help center is not ready yet: {reason}"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
        await response(scope, receive, send)
