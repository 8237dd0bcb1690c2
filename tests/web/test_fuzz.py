"""Schemathesis generates requests from the app's own OpenAPI schema, valid ones and ones
that break it, and sends them in-process: no request may get a server error (5xx).
Bounded, so the suite stays fast; the agent API is fuzzed with and without a token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from indexer.build import BuildReport
from kb.settings import Settings
from tests.helpers import AppFactory

AGENT = "fuzz-agent-token"
ADMIN = "fuzz-admin-token"
FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,  # the same examples every run: a red run stays red
    derandomize=True,
)


@pytest.fixture(scope="module")
def fuzz_app(
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[FastAPI]:
    db = tmp_path_factory.mktemp("fuzz") / "events.sqlite3"
    app = make_app(
        demo_settings, database_url=f"sqlite:///{db}", agent_token=AGENT, admin_token=ADMIN
    )
    with TestClient(app):  # runs the lifespan: model, index and event store are loaded
        yield app


@pytest.fixture(scope="module")
def api_schema(fuzz_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


def fuzz_operation(
    operation: schemathesis.APIOperation, headers: dict[str, str], statuses: set[int]
) -> None:
    @given(case=st.one_of(*(operation.as_strategy(mode) for mode in GenerationMode)))
    @FUZZ
    def call(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        statuses.add(response.status_code)
        case.validate_response(response, checks=[not_a_server_error])

    call()


def fuzz(api_schema: schemathesis.BaseSchema, headers: dict[str, str]) -> dict[str, set[int]]:
    """Every operation in the schema, fuzzed; returns the statuses each one answered.
    (schemathesis' pytest plugin does not work with pytest 9 yet, so Hypothesis drives it.)"""
    seen: dict[str, set[int]] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        statuses = seen.setdefault(f"{operation.method.upper()} {operation.path}", set())
        fuzz_operation(operation, headers, statuses)
    return seen


def test_no_request_gets_a_server_error(api_schema: schemathesis.BaseSchema) -> None:
    seen = fuzz(api_schema, {})
    assert {"GET /api/search", "POST /api/suggest", "GET /healthz"} <= set(seen)
    assert 200 in seen["GET /api/search"] and seen["GET /api/search"] & {413, 422}
    assert seen["POST /api/suggest"] == {401}, "no token, no suggestions, whatever the body"


def test_no_request_with_an_agent_token_gets_a_server_error(
    api_schema: schemathesis.BaseSchema,
) -> None:
    seen = fuzz(api_schema, {"Authorization": f"Bearer {AGENT}"})
    assert 200 in seen["POST /api/suggest"] and 422 in seen["POST /api/suggest"]
