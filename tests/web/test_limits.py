"""Bad input gets a clear 4xx with a message, never a 500; odd Unicode is just text.
Every response carries the security headers, cookies are Secure over HTTPS, every
state-changing form checks its CSRF token, and no secret reaches the logs."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from indexer.build import BuildReport
from kb.settings import Settings
from tests.helpers import AppFactory
from tests.web.clients import bearer, form_token, login, paste, vote

ADMIN = "limits-admin-token-3f9a"
AGENT = "limits-agent-token-77c1"
AS_ADMIN = bearer(ADMIN)
AS_AGENT = bearer(AGENT)
ODD = {
    "combining marks": "povrat\u0301\u0308 novca" + "\u0301" * 50,
    "right-to-left": "\u202eodbijena kartica\u202c مرحبا كيف حالك",
    "zero-width": "dos\u200bta\u200cva\u200d\ufeff",
    "emoji": "📦🙂 where is my parcel 👍🏽👨‍👩‍👧",
    "NUL and controls": "refund\x00 to\x07 card\x1b",
    "very long word": "a" * 450,
    "only invisible": "\u200b\u200b\x00",
    "mixed scripts": "Ωmega ЖЖ 中文 dostava",
}


@pytest.fixture(scope="module")
def limits_settings(
    demo_settings: Settings, demo_build: BuildReport, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    db = tmp_path_factory.mktemp("limits") / "events.sqlite3"
    return demo_settings.replace(
        database_url=f"sqlite:///{db}", admin_token=ADMIN, agent_token=AGENT
    )


@pytest.fixture(scope="module")
def app(limits_settings: Settings, make_app: AppFactory) -> FastAPI:
    app = make_app(limits_settings)

    def crash() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/crash", crash)  # a route with a bug, ahead of the catch-alls
    app.router.routes.insert(0, app.router.routes.pop())
    return app


@pytest.fixture(scope="module")
def site(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def message_of(response) -> str:
    if response.headers["content-type"].startswith("application/json"):
        return str(response.json()["detail"])
    return " ".join(re.findall(r'class="notice notice-error"[^>]*>([^<]+)<', response.text))


def test_every_limit_is_a_clear_4xx_with_a_message(site: TestClient) -> None:
    feedback_csrf = form_token(site, "/en/articles/returns")
    agent_csrf = form_token(site, "/agent", AS_AGENT)
    cases = [
        ("GET", "/api/search", {"params": {"q": "a" * 600}}, 422, "too long"),
        ("GET", "/api/search", {"params": {"q": "a" * 3000}}, 422, "at most 500"),
        # public pages speak the visitor's language, not the API's developer messages
        ("GET", "/search", {"params": {"q": "riječ " * 120, "hl": "en"}}, 422, "too long"),
        ("GET", "/search", {"params": {"q": "riječ " * 120, "hl": "hr"}}, 422, "predugo"),
        ("GET", "/api/search", {"params": {"q": "x", "lang": "de"}}, 422, "available: en, hr"),
        ("GET", "/search", {"params": {"q": "x", "lang": "de", "hl": "en"}}, 422, "in: en, hr"),
        ("GET", "/search", {"params": {"q": "x", "lang": "de"}}, 422, "imamo ih na: en, hr"),
        ("GET", "/admin", {"params": {"lang": "de"}, "headers": AS_ADMIN}, 422, "en, hr"),
        ("GET", "/api/search", {"params": {"q": "x", "limit": "0"}}, 422, "limit"),
        ("GET", "/api/search", {"params": {"q": "x", "limit": "101"}}, 422, "limit"),
        ("GET", "/api/search", {"params": {"q": "x", "limit": "9" * 40}}, 422, "limit"),
        ("GET", "/en/articles/returns", {"params": {"p": "0"}}, 422, "the address or the form"),
        (
            "GET",
            "/hr/articles/povrat-proizvoda",
            {"params": {"p": "-1"}},
            422,
            "adresi ili obrascu",
        ),
        ("GET", "/admin/gaps", {"params": {"days": "0"}, "headers": AS_ADMIN}, 422, "days"),
        ("GET", "/admin/gaps", {"params": {"days": "1e9"}, "headers": AS_ADMIN}, 422, "days"),
        (
            "POST",
            "/en/articles/returns/feedback",
            {"data": {"helpful": "no", "csrf": feedback_csrf, "comment": "x" * 1001}},
            422,
            "the address or the form",
        ),
        (
            "POST",
            "/en/articles/returns/feedback",
            {"data": {"helpful": "no", "csrf": feedback_csrf, "comment": "x" * 2_000_000}},
            413,
            "more text than we can accept",
        ),
        (
            "POST",
            "/agent",
            {
                "data": {"message": "x" * 10_001, "csrf": agent_csrf, "hl": "en"},
                "headers": AS_AGENT,
            },
            422,
            "at most 10000",
        ),
        ("POST", "/api/suggest", {"json": {"message": "x" * 20_000}, "headers": AS_AGENT}, 422, ""),
        (
            "POST",
            "/api/suggest",
            {"json": {"message": "x", "lang": "de"}, "headers": AS_AGENT},
            422,
            "available: en, hr",
        ),
        (
            "POST",
            "/api/suggest",
            {"json": {"message": "x " * 300_000}, "headers": AS_AGENT},
            413,
            "too large",
        ),
    ]
    for method, url, kwargs, status, words in cases:
        response = site.request(method, url, follow_redirects=False, **kwargs)
        assert response.status_code == status, (url, kwargs.get("params"), response.text[:300])
        assert words in message_of(response) and message_of(response), (url, response.text[:300])
        assert "Traceback" not in response.text


@pytest.mark.parametrize("text", ODD.values(), ids=ODD.keys())
def test_odd_unicode_is_just_text_everywhere(site: TestClient, text: str) -> None:
    assert site.get("/search", params={"q": text}).status_code in (200, 422)
    api = site.get("/api/search", params={"q": text})
    assert api.status_code in (200, 422) and api.json()["detail" if api.is_error else "query"]
    assert vote(site, "/en/articles/returns", "no", comment=text).status_code == 303
    agent = paste(site, text, AS_AGENT)
    assert agent.status_code in (200, 422), agent.text[:300]
    suggest = site.post("/api/suggest", json={"message": text}, headers=AS_AGENT)
    assert suggest.status_code == 200, suggest.text[:300]


def test_bytes_that_are_not_utf8_in_the_url_are_a_4xx(site: TestClient) -> None:
    for raw in ["%FF%FE", "%ED%A0%80", "%C0%AF", "%00"]:
        for path in ["/search?q=", "/api/search?q="]:
            response = site.get(path + raw)
            assert response.status_code < 500, (path, raw)


def test_security_headers_on_every_kind_of_response(site: TestClient) -> None:
    responses = {
        "page": site.get("/en/"),
        "redirect": site.get("/", follow_redirects=False),
        "json": site.get("/api/search", params={"q": "dostava"}),
        "static": site.get("/static/copy.js"),
        "not found": site.get("/nope/nope"),
        "wrong method": site.get("/agent/copy", headers=AS_AGENT),
        "invalid": site.get("/api/search"),
        "unauthorized": site.get("/admin/gaps", headers={"Accept": "application/json"}),
        "too large": site.post("/api/suggest", content=b"x" * 300_000, headers=AS_AGENT),
        "server error": site.get("/api/crash"),
    }
    assert responses["server error"].status_code == 500
    assert responses["server error"].json() == {"detail": "internal error"}, "no stack trace"
    for kind, response in responses.items():
        headers = response.headers
        csp = headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, kind
        assert "frame-ancestors 'none'" in csp, kind
        assert headers["x-content-type-options"] == "nosniff", kind
        assert headers["referrer-policy"] and headers["permissions-policy"], kind
    assert (
        responses["static"]
        .headers["content-type"]
        .startswith(("text/javascript", "application/javascript"))
    )


def test_cookies_are_httponly_samesite_and_secure_over_https(
    limits_settings: Settings, make_app: AppFactory
) -> None:
    app = make_app(limits_settings)  # its own: a lifespan per TestClient
    with TestClient(app, base_url="https://help.example") as https:
        session = https.get("/en/").headers["set-cookie"]
        assert "kb_sid=" in session and "Secure" in session and "HttpOnly" in session
        assert "SameSite=lax" in session
        cookie = login(https, ADMIN).headers["set-cookie"]
        assert "kb_admin=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
    with TestClient(app) as plain:  # plain HTTP (local development): Secure would drop it
        assert "Secure" not in plain.get("/en/").headers["set-cookie"]


def test_every_state_changing_form_checks_its_csrf_token(app: FastAPI, site: TestClient) -> None:
    """Every POST route of the site (not the bearer-token JSON API) refuses a request
    without the form token or with a forged one, and nothing is recorded."""
    import importlib
    import pkgutil

    import web

    routers = [
        router
        for module in pkgutil.iter_modules(web.__path__)
        if (router := getattr(importlib.import_module(f"web.{module.name}"), "router", None))
    ]  # every router of the site, so a new form cannot be missed
    forms = sorted(
        route.path
        for router in routers
        for route in router.routes
        if "POST" in getattr(route, "methods", set()) and not route.path.startswith("/api/")
    )
    known = {
        "/admin/login",
        "/admin/logout",
        "/agent",
        "/agent/copy",
        "/{lang}/articles/{slug}/feedback",
    }
    assert known <= set(forms)
    fields = {
        "helpful": "yes",
        "token": ADMIN,
        "message": "refund",
        "lang": "en",
        "slug": "returns",
    }
    events = app.state.kb.events
    events.flush()
    before = events.counts()
    for path in forms:
        url = path.replace("{lang}", "en").replace("{slug}", "returns")
        for csrf in (None, "forged", "0" * 64):
            data = {**fields, **({"csrf": csrf} if csrf else {})}
            response = site.post(url, data=data, headers=AS_ADMIN, follow_redirects=False)
            # a known form gets every other field, so only the token can be what is refused
            expected = (403,) if csrf and path in known else (403, 422)
            assert response.status_code in expected, (url, csrf, response.status_code)
    events.flush()
    assert events.counts() == before
    # the JSON API with a logged-in cookie: a cross-site form can only send text/plain
    assert login(site, AGENT, next="/agent").status_code == 303
    forged = site.post(
        "/api/suggest", content=b'{"message": "refund"}', headers={"Content-Type": "text/plain"}
    )
    assert forged.status_code == 422
    assert "access-control-allow-origin" not in forged.headers
    site.cookies.clear()


def test_tokens_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every configured token is compared with hmac.compare_digest, even after a match,
    so the time taken says nothing about which token or how much of it matched."""
    import hmac

    from web import security

    calls: list[tuple[bytes, bytes]] = []
    compare = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", recording)
    settings = Settings(admin_token=ADMIN, agent_token=AGENT)
    assert security.token_role(settings, AGENT) == "agent"
    assert len(calls) == 2, "no early exit on the first match"
    assert security.token_role(settings, "čćž-not-ascii") is None
    assert security.token_role(settings, ADMIN[:-1]) is None
    assert all(isinstance(a, bytes) and isinstance(b, bytes) for a, b in calls)


