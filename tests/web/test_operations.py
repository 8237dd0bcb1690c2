"""Operators' hooks: Prometheus metrics, readiness that waits for an index, JSON logs."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path

import pytest

from indexer.build import BuildReport, build_index
from kb.logs import configure_logging
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.settings import Settings
from tests.helpers import AppFactory, write


def sample(metrics_text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    for line in metrics_text.splitlines():
        if not line.startswith(name + ("{" if labels else " ")):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_searches_unanswered_and_latency_by_route(
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    tmp_path: Path,
) -> None:
    with make_app.client(
        demo_settings, database_url=f"sqlite:///{tmp_path / 'e.sqlite3'}"
    ) as client:
        client.get("/api/search", params={"q": "how do I return a product", "lang": "en"})
        client.get("/api/search", params={"q": "recipe for apple pie", "lang": "en"})
        client.get("/en/articles/returns")
        client.get("/en/articles/no-such-article")
        text = client.get("/metrics").text
    assert sample(text, "kb_searches_total", source="api", lang="en") == 2
    assert sample(text, "kb_unanswered_searches_total", source="api", lang="en") == 1
    route = "/{lang}/articles/{slug}"  # templates, not URLs: the label set stays small
    assert sample(text, "kb_http_request_duration_seconds_count", route=route, status="2xx") == 1
    assert sample(text, "kb_http_request_duration_seconds_count", route=route, status="4xx") == 1
    assert sample(text, "kb_http_request_duration_seconds_count", route="/api/search") == 2
    assert sample(text, "kb_index_chunks") == demo_build.chunks
    assert sample(text, "kb_index_size_bytes") > 100_000
    assert sample(text, "kb_ready") == 1 and sample(text, "kb_event_store_errors") == 0
    assert f'kb_index_info{{version="{demo_build.version}"}} 1.0' in text


def test_not_ready_until_an_index_is_published_then_serving_without_restart(
    embedder: SentenceTransformerEmbedder, make_app: AppFactory, tmp_path: Path
) -> None:
    """A server started before the first index answers 503 with Retry-After (not 500),
    and picks the index up as soon as a build publishes it."""
    articles = tmp_path / "articles"
    write(articles, "en/help/returns.md", "---\ntitle: Returns\n---\n\nSend it back in 30 days.\n")
    settings = Settings(
        articles_dir=articles,
        index_dir=tmp_path / "index",
        database_url=f"sqlite:///{tmp_path / 'e.sqlite3'}",
        reload_interval=0.2,
    )
    with make_app.client(settings) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
        assert "no index" in ready.json()["reason"]
        search = client.get("/api/search", params={"q": "returns"})
        assert search.status_code == 503 and "not ready" in search.json()["detail"]
        assert client.get("/healthz").json()["status"] == "starting"
        assert client.get("/metrics").status_code == 200
        build_index(settings, embedder, quiet=True)
        deadline = time.monotonic() + 10
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.get("/readyz").json()["ready"] is True
        hits = client.get("/api/search", params={"q": "send it back", "lang": "en"}).json()
        assert hits["results"][0]["slug"] == "returns"


def test_json_log_lines_are_one_object_each(
    capsys: pytest.CaptureFixture[str], demo_settings: Settings
) -> None:
    configure_logging(demo_settings.replace(log_format="json"))
    try:
        logging.getLogger("kb.web").warning("index %s not loaded", "v2")
        lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        record = json.loads(lines[-1])
        assert record["message"] == "index v2 not loaded"
        assert record["level"] == "WARNING" and record["logger"] == "kb.web"
        assert "time" in record
    finally:
        configure_logging(demo_settings)
