"""Hostile payloads in articles, front matter, queries, feedback comments and agent
messages come out as text: no rendered page or snippet contains anything executable."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kb.settings import Settings
from tests.helpers import AppFactory
from tests.web.clients import bearer, form_token, paste, vote
from tests.web.hostile import HOSTILE_ADMIN, HOSTILE_AGENT, PAYLOADS, audit

ADMIN = bearer(HOSTILE_ADMIN)
AGENT = bearer(HOSTILE_AGENT)


@pytest.fixture(scope="module")
def hostile(hostile_settings: Settings, make_app: AppFactory) -> Iterator[TestClient]:
    with make_app.client(hostile_settings) as client:
        yield client


def test_articles_show_every_payload_as_text(hostile: TestClient) -> None:
    for page_url in ["/en/", "/en/categories/hostile", "/sitemap.xml"]:
        assert audit(hostile.get(page_url).text) == [], page_url
    for n in range(len(PAYLOADS)):
        response = hostile.get(f"/en/articles/h{n:02d}")
        assert response.status_code == 200
        assert audit(response.text) == [], (n, PAYLOADS[n], audit(response.text))
        assert f"Hostile {n} " in response.text


def test_queries_are_escaped_on_the_results_page_and_in_snippets(hostile: TestClient) -> None:
    for payload in PAYLOADS:
        page = hostile.get("/search", params={"q": payload, "hl": "en"})
        assert page.status_code in (200, 303, 422), payload
        assert audit(page.text) == [], (payload, audit(page.text))
        api = hostile.get("/api/search", params={"q": payload})
        assert api.status_code in (200, 422), payload
        for hit in api.json().get("results", []) if api.status_code == 200 else []:
            assert audit(hit["snippet_html"]) == [], (payload, hit["snippet_html"])
            assert set(re.findall(r"</?([a-zA-Z]+)", hit["snippet_html"])) <= {"mark"}
    # snippets cut from the hostile articles themselves, with the query words marked
    page = hostile.get("/search", params={"q": "hostile payload refund text section"}).text
    assert page.count('class="hit"') >= 5 and "<mark>" in page
    assert audit(page) == []


def test_feedback_comments_and_logged_queries_are_escaped_on_admin_pages(
    hostile: TestClient,
) -> None:
    for n, payload in enumerate(PAYLOADS):
        voted = vote(hostile, f"/en/articles/h{n:02d}", "no", reason="other", comment=payload)
        assert voted.status_code == 303
    hostile.app.state.kb.events.flush()
    articles = hostile.get("/admin/articles", headers=ADMIN)
    assert articles.status_code == 200 and "<q>" in articles.text
    assert audit(articles.text) == []
    gaps = hostile.get("/admin/gaps", headers=ADMIN)
    assert gaps.status_code == 200 and audit(gaps.text) == []
    for topic_id in re.findall(r"/admin/gaps/draft\?id=([^&\"]+)", gaps.text)[:5]:
        draft = hostile.get(f"/admin/gaps/draft?id={topic_id}", headers=ADMIN)
        assert audit(draft.text) == []


def test_agent_messages_are_escaped_in_the_reply_page(hostile: TestClient) -> None:
    csrf = form_token(hostile, "/agent", AGENT)
    for start in range(0, len(PAYLOADS), 8):
        message = "Hello,\n\n" + "\n".join(PAYLOADS[start : start + 8]) + "\nhow do refunds work?"
        page = paste(hostile, message, AGENT, csrf=csrf)
        assert page.status_code == 200, page.text[:200]
        assert audit(page.text) == [], audit(page.text)
        api = hostile.post("/api/suggest", json={"message": message}, headers=AGENT)
        assert api.status_code == 200
        for suggestion in api.json()["suggestions"]:
            assert audit(suggestion["html"]) == []
