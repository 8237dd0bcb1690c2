"""Rate limits: budgets written as "60/minute", counted in a moving window by the
`limits` library (the one behind slowapi and Flask-Limiter).

Counted in this process's memory by default. With a Redis URL the count lives in Redis,
so one budget holds across every worker and machine (N workers no longer allow N times
the budget). When Redis fails, each process counts in its own memory until Redis answers
again: a warning is logged once per outage and every such check is counted
(``fallbacks``), so an outage loosens the limit to per-process, never to no limit and
never to an error for the visitor.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

import limits
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger("kb.ratelimit")

Rate = limits.RateLimitItem
# seconds: a hung Redis may delay a request this much, once per retry; a busy one (a
# loaded 2-core host answered in over 0.25 s, and limits fell back to per process) must
# not be taken for a failed one
REDIS_TIMEOUT = 1.0
RETRY_REDIS_AFTER = 5.0  # seconds between attempts to go back to Redis after a failure


def parse_rate(text: str) -> Rate | None:
    """``"60/minute"``, ``"5 per second"``, ``"100/10 minutes"``; empty or ``"0"``: no limit."""
    text = text.strip()
    if not text or text == "0":
        return None
    try:
        rate = limits.parse(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a rate such as '60/minute' (empty or 0: no limit)"
        ) from None
    return rate if rate.amount > 0 else None


def redis_storage(url: str, prefix: str) -> Storage:
    """Redis storage for the limits, failing fast (``StorageError``) when Redis does not
    answer, so a request never waits long on it."""
    storage = storage_from_string(
        url,
        key_prefix=f"{prefix}:limits",
        wrap_exceptions=True,
        socket_connect_timeout=REDIS_TIMEOUT,
        socket_timeout=REDIS_TIMEOUT,
    )
    assert isinstance(storage, Storage)  # a redis:// URL gives the synchronous storage
    return storage


class RateLimits:
    """The site's named budgets (``search``, ``feedback``), each counted per client key.

    Thread-safe: sync routes run in a thread pool, and both storages are."""

    def __init__(
        self,
        rates: Mapping[str, Rate],
        redis_url: str = "",
        prefix: str = "kb",
        *,
        on_fallback: Callable[[], None] | None = None,
        retry_after: float = RETRY_REDIS_AFTER,
    ) -> None:
        self.rates = dict(rates)
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared = (
            MovingWindowRateLimiter(redis_storage(redis_url, prefix)) if redis_url else None
        )
        self._on_fallback = on_fallback
        self._retry_after = retry_after
        self._down_since: float | None = None  # monotonic time of the failure, while down
        self._lock = threading.Lock()
        self.fallbacks = 0  # checks counted in memory because Redis failed

    @property
    def in_memory(self) -> bool:
        """True when no Redis is configured: a hit then never waits on the network."""
        return self._shared is None

    @property
    def shared(self) -> bool:
        """True while budgets are counted in Redis (configured and answering)."""
        return self._shared is not None and self._down_since is None

    def hit(self, name: str, key: str) -> float:
        """Count a request against budget ``name``; 0 when it is allowed, else seconds until
        one would be. A budget that is not configured never limits."""
        rate = self.rates.get(name)
        if rate is None:
            return 0.0
        if self._shared is not None:
            if self._redis_due():
                try:
                    wait = self._hit(self._shared, rate, name, key)
                except StorageError as exc:
                    self._redis_failed(exc)
                else:
                    self._redis_answered()
                    return wait
            self._count_fallback()
        return self._hit(self._local, rate, name, key)

    @staticmethod
    def _hit(limiter: MovingWindowRateLimiter, rate: Rate, name: str, key: str) -> float:
        if limiter.hit(rate, name, key):
            return 0.0
        reset = limiter.get_window_stats(rate, name, key).reset_time
        return max(reset - time.time(), 0.001)

    def _redis_due(self) -> bool:
        """Redis is up, or it failed long enough ago to try again."""
        with self._lock:
            down = self._down_since
        return down is None or time.monotonic() - down >= self._retry_after

    def _redis_failed(self, exc: Exception) -> None:
        with self._lock:
            first = self._down_since is None
            self._down_since = time.monotonic()
        if first:
            log.warning(
                "Redis is unavailable for rate limits (%s): counting per process until it "
                "answers again",
                exc,
            )

    def _redis_answered(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            self._down_since = None
        log.warning("Redis answers again: rate limits are shared across processes again")

    def _count_fallback(self) -> None:
        with self._lock:
            self.fallbacks += 1
        if self._on_fallback is not None:
            self._on_fallback()
