"""Server-rendered pages: what a customer sees, with JavaScript off."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from kb.insights import schema
from kb.models.embeddings import SentenceTransformerEmbedder
from tests.helpers import ARTICLES, AppFactory
from tests.web.clients import vote


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


def test_no_answer_page_is_honest_and_carries_the_question_to_contact(client: TestClient) -> None:
    for query, hl, words in (
        ("recept za sarmu", "hr", "Nismo pronašli dobar odgovor"),
        ("what is the capital of France", "en", "find a good answer"),
    ):
        page = client.get("/search", params={"q": query, "hl": hl}).text
        assert words in page
        assert f'<a class="button" href="/{hl}/contact?{urlencode({"q": query})}">' in page
        assert page.count('<li class="hit">') <= 3, "a few maybe-related items at most"
        assert "badge-best" not in page, "no answer, no 'best answer' label"


def test_maybe_related_items_are_only_those_with_evidence(client: TestClient) -> None:
    """What the page lists when nothing answers is what the search found some evidence
    for (a share of the answer threshold), never the zero-score tail of the ranking."""
    from web.results import EVIDENCE_SHARE

    searcher = client.app.state.kb.searcher
    for query in ("what is the capital of France", "who won the football world cup"):
        result = searcher.search(query, "en")
        assert not result.answered
        page = client.get("/search", params={"q": query, "lang": "en", "hl": "en"}).text
        listed = re.findall(r'class="hit-title" href="/en/articles/([^"?#]+)', page)
        scores = {h.slug: h.confidence_score for h in result.hits}
        assert len(listed) <= 3
        assert all(scores[slug] >= result.threshold * EVIDENCE_SHARE for slug in listed)
        assert len(listed) == sum(
            1 for h in result.hits[:3] if h.confidence_score >= result.threshold * EVIDENCE_SHARE
        )


def test_an_answered_search_labels_only_its_best_answer(client: TestClient) -> None:
    page = client.get("/search", params={"q": "Povrat proizvoda", "hl": "hr"}).text
    assert page.count("badge-best") == 1 and "Najbolji odgovor" in page
    first = page.index('class="hit-title"')
    assert page.index("badge-best") > first, "the label belongs to the first result"


def test_only_a_strong_match_is_called_the_best_answer(client: TestClient) -> None:
    """An answered search whose best hit is only a "partial" match (the answer model is
    not sure) labels it a possible answer: "best answer" is a promise."""
    searcher = client.app.state.kb.searcher
    asked = ["imate li mobilnu aplikaciju", "posao u buri", "kako mogu platiti", "dostava"]
    partial = [
        q
        for q in asked
        if (r := searcher.search(q, prefer="hr")).answered and r.hits[0].confidence == "partial"
    ]
    assert partial, "the demo has answered-but-partial Croatian questions"
    page = client.get("/search", params={"q": partial[0], "hl": "hr"}).text
    assert "badge-best" not in page and "Najbolji odgovor" not in page
    assert page.count("Mogući odgovor") == 1
    assert page.index("badge-possible") > page.index('class="hit-title"')


def test_script_in_a_query_comes_out_escaped(client: TestClient) -> None:
    page = client.get("/search", params={"q": '<script>alert("x")</script> dostava'}).text
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_unknown_pages_get_a_friendly_404(client: TestClient) -> None:
    for url in ["/hr/articles/nema-ga", "/xx/", "/en/categories/nothing"]:
        response = client.get(url)
        assert response.status_code == 404
        assert "<form" in response.text and "Traceback" not in response.text


def test_overlong_query_on_the_page_is_a_clear_error_in_the_visitors_language(
    client: TestClient,
) -> None:
    query = "riječ " * 110  # 659 characters, as a visitor pasted
    response = client.get("/search", params={"q": query, "hl": "hr"})
    assert response.status_code == 422
    assert "Pitanje je predugo" in response.text and "too long" not in response.text
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", response.text, re.S).group(1)
    assert "riječ riječ" not in h1, "the heading does not repeat the whole query"
    english = client.get("/search", params={"q": "word " * 200, "hl": "en"})
    assert english.status_code == 422 and "Your question is too long" in english.text


def test_article_images_have_alt_text_and_are_served(client: TestClient) -> None:
    page = client.get("/en/articles/track-your-order").text
    assert '<img src="/assets/en/delivery/images/order-statuses.svg" alt="Order statuses' in page
    image = client.get("/assets/en/delivery/images/order-statuses.svg")
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg")
    assert "default-src 'none'" in image.headers["content-security-policy"]
    assert client.get("/assets/en/delivery/returns.md").status_code == 404
    assert client.get("/assets/../pyproject.toml").status_code == 404


def test_script_in_an_article_is_shown_as_text_end_to_end(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, make_app: AppFactory
) -> None:
    from indexer.build import build_index
    from kb.settings import Settings

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
    with make_app.client(settings) as c:
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


def test_language_switch_on_results_changes_the_interface_not_the_search(
    client: TestClient,
) -> None:
    """Switching a Croatian question's results to English shows the same Croatian answers
    with an English interface; it does not re-run the question against English articles
    (which would log a gap that is not there)."""
    from kb.insights import schema

    page = client.get("/search", params={"q": "Povrat proizvoda", "hl": "hr"}).text
    switch = re.search(r'<a class="lang-link" href="([^"]+)" hreflang="en"', page).group(1)
    assert switch == "/search?q=Povrat+proizvoda&amp;hl=en"
    english = client.get(switch.replace("&amp;", "&")).text
    assert '<html lang="en">' in english and "Results for “Povrat proizvoda”" in english
    assert 'class="hit-title" href="/hr/articles/povrat-proizvoda' in english
    assert "find a good answer" not in english
    events = client.app.state.kb.events
    events.flush()
    asked = {r["lang"] for r in events.rows(schema.searches) if r["query"] == "Povrat proizvoda"}
    assert asked == {"hr"}
    strict = client.get("/search", params={"q": "kako vratiti proizvod", "lang": "en"}).text
    assert '<html lang="en">' in strict and "/hr/articles/" not in strict


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
    assert data["publisher"]["name"] == "Bura"  # the brand (kb.toml's site_name)
    contact = JsonLd()
    contact.feed(client.get("/en/articles/contact-us").text)
    [other] = [json.loads(b) for b in contact.blocks]
    assert other["@type"] == "TechArticle", "not question-and-answer: no FAQPage"
    assert other["headline"] == "Contact Bura.hr customer support"
    home = JsonLd()
    home.feed(client.get("/hr/").text)
    [site] = [json.loads(b) for b in home.blocks]
    assert site["@type"] == "WebSite" and site["name"] == "Bura – centar za pomoć"
    assert "{search_term_string}" in site["potentialAction"]["target"]


def test_pages_have_absolute_canonical_urls_and_results_are_not_indexed(
    client: TestClient,
) -> None:
    for path in ("/en/", "/en/categories/returns", "/en/articles/returns"):
        page = client.get(path).text
        assert f'<link rel="canonical" href="http://testserver{path}">' in page, path
        assert "noindex" not in page
    results = client.get("/search", params={"q": "returns", "hl": "en"}).text
    assert '<meta name="robots" content="noindex, follow">' in results


def test_home_lists_topics_in_the_writers_order_in_each_language(client: TestClient) -> None:
    import yaml

    for lang in ("hr", "en"):
        written = list(yaml.safe_load((ARTICLES / lang / "_categories.yml").read_text()))
        page = client.get(f"/{lang}/").text
        shown = re.findall(rf'<h3><a href="/{lang}/categories/([^"]+)">', page)
        assert shown == [c for c in written if c in shown] and len(shown) >= 5


def test_header_carries_the_brand_and_a_contact_link(client: TestClient) -> None:
    page = client.get("/hr/articles/povrat-proizvoda").text
    header = page[page.index('<header class="site-header">') : page.index("</header>")]
    assert '<span class="brand-name">Bura</span>' in header
    assert '<img class="logo-img" src="/assets/_assets/logo.svg"' in header
    assert '<a class="header-contact" href="/hr/contact">Kontakt</a>' in header
    assert "<title>Povrat proizvoda · Bura – centar za pomoć</title>" in page
    assert client.get("/assets/_assets/logo.svg").status_code == 200


def test_dates_and_quotes_follow_the_page_language(client: TestClient) -> None:
    hr = client.get("/hr/articles/povrat-proizvoda").text
    en = client.get("/en/articles/returns").text
    hr_date = re.search(r'<time datetime="(\d{4})-\d\d-\d\d">([^<]+)</time>', hr)
    en_date = re.search(r'<time datetime="(\d{4})-\d\d-\d\d">([^<]+)</time>', en)
    assert re.fullmatch(rf"\d{{1,2}}\. [a-zčćđšž]+ {hr_date.group(1)}\.", hr_date.group(2))
    assert re.fullmatch(rf"\d{{1,2}} [A-Z][a-z]+ {en_date.group(1)}", en_date.group(2))
    assert "Ažurirano" in hr and "Updated" in en
    hr_results = client.get("/search", params={"q": "dostava", "hl": "hr"}).text
    en_results = client.get("/search", params={"q": "delivery", "hl": "en"}).text
    assert "Rezultati za „dostava“" in hr_results
    assert "Results for “delivery”" in en_results and "„" not in en_results


def test_pages_that_are_not_there_are_explained_in_the_visitors_language(
    client: TestClient,
) -> None:
    missing = client.get("/hr/articles/nepostoji")
    assert missing.status_code == 404 and '<html lang="hr">' in missing.text
    assert "Taj članak nismo pronašli" in missing.text and "no article" not in missing.text
    english = client.get("/en/articles/does-not-exist")
    assert english.status_code == 404 and "We couldn&#39;t find that article" in english.text
    topic = client.get("/hr/categories/nema")
    assert topic.status_code == 404 and "Tu temu nismo pronašli" in topic.text
    unknown = client.get("/xx/", headers={"Accept-Language": "hr"})
    assert unknown.status_code == 404 and "no articles in language" not in unknown.text
    assert "Stranica nije pronađena" in unknown.text


def test_short_addresses_lead_somewhere_sensible(client: TestClient) -> None:
    hr = {"Accept-Language": "hr"}
    contact = client.get("/contact", headers=hr, follow_redirects=False)
    assert contact.status_code == 307 and contact.headers["location"] == "/hr/contact"
    slash = client.get("/contact/", headers={"Accept-Language": "en"}, follow_redirects=False)
    assert slash.headers["location"] == "/en/contact"
    admin = client.get("/admin/", follow_redirects=False)
    assert admin.status_code == 307 and admin.headers["location"] == "/admin"


def test_an_article_address_in_the_other_language_redirects_to_the_translation(
    client: TestClient,
) -> None:
    to_en = client.get("/en/articles/povrat-proizvoda", follow_redirects=False)
    assert to_en.status_code == 301 and to_en.headers["location"] == "/en/articles/returns"
    to_hr = client.get("/hr/articles/returns", follow_redirects=False)
    assert to_hr.status_code == 301 and to_hr.headers["location"] == "/hr/articles/povrat-proizvoda"


def test_category_pages_switch_to_the_same_topic_in_the_other_language(
    client: TestClient,
) -> None:
    page = client.get("/hr/categories/dostava").text
    assert '<link rel="alternate" hreflang="en" href="/en/categories/delivery">' in page
    assert 'class="lang-link" href="/en/categories/delivery" hreflang="en"' in page
    back = client.get("/en/categories/delivery").text
    assert 'class="lang-link" href="/hr/categories/dostava" hreflang="hr"' in back


def test_snippets_read_as_text_not_markdown(client: TestClient) -> None:
    """Table rows and list items in a snippet come out as prose: no pipes, no dashes."""
    for query, hl in (
        ("cijene dostave paketomat BOX NOW rok", "hr"),
        ("which countries do you deliver to Slovenia Austria", "en"),
        ("dostava u inozemstvo Slovenija Austrija", "hr"),
    ):
        page = client.get("/search", params={"q": query, "hl": hl}).text
        snippets = re.findall(r'<p class="hit-snippet"[^>]*>(.*?)</p>', page, re.S)
        assert snippets, query
        for snippet in snippets:
            text = re.sub(r"<[^>]+>", "", snippet)
            assert " | " not in text and not re.search(r"(^|\s)- \w", text), text


def test_a_vote_sent_after_the_session_cookie_expired_is_asked_again_as_it_was(
    client: TestClient,
) -> None:
    """The session cookie lasts half an hour, and phones keep tabs open for longer: a vote
    whose form token no longer matches is not taken (403), but the visitor gets the article
    back with the form as it was sent and a fresh token, not an error page to reload."""
    article = "/hr/articles/povrat-novca"
    page = client.get(article).text
    client.cookies.clear()  # the cookie ran out while the page was open
    client.cookies.set("kb_sid", "reader-who-came-back-later-0001")
    comment = "Ne piše koliko traje povrat za PayPal"
    stale = vote(client, article, "no", page=page, reason="unclear", comment=comment)
    assert stale.status_code == 403 and '<html lang="hr">' in stale.text
    assert "Vaš odgovor nije spremljen" in stale.text and "<h1>Povrat novca</h1>" in stale.text
    assert 'value="unclear" checked' in stale.text and f">{comment}</textarea>" in stale.text
    again = vote(client, article, "no", page=stale.text, reason="unclear", comment=comment)
    assert again.status_code == 303 and again.headers["location"].endswith("?voted=no#feedback")
    events = client.app.state.kb.events  # type: ignore[attr-defined]
    events.flush()
    mine = [v for v in events.rows(schema.votes) if v["session_id"].startswith("reader-who")]
    assert [(v["reason"], v["comment"]) for v in mine] == [("unclear", comment)]
    english = client.get("/en/articles/refunds").text
    client.cookies.clear()
    assert "was not saved" in vote(client, "/en/articles/refunds", page=english).text


def test_a_comment_that_fills_its_box_is_taken_whatever_its_line_breaks(
    client: TestClient,
) -> None:
    """The comment box holds 1,000 characters counting a line break as one; the browser
    sends each as CR LF, so a full comment of several lines was a 422 and the vote lost."""
    client.cookies.clear()
    client.cookies.set("kb_sid", "reader-with-a-lot-to-say-0001")
    comment = "\n".join(["Tablica ne kaže koliko traje povrat na karticu."] * 25)[:1000]
    assert len(comment) == 1000 and comment.count("\n") == 20
    sent = vote(client, "/hr/articles/povrat-novca", "no", comment=comment.replace("\n", "\r\n"))
    assert sent.status_code == 303, sent.text[:300]
    events = client.app.state.kb.events  # type: ignore[attr-defined]
    events.flush()
    mine = [v for v in events.rows(schema.votes) if v["session_id"].startswith("reader-with")]
    assert [v["comment"] for v in mine] == [comment]
    over = vote(client, "/hr/articles/povrat-novca", "no", comment=comment + "!")
    assert over.status_code == 422 and '<html lang="hr">' in over.text
