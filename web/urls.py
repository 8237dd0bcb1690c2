"""Every URL the site links to, built in one place: routes call these, and templates get
them as globals (``home_url(lang)``), so a route's path is written once here and in its
decorator, never pieced together in a template.

Query strings are form-encoded (``urlencode``: spaces as ``+``) and empty parameters are
left out. Paths are the site's own: ``/{lang}/``, ``/{lang}/articles/{slug}``, ...
"""

from __future__ import annotations

from urllib.parse import urlencode

from kb.content.links import article_url


def _query(**params: str | int | None) -> str:
    kept = {k: v for k, v in params.items() if v}
    return "?" + urlencode(kept) if kept else ""


def home_url(lang: str) -> str:
    return f"/{lang}/"


def category_url(lang: str, category: str) -> str:
    return f"/{lang}/categories/{category}"


def tracked_url(url: str, search_id: str, position: int) -> str:
    """A search hit's link through the click log: ``?s=<search id>&p=<position>`` before
    any ``#section``."""
    base, _, anchor = url.partition("#")
    return f"{base}?s={search_id}&p={position}" + (f"#{anchor}" if anchor else "")


def feedback_url(lang: str, slug: str) -> str:
    return f"{article_url(lang, slug)}/feedback"


def voted_url(lang: str, slug: str, helpful: str) -> str:
    """Back to the article after a vote, at the feedback form that thanks for it."""
    return f"{article_url(lang, slug)}?voted={helpful}#feedback"


def search_url(**params: str | None) -> str:
    """The results page: ``q``, ``lang`` (results' language), ``hl`` (interface), ``exact``."""
    return "/search" + _query(**params)


def contact_url(lang: str, q: str | None = None, read: str | None = None) -> str:
    """The contact page, with the visitor's question; ``read``: the article they said
    did not help, which the page then does not offer again."""
    return f"/{lang}/contact" + _query(q=q, read=read)


def contact_go_url(lang: str, channel: str, q: str) -> str:
    """A contact channel, through the contact log (always with ``q``, even empty)."""
    return f"/{lang}/contact/go?{urlencode({'channel': channel, 'q': q})}"


def agent_url(hl: str | None = None) -> str:
    return "/agent" + (f"?hl={hl}" if hl else "")


def agent_login_url(hl: str, next_url: str | None = None) -> str:
    return f"/agent/login?hl={hl}" + (f"&next={next_url}" if next_url is not None else "")


def admin_url(path: str = "", **params: str | int) -> str:
    """An admin page (``path`` under /admin) with its query, empty parameters included
    (the report filters: ``days``, ``lang``, ``format``)."""
    return "/admin" + path + ("?" + urlencode(params) if params else "")


def absolute(base_url: str, url: str) -> str:
    """``url`` on the public site (``KB_PUBLIC_URL``), unless it already names a host."""
    return url if url.startswith(("http://", "https://")) else base_url + url


TEMPLATE_GLOBALS = {
    "home_url": home_url,
    "category_url": category_url,
    "article_url": article_url,
    "feedback_url": feedback_url,
    "contact_url": contact_url,
    "search_url": search_url,
    "agent_url": agent_url,
    "admin_url": admin_url,
}
