"""FastAPI app factory: the lifespan loads the model, opens the event store and starts the
live index once; routes stay thin.

``create_app`` is a list of registrations, each owned by one module: the middlewares
(``web.middleware``), the exception handlers (``web.errors``) and the routers below.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib import resources
from pathlib import Path

import faiss
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from kb.insights.events import EventStore
from kb.logs import configure_logging
from kb.models.embeddings import Embedder, embedder_for
from kb.ratelimit import RateLimits, parse_rate
from kb.search.live import LiveIndex
from kb.settings import Settings
from web import admin, agent, api, contact, errors, middleware, pages, results, sitefiles, typeahead
from web.draining import drain_on_signals
from web.metrics import Metrics
from web.security import secret_key
from web.state import AppState

log = logging.getLogger("kb.web")

STATIC = Path(__file__).parent / "static"
SWAGGER = Path(str(resources.files("fastapi_swagger") / "resources"))

docs = APIRouter(include_in_schema=False)


@docs.get("/docs")
def swagger_ui() -> HTMLResponse:
    """The API docs from the bundled Swagger UI: no CDN, works offline."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Help Center API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/swagger/favicon-32x32.png",
    )


# in the order they are matched: web.pages' catch-all /{lang} comes last
ROUTERS = (
    docs,
    api.router,
    typeahead.router,
    admin.router,
    agent.router,
    agent.login_router,
    contact.router,
    results.router,
    sitefiles.router,
    pages.router,
)


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """The site for ``settings``; ``embedder`` lets tests share one loaded model."""
    settings = settings or Settings()
    metrics = Metrics()
    app = FastAPI(
        docs_url=None,  # served by `docs` above
        redoc_url=None,
        title="Help Center",
        description="Search the help center's articles (hybrid semantic + lexical search).",
        version="0.1.0",
        lifespan=lifespan(settings, embedder, metrics),
    )
    app.state.signing_key = secret_key(settings)
    app.state.metrics = metrics
    app.state.rate_limits = rate_limits(settings, metrics)
    middleware.register(app, settings, metrics)
    if settings.log_format == "json":
        configure_logging(settings)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    errors.register(app)
    return app


def lifespan(
    settings: Settings, embedder: Embedder | None, metrics: Metrics
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What the app holds while it runs (``app.state.kb``): ready once the live index has
    loaded a version; until then requests get 503 (``web.middleware.ReadinessGate``)."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        drain_on_signals()  # from SIGTERM on, connections close after their response
        model = serving_embedder(settings, embedder)
        events = open_events(settings)
        live = LiveIndex(settings, model)
        app.state.kb = AppState(settings, model, live, events, metrics)
        try:
            live.start()
            yield
        finally:
            live.stop()
            # writes the events still queued (bounded by KB_SHUTDOWN_TIMEOUT, and what is
            # left then is logged): nothing is lost silently on SIGTERM
            events.close()

    return run


def serving_embedder(settings: Settings, embedder: Embedder | None) -> Embedder:
    """The query model, one thread per call: a query is one short text, and the requests
    are the parallelism (more threads per call oversubscribe the cores once several
    requests run)."""
    threads = settings.embed_threads or 1
    model = embedder or embedder_for(settings.replace(embed_threads=threads))
    # the same for FAISS's OpenMP: with the cores busy, a two-thread search of one
    # query waits for a descheduled thread (measured 1 ms -> 16 ms on a loaded 2-core box)
    faiss.omp_set_num_threads(threads)
    return model


def open_events(settings: Settings) -> EventStore:
    """The event store, old events pruned; an unreachable store must not stop the site."""
    events = EventStore(
        settings.database_url,
        order_pattern=settings.order_number_pattern,
        shutdown_timeout=settings.shutdown_timeout,
    ).open()
    try:
        events.prune(settings.retention_days)
    except Exception as exc:
        log.error("could not prune old events: %s", exc)
    return events


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
