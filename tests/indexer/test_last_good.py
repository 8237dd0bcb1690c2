"""A writer's broken save never takes a live article off the site: the build keeps the
version last published, says so, and publishes everything else; `--strict` publishes
nothing while any file is broken; a new broken file is not published."""

from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from indexer.build import build_index
from indexer.runner import watch_articles
from kb.cli import app as cli
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.search.index import current_version
from kb.settings import Settings
from tests.helpers import ARTICLES, AppFactory, live_server, write

KEPT = re.compile(r"keeping the version published on \d{4}-\d\d-\d\d \d\d:\d\d UTC")


@pytest.fixture()
def site(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> Settings:
    articles = tmp_path / "articles"
    shutil.copytree(ARTICLES / "hr" / "povrati", articles / "hr" / "povrati")
    settings = Settings(
        articles_dir=articles,
        index_dir=tmp_path / "index",
        database_url=f"sqlite:///{tmp_path / 'events.sqlite3'}",
        reload_interval=0,
    )
    build_index(settings, embedder, quiet=True)
    return settings


NEW_TEXT = "\nNova rečenica o zmajokrilcima.\n"


def break_title(settings: Settings, rel: str = "hr/povrati/jamstvo.md") -> str:
    """The mistake from the issue: an unclosed quote in `title:`, plus new body text.
    Returns the file's good text."""
    path = settings.articles_dir / rel
    text = path.read_text(encoding="utf-8")
    broken = re.sub(r'^title: "([^"]*)"', r'title: "\1', text, count=1, flags=re.M)
    assert broken != text
    path.write_text(broken + NEW_TEXT, encoding="utf-8")
    return text


def found(client: httpx.Client | TestClient, query: str, slug: str) -> bool:
    hits = client.get("/api/search", params={"q": query, "lang": "hr"}).json()["results"]
    return any(h["slug"] == slug for h in hits[:3])


def test_kb_index_keeps_the_last_good_version_of_a_broken_article(
    site: Settings, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = break_title(site)
    write(site.articles_dir, "hr/povrati/nova.md", "---\ntitle: Nova\ndraft: možda\n---\nx\n")
    for key, value in (("KB_ARTICLES_DIR", site.articles_dir), ("KB_INDEX_DIR", site.index_dir)):
        monkeypatch.setenv(key, str(value))
    before = current_version(site.index_dir)
    result = CliRunner().invoke(cli, ["index", "--quiet"])
    assert result.exit_code == 1
    jamstvo = f"{site.articles_dir}/hr/povrati/jamstvo.md:2: error: invalid YAML front matter"
    assert jamstvo in result.output
    kept = KEPT.search(result.output.split(jamstvo)[1].splitlines()[0])
    assert kept
    assert f"{site.articles_dir}/hr/povrati/nova.md:3: error: draft:" in result.output
    assert "1 left out with errors, 1 kept as last published" in result.output
    assert current_version(site.index_dir) != before  # everything else was published
    with make_app.client(site) as client:
        page = client.get("/hr/articles/jamstvo")
        assert page.status_code == 200 and "Jamstvo" in page.text
        assert "zmajokrilcima" not in page.text  # the last good version, not the broken one
        assert found(client, "jamstvo", "jamstvo")
        assert client.get("/hr/articles/nova").status_code == 404  # new and broken: not published

    # kept again on the next build, with the same date; fixed, the new text goes live
    again = CliRunner().invoke(cli, ["index", "--quiet"])
    assert kept[0] in again.output
    (site.articles_dir / "hr/povrati/jamstvo.md").write_text(good + NEW_TEXT, encoding="utf-8")
    (site.articles_dir / "hr/povrati/nova.md").unlink()
    fixed = CliRunner().invoke(cli, ["index", "--quiet"])
    assert fixed.exit_code == 0, fixed.output
    with make_app.client(site) as client:
        assert "zmajokrilcima" in client.get("/hr/articles/jamstvo").text


def test_strict_publishes_nothing_while_a_file_is_broken(
    site: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = current_version(site.index_dir)
    break_title(site)
    for key, value in (("KB_ARTICLES_DIR", site.articles_dir), ("KB_INDEX_DIR", site.index_dir)):
        monkeypatch.setenv(key, str(value))
    result = CliRunner().invoke(cli, ["index", "--quiet", "--strict"])
    assert result.exit_code == 1
    assert "jamstvo.md:2: error:" in result.output and "nothing published" in result.output
    assert current_version(site.index_dir) == before


def test_reload_content_keeps_serving_a_broken_article_and_shows_the_error(
    site: Settings, make_app: AppFactory, capfd: pytest.CaptureFixture[str]
) -> None:
    application = make_app(site)
    stop = threading.Event()

    def swap() -> object:
        return application.state.kb.reload_if_changed()

    with live_server(application) as base, httpx.Client(base_url=base, timeout=30) as client:
        watcher = threading.Thread(
            target=watch_articles, args=(site,), kwargs={"stop": stop, "on_publish": swap}
        )
        watcher.start()
        try:
            time.sleep(1.0)
            version = client.get("/healthz").json()["index_version"]
            break_title(site)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if client.get("/healthz").json()["index_version"] != version:
                    break
                time.sleep(0.1)
            else:
                pytest.fail("no rebuild after the broken save")
            page = client.get("/hr/articles/jamstvo")
            assert page.status_code == 200 and "zmajokrilcima" not in page.text
            assert found(client, "jamstvo", "jamstvo")
        finally:
            stop.set()
            watcher.join(30)
    err = capfd.readouterr().err
    assert "jamstvo.md:2: error: invalid YAML front matter" in err and KEPT.search(err)
