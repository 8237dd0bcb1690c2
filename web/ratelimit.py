"""Per-client rate limits for the public search and feedback endpoints.

A help center is public: one script hammering search can starve real customers of CPU (every
query runs the embedding model), and a feedback form invites spam. Each client IP gets a
budget per sliding window; beyond it the answer is 429 with ``Retry-After``.

The budget lives in the worker process's memory, so with ``--workers N`` a client can get up
to N times the configured rate. That is deliberate: no shared store to run or to fail, and
the limit is there against floods, not to meter fair use. The client is
``request.client.host``: behind a reverse proxy, let uvicorn put the real address there
(``--proxy-headers --forwarded-allow-ips=<proxy address>``) rather than trusting any
``X-Forwarded-For`` a client sends.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from fastapi import HTTPException, Request

from kb.ratelimit import RateLimiter


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limiter(name: str) -> Callable[[Request], None]:
    """A route dependency enforcing the app's limiter ``name`` (absent: no limit)."""

    def check(request: Request) -> None:
        limiters: dict[str, RateLimiter] = getattr(request.app.state, "rate_limiters", {})
        active = limiters.get(name)
        if active is None:
            return
        wait = active.hit(client_key(request))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise HTTPException(
                429,
                f"too many requests: try again in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )

    return check
