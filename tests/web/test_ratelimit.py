"""A client that floods search or feedback gets 429 with Retry-After; others are unaffected."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.build import BuildReport
from kb.embeddings import SentenceTransformerEmbedder
from kb.settings import Settings
from web.app import create_app


@pytest.fixture(scope="module")
def limited(
    demo_settings: Settings,
    demo_build: BuildReport,
    embedder: SentenceTransformerEmbedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestClient]:
    db: Path = tmp_path_factory.mktemp("ratelimit") / "events.sqlite3"
    settings = demo_settings.replace(
        database_url=f"sqlite:///{db}", rate_limit_search="3/minute", rate_limit_feedback="2/hour"
    )
    with TestClient(create_app(settings, embedder)) as client:
        yield client


def test_search_beyond_the_budget_is_429_json_for_the_api_and_a_page_for_people(
    limited: TestClient,
) -> None:
    statuses = [limited.get("/api/search", params={"q": "dostava"}).status_code for _ in range(2)]
    assert statuses == [200, 200]
    assert limited.get("/search", params={"q": "dostava"}).status_code == 200  # one budget
    api = limited.get("/api/search", params={"q": "dostava"})
    assert api.status_code == 429
    assert api.json()["detail"].startswith("too many requests")
    assert 1 <= int(api.headers["retry-after"]) <= 60
    page = limited.get("/search", params={"q": "dostava"}, headers={"Accept-Language": "en"})
    assert page.status_code == 429 and int(page.headers["retry-after"]) >= 1
    assert "Too many requests" in page.text and "Traceback" not in page.text
    assert "content-security-policy" in page.headers
    wait = page.headers["retry-after"]
    assert f"Please wait {wait} s and try again" in page.text
    croatian = limited.get("/search", params={"q": "dostava", "hl": "hr"})
    assert croatian.status_code == 429 and '<html lang="hr">' in croatian.text
    assert "Previše zahtjeva" in croatian.text and "Pričekajte" in croatian.text
    assert "too many requests" not in croatian.text.lower()


def test_a_forged_forwarded_for_header_does_not_buy_a_new_budget(limited: TestClient) -> None:
    spoofed = limited.get(
        "/api/search", params={"q": "dostava"}, headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert spoofed.status_code == 429


def test_pages_other_than_search_are_not_limited(limited: TestClient) -> None:
    assert limited.get("/en/").status_code == 200
    assert limited.get("/en/articles/returns").status_code == 200
    assert limited.get("/healthz").status_code == 200


def test_feedback_has_its_own_smaller_budget(limited: TestClient) -> None:
    page = limited.get("/en/articles/returns").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    votes = [
        limited.post(
            "/en/articles/returns/feedback",
            data={"helpful": "yes", "csrf": csrf},
            follow_redirects=False,
        )
        for _ in range(3)
    ]
    assert [v.status_code for v in votes] == [303, 303, 429]
    assert int(votes[2].headers["retry-after"]) > 60  # an hour's budget: wait for the window
    limited.app.state.kb.events.flush()
    assert limited.app.state.kb.events.counts()["votes"] == 2


def test_limits_are_off_when_unset(client: TestClient) -> None:
    assert client.app.state.rate_limiters == {}
    statuses = {client.get("/api/search", params={"q": "dostava"}).status_code for _ in range(5)}
    assert statuses == {200}
