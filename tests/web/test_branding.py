"""The brand settings reach every place a visitor or a browser sees the help center's
identity: header, titles, the accent stylesheet, OpenSearch and structured data."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from kb.settings import Settings
from tests.helpers import AppFactory


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio, written out here independently of web.branding."""

    def lum(colour: str) -> float:
        rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((lum(a), lum(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture(scope="module")
def site(branded_settings: Settings, make_app: AppFactory) -> Iterator[TestClient]:
    with make_app.client(branded_settings) as client:
        yield client


def test_name_and_logo_in_header_and_titles(site: TestClient) -> None:
    page = site.get("/en/articles/opening-hours").text
    assert "<title>Store opening hours · Acme Help Center</title>" in page
    assert '<span class="brand-name">Acme</span>' in page
    assert '<img class="logo-img" src="/assets/_assets/logo.png" alt=""' in page
    assert site.get("/assets/_assets/logo.png").status_code == 200
    hr = site.get("/hr/").text
    assert "<title>Acme – centar za pomoć</title>" in hr


def test_accent_colour_is_served_with_readable_text_and_links(site: TestClient) -> None:
    page = site.get("/en/").text
    assert '<link rel="stylesheet" href="/brand.css">' in page
    css = site.get("/brand.css")
    assert css.headers["content-type"].startswith("text/css")
    values = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6})", css.text))
    assert values["brand"] == "#ffd400"
    assert contrast(values["on-brand"], values["brand"]) >= 4.5, "header text on the brand"
    assert contrast(values["accent"], "#ffffff") >= 4.5, "links on white"


def test_opensearch_and_structured_data_carry_the_brand(site: TestClient) -> None:
    xml = site.get("/opensearch.xml", headers={"Accept-Language": "en"}).text
    assert "<ShortName>Acme</ShortName>" in xml
    assert "<Image" in xml and "/assets/_assets/logo.png</Image>" in xml
    page = site.get("/en/articles/opening-hours").text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    data = json.loads(block.group(1))
    assert data["publisher"]["name"] == "Acme"
    assert data["publisher"]["logo"].endswith("/assets/_assets/logo.png")
    assert data["dateModified"] == "2026-03-02"


def test_an_accent_that_is_not_a_colour_is_refused() -> None:
    with pytest.raises(ValidationError, match="#rrggbb"):
        Settings(accent_color="blue; background: url(x)")


def test_without_branding_the_site_is_just_the_help_center(
    branded_settings: Settings, make_app: AppFactory
) -> None:
    with make_app.client(branded_settings, site_name="", accent_color="", logo_url="") as client:
        page = client.get("/en/").text
    assert "<title>Help Center</title>" in page and "brand.css" not in page
    assert "brand-name" not in page
