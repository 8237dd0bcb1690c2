"""Every public page type, in both languages, at four widths from a small phone to a
desktop, in the real Chromium: no sideways page scrolling, no serious or critical
accessibility violation (axe-core, WCAG 2.2 A/AA rules), no script error, and a
full-page screenshot per page, language and width in var/screenshots/layout/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from indexer.build import BuildReport
from kb.settings import Settings
from tests.helpers import AppFactory, live_server
from tests.web.browsing import SHOTS, serious_violations
from tests.web.clients import bearer

pytestmark = pytest.mark.browser

WIDTHS = (320, 390, 768, 1280)
LAYOUT = SHOTS / "layout"
PAGES = {
    "home": {"hr": "/hr/", "en": "/en/"},
    "category": {"hr": "/hr/categories/dostava", "en": "/en/categories/delivery"},
    "article": {
        "hr": "/hr/articles/nacini-i-cijene-dostave",
        "en": "/en/articles/delivery-options-and-costs",
    },
    "results": {
        "hr": "/search?hl=hr&q=" + quote("koliko košta dostava paketomatom"),
        "en": "/search?hl=en&q=" + quote("how much does parcel locker delivery cost"),
    },
    "no-answer": {
        "hr": "/search?hl=hr&q=" + quote("koji je glavni grad Francuske"),
        "en": "/search?hl=en&q=" + quote("what is the capital of France"),
    },
    "contact": {
        "hr": "/hr/contact?q=" + quote("paket mi je stigao oštećen"),
        "en": "/en/contact?q=" + quote("my parcel arrived damaged"),
    },
    "not-found": {"hr": "/hr/articles/nepostoji", "en": "/en/articles/does-not-exist"},
    "too-long": {
        "hr": "/search?hl=hr&q=" + quote("riječ " * 110),
        "en": "/search?hl=en&q=" + quote("word " * 150),
    },
}


def check_widths(page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(LAYOUT / f"{name}-{width}.png"), full_page=True)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        assert scroll <= inner, f"{name} at {width}px scrolls sideways ({scroll} > {inner})"
        assert serious_violations(page) == [], f"{name} at {width}px"


@pytest.fixture(scope="module")
def base_url(
    demo_settings: Settings, demo_build: BuildReport, make_app: AppFactory
) -> Iterator[str]:
    LAYOUT.mkdir(parents=True, exist_ok=True)
    with make_app.served(demo_settings) as url:
        yield url


@pytest.mark.parametrize("lang", ["hr", "en"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_page_fits_every_width_and_passes_axe(browser, base_url: str, kind: str, lang: str) -> None:
    context = browser.new_context(locale=f"{lang}-HR" if lang == "hr" else "en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "status of 404" not in m.text and "status of 422" not in m.text
            else None
        ),
    )
    response = page.goto(base_url + PAGES[kind][lang])
    assert page.locator("html").get_attribute("lang") == lang
    assert response is not None and response.status < 500
    check_widths(page, f"{kind}-{lang}")
    assert problems == []
    context.close()


def test_a_wide_table_scrolls_in_its_own_box_not_the_page(browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 700}, is_mobile=True)
    page = context.new_page()
    page.goto(base_url + PAGES["article"]["hr"])
    box = page.locator(".table-scroll").first
    assert box.evaluate("b => b.scrollWidth > b.clientWidth"), "the table scrolls inside"
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    title = page.locator("h1")
    assert title.evaluate("h => h.scrollWidth <= h.clientWidth"), "the title is not cut"
    first_heading = page.locator("main h1, main .toc").first
    assert first_heading.evaluate("e => e.tagName") == "H1", "the title comes before contents"
    context.close()


def test_heading_anchors_take_no_line_of_their_own(browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 700})
    page = context.new_page()
    page.goto(base_url + PAGES["article"]["hr"])
    heights = page.evaluate(
        """() => [...document.querySelectorAll('.prose h2, .prose h3')].map(h => {
            const before = h.getBoundingClientRect().height;
            const anchor = h.querySelector('.anchor');
            anchor.style.display = 'none';
            const after = h.getBoundingClientRect().height;
            anchor.style.display = '';
            return [before, after];
        })"""
    )
    assert heights and all(before == after for before, after in heights), heights
    context.close()


def company_site(help_center: dict[str, str], lang: str) -> FastAPI:
    """A company's own page embedding the widget (the help center's URL is known later)."""
    site = FastAPI()

    @site.get("/", response_class=HTMLResponse)
    def home() -> str:
        return (
            f"<!doctype html><html lang='{lang}'><head><title>Bura shop</title>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
            "<body><main><h1>Bura shop</h1>"
            f"<script src='{help_center['url']}/widget.js' data-lang='{lang}'></script>"
            "</main></body></html>"
        )

    return site


@pytest.mark.parametrize("lang", ["hr", "en"])
def test_the_widget_fits_and_passes_axe_on_a_company_page(
    browser,
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    lang: str,
) -> None:
    help_center: dict[str, str] = {}
    with (
        live_server(company_site(help_center, lang)) as shop,
        make_app.served(demo_settings, cors_origins=shop) as url,
    ):
        help_center["url"] = url
        context = browser.new_context(locale="hr-HR" if lang == "hr" else "en-GB")
        page = context.new_page()
        page.goto(shop + "/")
        query = "povrat proizvoda" if lang == "hr" else "how do I return a product"
        page.fill(".kb-widget input", query)
        page.click(".kb-widget button")
        page.locator(".kb-widget li a").first.wait_for(timeout=15_000)
        button = page.locator(".kb-widget button").inner_text()
        assert button == ("Traži" if lang == "hr" else "Search"), "the catalogue's words"
        check_widths(page, f"widget-{lang}")
        context.close()


def test_screenshots_of_every_page_type_are_kept() -> None:
    """Runs last in this module: the screenshots are the test output people look at."""
    names = {p.name for p in Path(LAYOUT).glob("*.png")} if LAYOUT.is_dir() else set()
    expected = {f"{k}-{lang}-{w}.png" for k in PAGES for lang in ("hr", "en") for w in WIDTHS}
    assert expected <= names, sorted(expected - names)[:5]


STAFF_ADMIN = "layout-admin-token"
STAFF_AGENT = "layout-agent-token"


@pytest.fixture(scope="module")
def staff_url(
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The demo with staff tokens and a log of its own, so the reports have rows to show."""
    app = make_app(
        demo_settings,
        database_url=f"sqlite:///{tmp_path_factory.mktemp('staff') / 'kb.sqlite3'}",
        admin_token=STAFF_ADMIN,
        agent_token=STAFF_AGENT,
    )
    with live_server(app) as url:
        for _visitor in range(3):  # each client is one visitor: its own session cookie
            with httpx.Client(base_url=url) as client:
                for q in ("recept za sarmu", "recept za sarmu s kiselim kupusom", "lawn mower"):
                    assert client.get("/search", params={"q": q}).status_code == 200
        app.state.kb.events.flush()
        yield url


