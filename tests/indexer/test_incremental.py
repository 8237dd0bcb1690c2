"""Writers edit, add, delete and rename articles: only changed sections are embedded,
search follows, and a running server swaps to each new index without a failed request."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from indexer.build import build_index
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.search.index import SearchIndex
from kb.search.searcher import Searcher
from kb.settings import Settings
from tests.helpers import ARTICLES, AppFactory


class CountingEmbedder:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.name, self.fingerprint = inner.name, inner.fingerprint
        self.dimension, self.max_tokens = inner.dimension, inner.max_tokens
        self.query_prefix, self.passage_prefix = "", ""
        self.calls = 0
        self.texts: list[str] = []

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        self.calls += len(texts)
        self.texts += texts
        return self.inner.encode(texts, batch_size)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


@pytest.fixture()
def workspace(tmp_path: Path) -> Settings:
    articles = tmp_path / "articles"
    for lang, sub in (("en", "delivery"), ("en", "returns"), ("hr", "dostava")):
        shutil.copytree(ARTICLES / lang / sub, articles / lang / sub)
    return Settings(articles_dir=articles, index_dir=tmp_path / "index", reload_interval=0.2)


def search(settings: Settings, embedder: CountingEmbedder, query: str, lang: str) -> list[str]:
    index = SearchIndex.load(settings.index_dir, embedder.fingerprint)
    return [h.slug for h in Searcher(index, embedder.inner).search(query, lang).hits]


def test_only_what_changed_is_embedded(
    workspace: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    counting = CountingEmbedder(embedder)
    first = build_index(workspace, counting, quiet=True)
    assert counting.calls == first.chunks and first.reused == 0

    counting.calls = 0
    unchanged = build_index(workspace, counting, quiet=True)
    assert counting.calls == 0 and unchanged.reused == unchanged.chunks

    # edit one section of one article
    path = workspace.articles_dir / "en" / "returns" / "returns.md"
    text = path.read_text()
    path.write_text(
        text.replace(
            "## What can't be returned?",
            "## What can't be returned?\n\nSurfboards cannot be returned.\n",
        )
    )
    counting.calls = 0
    build_index(workspace, counting, quiet=True)
    assert counting.calls == 1
    assert search(workspace, counting, "can I return a surfboard", "en")[0] == "returns"

    # add an article: its chunks only
    new = workspace.articles_dir / "en" / "delivery" / "drones.md"
    new.write_text(
        "---\ntitle: Drone delivery\n---\nWe deliver by drone in Zagreb.\n\n"
        "## Where do drones fly?\n\nOnly within the city of Zagreb.\n"
    )
    counting.calls = 0
    report = build_index(workspace, counting, quiet=True)
    assert counting.calls == 2
    assert search(workspace, counting, "drone delivery", "en")[0] == "drones"

    # rename it: same texts, nothing embedded, the old slug is gone
    new.rename(new.with_name("drone-delivery.md"))
    counting.calls = 0
    build_index(workspace, counting, quiet=True)
    assert counting.calls == 0
    index = SearchIndex.load(workspace.index_dir)
    assert index.article("en", "drones") is None and index.article("en", "drone-delivery")

    # delete it: gone from the index, nothing embedded
    (workspace.articles_dir / "en" / "delivery" / "drone-delivery.md").unlink()
    counting.calls = 0
    after_delete = build_index(workspace, counting, quiet=True)
    assert counting.calls == 0 and after_delete.articles == report.articles - 1
    assert "drone-delivery" not in search(workspace, counting, "drone delivery", "en")


def test_server_swaps_to_new_index_without_failed_requests(
    workspace: Settings, embedder: SentenceTransformerEmbedder, make_app: AppFactory
) -> None:
    build_index(workspace, embedder, quiet=True)
    db = workspace.index_dir.parent / "events.sqlite3"
    settings = workspace.replace(database_url=f"sqlite:///{db}")
    statuses: list[int] = []
    stop = threading.Event()

    def hammer(base: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while not stop.is_set():
                statuses.append(
                    client.get("/api/search", params={"q": "delivery cost"}).status_code
                )

    with make_app.served(settings) as base:
        workers = [threading.Thread(target=hammer, args=(base,)) for _ in range(4)]
        for w in workers:
            w.start()
        try:
            versions = {httpx.get(base + "/healthz").json()["index_version"]}
            for n in range(2):
                extra = workspace.articles_dir / "en" / "delivery" / f"extra-{n}.md"
                extra.write_text(f"---\ntitle: Extra {n}\n---\nHovercraft delivery number {n}.\n")
                build_index(workspace, embedder, quiet=True)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    version = httpx.get(base + "/healthz").json()["index_version"]
                    if version not in versions:
                        versions.add(version)
                        break
                    time.sleep(0.1)
            found = httpx.get(base + "/api/search", params={"q": "hovercraft delivery"}).json()
        finally:
            stop.set()
            for w in workers:
                w.join()
    assert len(versions) == 3, "the server picked up both new versions"
    assert found["results"][0]["slug"].startswith("extra-")
    assert len(statuses) > 20 and set(statuses) == {200}


def test_a_broken_new_version_is_reported_and_the_old_one_keeps_serving(
    workspace: Settings, embedder: SentenceTransformerEmbedder, make_app: AppFactory
) -> None:
    build_index(workspace, embedder, quiet=True)
    db = workspace.index_dir.parent / "events.sqlite3"
    settings = workspace.replace(database_url=f"sqlite:///{db}", reload_interval=0)
    with make_app.client(settings) as client:
        before = client.get("/healthz").json()["index_version"]
        broken = workspace.index_dir / "versions" / "99999999T000000-broken"
        broken.mkdir(parents=True)
        (broken / "manifest.json").write_text("{ not json")
        (workspace.index_dir / "CURRENT").write_text(broken.name)
        assert client.app.state.kb.reload_if_changed() is False
        health = client.get("/healthz").json()
        assert health["index_version"] == before and "not loaded" in health["index_error"]
        assert client.get("/api/search", params={"q": "delivery"}).status_code == 200


def test_e5_style_prefixes_reach_the_model_for_passages_and_queries(
    workspace: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    counting = CountingEmbedder(embedder)
    counting.query_prefix, counting.passage_prefix = "query: ", "passage: "
    build_index(workspace, counting, quiet=True)
    assert counting.texts and all(t.startswith("passage: ") for t in counting.texts)
    counting.texts = []
    index = SearchIndex.load(workspace.index_dir)
    Searcher(index, counting).search("refund to card", "en")  # type: ignore[arg-type]
    assert counting.texts == ["query: refund to card"]


def test_prefixes_are_part_of_the_model_identity(embedder: SentenceTransformerEmbedder) -> None:
    """The default e5 brings its own prompts; other prompts make another model identity,
    so an index built with them is refused."""
    from kb.models.embeddings import load_embedder

    assert (embedder.query_prefix, embedder.passage_prefix) == ("query: ", "passage: ")
    unprompted = load_embedder(passage_prefix="", query_prefix="")
    assert unprompted.fingerprint != embedder.fingerprint  # its index would be refused
    assert embedder.fingerprint.startswith(unprompted.fingerprint)
