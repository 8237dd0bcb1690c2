"""Drafts stay private, can be previewed, and `kb impact` tells what they would answer."""

from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.build import build_index
from indexer.runner import watch_articles
from kb.cli import app as cli
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.search.index import current_version
from kb.settings import Settings
from tests.helpers import ARTICLES, REFURBISHED_DRAFT, AppFactory, write


@pytest.fixture()
def site(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> Settings:
    articles = tmp_path / "articles"
    shutil.copytree(ARTICLES / "en" / "ordering", articles / "en" / "ordering")
    write(articles, "en/ordering/refurbished-phones.md", REFURBISHED_DRAFT)
    settings = Settings(
        articles_dir=articles,
        index_dir=tmp_path / "index",
        database_url=f"sqlite:///{tmp_path / 'events.sqlite3'}",
        admin_token="tok",
        reload_interval=0,
    )
    build_index(settings, embedder, quiet=True)
    return settings


def test_drafts_are_private_but_previewable(site: Settings, make_app: AppFactory) -> None:
    with make_app.client(site) as client:
        assert client.get("/en/articles/refurbished-phones").status_code == 404
        hits = client.get("/api/search", params={"q": "refurbished phones"}).json()["results"]
        assert all(h["slug"] != "refurbished-phones" for h in hits)
        assert (
            client.get(
                "/admin/preview/en/refurbished-phones", headers={"Accept": "application/json"}
            ).status_code
            == 401
        )
        page = client.get(
            "/admin/preview/en/refurbished-phones", headers={"Authorization": "Bearer tok"}
        ).text
        assert "Preview" in page and "Which refurbished phones do you sell?" in page
        assert 'id="feedback"' not in page
        # the writer is told which it is (it said "not published yet if it is a draft")
        assert "Preview of a draft: not published" in page
        live = client.get("/admin/preview/en/how-to-order", headers={"Authorization": "Bearer tok"})
        assert live.status_code == 200 and "this article is published" in live.text
        assert "Preview of a draft" not in live.text


def test_kb_impact_lists_the_questions_a_draft_would_answer(
    site: Settings, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_app.client(site) as client:
        for query in [
            "do you sell refurbished phones",
            "refurbished iphone",
            "how do I place an order",
        ]:
            client.get("/search", params={"q": query, "hl": "en"})
        client.app.state.kb.events.flush()
    for key, value in {
        "KB_ARTICLES_DIR": site.articles_dir,
        "KB_INDEX_DIR": site.index_dir,
        "KB_DATABASE_URL": site.database_url,
    }.items():
        monkeypatch.setenv(key, str(value))
    result = CliRunner().invoke(
        cli, ["impact", str(site.articles_dir / "en/ordering/refurbished-phones.md")]
    )
    assert result.exit_code == 0, result.output
    answered = re.findall(r"^\s+\d+x\s+(.+?)\s+\(", result.stdout, re.M)
    assert "do you sell refurbished phones" in answered
    assert "how do I place an order" not in answered
    live = current_version(site.index_dir)
    assert live is not None and (live / "manifest.json").is_file()  # live index untouched


def test_watch_rebuilds_when_an_article_changes(
    site: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    before = current_version(site.index_dir)
    stop = threading.Event()
    watcher = threading.Thread(target=watch_articles, args=(site,), kwargs={"stop": stop})
    watcher.start()
    try:
        time.sleep(1.0)
        write(site.articles_dir, "en/ordering/new.md", "# Gift wrapping\n\nWe wrap gifts.\n")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and current_version(site.index_dir) == before:
            time.sleep(0.2)
    finally:
        stop.set()
        watcher.join(30)
    assert current_version(site.index_dir) != before
