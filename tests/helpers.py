"""What the tests share besides fixtures: the repository's paths, the real servers' URLs,
writing article files, running an app under a real uvicorn, and building the app from
settings. Plain code, imported by name (``conftest.py`` holds the fixtures only)."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kb.models.embeddings import Embedder
from kb.settings import Settings
from web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "articles"
# a draft on a topic the demo does not cover: what writers preview and measure
REFURBISHED_DRAFT = """---
title: Refurbished phones
description: Do we sell refurbished phones?
tags: [refurbished, second-hand, used phones]
draft: true
---
We sell refurbished phones with a 12-month warranty.

## Which refurbished phones do you sell?

Refurbished iPhone and Samsung phones, tested and graded A or B.
"""
GOLDEN = Path(__file__).parent / "golden"
PG_URL = os.environ.get("KB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("KB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


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


def read_tsv(path: Path) -> list[list[str]]:
    """The rows of a golden TSV file, without blank lines and ``#`` comments."""
    with path.open(encoding="utf-8") as f:
        return [row for row in csv.reader(f, delimiter="\t") if row and not row[0].startswith("#")]


def pg_url(schema: str) -> str:
    """The test server's URL with ``schema`` as the search path (what KB_DATABASE_URL takes)."""
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """The app under a real uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
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


class AppFactory:
    """Builds the site the way production does (``create_app``), from settings with
    ``overrides`` on top, sharing the session's loaded model. Each call is a new app:
    its own lifespan, event store and rate-limit counters.

    ``make_app(settings, admin_token="x")`` is the app; ``make_app.client(...)`` the app
    behind an in-process HTTP client; ``make_app.served(...)`` the app under a real
    uvicorn, yielding its base URL. The last two are context managers that run the
    app's lifespan."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def __call__(self, settings: Settings, **overrides: Any) -> FastAPI:
        return create_app(settings.replace(**overrides) if overrides else settings, self.embedder)

    def client(self, settings: Settings, **overrides: Any) -> TestClient:
        return TestClient(self(settings, **overrides))

    def served(self, settings: Settings, **overrides: Any) -> Any:
        return live_server(self(settings, **overrides))


class RedisServer:
    """A redis-server of the test's own on a free loopback port, to stop and start again
    (an outage the shared server must not suffer)."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
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
