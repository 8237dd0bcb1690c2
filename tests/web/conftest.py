"""Fixtures for the web tests: the real Chromium, and a help center written by an
attacker (every hostile payload in an article's front matter, headings, body and lists,
built into a real index once per test session)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.build import build_index
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.settings import Settings
from tests.helpers import pg_url, write
from tests.web.browsing import ARGS, CHROMIUM, SHOTS
from tests.web.hostile import HOSTILE_ADMIN, HOSTILE_AGENT, PAYLOADS, hostile_article


@pytest.fixture(scope="session")
def hostile_settings(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> Settings:
    root: Path = tmp_path_factory.mktemp("hostile")
    for n, payload in enumerate(PAYLOADS):
        write(root / "articles", f"en/hostile/h{n:02d}.md", hostile_article(n, payload))
    settings = Settings(
        articles_dir=root / "articles",
        index_dir=root / "index",
        database_url=f"sqlite:///{root / 'events.sqlite3'}",
        admin_token=HOSTILE_ADMIN,
        agent_token=HOSTILE_AGENT,
    )
    report = build_index(settings, embedder, quiet=True)
    assert report.articles == len(PAYLOADS), report.problems
    return settings


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium through Playwright (never a downloaded browser); required in CI."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def branded_settings(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> Settings:
    """A small help center with its own brand (name, logo file, a light accent colour)
    and an article that exists in Croatian only."""
    root: Path = tmp_path_factory.mktemp("branded")
    articles = root / "articles"
    write(
        articles,
        "en/store/opening-hours.md",
        "---\ntitle: Store opening hours\ntranslation_key: hours\nupdated: 2026-03-02\n---\n"
        "Our stores are open Monday to Saturday from 9 to 20.\n\n"
        "## Sunday\n\nOn Sundays every store is closed.\n",
    )
    write(
        articles,
        "hr/trgovina/radno-vrijeme.md",
        "---\ntitle: Radno vrijeme trgovina\ntranslation_key: hours\nupdated: 2026-03-02\n---\n"
        "Trgovine rade od ponedjeljka do subote od 9 do 20 sati.\n\n"
        "## Nedjelja\n\nNedjeljom su sve trgovine zatvorene.\n",
    )
    write(
        articles,
        "hr/recepti/sarma.md",
        "---\ntitle: Recept za sarmu\n---\nSarma se radi od kiselog kupusa, mljevenog mesa "
        "i riže, a kuha se polako nekoliko sati.\n\n## Sastojci\n\n- kiseli kupus\n- meso\n",
    )
    write(articles, "en/_categories.yml", "store: Our stores\n")
    write(articles, "hr/_categories.yml", "trgovina: Naše trgovine\nrecepti: Recepti\n")
    (articles / "_assets").mkdir()
    (articles / "_assets" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    settings = Settings(
        articles_dir=articles,
        index_dir=root / "index",
        database_url=f"sqlite:///{root / 'events.sqlite3'}",
        site_name="Acme",
        accent_color="#FFD400",
    )
    report = build_index(settings, embedder, quiet=True)
    assert report.articles == 3, report.problems
    return settings


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty event store, once a SQLite file and once a schema of its own on the real
    PostgreSQL server: for the tests that run the server as real processes."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.sqlite3'}"
    return pg_url(request.getfixturevalue("pg_schema"))
