"""A customer in a real browser: Debian's Chromium, driven by Playwright, against a real
server on loopback. Screenshots land in `var/screenshots/` for a human to look at."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.build import BuildReport
from kb.embeddings import SentenceTransformerEmbedder
from kb.settings import Settings
from tests.conftest import live_server
from web.app import create_app

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def base_url(
    demo_settings: Settings, demo_build: BuildReport, embedder: SentenceTransformerEmbedder
) -> Iterator[str]:
    with live_server(create_app(demo_settings, embedder)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def test_customer_asks_in_croatian_and_lands_on_the_section(browser, base_url: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(locale="hr-HR")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base_url + "/")
    assert page.url.endswith("/hr/")
    page.screenshot(path=str(SHOTS / "home-hr.png"), full_page=True)
    page.fill("input[name=q]", "paket mi još nije stigao")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector(".hit")
    page.screenshot(path=str(SHOTS / "search-hr.png"), full_page=True)
    first = page.locator(".hit-title").first
    assert "/hr/articles/pracenje-posiljke" in (first.get_attribute("href") or "")
    assert page.locator(".hit mark").count() > 0
    first.click()
    page.wait_for_load_state()
    assert "/hr/articles/pracenje-posiljke" in page.url
    anchor = page.url.split("#")[1] if "#" in page.url else None
    if anchor:
        assert page.locator(f"[id='{anchor}']").is_visible()
    page.screenshot(path=str(SHOTS / "article-hr.png"), full_page=True)
    assert errors == []
    page.close()


def test_no_answer_is_said_honestly_with_javascript_off(browser, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.goto(base_url + "/en/")
    page.fill("input[name=q]", "what is the capital of Australia")
    page.click("button[type=submit]")
    page.wait_for_selector(".notice-warn")
    assert "couldn't find a good answer" in page.inner_text(".notice-warn")
    assert page.locator(".hit").count() > 0
    page.screenshot(path=str(SHOTS / "no-answer-en.png"), full_page=True)
    context.close()


def test_article_page_on_a_phone(browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(base_url + "/en/articles/delivery-options-and-costs")
    assert page.locator("h1").inner_text()
    assert page.locator("table").count() >= 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, "no sideways scrolling on a phone"
    page.screenshot(path=str(SHOTS / "article-phone-en.png"), full_page=True)
    context.close()


def test_hostile_query_runs_no_script(browser, base_url: str) -> None:
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(
        base_url
        + "/search?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E%3Cscript%3Ealert(2)%3C/script%3E"
    )
    page.wait_for_load_state()
    assert dialogs == []
    assert "<script>alert(2)</script>" in page.inner_text("h1")
    page.close()


def test_api_docs_work_offline_under_the_content_security_policy(browser, base_url: str) -> None:
    page = browser.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(base_url + "/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    assert "/api/search" in page.inner_text(".swagger-ui")
    assert failed == [], "every asset is served by the app itself"
    page.close()
