"""A client that floods search, feedback or type-ahead gets 429 with Retry-After; others
are unaffected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.build import BuildReport
from kb.settings import Settings
from tests.helpers import REDIS_URL, AppFactory
from tests.web.clients import vote


@pytest.fixture(scope="module")
def limited(
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestClient]:
    db: Path = tmp_path_factory.mktemp("ratelimit") / "events.sqlite3"
    with make_app.client(
        demo_settings,
        database_url=f"sqlite:///{db}",
        rate_limit_search="3/minute",
        rate_limit_feedback="2/hour",
    ) as client:
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
    page = limited.get("/en/articles/returns").text  # one page, three clicks on "yes"
    votes = [vote(limited, "/en/articles/returns", page=page) for _ in range(3)]
    assert [v.status_code for v in votes] == [303, 303, 429]
    assert int(votes[2].headers["retry-after"]) > 60  # an hour's budget: wait for the window
    limited.app.state.kb.events.flush()
    assert limited.app.state.kb.events.counts()["votes"] == 2


def test_reaching_support_does_not_spend_the_votes_budget(
    demo_settings: Settings, demo_build: BuildReport, make_app: AppFactory, tmp_path: Path
) -> None:
    """Many customers share one mobile carrier's address: when their votes used up the
    feedback budget, the way to support must stay open."""
    with make_app.client(
        demo_settings,
        database_url=f"sqlite:///{tmp_path / 'events.sqlite3'}",
        rate_limit_search="100/minute",
        rate_limit_feedback="1/hour",
        contact_email="pomoc@bura.hr",
    ) as client:
        page = client.get("/en/articles/returns").text
        votes = [vote(client, "/en/articles/returns", page=page) for _ in range(2)]
        assert [v.status_code for v in votes] == [303, 429]
        go = client.get(
            "/en/contact/go", params={"channel": "email", "q": "my parcel"}, follow_redirects=False
        )
        assert go.status_code == 303 and go.headers["location"].startswith("mailto:pomoc@bura.hr")


@pytest.fixture
def typing(
    demo_settings: Settings, demo_build: BuildReport, make_app: AppFactory, tmp_path: Path
) -> Iterator[TestClient]:
    with make_app.client(
        demo_settings,
        database_url=f"sqlite:///{tmp_path / 'events.sqlite3'}",
        rate_limit_search="2/minute",
        rate_limit_typeahead="5/minute",
    ) as client:
        yield client


def test_typeahead_has_its_own_budget_apart_from_searches(typing: TestClient) -> None:
    """Every pause in typing asks for suggestions: they must not use up the searches, and
    a client that has used up its searches can still be helped while typing."""
    searches = [typing.get("/api/search", params={"q": "dostava"}).status_code for _ in range(3)]
    assert searches == [200, 200, 429]
    keystrokes = [
        typing.get("/api/typeahead", params={"q": q, "lang": "en"})
        for q in ("re", "ret", "retu", "retur", "return", "returns")
    ]
    assert [r.status_code for r in keystrokes] == [200, 200, 200, 200, 200, 429]
    assert keystrokes[4].json()["suggestions"], "within the budget: real suggestions"
    over = keystrokes[5]
    assert over.headers["content-type"].startswith("application/json")
    assert over.json()["detail"].startswith("too many requests")
    assert 1 <= int(over.headers["retry-after"]) <= 60
    assert "content-security-policy" in over.headers


def test_typeahead_beyond_its_budget_leaves_searching_to_the_search_budget(
    typing: TestClient,
) -> None:
    for _ in range(5):
        assert typing.get("/api/typeahead", params={"q": "dost"}).status_code == 200
    assert typing.get("/api/typeahead", params={"q": "dosta"}).status_code == 429
    assert typing.get("/search", params={"q": "dostava"}).status_code == 200
    assert typing.get("/api/search", params={"q": "dostava"}).status_code == 200


def test_typeahead_429_is_in_the_openapi_schema(typing: TestClient) -> None:
    schema = typing.get("/openapi.json").json()
    assert "429" in schema["paths"]["/api/typeahead"]["get"]["responses"]


def test_limits_are_off_when_unset(client: TestClient) -> None:
    assert client.app.state.rate_limits.rates == {}
    statuses = {client.get("/api/search", params={"q": "dostava"}).status_code for _ in range(5)}
    assert statuses == {200}


def test_with_redis_two_workers_share_one_budget(
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    redis_prefix: str,
    tmp_path: Path,
) -> None:
    settings = demo_settings.replace(
        database_url=f"sqlite:///{tmp_path / 'events.sqlite3'}",
        rate_limit_search="4/minute",
        redis_url=REDIS_URL,
        redis_prefix=redis_prefix,
    )
    with make_app.client(settings) as one, make_app.client(settings) as two:
        statuses = [
            worker.get("/api/search", params={"q": "dostava"}).status_code
            for worker in (one, two, one, two, one, two)
        ]
        assert statuses == [200, 200, 200, 200, 429, 429]
        assert "kb_rate_limits_shared 1.0" in one.get("/metrics").text


def test_redis_down_limits_per_worker_with_a_warning_and_a_metric(
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Never a 500 and never unlimited: each worker counts its own budget meanwhile."""
    with make_app.client(
        demo_settings,
        database_url=f"sqlite:///{tmp_path / 'events.sqlite3'}",
        rate_limit_search="3/minute",
        redis_url="redis://127.0.0.1:1/0",  # nothing listens there
    ) as site:
        statuses = [site.get("/api/search", params={"q": "dostava"}).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        metrics = site.get("/metrics").text
    assert "kb_rate_limit_fallbacks_total 5.0" in metrics
    assert "kb_rate_limits_shared 0.0" in metrics
    assert "Redis is unavailable for rate limits" in caplog.text
