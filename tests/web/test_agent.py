"""The agent page and API through the real app: auth, suggestions, copy logging, reuse."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from indexer.build import BuildReport
from kb import schema
from kb.embeddings import SentenceTransformerEmbedder
from kb.settings import Settings
from web.app import create_app

AGENT = "agent-token-456"
ADMIN = "admin-token-789"
MESSAGE = (
    "Poštovani,\n\nplatila sam karticom, ali kartica je odbijena. Zašto?\n"
    "I mogu li platiti na rate?\n\nLijep pozdrav,\nIvana\n091 234 5678"
)


@pytest.fixture(scope="module")
def agent_client(
    demo_settings: Settings,
    demo_build: BuildReport,
    embedder: SentenceTransformerEmbedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("agent") / "events.sqlite3"
    settings = demo_settings.replace(
        database_url=f"sqlite:///{db}",
        agent_token=AGENT,
        admin_token=ADMIN,
        public_url="https://pomoc.bura.hr",
    )
    with TestClient(create_app(settings, embedder)) as client:
        yield client


def test_api_suggest_needs_a_token(agent_client: TestClient) -> None:
    assert agent_client.post("/api/suggest", json={"message": "x"}).status_code == 401
    bad = agent_client.post(
        "/api/suggest", json={"message": "x"}, headers={"Authorization": "Bearer nope"}
    )
    assert bad.status_code == 401
    for body in (b"{not json", b'{"message": 5}', b""):  # found by fuzzing: 422 before auth
        r = agent_client.post(
            "/api/suggest", content=body, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 401, "without a token, nothing about the body is revealed"


def test_api_suggest_answers_both_questions(agent_client: TestClient) -> None:
    r = agent_client.post(
        "/api/suggest", json={"message": MESSAGE}, headers={"Authorization": f"Bearer {AGENT}"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lang"] == "hr" and len(body["questions"]) == 2
    slugs = [s["slug"] for s in body["suggestions"][:3]]
    assert "neuspjelo-placanje" in slugs and "placanje-na-rate" in slugs
    first = body["suggestions"][0]
    assert first["reply_text"].endswith(first["url"])
    assert first["url"].startswith("https://pomoc.bura.hr/hr/articles/")
    assert "091" not in body["cleaned"] and "Ivana" not in body["cleaned"]
    assert "/api/suggest" in agent_client.get("/openapi.json").json()["paths"]


def test_api_suggest_rejects_bad_input_with_4xx(agent_client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {AGENT}"}
    assert agent_client.post("/api/suggest", json={}, headers=auth).status_code == 422
    assert agent_client.post("/api/suggest", json={"message": ""}, headers=auth).status_code == 422
    huge = agent_client.post("/api/suggest", json={"message": "a" * 20_000}, headers=auth)
    assert huge.status_code == 422 and huge.json()["detail"]
    broken = agent_client.post(
        "/api/suggest", content=b"{not json", headers={**auth, "Content-Type": "application/json"}
    )
    assert broken.status_code == 422


def test_agent_page_login_suggest_and_copy(agent_client: TestClient) -> None:
    client = agent_client
    client.cookies.clear()
    r = client.get("/agent", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
    form = client.get("/admin/login?next=/agent").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    login = client.post(
        "/admin/login",
        data={"token": AGENT, "csrf": csrf, "next": "/agent"},
        follow_redirects=False,
    )
    assert login.headers["location"] == "/agent"
    page = client.get("/agent").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    result = client.post("/agent", data={"message": MESSAGE, "csrf": csrf}).text
    assert 'class="suggestion"' in result and "Copy" in result and "/static/copy.js" in result
    assert "<script>" not in result.replace('<script src="/static/copy.js" defer></script>', "")
    form_fields = dict(
        re.findall(r'name="(lang|slug|section_id|search_id)" value="([^"]*)"', result)[:4]
    )
    copied = client.post(
        "/agent/copy",
        data={**form_fields, "csrf": csrf, "format": "text"},
        headers={"X-Requested-With": "fetch"},
    )
    assert copied.status_code == 204
    # an agent is not an admin
    assert client.get("/admin/gaps", headers={"Accept": "application/json"}).status_code == 401
    events = client.app.state.kb.events
    events.flush()
    [copy] = events.rows(schema.copies)
    assert copy["slug"] == form_fields["slug"] and copy["search_id"]
    searches = events.rows(schema.searches)
    assert {s["source"] for s in searches} == {"agent"}
    assert all("091" not in s["query"] for s in searches)
    client.cookies.clear()
    reuse = client.get("/admin/articles", headers={"Authorization": f"Bearer {ADMIN}"}).text
    assert "Sections agents reused" in reuse and "1×" in reuse


def test_kb_suggest_reads_stdin(agent_client: TestClient, kb_env: Settings) -> None:
    import json

    from typer.testing import CliRunner

    from kb.cli import app

    result = CliRunner().invoke(app, ["suggest", "--json"], input=MESSAGE)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["suggestions"][0]["reply_text"]
    empty = CliRunner().invoke(app, ["suggest"], input="  ")
    assert empty.exit_code == 2
