"""Rate limits: parsing "60/minute" and counting requests per client in a sliding window.

Pure Python so the settings can validate a rate at start-up and the web layer can enforce
it; see ``web.ratelimit`` for why the budget is per client and per process.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_RATE = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d+)?\s*(second|minute|hour|day)s?\s*$", re.I)
SWEEP_ABOVE = 10_000  # clients remembered before stale ones are forgotten


@dataclass(frozen=True)
class Rate:
    limit: int
    window: float  # seconds


def parse_rate(text: str) -> Rate | None:
    """``"60/minute"``, ``"5 per second"``, ``"100/10 minutes"``; empty or ``"0"``: no limit."""
    text = text.strip()
    if not text or text == "0":
        return None
    match = _RATE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a rate such as '60/minute' (empty or 0: no limit)")
    count, multiple, period = match.groups()
    limit = int(count)
    if limit == 0:
        return None
    return Rate(limit, int(multiple or 1) * PERIODS[period.lower()])


class RateLimiter:
    """Sliding-window log per client: exact, and small because it keeps at most ``limit``
    timestamps per client. Thread-safe (sync routes run in a thread pool)."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def hit(self, key: str) -> float:
        """Count a request; 0 when it is allowed, else seconds until one would be."""
        now = self._clock()
        horizon = now - self.rate.window
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= horizon:
                hits.popleft()
            if len(hits) >= self.rate.limit:
                return hits[0] + self.rate.window - now
            hits.append(now)
            if len(self._hits) > SWEEP_ABOVE and now >= self._next_sweep:
                self._sweep(horizon)
                self._next_sweep = now + self.rate.window
            return 0.0

    def _sweep(self, horizon: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= horizon]:
            del self._hits[key]

    def __len__(self) -> int:
        return len(self._hits)
