"""Property: for every link and image in the demo and in imported DocFX content, the
verdict `kb check` gives is what a visitor gets: accepted links answer 200 (and their
`#section` exists on the page), reported ones do not."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from indexer.build import build_index
from kb.content.articles import load_articles
from kb.content.check import check_tree
from kb.content.links import Site, resolve
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.settings import Settings
from tests.helpers import ARTICLES, AppFactory, write

IMPORT = Path(__file__).parents[1] / "fixtures" / "import"
# the body ends where the feedback form or the article does (tables sit in their own divs)
PROSE = re.compile(
    r'<div class="prose">(.*?)</div>\s*(?:<section id="feedback"|</div>\s*</article>)', re.S
)
BODY_LINK = re.compile(r'<a href="([^"]*)"')
BODY_IMAGE = re.compile(r'<img src="([^"]*)"')

# DocFX-style articles written the way that corpus links (relative files, anchors, `../`),
# a few links deliberately broken: the property must hold both ways
DOCFX_LINKS = """---
title: Outlook keeps asking for a password
ms.date: 03/31/2022
ms.author: someone
---
# Outlook keeps asking for a password

See [set up single sign-on](../active-directory/set-up-single-sign-on.md#more-information),
[the Chrome change](chrome-behavior-affects-applications.md#recommendations) and
[Skype sign-in](../../../SkypeforBusiness/SkypeHybrid/hybrid-sign-in/sso-no-longer-works.md).

## Known issues

- [a renamed article](old-name.md)
- [a missing section](chrome-behavior-affects-applications.md#no-such-section)
- [this section](#known-issues) and [a moved one](#resolution)
- [the Croatian version](../../../../../hr/m365/1-1-call-recording.md)
"""


@pytest.fixture(scope="module")
def mixed(
    tmp_path_factory: pytest.TempPathFactory,
    demo_settings: Settings,
    demo_build: object,
    embedder: SentenceTransformerEmbedder,
    make_app: AppFactory,
) -> Iterator[tuple[Settings, str]]:
    """The demo plus the DocFX fixture, indexed, behind a real server."""
    work = tmp_path_factory.mktemp("links")
    articles = work / "articles"
    shutil.copytree(ARTICLES, articles)
    shutil.copytree(IMPORT / "ms", articles / "en" / "ms")
    shutil.copytree(IMPORT / "hr", articles / "hr" / "m365")
    write(articles, "en/ms/Microsoft365/admin/miscellaneous/password-prompts.md", DOCFX_LINKS)
    settings = Settings(
        articles_dir=articles,
        index_dir=work / "index",
        database_url=f"sqlite:///{work / 'events.sqlite3'}",
        reload_interval=0,
    )
    # the demo's sections are already embedded: reuse them, embed only the DocFX ones
    shutil.copytree(demo_settings.index_dir / "cache", settings.index_dir / "cache")
    build_index(settings, embedder, quiet=True)
    with make_app.served(settings) as base:
        yield settings, base


def _visit(client: httpx.Client, page: str, href: str, image: bool) -> bool:
    """What a browser following the rendered link gets: a page (with the section) or not."""
    url = urljoin(page, href)
    parts = urlsplit(url)
    response = client.get(url.split("#")[0])
    if response.status_code != 200:
        return False
    if image:
        return response.headers["content-type"].startswith("image/")
    return not parts.fragment or f'id="{parts.fragment}"' in response.text


def test_check_verdict_equals_what_the_running_site_does(mixed: tuple[Settings, str]) -> None:
    settings, base = mixed
    loaded = load_articles(settings.articles_dir, settings.default_lang)
    site = Site.of(loaded.articles, settings.articles_dir)
    reported = {
        (f.path, f.line, f.message)
        for f in check_tree(settings.articles_dir)
        if f.severity == "error"
    }
    compared = {"ok": 0, "broken": 0}
    with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
        for article in loaded.articles:
            if article.draft:
                continue
            page = base + article.url
            prose = PROSE.search(client.get(page).text)
            assert prose, article.path
            rendered = [h for h in BODY_LINK.findall(prose.group(1)) if not h.startswith("#fn")]
            images = BODY_IMAGE.findall(prose.group(1))
            assert len(rendered) == len(article.doc.links), article.path
            assert len(images) == len(article.doc.images), article.path
            pairs = [(r, h, False) for r, h in zip(article.doc.links, rendered, strict=True)]
            pairs += [(r, h, True) for r, h in zip(article.doc.images, images, strict=True)]
            for ref, href, image in pairs:
                verdict = resolve(ref.target, article.path, site, image=image)
                if not verdict.checked:  # another site's address: not followed offline
                    continue
                works = _visit(client, page, href.replace("&amp;", "&"), image)
                assert works == (verdict.problem is None), (article.path, ref, href, verdict)
                if verdict.problem:  # and `kb check` reports exactly this, at its line
                    line = article.body_line + ref.line - 1
                    assert (article.path, line, verdict.problem) in reported
                compared["ok" if works else "broken"] += 1
    # the property was exercised both ways, on relative links too
    assert compared["ok"] > 150 and compared["broken"] >= 5, compared


def test_relative_links_render_as_article_urls(mixed: tuple[Settings, str]) -> None:
    _, base = mixed
    hr = httpx.get(base + "/hr/articles/povrat-proizvoda").text
    assert 'href="/hr/articles/reklamacije"' in hr
    assert 'href="/hr/articles/ostecena-posiljka"' in hr
    assert 'href="/hr/articles/povrat-novca#koliko-traje-povrat-novca"' in hr
    docfx = httpx.get(base + "/en/articles/password-prompts").text
    assert 'href="/en/articles/set-up-single-sign-on#more-information"' in docfx
    assert 'href="/en/articles/sso-no-longer-works"' in docfx
    assert 'href="/hr/articles/1-1-call-recording"' in docfx