@pytest.mark.parametrize(
    ("name", "path", "token"),
    [
        ("admin-dashboard", "/admin", STAFF_ADMIN),
        ("admin-gaps", "/admin/gaps", STAFF_ADMIN),
        ("admin-articles", "/admin/articles", STAFF_ADMIN),
        ("agent", "/agent", STAFF_AGENT),
        ("agent-login", "/agent/login", None),
        ("admin-login", "/admin/login", None),
    ],
)
def test_staff_pages_fit_a_phone_too(
    browser, staff_url: str, name: str, path: str, token: str | None
) -> None:
    """Writers read the gap report and agents answer customers on phones as well: wide
    tables scroll in their own box, never the page."""
    headers = bearer(token) if token else {}
    context = browser.new_context(extra_http_headers=headers)
    page = context.new_page()
    response = page.goto(staff_url + path)
    assert response is not None and response.status == 200
    if name == "admin-gaps":
        assert page.locator("table.admin-table tbody tr").count() >= 1, "the report has rows"
    if name == "agent":
        page.fill("textarea#message", "Poštovani,\n\nKoliko dugo traje povrat novca?\n\nHvala")
        page.click("form.agent-form button[type=submit]")
        page.wait_for_selector("#draft")
    assert " object at 0x" not in page.content(), "a template printed a Python object"
    check_widths(page, name)
    page.set_viewport_size({"width": 390, "height": 900})
    small = page.evaluate(
        """() => [...document.querySelectorAll(
            '.staff-nav a, .staff-nav button, .staff-lang a, .admin-nav a, .agent-form select')]
          .map(e => [e.textContent.trim(), Math.round(e.getBoundingClientRect().height)])
          .filter(([, h]) => h < 32)"""
    )
    assert not small, f"too small to tap on a phone: {small}"
    context.close()
