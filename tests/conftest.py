"""Shared fixtures: the real bundled model, a real index of the demo articles on disk,
and the real app behind an HTTP client. Expensive things are built once per session."""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from indexer.build import BuildReport, build_index
from kb.models.embeddings import SentenceTransformerEmbedder, load_embedder
from kb.settings import Settings
from web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("KB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ARTICLES = ROOT / "articles"
GOLDEN = Path(__file__).parent / "golden"


def write(root: Path, rel: str, text: str) -> Path:
    """Write a file under ``root``, creating folders: the tests' article fixtures."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def english_demo_articles(root: Path, count: int) -> Path:
    """The first ``count`` English demo articles copied under ``root/articles``: a small
    real help center for tests that build an index of their own."""
    articles = root / "articles"
    for path in sorted((ARTICLES / "en").rglob("*.md"))[:count]:
        write(articles, str(path.relative_to(ARTICLES)), path.read_text(encoding="utf-8"))
    return articles


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """The app under a real uvicorn on a free loopback port; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def read_tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as f:
        return [row for row in csv.reader(f, delimiter="\t") if row and not row[0].startswith("#")]


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
def client(
    demo_settings: Settings, demo_build: BuildReport, embedder: SentenceTransformerEmbedder
) -> Iterator[TestClient]:
    with TestClient(create_app(demo_settings, embedder)) as test_client:
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


def pg_url(schema: str) -> str:
    """The test server's URL with ``schema`` as the search path (what KB_DATABASE_URL takes)."""
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


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


REDIS_URL = os.environ.get("KB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


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


class RedisServer:
    """A redis-server of the test's own on a free loopback port, to stop and start again
    (an outage the shared server must not suffer)."""

    def __init__(self, tmp: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.tmp = tmp
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


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
