"""Per-client rate limits for the public search and feedback endpoints.

A help center is public: one script hammering search can starve real customers of CPU (every
query runs the embedding model), and a feedback form invites spam. Each client IP gets a
budget per moving window; beyond it the answer is 429 with ``Retry-After``.

The budget is counted by ``kb.ratelimit``: in the worker's memory by default (with
``--workers N`` a client can then get up to N times the rate), in Redis across every worker
and machine when ``KB_REDIS_URL`` is set (per process again, with a warning, while Redis is
down). The client is
``request.client.host``: behind a reverse proxy, let uvicorn put the real address there
(``--proxy-headers --forwarded-allow-ips=<proxy address>``) rather than trusting any
``X-Forwarded-For`` a client sends.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from kb.ratelimit import RateLimits


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limiter(name: str) -> Callable[[Request], Awaitable[None]]:
    """A route dependency enforcing the app's limiter ``name`` (absent: no limit).

    A coroutine, so a budget counted in memory costs no trip through the thread pool
    (FastAPI runs a plain ``def`` dependency there); a Redis budget, which waits on the
    network, is still counted in the pool."""

    async def check(request: Request) -> None:
        limits: RateLimits | None = getattr(request.app.state, "rate_limits", None)
        if limits is None:
            return
        key = client_key(request)
        if limits.in_memory:
            wait = limits.hit(name, key)
        else:
            wait = await run_in_threadpool(limits.hit, name, key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise HTTPException(
                429,
                f"too many requests: try again in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )

    return check
