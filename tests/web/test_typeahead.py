"""Suggestions while typing, over HTTP and in a real browser driven by the keyboard alone;
with JavaScript off the search box is the plain form it always was. Popular questions
come from real searches and clicks through the site, by several visitors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.build import BuildReport
from kb.settings import Settings
from tests.helpers import AppFactory, live_server
from tests.web.browsing import SHOTS, serious_violations

POPULAR = "How long does a refund take?"


def test_suggestions_are_titles_and_sections_in_the_asked_language(client: TestClient) -> None:
    body = client.get("/api/typeahead", params={"q": "povrat nov", "lang": "hr"}).json()
    assert body["lang"] == "hr" and body["query"] == "povrat nov"
    first = body["suggestions"][0]
    assert first == {"kind": "article", "text": "Povrat novca", "url": "/hr/articles/povrat-novca"}
    body = client.get("/api/typeahead", params={"q": "pasword", "lang": "en"}).json()
    assert any("password" in s["text"].lower() for s in body["suggestions"])


def test_typeahead_is_documented_and_validates_like_search(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/typeahead" in schema["paths"]
    assert client.get("/api/typeahead", params={"q": "ref", "lang": "xx"}).status_code == 422
    assert client.get("/api/typeahead").status_code == 422
    empty = client.get("/api/typeahead", params={"q": "r", "lang": "en"}).json()
    assert empty["suggestions"] == []


@pytest.fixture(scope="module")
def asked(
    tmp_path_factory: pytest.TempPathFactory,
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
) -> Iterator[TestClient]:
    """The demo help center with a fresh event store where three visitors asked the same
    question, each opening the answer, and one asked something only once."""
    db = Path(tmp_path_factory.mktemp("asked")) / "events.sqlite3"
    app = make_app(demo_settings, database_url=f"sqlite:///{db}")
    for visitor in range(3):
        with TestClient(app) as browser:
            page = browser.get("/search", params={"q": POPULAR, "hl": "en"}).text
            link = re.search(r'class="hit-title" href="([^"]+)"', page)
            assert link, "answered with a link"
            browser.get(link.group(1).replace("&amp;", "&"))
            if visitor == 0:
                browser.get("/search", params={"q": "refund for my order 4111 1111 1111 1111"})
    with TestClient(app) as client:
        client.app.state.kb.events.flush()
        yield client


def test_a_question_several_visitors_found_answered_is_suggested(asked: TestClient) -> None:
    body = asked.get("/api/typeahead", params={"q": "how long does a ref", "lang": "en"}).json()
    assert body["suggestions"][0] == {
        "kind": "query",
        "text": POPULAR,
        "url": "/search?q=How+long+does+a+refund+take%3F&hl=en",
    }
    other = asked.get("/api/typeahead", params={"q": "refund for my", "lang": "en"}).json()
    assert all(s["kind"] != "query" for s in other["suggestions"])


def test_the_no_answer_page_offers_what_others_searched_for(asked: TestClient) -> None:
    page = asked.get(
        "/search", params={"q": "how long does it take to learn the guitar", "hl": "en"}
    ).text
    assert "find a good answer" in page
    assert "People also searched for" in page
    assert '<a href="/search?q=How+long+does+a+refund+take%3F&amp;hl=en">' in page


@pytest.fixture(scope="module")
def base_url(asked: TestClient) -> Iterator[str]:
    with live_server(asked.app) as url:  # type: ignore[arg-type]
        yield url


@pytest.mark.browser
def test_keyboard_only_type_ahead_to_a_section(browser, base_url: str) -> None:
    page = browser.new_page(locale="en-GB")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base_url + "/en/")
    for _ in range(15):  # Tab to the search box, as a keyboard user does
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('role')") == "combobox":
            break
    box = page.locator("input[role=combobox]").first
    assert box.evaluate("e => e === document.activeElement")
    page.keyboard.type("how long does a ref", delay=30)
    listbox = page.locator("[role=listbox]:visible")
    listbox.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    options = listbox.locator("[role=option]")
    assert options.first.inner_text().startswith(POPULAR)
    status = page.locator("[role=status]:text-matches('suggestions')")
    assert re.search(r"\d+ suggestions", status.first.inner_text())
    page.screenshot(path=str(SHOTS / "typeahead-en.png"), full_page=True)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    chosen = page.locator(f"#{active}").inner_text()
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and listbox.count() == 0
    page.keyboard.press("ArrowDown")  # opens the list again
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.locator("[aria-selected=true]").inner_text() == chosen
    page.keyboard.press("Enter")
    page.wait_for_url("**/en/articles/**")
    assert serious_violations(page) == []
    assert errors == []
    page.close()


@pytest.mark.browser
def test_the_suggestions_pass_axe_and_enter_without_a_choice_searches(
    browser, base_url: str
) -> None:
    page = browser.new_page(locale="hr-HR")
    page.goto(base_url + "/hr/")
    box = page.locator("input[role=combobox]").first
    box.focus()
    page.keyboard.type("placanje na ra", delay=30)
    page.locator("[role=listbox]:visible").wait_for()
    assert "Broj prijedloga" in page.locator("[role=status]").first.inner_text()
    assert serious_violations(page) == []
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?**")
    assert "placanje+na+ra" in page.url
    page.close()


@pytest.mark.browser
def test_with_javascript_off_the_search_box_is_the_plain_form(browser, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.goto(base_url + "/en/")
    page.keyboard.press("Tab")
    box = page.locator("input[name=q]").first
    assert box.get_attribute("role") is None and page.locator("[role=listbox]").count() == 0
    box.focus()
    page.keyboard.type("my parcle never arived")
    page.keyboard.press("Enter")
    page.wait_for_selector(".hit")
    assert "Showing results for" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "did-you-mean-en.png"), full_page=True)
    assert "/en/articles/track-your-order" in (
        page.locator(".hit-title").first.get_attribute("href") or ""
    )
    context.close()
