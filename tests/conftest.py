"""Shared fixtures: the real bundled model, a real index of the demo articles on disk,
the app factory, and the real app behind an HTTP client. Expensive things are built once
per session. Fixtures only: the code tests import by name is in ``tests/helpers.py``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.build import BuildReport, build_index
from kb.models.embeddings import SentenceTransformerEmbedder, load_embedder
from kb.settings import Settings
from tests.helpers import ARTICLES, PG_URL, REDIS_URL, AppFactory, RedisServer


@pytest.fixture(scope="session", autouse=True)
def _no_rate_limits() -> Iterator[None]:
    """Production has rate limits on by default; the suite searches far faster than a
    customer, so they are off (for uvicorn subprocesses too) unless a test turns them on."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KB_RATE_LIMIT_SEARCH", "0")
        env.setenv("KB_RATE_LIMIT_FEEDBACK", "0")
        env.setenv("KB_RATE_LIMIT_TYPEAHEAD", "0")
        yield


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    return load_embedder()


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ONNX export of the bundled model for the whole session."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path_factory.mktemp("var")
    return Settings(
        articles_dir=ARTICLES,
        index_dir=var / "index",
        database_url=f"sqlite:///{var / 'kb.sqlite3'}",
    )


@pytest.fixture(scope="session")
def demo_build(demo_settings: Settings, embedder: SentenceTransformerEmbedder) -> BuildReport:
    return build_index(demo_settings, embedder, quiet=True)


@pytest.fixture(scope="session")
def make_app(embedder: SentenceTransformerEmbedder) -> AppFactory:
    """``make_app(settings, **overrides)``: the real app for those settings, sharing the
    session's model (``.client(...)`` behind a TestClient, ``.served(...)`` under uvicorn)."""
    return AppFactory(embedder)


@pytest.fixture(scope="session")
def client(
    demo_settings: Settings, demo_build: BuildReport, make_app: AppFactory
) -> Iterator[TestClient]:
    with make_app.client(demo_settings) as test_client:
        yield test_client


@pytest.fixture()
def kb_env(monkeypatch: pytest.MonkeyPatch, demo_settings: Settings) -> Settings:
    """KB_* variables pointing at the demo index, for CLI tests."""
    for key in list(os.environ):
        if key.startswith("KB_") and not key.startswith("KB_RATE_LIMIT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("KB_ARTICLES_DIR", str(demo_settings.articles_dir))
    monkeypatch.setenv("KB_INDEX_DIR", str(demo_settings.index_dir))
    return demo_settings


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema on the real PostgreSQL server, dropped afterwards. Unreachable
    PostgreSQL skips the test locally and fails it in CI."""
    import uuid

    import sqlalchemy as sa

    name = f"kb_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine("postgresql+psycopg://" + PG_URL.split("://", 1)[1])
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL is unreachable: {exc}")
    yield name
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))
    engine.dispose()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of its own on the real Redis server (KB_REDIS_PREFIX), its keys deleted
    afterwards. Unreachable Redis skips the test locally and fails it in CI."""
    import uuid

    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is unreachable in CI: {exc}")
        pytest.skip(f"Redis is unreachable: {exc}")
    prefix = f"kbtest-{uuid.uuid4().hex[:10]}"
    yield prefix
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
