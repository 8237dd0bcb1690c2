"""Prometheus metrics: request latency by route (timed by ``web.middleware``), searches,
unanswered searches, the index and the event store.

Each app gets its own registry (tests run several apps in one process). With several
worker processes, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder before start-up:
counters and histograms are then summed over all workers; the index and event-store
gauges always describe the worker that answered the scrape.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from web.state import serving_state

if TYPE_CHECKING:
    from fastapi import FastAPI

# Searches answer in milliseconds; pages with gap clustering can take seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "kb_http_request_duration_seconds",
            "HTTP request latency by route template, method and status class.",
            ("route", "method", "status"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.searches = Counter(
            "kb_searches",
            "Searches by source (page, api, agent, contact) and asked language.",
            ("source", "lang"),
            registry=self.registry,
        )
        self.unanswered = Counter(
            "kb_unanswered_searches",
            "Searches whose best hit did not clear the confidence threshold.",
            ("source", "lang"),
            registry=self.registry,
        )

        self.rate_limit_fallbacks = Counter(
            "kb_rate_limit_fallbacks",
            "Rate-limit checks counted in process memory because Redis was unavailable.",
            registry=self.registry,
        )

    def observe_search(self, source: str, lang: str | None, answered: bool) -> None:
        labels = (source, lang or "unknown")
        self.searches.labels(*labels).inc()
        if not answered:
            self.unanswered.labels(*labels).inc()

    def exposition(self, app: FastAPI) -> bytes:
        registry = self.registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(_Both(registry, _StateCollector(app)))  # type: ignore[arg-type]

    content_type = CONTENT_TYPE_LATEST


class _Both:
    """The registry's metrics plus the state gauges, without registering anything (so
    concurrent scrapes never race)."""

    def __init__(self, registry: CollectorRegistry, state: Collector) -> None:
        self.sources = (registry, state)

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source.collect()


class _StateCollector(Collector):
    """Gauges read from the app's state at scrape time, so they are never stale."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        state = serving_state(self.app.state)
        ready = GaugeMetricFamily("kb_ready", "1 when the index is loaded and serving.")
        ready.add_metric([], 1.0 if state is not None else 0.0)
        yield ready
        limits = getattr(self.app.state, "rate_limits", None)
        if limits is not None:
            shared = GaugeMetricFamily(
                "kb_rate_limits_shared",
                "1 while rate limits are counted in Redis across processes, 0 per process.",
            )
            shared.add_metric([], 1.0 if limits.shared else 0.0)
            yield shared
        if state is None:
            return
        index = state.index
        info = GaugeMetricFamily(
            "kb_index_info", "The index version being served.", labels=["version"]
        )
        info.add_metric([index.version], 1.0)
        yield info
        for name, help_text, value in (
            ("kb_index_articles", "Published articles in the index.", len(index.articles)),
            ("kb_index_chunks", "Searchable sections (chunks) in the index.", len(index.chunks)),
            ("kb_index_size_bytes", "Index version's size on disk.", index.size_bytes()),
            (
                "kb_index_load_failed",
                "1 when a newer version failed to load.",
                state.index_error is not None,
            ),
        ):
            gauge = GaugeMetricFamily(name, help_text)
            gauge.add_metric([], float(value))
            yield gauge
        errors = GaugeMetricFamily(
            "kb_event_store_errors", "Event-store write failures since start (retried)."
        )
        errors.add_metric([], float(state.events.errors))
        yield errors
        pending = GaugeMetricFamily("kb_events_pending", "Events waiting to be written.")
        pending.add_metric([], float(state.events.pending))
        yield pending
