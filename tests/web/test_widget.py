"""The embeddable widget: one script tag on another site's page searches the help center
through the public API, with CORS limited to the configured origins."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from indexer.build import BuildReport
from kb.settings import Settings
from tests.helpers import AppFactory, live_server
from tests.web.browsing import SHOTS


def company_site(help_center: dict[str, str]) -> FastAPI:
    """A stand-in for a company's own page that embeds the widget."""
    site = FastAPI()

    @site.get("/", response_class=HTMLResponse)
    def home() -> str:
        return (
            "<!doctype html><html lang='en'><body><h1>Bura shop</h1>"
            f"<script src='{help_center['url']}/widget.js' data-lang='en'></script>"
            "</body></html>"
        )

    return site


def test_cors_admits_only_configured_origins(
    demo_settings: Settings, demo_build: BuildReport, make_app: AppFactory
) -> None:
    origins = "https://www.bura.hr, https://shop.bura.hr/"
    with make_app.client(demo_settings, cors_origins=origins) as client:
        ok = client.get(
            "/api/search", params={"q": "returns"}, headers={"Origin": "https://shop.bura.hr"}
        )
        assert ok.headers["access-control-allow-origin"] == "https://shop.bura.hr"
        other = client.get(
            "/api/search", params={"q": "returns"}, headers={"Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options(
            "/api/search",
            headers={"Origin": "https://www.bura.hr", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 400  # the API is read-only from other sites
        widget = client.get("/widget.js")
        assert widget.headers["content-type"].startswith("text/javascript")
        assert ".innerHTML" not in widget.text  # results are set as text, never as markup


@pytest.mark.browser
def test_a_company_page_searches_the_help_center_inline(
    browser,
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
) -> None:
    help_center: dict[str, str] = {}
    with (
        live_server(company_site(help_center)) as allowed,
        live_server(company_site(help_center)) as stranger,
        make_app.served(demo_settings, cors_origins=allowed) as url,
    ):
        help_center["url"] = url
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(allowed + "/")
        page.fill(".kb-widget input", "how long does a refund take")
        page.click(".kb-widget button")
        first = page.locator(".kb-widget li a").first
        first.wait_for(timeout=15_000)
        assert first.get_attribute("href").startswith(url + "/en/articles/")
        assert "refund" in first.inner_text().lower()
        page.screenshot(path=str(SHOTS / "widget-on-company-page.png"))
        assert not errors

        blocked = browser.new_page()
        blocked.goto(stranger + "/")
        blocked.fill(".kb-widget input", "refund")
        blocked.click(".kb-widget button")
        note = blocked.locator(".kb-widget .note")
        note.wait_for(timeout=15_000)
        assert "not reachable" in note.inner_text()
        page.close()
        blocked.close()


@pytest.mark.browser
def test_the_widget_suggests_while_typing_by_keyboard_alone(
    browser,
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
) -> None:
    """The same combobox as the help center's own box, across origins (CORS), inside the
    widget's shadow root: a chosen article opens in a new tab; a misspelt question that
    only its correction answers says which spelling was searched."""
    help_center: dict[str, str] = {}
    with (
        live_server(company_site(help_center)) as shop,
        make_app.served(demo_settings, cors_origins=shop) as url,
    ):
        help_center["url"] = url
        context = browser.new_context()
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(shop + "/")
        box = page.locator(".kb-widget input")
        box.wait_for()
        page.keyboard.press("Tab")
        assert box.evaluate("e => e.getRootNode().activeElement === e")
        assert box.get_attribute("role") == "combobox"
        page.keyboard.type("damaged par", delay=30)
        listbox = page.locator(".kb-widget [role=listbox]:visible")
        listbox.wait_for(timeout=15_000)
        assert box.get_attribute("aria-expanded") == "true"
        assert "suggestions" in page.locator(".kb-widget [role=status]").inner_text()
        page.keyboard.press("ArrowDown")
        option = page.locator(".kb-widget [aria-selected=true]")
        assert option.get_attribute("id") == box.get_attribute("aria-activedescendant")
        assert "Damaged parcel" in option.inner_text()
        with context.expect_page() as opened:
            page.keyboard.press("Enter")
        opened.value.wait_for_load_state()
        assert opened.value.url.startswith(url + "/en/articles/damaged-parcel")
        opened.value.close()
        page.bring_to_front()
        box.fill("")
        page.keyboard.type("my parcle never arived")
        page.keyboard.press("Enter")
        note = page.locator(".kb-widget .note").first
        note.wait_for(timeout=15_000)
        assert note.inner_text() == "Showing results for my parcel never arrived", (
            box.input_value(),
            page.locator(".kb-widget").inner_text(),
        )
        assert not errors
        context.close()
