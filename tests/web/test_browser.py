"""A customer in a real browser: Debian's Chromium, driven by Playwright, against a real
server on loopback. Screenshots land in `var/screenshots/` for a human to look at."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from indexer.build import BuildReport
from kb.insights import schema
from kb.settings import Settings
from tests.helpers import AppFactory, live_server
from tests.web.browsing import SHOTS
from tests.web.clients import bearer
from tests.web.hostile import HOSTILE_AGENT, PAYLOADS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(
    demo_settings: Settings, demo_build: BuildReport, make_app: AppFactory
) -> Iterator[str]:
    with make_app.served(demo_settings) as url:
        yield url


def test_customer_asks_in_croatian_and_lands_on_the_section(browser, base_url: str) -> None:
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
    assert page.locator(".hit").count() <= 3
    page.screenshot(path=str(SHOTS / "no-answer-en.png"), full_page=True)
    page.click("text=Contact support")
    page.wait_for_url("**/en/contact?q=*")
    typed = page.locator("textarea[name=q]").input_value()
    assert typed == "what is the capital of Australia", "the question comes along"
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


# -- the whole journey, staff pages, and hostile content -------------------------------
STAFF_ADMIN = "browser-admin-token"
STAFF_AGENT = "browser-agent-token"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def screenshots(page, name: str, *, no_sideways_scroll: bool = True) -> None:
    """The page at phone and desktop width, kept in var/screenshots/ as test artifacts."""
    for label, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        if no_sideways_scroll and label == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"] + 10, f"{name}: sideways scrolling on a phone"
    page.set_viewport_size(WIDTHS["desktop"])


def watch(page) -> list[str]:
    """Collects script errors, console errors (CSP violations among them) and dialogs."""
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    return problems


@pytest.fixture(scope="module")
def staff(
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, object]]:
    db = tmp_path_factory.mktemp("browser-staff") / "events.sqlite3"
    app = make_app(
        demo_settings,
        database_url=f"sqlite:///{db}",
        admin_token=STAFF_ADMIN,
        agent_token=STAFF_AGENT,
    )
    with live_server(app) as url:
        yield url, app


def test_customer_searches_opens_votes_and_switches_language(browser, staff) -> None:
    base, app = staff
    page = browser.new_page(locale="en-GB")
    problems = watch(page)
    page.goto(base + "/")
    assert page.url.endswith("/en/")
    screenshots(page, "journey-home-en")
    page.fill("input[name=q]", "how long does a refund take")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector(".hit")
    screenshots(page, "journey-search-en")
    page.locator(".hit-title").first.click()
    page.wait_for_load_state()
    assert "/en/articles/" in page.url and "#" in page.url, "landed on the section"
    section = page.url.split("#")[1]
    assert page.locator(f"[id='{section}']").is_visible()
    screenshots(page, "journey-article-en")
    page.click("button[name=helpful][value=yes]")
    page.wait_for_selector(".feedback .notice")
    assert "Thank you" in page.inner_text(".feedback")
    screenshots(page, "journey-voted-en")
    page.click(".lang-link[hreflang=hr]")
    page.wait_for_load_state()
    assert "/hr/articles/" in page.url
    assert page.locator("html").get_attribute("lang") == "hr"
    screenshots(page, "journey-article-hr")
    assert problems == []
    page.close()
    events = app.state.kb.events
    events.flush()
    counts = events.counts()
    assert counts["searches"] >= 1 and counts["votes"] >= 1 and counts["clicks"] >= 2


def test_agent_logs_in_edits_the_draft_and_copies_it(browser, staff) -> None:
    """The agent's own login (in Croatian, styled like the site), a pasted two-question
    e-mail, the combined reply edited in the page and copied with one click: the
    clipboard holds the edited text and the log one copy with the sections it used."""
    base, app = staff
    context = browser.new_context(locale="hr-HR")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    problems = watch(page)
    page.goto(base + "/agent")
    assert "/agent/login" in page.url, "no token, no agent page"
    assert page.locator("h1").inner_text() == "Prijava za agente"
    assert "Admin" not in page.inner_text("main")
    button = page.locator(".staff-form button")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") != "rgba(0, 0, 0, 0)"
    screenshots(page, "agent-login-hr")
    page.click(".staff-lang a[hreflang=en]")
    assert page.locator("h1").inner_text() == "Agent login"
    screenshots(page, "agent-login-en")
    page.click(".staff-lang a[hreflang=hr]")
    page.fill("input[name=token]", STAFF_AGENT)
    page.press("input[name=token]", "Enter")
    page.wait_for_url("**/agent?hl=hr")
    assert page.locator("h1").inner_text() == "Pomoć agentima"
    page.fill(
        "textarea[name=message]",
        "Poštovani,\n\nNeuspjelo plaćanje ili odbijena kartica?\n\n"
        "Izmjena ili otkazivanje narudžbe?\n\nLijep pozdrav,\nAna Horvat\n"
        "Ilica 45, 10000 Zagreb\n091 234 5678",
    )
    page.click(".agent-form button[type=submit]")
    page.wait_for_selector("#draft")
    units = page.inner_text(".unit-list")
    assert "Ana" not in units and "Ilica" not in units and "091" not in units
    draft = page.locator("#draft")
    assert draft.input_value().startswith("Poštovani,")
    draft.fill(draft.input_value().replace("Poštovani,", "Poštovani,\n\nevo odgovora."))
    edited = draft.input_value()
    screenshots(page, "agent-draft-hr")
    copy = page.locator("button[data-format=draft]")
    with page.expect_response("**/agent/copy") as copied:
        copy.click()
        page.wait_for_function(
            "() => document.querySelector('[data-format=draft]').textContent === 'Kopirano'"
        )
    assert copied.value.status == 204
    assert page.evaluate("navigator.clipboard.readText()") == edited
    page.goto(base + "/agent?hl=en")
    assert page.locator("h1").inner_text() == "Agent assist"
    screenshots(page, "agent-en")
    assert problems == []
    context.close()
    events = app.state.kb.events
    events.flush()
    [copy_row] = [r for r in events.rows(schema.copies) if r["format"] == "draft"]
    sections = json.loads(copy_row["sections"])
    assert len(sections) == 2 and all(s.startswith("hr/") for s in sections)
    [message] = events.rows(schema.agent_messages)
    assert message["questions"] == 2


def test_gaps_report_needs_a_login_and_then_shows(browser, staff) -> None:
    base, _ = staff
    context = browser.new_context()
    page = context.new_page()
    problems = watch(page)
    page.goto(base + "/admin/gaps")
    assert "/admin/login" in page.url
    assert page.locator("input[name=token]").is_visible()
    page.fill("input[name=token]", "wrong-token")
    page.press("input[name=token]", "Enter")
    page.wait_for_load_state()
    assert "not right" in page.inner_text("main")
    page.fill("input[name=token]", STAFF_ADMIN)
    page.press("input[name=token]", "Enter")
    page.wait_for_url("**/admin/gaps")
    assert page.locator("h1").inner_text()
    screenshots(page, "admin-gaps", no_sideways_scroll=False)
    page.goto(base + "/admin/articles")
    screenshots(page, "admin-articles", no_sideways_scroll=False)
    assert not [p for p in problems if "401" not in p]  # the wrong token is a 401 page
    context.close()


def test_contact_page_then_dashboard_without_javascript(browser, staff) -> None:
    """A visitor types a problem on the contact page and goes on to e-mail; the manager's
    dashboard (read with JavaScript off: SVG chart and CSV links need none) counts it."""
    base, app = staff
    visitor = browser.new_context(java_script_enabled=False, locale="hr-HR")
    page = visitor.new_page()
    page.goto(base + "/hr/contact")
    page.fill("textarea[name=q]", "paket mi je stigao oštećen")
    page.click(".contact-form button")
    page.wait_for_url("**/hr/contact?q=*")
    assert page.locator(".contact-suggestions .hit").count() >= 1
    screenshots(page, "contact")
    href = page.locator("a.channel-email").get_attribute("href")
    assert href.startswith("/hr/contact/go?channel=email")
    visitor.request.get(base + href, max_redirects=0)
    visitor.close()
    app.state.kb.events.flush()

    manager = browser.new_context(
        java_script_enabled=False,
        extra_http_headers=bearer(STAFF_ADMIN),
    )
    page = manager.new_page()
    page.goto(base + "/admin?days=7")
    contact_rate = page.locator("#figure-contact_rate dd").inner_text()
    assert contact_rate not in ("—", "0.0")
    assert page.locator("svg.bars").is_visible()
    assert page.locator("a[href^='/admin/stats.csv?table=top_queries']").count() == 1
    screenshots(page, "admin-dashboard", no_sideways_scroll=False)
    manager.close()


def test_hostile_content_runs_no_script_in_the_browser(
    browser, hostile_settings: Settings, make_app: AppFactory
) -> None:
    """Escaping holds on its own: the page does not even try to run anything, so the
    Content-Security-Policy has nothing to block (a CSP refusal would be a console error)."""
    with make_app.served(hostile_settings) as base:
        context = browser.new_context(extra_http_headers=bearer(HOSTILE_AGENT))
        page = context.new_page()
        problems = watch(page)
        injected = (
            "[...document.querySelectorAll('*')].filter(e => e.tagName === 'IFRAME'"
            " || (e.tagName === 'SCRIPT' && !e.src && e.type !== 'application/ld+json')"
            " || [...e.attributes].some(a => a.name.startsWith('on'))).length"
        )
        urls = [f"/en/articles/h{n:02d}" for n in range(0, len(PAYLOADS), 2)]
        urls += ["/search?q=" + quote(p) for p in PAYLOADS[1::6]]
        for url in urls:
            page.goto(base + url)
            assert page.evaluate(injected) == 0, url
        page.goto(base + "/en/articles/h00")
        screenshots(page, "hostile-article")
        page.goto(base + "/agent")
        page.fill("textarea[name=message]", "\n".join(PAYLOADS))
        with page.expect_navigation() as answer:
            page.click(".agent-form button[type=submit]")
        assert answer.value.status == 200, page.inner_text("main")[:300]
        assert page.evaluate(injected) == 0
        assert page.locator("textarea[name=message]").input_value().startswith(PAYLOADS[0])
        context.close()
    assert problems == []


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard-only visitor does, and
    check that the focus can be seen."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"{selector} shows no focus"
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_keyboard_only_search_results_vote_and_language_switch(browser, staff) -> None:
    """No mouse: search from the home page, open a result, vote, switch language, and on
    the no-answer path reach the contact page with the question."""
    base, _ = staff
    context = browser.new_context(locale="hr-HR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    problems = watch(page)
    page.goto(base + "/hr/")
    tab_to(page, "a.skip")
    tab_to(page, "input[name=q]")
    page.keyboard.type("Povrat proizvoda")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "a.hit-title")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/hr/articles/povrat-proizvoda" in page.url
    tab_to(page, "button[name=helpful][value=yes]")
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert "Hvala" in page.inner_text("#feedback")
    tab_to(page, "a.lang-link[hreflang=en]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/en/articles/returns" in page.url
    tab_to(page, "input[name=q]")
    page.keyboard.type("what is the capital of France")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "a.button[href*='/contact?q=']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("textarea[name=q]").input_value() == "what is the capital of France"
    assert problems == []
    context.close()