def test_no_secret_reaches_the_logs(
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    password = "hunter2-db-password"
    settings = demo_settings.replace(
        admin_token=ADMIN,
        agent_token=AGENT,
        database_url=f"postgresql://kb:{password}@127.0.0.1:1/helpcenter",  # down: logs errors
    )
    from kb.insights.events import EventStore

    close = EventStore.close  # the store stays down: do not wait out the shutdown flush
    monkeypatch.setattr(EventStore, "close", lambda store, timeout=0.0: close(store, 0.5))
    caplog.set_level(logging.DEBUG)
    with make_app.client(settings) as client:
        assert login(client, "wrong-guess").status_code == 401
        assert login(client, ADMIN).status_code == 303
        client.get("/admin/gaps", headers=AS_ADMIN)
        client.post("/api/suggest", json={"message": "refund?"}, headers=AS_AGENT)
        client.get("/api/search", params={"q": "moja kartica 4111 1111 1111 1111"})
        client.app.state.kb.events.flush(1.0)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "event" in logged, "the outage was logged"
    for secret in (ADMIN, AGENT, password, "4111 1111 1111 1111"):
        assert secret not in logged


def test_every_admin_and_agent_route_refuses_missing_wrong_expired_or_forged_credentials(
    site: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All routes behind a token, found from the routers themselves: no credentials, a
    wrong token, an agent's token on admin pages, an expired or forged login cookie are
    all refused (401 for API clients, a redirect to the login page for browsers)."""
    import time

    from itsdangerous import TimestampSigner

    from web import admin, agent

    protected = [
        (method, route.path.replace("{lang}", "en").replace("{slug}", "returns"), role)
        for router, role in ((admin.router, "admin"), (agent.router, "agent"))
        for route in router.routes
        for method in sorted(getattr(route, "methods", set()) - {"HEAD"})
        if route.path not in ("/admin/login", "/admin/logout")
    ]
    assert len(protected) >= 8

    def cookie(role: str, key: bytes, age: float = 0) -> str:
        signer = TimestampSigner(key, salt="kb-admin")
        monkeypatch.setattr(time, "time", lambda: real_time() - age)
        try:
            return signer.sign(role.encode()).decode()
        finally:
            monkeypatch.setattr(time, "time", real_time)

    real_time = time.time
    key = site.app.state.signing_key
    refused_cookies = {
        "expired": cookie("admin", key, age=13 * 3600),
        "forged": cookie("admin", b"not-the-signing-key"),
        "tampered": cookie("agent", key).replace("agent", "admin", 1),
    }
    site.cookies.set("kb_admin", cookie("admin", key, age=11 * 3600))  # the control: valid
    assert site.get("/admin/articles", headers={"Accept": "application/json"}).status_code == 200
    site.cookies.clear()
    for method, path, role in protected:
        attempts: dict[str, dict[str, str]] = {
            "none": {},
            "wrong token": {"Authorization": "Bearer not-a-token"},
            "empty bearer": {"Authorization": "Bearer "},
        }
        if role == "admin":
            attempts["agent on admin"] = AS_AGENT
        for name, headers in attempts.items():
            r = site.request(method, path, headers={**headers, "Accept": "application/json"})
            assert r.status_code == 401, (method, path, name, r.status_code)
        for name, value in refused_cookies.items():
            site.cookies.set("kb_admin", value)
            r = site.request(method, path, headers={"Accept": "application/json"})
            site.cookies.clear()
            assert r.status_code == 401, (method, path, name, r.status_code)
        if method == "GET":
            browser = site.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
            assert browser.status_code == 303
            login = "/agent/login" if role == "agent" else "/admin/login"
            assert browser.headers["location"].startswith(f"{login}?next="), path


def test_a_copy_with_a_junk_search_id_is_logged_without_it(app: FastAPI, site: TestClient) -> None:
    """The copy form's search id comes back from the browser: anything but an id the log
    handed out is dropped (a 64-character one did not fit PostgreSQL's column)."""
    from kb.insights import schema

    csrf = form_token(site, "/agent", AS_AGENT)
    copied = site.post(
        "/agent/copy",
        data={"csrf": csrf, "lang": "en", "slug": "returns", "search_id": "f" * 64},
        headers={**AS_AGENT, "X-Requested-With": "fetch"},
    )
    assert copied.status_code == 204
    events = app.state.kb.events
    assert events.flush(10)
    assert [c["search_id"] for c in events.rows(schema.copies)][-1] is None
