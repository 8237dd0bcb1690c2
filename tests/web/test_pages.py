"""Server-rendered pages: what a customer sees, with JavaScript off."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from kb.embeddings import SentenceTransformerEmbedder


def test_root_redirects_to_the_browsers_language(client: TestClient) -> None:
    r = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}, follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/en/"
    r = client.get("/", headers={"Accept-Language": "de"}, follow_redirects=False)
    assert r.headers["location"] == "/hr/"


def test_home_has_search_categories_and_popular_articles(client: TestClient) -> None:
    page = client.get("/hr/").text
    assert '<html lang="hr">' in page
    assert 'action="/search"' in page and 'name="q"' in page
    assert "Teme" in page and "Popularni članci" in page
    assert 'href="/hr/categories/' in page
    assert 'hreflang="en"' in page


def test_article_page_renders_markdown_with_toc_meta_and_related(client: TestClient) -> None:
    page = client.get("/en/articles/returns").text
    assert "<h1>" in page
    assert 'class="toc"' in page and "On this page" in page
    assert 'class="anchor"' in page
    assert "Updated" in page and "<time datetime=" in page
    assert "Related articles" in page
    assert 'href="/hr/articles/povrat-proizvoda"' in page  # the translation


def test_search_page_answers_with_highlighted_snippets(client: TestClient) -> None:
    page = client.get("/search", params={"q": "kako vratiti proizvod", "hl": "hr"}).text
    assert "Nismo pronašli dobar odgovor" not in page
    assert '<a class="hit-title" href="/hr/articles/povrat-proizvoda' in page
    assert "<mark>" in page


def test_search_page_is_honest_when_nothing_answers(client: TestClient) -> None:
    page = client.get("/search", params={"q": "recept za sarmu", "hl": "hr"}).text
    assert "Nismo pronašli dobar odgovor" in page
    assert "Možda povezano" in page
    # not "renew my passport": e5 finds the pickup section that asks for one convincing
    # (docs/search-quality.md, the answered decision)
    page = client.get("/search", params={"q": "what is the capital of France", "hl": "en"}).text
    assert "find a good answer to that" in page


def test_script_in_a_query_comes_out_escaped(client: TestClient) -> None:
    page = client.get("/search", params={"q": '<script>alert("x")</script> dostava'}).text
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_unknown_pages_get_a_friendly_404(client: TestClient) -> None:
    for url in ["/hr/articles/nema-ga", "/xx/", "/en/categories/nothing"]:
        response = client.get(url)
        assert response.status_code == 404
        assert "<form" in response.text and "Traceback" not in response.text


def test_overlong_query_on_the_page_is_a_clear_error(client: TestClient) -> None:
    response = client.get("/search", params={"q": "riječ " * 200})
    assert response.status_code == 422
    assert "too long" in response.text


def test_article_images_have_alt_text_and_are_served(client: TestClient) -> None:
    page = client.get("/en/articles/track-your-order").text
    assert '<img src="/assets/en/delivery/images/order-statuses.svg" alt="Order statuses' in page
    image = client.get("/assets/en/delivery/images/order-statuses.svg")
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg")
    assert "default-src 'none'" in image.headers["content-security-policy"]
    assert client.get("/assets/en/delivery/returns.md").status_code == 404
    assert client.get("/assets/../pyproject.toml").status_code == 404


def test_script_in_an_article_is_shown_as_text_end_to_end(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    from indexer.build import build_index
    from kb.settings import Settings
    from web.app import create_app

    articles = tmp_path / "articles" / "en" / "faq"
    articles.mkdir(parents=True)
    (articles / "hostile.md").write_text(
        "---\ntitle: 'Hostile <script>alert(1)</script>'\ndescription: x\n---\n"
        "Hello <script>alert('body')</script> <img src=x onerror=alert(2)>\n\n"
        "## Section <b onclick=alert(3)>bold</b>\n\n[link](javascript:alert(4))\n"
    )
    settings = Settings(
        articles_dir=tmp_path / "articles",
        index_dir=tmp_path / "index",
        database_url=f"sqlite:///{tmp_path / 'e.sqlite3'}",
    )
    build_index(settings, embedder, quiet=True)
    with TestClient(create_app(settings, embedder)) as c:
        page = c.get("/en/articles/hostile").text
        results = c.get("/search", params={"q": "hostile alert body"}).text
    for html in (page, results):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "<b onclick" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(" in page  # shown as text, not run


def test_sitemap_robots_and_opensearch(client: TestClient) -> None:
    import xml.etree.ElementTree as ET

    sitemap = client.get("/sitemap.xml")
    assert sitemap.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(sitemap.text)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls = root.findall("s:url", ns)
    assert len(urls) == client.get("/healthz").json()["articles"]
    returns = next(u for u in urls if u.find("s:loc", ns).text.endswith("/en/articles/returns"))
    langs = {link.get("hreflang") for link in returns.findall("x:link", ns)}
    assert langs == {"en", "hr"}
    assert "Disallow: /admin" in client.get("/robots.txt").text
    assert "/search?q={searchTerms}" in client.get("/opensearch.xml").text
    assert 'rel="search"' in client.get("/hr/").text


def test_results_page_offers_the_other_language(client: TestClient) -> None:
    page = client.get("/search", params={"q": "kako vratiti proizvod", "hl": "hr"}).text
    assert 'href="/search?q=kako+vratiti+proizvod&amp;lang=en"' in page
    english = client.get("/search", params={"q": "kako vratiti proizvod", "lang": "en"}).text
    assert '<html lang="en">' in english and "/hr/articles/" not in english


def test_faq_articles_carry_faqpage_structured_data(client: TestClient) -> None:
    """Sections headed by questions become schema.org Questions, for search engines."""
    import json
    from html.parser import HTMLParser

    class JsonLd(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.blocks: list[str] = []
            self._in = False

        def handle_starttag(self, tag: str, attrs: list) -> None:
            self._in = tag == "script" and ("type", "application/ld+json") in attrs

            if self._in:
                self.blocks.append("")

        def handle_endtag(self, tag: str) -> None:
            self._in = False

        def handle_data(self, data: str) -> None:
            if self._in:
                self.blocks[-1] += data

    parser = JsonLd()
    parser.feed(client.get("/en/articles/product-availability").text)
    [block] = parser.blocks
    data = json.loads(block)
    assert data["@type"] == "FAQPage" and data["inLanguage"] == "en"
    names = [q["name"] for q in data["mainEntity"]]
    assert "What do the availability labels mean?" in names
    first = data["mainEntity"][0]["acceptedAnswer"]
    assert first["text"] and "#" in first["url"]
    assert "<" not in block  # nothing inside can close the script element
    contact = JsonLd()
    contact.feed(client.get("/en/articles/contact-us").text)
    assert contact.blocks == []  # not question-and-answer: no FAQPage


def test_pages_have_absolute_canonical_urls_and_results_are_not_indexed(
    client: TestClient,
) -> None:
    for path in ("/en/", "/en/categories/returns", "/en/articles/returns"):
        page = client.get(path).text
        assert f'<link rel="canonical" href="http://testserver{path}">' in page, path
        assert "noindex" not in page
    results = client.get("/search", params={"q": "returns", "hl": "en"}).text
    assert '<meta name="robots" content="noindex, follow">' in results
