"""The agent pages and API through the real app: the agents' own login, suggestions, one
event per pasted message, the combined draft, copy logging, one validation."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from indexer.build import BuildReport
from kb.insights import schema
from kb.settings import Settings
from tests.helpers import AppFactory
from tests.web.clients import bearer, csrf_token, form_token, login

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
    make_app: AppFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("agent") / "events.sqlite3"
    with make_app.client(
        demo_settings,
        database_url=f"sqlite:///{db}",
        agent_token=AGENT,
        admin_token=ADMIN,
        public_url="https://pomoc.bura.hr",
    ) as client:
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
    r = agent_client.post("/api/suggest", json={"message": MESSAGE}, headers=bearer(AGENT))
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


def test_api_suggest_counts_one_message_with_its_units_and_drafts_one_reply(
    agent_client: TestClient,
) -> None:
    auth = bearer(AGENT)
    events = agent_client.app.state.kb.events
    events.flush()
    before = len(events.rows(schema.agent_messages))
    body = agent_client.post("/api/suggest", json={"message": MESSAGE}, headers=auth).json()
    assert [u["kind"] for u in body["units"]] == ["question", "question"]
    draft = body["draft"]
    assert draft["lang"] == "hr" and draft["text"].startswith("Poštovani,")
    assert draft["text"].rstrip().endswith("Vaš tim podrške")
    for key in draft["sections"]:
        lang, rest = key.split("/", 1)
        assert f"/{lang}/articles/{rest.split('#')[0]}" in draft["text"]
    assert "Ivana" not in draft["text"] and "091" not in draft["text"]
    events.flush()
    messages = events.rows(schema.agent_messages)
    assert len(messages) == before + 1
    message = messages[-1]
    assert message["id"] == body["message_id"] and message["questions"] == 2
    units = [r for r in events.rows(schema.searches) if r["message_id"] == body["message_id"]]
    assert sorted(r["id"] for r in units) == sorted(u["search_id"] for u in body["units"])
    assert {r["source"] for r in units} == {"agent"} and {r["unit"] for r in units} == {"question"}
    assert message["answered"] == sum(u["answered"] for u in body["units"])


def test_api_suggest_rejects_bad_input_with_4xx(agent_client: TestClient) -> None:
    auth = bearer(AGENT)
    assert agent_client.post("/api/suggest", json={}, headers=auth).status_code == 422
    assert agent_client.post("/api/suggest", json={"message": ""}, headers=auth).status_code == 422
    huge = agent_client.post("/api/suggest", json={"message": "a" * 20_000}, headers=auth)
    assert huge.status_code == 422 and huge.json()["detail"]
    broken = agent_client.post(
        "/api/suggest", content=b"{not json", headers={**auth, "Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    german = agent_client.post(
        "/api/suggest", json={"message": MESSAGE, "lang": "de"}, headers=auth
    )
    assert german.status_code == 422
    assert german.json()["detail"] == "no articles in language 'de'; available: en, hr"
    search = agent_client.get("/api/search", params={"q": "dostava", "lang": "de"})
    assert (search.status_code, search.json()) == (422, german.json()), "one rule, one message"


def test_agents_have_their_own_login_in_both_languages(agent_client: TestClient) -> None:
    client = agent_client
    client.cookies.clear()
    r = client.get("/agent", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/agent/login?next=/agent"
    hr = client.get("/agent/login", headers={"Accept-Language": "hr-HR,hr;q=0.9"}).text
    assert "<title>Prijava za agente" in hr and "Pristupni token" in hr
    assert 'href="/static/style.css"' in hr and 'class="login staff-card"' in hr
    assert "Admin" not in hr and "KB_ADMIN_TOKEN" not in hr
    en = client.get("/agent/login?hl=en").text
    assert "<title>Agent login" in en and "Access token" in en
    no_csrf = client.post("/agent/login", data={"token": AGENT, "csrf": "x"})
    assert no_csrf.status_code == 403
    wrong = client.post("/agent/login", data={"token": "nope", "csrf": csrf_token(hr), "hl": "hr"})
    assert wrong.status_code == 401 and "Token nije ispravan." in wrong.text
    for token in (AGENT, ADMIN):  # an admin may work as an agent
        client.cookies.clear()
        form = client.get("/agent/login?hl=hr").text
        login = client.post(
            "/agent/login",
            data={"token": token, "csrf": csrf_token(form), "next": "/agent", "hl": "hr"},
            follow_redirects=False,
        )
        assert login.status_code == 303 and login.headers["location"] == "/agent?hl=hr"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        page = client.get("/agent?hl=hr").text
        assert "<h1>Pomoć agentima</h1>" in page and "Predloži odgovore" in page
    client.cookies.clear()
    form = client.get("/agent/login").text
    sneaky = client.post(
        "/agent/login",
        data={"token": AGENT, "csrf": csrf_token(form), "next": "/admin/gaps"},
        follow_redirects=False,
    )
    assert sneaky.headers["location"] == "/agent", "an agent token never opens admin pages"
    assert client.get("/admin/gaps", headers={"Accept": "application/json"}).status_code == 401
    logout = client.post("/agent/logout", data={"csrf": form_token(client, "/agent")})
    assert logout.url.path == "/agent/login"
    client.cookies.clear()


def test_agent_page_suggests_and_logs_copies_and_one_draft_copy(agent_client: TestClient) -> None:
    client = agent_client
    client.cookies.clear()
    client.cookies.set("kb_sid", "agent-session-for-copies-0001")
    assert login(client, AGENT, form="/agent/login", next="/agent").status_code == 303
    csrf = form_token(client, "/agent?hl=en")
    result = client.post("/agent", data={"message": MESSAGE, "csrf": csrf, "hl": "en"}).text
    assert 'class="suggestion"' in result and "Copy" in result and "/static/copy.js" in result
    assert 'id="draft"' in result and "Reply ready to send" in result
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
    sections = re.findall(r'name="sections" value="([^"]+)"', result)
    assert sections
    draft = client.post(
        "/agent/copy",
        data={"csrf": csrf, "format": "draft", "sections": sections},
        headers={"X-Requested-With": "fetch"},
    )
    assert draft.status_code == 204
    bad = client.post("/agent/copy", data={"csrf": csrf, "format": "draft", "sections": ["<x>"]})
    assert bad.status_code == 422
    croatian = client.post("/agent", data={"message": MESSAGE, "csrf": csrf, "hl": "hr"}).text
    assert "Odgovor spreman za slanje" in croatian and "Kopiraj odgovor" in croatian
    unknown = client.post("/agent", data={"message": MESSAGE, "csrf": csrf, "lang": "de"})
    assert unknown.status_code == 422 and "dostupni su: en, hr" in unknown.text
    events = client.app.state.kb.events
    events.flush()
    mine = [c for c in events.rows(schema.copies) if c["session_id"].startswith("agent-session")]
    assert [c["format"] for c in mine] == ["text", "draft"]
    assert mine[0]["slug"] == form_fields["slug"] and mine[0]["search_id"]
    assert json.loads(mine[1]["sections"]) == sections
    client.cookies.clear()
    reuse = client.get("/admin/articles", headers=bearer(ADMIN)).text
    assert "Sections agents reused" in reuse


def test_kb_suggest_reads_stdin(agent_client: TestClient, kb_env: Settings) -> None:
    import json

    from typer.testing import CliRunner

    from kb.cli import app

    result = CliRunner().invoke(app, ["suggest", "--json"], input=MESSAGE)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["suggestions"][0]["reply_text"]
    empty = CliRunner().invoke(app, ["suggest"], input="  ")
    assert empty.exit_code == 2


def test_an_agent_page_that_outlived_its_session_keeps_the_pasted_message(
    agent_client: TestClient,
) -> None:
    """Agents keep the page open all shift, longer than the half-hour session cookie that
    signs the form: the paste is refused (403, nothing searched or logged) on the agent
    page itself, in the agent's language, with the message still in the box and a fresh
    token, instead of an English error page that lost it."""
    client = agent_client
    client.cookies.clear()
    assert login(client, AGENT, form="/agent/login", next="/agent").status_code == 303
    page = client.get("/agent?hl=hr").text
    signed_in = client.cookies.get("kb_admin")
    client.cookies.clear()  # the session cookie ran out; the 12-hour login did not
    client.cookies.set("kb_admin", signed_in)
    events = client.app.state.kb.events  # type: ignore[attr-defined]
    events.flush()
    before = events.counts()
    stale = client.post("/agent", data={"message": MESSAGE, "csrf": csrf_token(page), "hl": "hr"})
    assert stale.status_code == 403 and "<h1>Pomoć agentima</h1>" in stale.text
    assert "obrazac istekao" in stale.text and "form expired" not in stale.text
    assert "platila sam karticom, ali kartica je odbijena" in stale.text
    assert 'class="suggestion"' not in stale.text
    events.flush()
    assert events.counts() == before
    fresh = client.post("/agent", data={"message": MESSAGE, "csrf": csrf_token(stale.text)})
    assert fresh.status_code == 200 and 'class="suggestion"' in fresh.text
    client.cookies.clear()


@pytest.mark.browser
def test_the_copy_buttons_without_javascript_keep_the_replies_on_the_page(
    browser: Any,
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    tmp_path: Path,
) -> None:
    """Without JavaScript a Copy button is a form that logs the copy: the page must stay as
    it is (the agent selects the text in its box), not turn into an empty agent page."""
    db = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    with make_app.served(demo_settings, agent_token=AGENT, database_url=db) as base:
        context = browser.new_context(java_script_enabled=False, locale="hr-HR")
        page = context.new_page()
        page.goto(base + "/agent/login?hl=hr")
        page.fill("input[name=token]", AGENT)
        page.click(".staff-form button[type=submit]")
        page.fill("textarea[name=message]", MESSAGE)
        page.click(".agent-form button[type=submit]")
        draft = page.locator("#draft").input_value()
        suggestions = page.locator(".suggestion").count()
        assert draft.startswith("Poštovani") and suggestions >= 2
        with page.expect_response("**/agent/copy") as copied:
            page.click("button[data-format=draft]")
        page.locator(".suggestion button[data-format=text]").first.click()
        page.wait_for_timeout(300)
        assert copied.value.status == 204
        assert page.url.endswith("/agent") and page.locator("#draft").input_value() == draft
        assert page.locator(".suggestion").count() == suggestions
        assert page.locator("textarea[name=message]").input_value().startswith("Poštovani")
        context.close()


def test_a_long_thread_cut_to_fit_the_box_is_taken_and_a_longer_one_explained(
    agent_client: TestClient,
) -> None:
    """Agents paste whole threads; the box keeps the first 10,000 characters, counting a
    line break as one, and the browser sends each as CR LF. Such a paste was refused with
    pydantic's English words and lost; it is taken now, and what is really too long is
    said in the agent's language with the message kept."""
    client = agent_client
    client.cookies.clear()
    assert login(client, AGENT, form="/agent/login", next="/agent").status_code == 303
    thread = MESSAGE + "\n\n" + "> Poštovani, vaš paket je poslan i stiže za dva dana.\n" * 300
    boxed = thread[:10_000]
    csrf = form_token(client, "/agent?hl=hr")
    data = {"csrf": csrf, "hl": "hr", "message": boxed.replace("\n", "\r\n")}
    taken = client.post("/agent", data=data)
    assert taken.status_code == 200 and 'class="suggestion"' in taken.text
    over = client.post("/agent", data={**data, "message": boxed + "x"})
    assert over.status_code == 422
    assert "Poruka je preduga (10001 znakova; najviše 10000)" in over.text
    assert "String should have" not in over.text and "platila sam karticom" in over.text
    client.cookies.clear()


