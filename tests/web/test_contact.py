"""The contact page shows the best articles for what the visitor typed before the
support channels, and records who went on to a channel."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient

from indexer.build import BuildReport
from kb.insights import analytics, schema
from kb.settings import Settings
from tests.helpers import AppFactory
from tests.web.clients import vote


@pytest.fixture(scope="module")
def site(
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("contact") / "events.sqlite3"
    with make_app.client(
        demo_settings,
        database_url=f"sqlite:///{db}",
        contact_email="help@example.com",
        contact_chat_url="https://chat.example.com/start",
        contact_phone="",
    ) as client:
        yield client


def test_what_the_visitor_typed_brings_up_articles_before_the_channels(
    site: TestClient,
) -> None:
    page = site.get("/hr/contact", params={"q": "paket mi je stigao oštećen"}).text
    suggested = page.index("contact-suggestions")
    channels = page.index("contact-channels")
    assert suggested < channels
    first = re.search(r'class="hit-title" href="([^"]+)"', page).group(1)
    assert first.startswith("/hr/articles/ostecena-posiljka") or "ostecen" in first
    assert "?s=" in first  # clicks from here count as clicks on a search
    assert "Chat uživo" in page and "help@example.com" in page
    assert "Telefon" not in page  # not configured, not offered


def test_going_to_a_channel_is_recorded_then_handed_over(site: TestClient) -> None:
    site.cookies.clear()
    site.cookies.set("kb_sid", "session-contact-0123456789")
    page = site.get("/en/contact", params={"q": "I want to talk to someone"}).text
    href = re.search(r'href="(/en/contact/go\?channel=email[^"]*)"', page).group(1)
    r = site.get(href.replace("&amp;", "&"), follow_redirects=False)
    assert r.status_code == 303
    target = urlparse(r.headers["location"])
    assert target.scheme == "mailto" and target.path == "help@example.com"
    assert parse_qs(target.query)["body"] == ["I want to talk to someone"]
    chat = site.get("/en/contact/go?channel=chat", follow_redirects=False)
    assert chat.headers["location"] == "https://chat.example.com/start"
    events = site.app.state.kb.events
    assert events.flush()
    rows = events.rows(schema.contacts)
    assert [(r["channel"], r["lang"]) for r in rows[-2:]] == [("email", "en"), ("chat", "en")]
    assert rows[-2]["session_id"] == "session-contact-0123456789"
    searches = [r for r in events.rows(schema.searches) if r["source"] == "contact"]
    assert searches, "the contact page's search is logged like any other"


def test_channels_that_are_not_offered_and_bad_input_get_clear_errors(site: TestClient) -> None:
    assert site.get("/en/contact/go?channel=phone").status_code == 404
    assert site.get("/en/contact/go?channel=fax").status_code == 422
    assert site.get("/en/contact", params={"q": "x" * 3000}).status_code == 422
    assert site.get("/xx/contact").status_code == 404
    plain = site.get("/en/contact")
    assert plain.status_code == 200 and "contact-suggestions" not in plain.text


def test_a_contact_after_reading_is_not_a_self_service_resolution(site: TestClient) -> None:
    """One visitor finds the answer and says so; another reads, then e-mails anyway."""
    events = site.app.state.kb.events
    for session, then_contact in (
        ("session-resolved-000001", False),
        ("session-gaveup-00001", True),
    ):
        site.cookies.clear()
        site.cookies.set("kb_sid", session)
        vote(site, "/en/articles/returns", "yes")
        if then_contact:
            site.get("/en/contact/go?channel=email&q=returns", follow_redirects=False)
    assert events.flush()
    stats = analytics.compute(events, site.app.state.kb.index, days=1, lang="en")
    rows = {r["session_id"] for r in events.rows(schema.contacts)}
    assert "session-gaveup-00001" in rows and "session-resolved-000001" not in rows
    assert stats.resolved_sessions == 1
    assert stats.contact_sessions >= 2  # this visitor and the one above


def test_every_page_links_to_the_contact_page(site: TestClient) -> None:
    assert 'href="/hr/contact"' in site.get("/hr/").text
    assert "Disallow: /*/contact/go" in site.get("/robots.txt").text


def test_a_message_that_fills_the_box_is_taken_whatever_its_line_breaks(site: TestClient) -> None:
    """The box holds 2,000 characters counting a line break as one, but the browser sends
    each as CR LF: a long message of many lines arrived over the limit and the visitor got
    "keep it under 500 characters" and lost it. Only what is still too long once the line
    breaks are one character is refused, with the message's own limit."""
    lines = ["Naručila sam tri stvari, a u paketu su stigle samo dvije."] * 35
    message = "\n".join(lines)[:2000]
    assert len(message) == 2000 and message.count("\n") == 34
    sent = site.get("/hr/contact", params={"q": message.replace("\n", "\r\n")})
    assert sent.status_code == 200, sent.text[:300]
    assert f">{lines[0]}\n{lines[1]}" in sent.text, "the message is in the box, one line a line"
    assert "help@example.com" in sent.text
    email = site.get(
        "/hr/contact/go",
        params={"channel": "email", "q": message.replace("\n", "\r\n")},
        follow_redirects=False,
    )
    assert email.status_code == 303
    assert parse_qs(urlparse(email.headers["location"]).query)["body"] == [message]
    over = site.get("/hr/contact", params={"q": message + "!"})
    assert over.status_code == 422 and "kraća od 2000 znakova" in over.text
    english = site.get("/en/contact", params={"q": "x" * 3000})
    assert english.status_code == 422 and "under 2000 characters" in english.text


