"""Links as the site renders them: relative Markdown links become article URLs, and the
verdict `kb check` gives is the one `kb.content.links.resolve` gives the renderer."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.content.articles import load_articles
from kb.content.check import check_tree
from kb.content.links import Site, resolve, rewrite
from tests.helpers import write


@pytest.fixture()
def site(tmp_path: Path) -> Site:
    root = tmp_path / "articles"
    write(
        root,
        "hr/povrati/povrat-novca.md",
        "---\ntitle: Povrat novca\n---\nx\n\n## Rok povrata\n\ny\n",
    )
    write(root, "hr/povrati/jamstvo.md", "---\ntitle: Jamstvo\nslug: garancija\n---\nx\n")
    write(root, "hr/dostava/paket.md", "---\ntitle: Paket\n---\nx\n")
    write(root, "hr/dostava/nacrt.md", "---\ntitle: Nacrt\ndraft: true\n---\nx\n")
    write(root, "en/returns/refunds.md", "---\ntitle: Refunds\n---\nx\n\n## How long?\n\ny\n")
    write(root, "hr/includes/napomena.md", "Fragment.\n")
    (root / "hr/povrati/slike").mkdir()
    (root / "hr/povrati/slike/obrazac.png").write_bytes(b"\x89PNG")
    (root / "hr/povrati/upute.pdf").write_bytes(b"%PDF")
    loaded = load_articles(root, "hr")
    return Site.of(loaded.articles, root)


SOURCE = "hr/povrati/povrat-novca.md"
GOOD = [
    ("jamstvo.md", "/hr/articles/garancija"),  # the target's own slug, not its file name
    ("./jamstvo.md", "/hr/articles/garancija"),
    ("jamstvo", "/hr/articles/garancija"),  # Docusaurus / MkDocs leave the suffix off
    ("../dostava/paket.md", "/hr/articles/paket"),
    ("../../en/returns/refunds.md#how-long", "/en/articles/refunds#how-long"),
    ("../../en/returns/refunds.md#How-long", "/en/articles/refunds#how-long"),  # respelled
    ("#rok-povrata", "#rok-povrata"),
    ("#Rok-Povrata", "#rok-povrata"),
    ("/hr/articles/paket", "/hr/articles/paket"),
    ("/hr/articles/povrat-novca#rok-povrata", "/hr/articles/povrat-novca#rok-povrata"),
    ("/hr/", "/hr/"),
    ("/hr/categories/dostava", "/hr/categories/dostava"),
    ("/search?q=povrat", "/search?q=povrat"),
    ("slike/obrazac.png", "/assets/hr/povrati/slike/obrazac.png"),
    ("https://example.com/x.md", "https://example.com/x.md"),
    ("mailto:podrska@bura.hr", "mailto:podrska@bura.hr"),
]
BROKEN = [
    ("nema.md", "file not found"),
    ("../dostava/nacrt.md", "is a draft"),
    ("../includes/napomena.md", "is not an article"),
    ("paket.md", "file not found"),  # in another folder
    ("povrat-novca.md#nema", "has no section '#nema'"),
    ("#nema", "no section '#nema'"),
    ("/hr/articles/nema", "no such article"),
    ("/hr/articles/nacrt", "is a draft"),
    ("/hr/categories/nema", "no category 'nema'"),
    ("/de/", "not a page of this help center"),
    ("/microsoft-365/admin/setup", "not a page of this help center"),
    ("upute.pdf", "no article or image"),
    ("slike/nema.png", "no image file"),
    ("", "empty link"),
]


@pytest.mark.parametrize(("href", "url"), GOOD)
def test_links_that_work_and_the_url_the_page_shows(site: Site, href: str, url: str) -> None:
    verdict = resolve(href, SOURCE, site)
    assert (verdict.url, verdict.problem) == (url, None)


@pytest.mark.parametrize(("href", "why"), BROKEN)
def test_links_that_would_fail_say_why(site: Site, href: str, why: str) -> None:
    problem = resolve(href, SOURCE, site).problem
    assert problem is not None and why in problem


def test_images_resolve_to_assets_the_route_serves(site: Site) -> None:
    assert resolve("slike/obrazac.png", SOURCE, site, image=True).problem is None
    assert "missing image" in str(resolve("slike/nema.png", SOURCE, site, image=True).problem)
    assert "missing image" in str(resolve("upute.pdf", SOURCE, site, image=True).problem)


def test_drafts_may_link_to_drafts(site: Site) -> None:
    assert resolve("nacrt.md", "hr/dostava/nacrt.md", site).problem is None


def test_rendered_html_gets_the_resolved_urls_and_nothing_else_changes(site: Site) -> None:
    html = (
        '<p><a href="jamstvo.md">J</a> <a href="nema.md">N</a> '
        '<a href="https://x.org/?a=1&amp;b=2">X</a> <a href="#fn1" id="fnref1">1</a></p>'
    )
    assert rewrite(html, SOURCE, site) == (
        '<p><a href="/hr/articles/garancija">J</a> <a href="nema.md">N</a> '
        '<a href="https://x.org/?a=1&amp;b=2">X</a> <a href="#fn1" id="fnref1">1</a></p>'
    )


def test_kb_check_reports_each_broken_link_at_its_line(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    write(root, "hr/povrati/paket.md", "---\ntitle: Paket\n---\nx\n\n## Rok\n\ny\n")
    write(
        root,
        "hr/povrati/izvor.md",
        "---\ntitle: Izvor\n---\nUvod s [paketom](paket.md#rok).\n\n"
        "Pa [nestali](nestali.md) i ![slika](nema.png).\n",
    )
    findings = [(f.line, f.message) for f in check_tree(root) if f.path == "hr/povrati/izvor.md"]
    assert [line for line, _ in findings] == [6, 6]
    assert "broken link nestali.md" in findings[0][1] + findings[1][1]
    assert "missing image nema.png" in findings[0][1] + findings[1][1]
