"""Query vectors and search results shared by every server through Redis.

Each worker keeps its own small cache (``kb.search.searcher``); with ``KB_REDIS_URL`` a miss there
asks Redis before running the model, so a popular question is embedded once per fleet,
not once per worker. Keys carry the index version (and the model that built it): a new
version starts with an empty cache and old entries expire (``TTL``). Redis is an
optimisation here, never a dependency: any Redis error is a cache miss, logged once per
outage, and the server searches as it would without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from typing import Any

import numpy as np
import redis

log = logging.getLogger("kb.search.shared_cache")
TTL = 24 * 3600  # seconds an entry lives: a day of a help center's repeated questions
# seconds: a hung Redis delays a search this much, once per retry; a busy one (a loaded
# 2-core host answered in over 0.25 s) must not be taken for a failed one
TIMEOUT = 1.0
RETRY_AFTER = 5.0  # seconds between attempts after a failure


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


class SharedCache:
    """Vectors and results of one index version in Redis. Thread-safe."""

    def __init__(self, url: str, prefix: str, version: str) -> None:
        self._redis = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
        )
        self._prefix = f"{prefix}:cache:{version}"
        self._down_since: float | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def vector(self, query: str) -> np.ndarray | None:
        raw = self._get(f"{self._prefix}:vec:{_digest(query)}")
        return None if raw is None else np.frombuffer(raw, dtype=np.float32)

    def put_vector(self, query: str, vector: np.ndarray) -> None:
        data = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
        self._set(f"{self._prefix}:vec:{_digest(query)}", data)

    def result(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        raw = self._get(f"{self._prefix}:res:{_digest(*key)}")
        return None if raw is None else dict(json.loads(raw))

    def put_result(self, key: tuple[Any, ...], data: dict[str, Any]) -> None:
        payload = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._set(f"{self._prefix}:res:{_digest(*key)}", payload)

    def _get(self, key: str) -> bytes | None:
        if not self._due():
            return None
        try:
            raw = self._redis.get(key)
        except redis.RedisError as exc:
            self._failed(exc)
            return None
        self._answered()
        with self._lock:
            if raw is None:
                self.misses += 1
            else:
                self.hits += 1
        return raw if isinstance(raw, bytes) else None

    def _set(self, key: str, value: bytes) -> None:
        if not self._due():
            return
        try:
            self._redis.set(key, value, ex=TTL)
        except redis.RedisError as exc:
            self._failed(exc)

    def _due(self) -> bool:
        with self._lock:
            down = self._down_since
        return down is None or time.monotonic() - down >= RETRY_AFTER

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            first = self._down_since is None
            self._down_since = time.monotonic()
        if first:
            log.warning(
                "Redis is unavailable for the shared query cache (%s): caching per process", exc
            )

    def _answered(self) -> None:
        if self._down_since is not None:
            with self._lock:
                self._down_since = None
            log.warning("Redis answers again: the query cache is shared again")