def test_agents_signing_in_or_out_from_a_page_left_open_are_told_in_their_language(
    agent_client: TestClient,
) -> None:
    """The login form asks again with a fresh token; signing out with an expired form
    says so in the catalogue's words (it showed the English developer message)."""
    client = agent_client
    client.cookies.clear()
    form = client.get("/agent/login?hl=hr").text
    client.cookies.clear()  # the session cookie ran out while the page was open
    data = {"token": AGENT, "csrf": csrf_token(form), "next": "/agent", "hl": "hr"}
    stale = client.post("/agent/login", data=data, follow_redirects=False)
    assert stale.status_code == 403 and "<h1>Prijava za agente</h1>" in stale.text
    assert "Ponovno upišite token" in stale.text
    again = client.post(
        "/agent/login", data={**data, "csrf": csrf_token(stale.text)}, follow_redirects=False
    )
    assert again.status_code == 303 and again.headers["location"] == "/agent?hl=hr"
    page = client.get("/agent?hl=hr").text
    signed_in = client.cookies.get("kb_admin")
    client.cookies.clear()
    client.cookies.set("kb_admin", signed_in)
    out = client.post(
        "/agent/logout",
        data={"csrf": csrf_token(page), "hl": "hr"},
        headers={"Accept-Language": "hr-HR,hr;q=0.9"},
    )
    assert out.status_code == 403 and "Obrazac je istekao" in out.text
    assert "did not come from this site" not in out.text
    client.cookies.clear()