def test_a_message_longer_than_a_search_still_brings_up_articles(site: TestClient) -> None:
    """Visitors describe their problem at length on the contact page; past the search
    limit (500 characters) the page showed no article at all. Its opening is searched."""
    message = (
        "Poštovani, prije dva tjedna naručio sam perilicu rublja i platio karticom. Paket "
        "je stigao oštećen, kutija je bila potpuno zgnječena, a na perilici je udubljenje na "
        "bočnoj strani. Kurir je rekao da to nije njegov problem i otišao prije nego što sam "
        "stigao pregledati paket. Sada ne znam što trebam napraviti, trebam li poslati "
        "fotografije, kome se javiti i hoću li dobiti novu perilicu ili povrat novca. Također "
        "me zanima koliko dugo traje povrat novca na karticu ako se odlučim za povrat. "
        "Hvala unaprijed na brzom odgovoru!"
    )
    assert len(message) > site.app.state.kb.settings.max_query_chars
    page = site.get("/hr/contact", params={"q": message}).text
    assert "contact-suggestions" in page
    assert "/hr/articles/ostecena-posiljka" in page
    assert f">{message}</textarea>" in page, "the whole message stays for the channels"


def test_still_stuck_after_a_no_vote_does_not_offer_the_same_article_again(
    site: TestClient,
) -> None:
    """'Did this help?' No -> 'Still stuck? Contact us' carried the article's title to
    the contact page, whose first suggestion was that very article."""
    voted = site.get("/hr/articles/povrat-novca", params={"voted": "no"}).text
    link = re.search(r'<p class="notice" role="status">[^<]*<a href="([^"]+)"', voted)
    assert link, voted[-2000:]
    page = site.get(link.group(1).replace("&amp;", "&")).text
    assert "contact-suggestions" in page, "related articles are still offered"
    offered = re.findall(r'class="hit-title" href="([^"?]+)', page)
    assert offered and "/hr/articles/povrat-novca" not in offered
    assert ">Povrat novca</textarea>" in page
    plain = site.get("/hr/contact", params={"q": "Povrat novca"}).text
    assert "/hr/articles/povrat-novca?" in plain, "asked without it, the article is offered"
