"""The JSON API contract, and clear 4xx answers to malformed requests."""

from __future__ import annotations

from fastapi.testclient import TestClient

RESULT_KEYS = {"slug", "lang", "title", "url", "section", "snippet", "score"}


def test_search_returns_the_contract_shape(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "how long does a refund take", "limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert {"query", "answered", "results"} <= set(body)
    assert body["query"] == "how long does a refund take"
    assert 1 <= len(body["results"]) <= 3
    for result in body["results"]:
        assert set(result) >= RESULT_KEYS
        assert result["url"].startswith(f"/{result['lang']}/articles/{result['slug']}")
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_results_link_to_the_section_anchor(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "refund to my card", "lang": "en"}).json()
    top = body["results"][0]
    assert top["section"] and top["url"].endswith("#" + top["section_id"])
    page = client.get(top["url"].split("#")[0]).text
    assert f'id="{top["section_id"]}"' in page


def test_lang_restricts_results(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "dostava", "lang": "hr"}).json()
    assert body["results"] and {r["lang"] for r in body["results"]} == {"hr"}


def test_malformed_requests_get_4xx_with_a_message(client: TestClient) -> None:
    cases = [
        ({}, 422),
        ({"q": ""}, 422),
        ({"q": "   "}, 422),
        ({"q": "x", "limit": "0"}, 422),
        ({"q": "x", "limit": "abc"}, 422),
        ({"q": "x", "lang": "xx"}, 422),
        ({"q": "a" * 600}, 422),  # the same fault, the same status as the results page
    ]
    for params, status in cases:
        response = client.get("/api/search", params=params)
        assert response.status_code == status, params
        assert response.json()["detail"], params


def test_odd_unicode_is_handled(client: TestClient) -> None:
    for q in ["\x00\u200b", "povrat\u0301 novca", "مرحبا كيف", "🙂📦", "x" * 300]:
        response = client.get("/api/search", params={"q": q})
        assert response.status_code in (200, 422), q


def test_healthz_and_openapi(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["articles"] >= 40
    assert set(health["languages"]) == {"en", "hr"}
    schema = client.get("/openapi.json").json()
    assert "/api/search" in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_security_headers_on_every_response(client: TestClient) -> None:
    for url in ["/hr/", "/api/search?q=dostava", "/healthz", "/nope", "/static/style.css"]:
        headers = client.get(url).headers
        assert "script-src 'self'" in headers["content-security-policy"], url
        assert "'unsafe-inline'" not in headers["content-security-policy"], url
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] and headers["permissions-policy"]
    session = client.get("/hr/").headers.get("set-cookie", "")
    assert not session or ("HttpOnly" in session and "SameSite=lax" in session)


def test_a_misspelt_query_answered_only_as_corrected_says_so(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "my parcle never arived", "lang": "en"}).json()
    assert body["query"] == "my parcle never arived"
    assert body["corrected_query"] == "my parcel never arrived"
    assert body["answered"] and body["results"][0]["slug"] == "track-your-order"
    exact = client.get(
        "/api/search", params={"q": "my parcle never arived", "lang": "en", "exact": "true"}
    ).json()
    assert exact["corrected_query"] is None and not exact["answered"]
    plain = client.get("/api/search", params={"q": "damaged parcel", "lang": "en"}).json()
    assert plain["corrected_query"] is None
