"""What visitors, agents and admins do with their hands, for the tests to say in one line:
read a page's form token, log in through the form, vote on an article, paste a message.

Every state-changing form of the site carries a CSRF token in a hidden ``csrf`` field,
signed for the session cookie the page set; a test posts it back with the same client,
as a browser would. Agents and admins also authenticate per request with a bearer token
(``bearer(token)``), or once through their login form (``login``).

Works with the in-process ``TestClient`` and with an ``httpx.Client`` on a real server.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
FEEDBACK_FORM = re.compile(r'<form method="post" action="([^"]+/feedback)"')


def csrf_token(html: str) -> str:
    """The form token in a rendered page; fails the test if the page has no form."""
    match = CSRF_FIELD.search(html)
    assert match, f"no form token on the page: {html[:300]}"
    return match.group(1)


def form_token(client: httpx.Client, url: str, headers: dict[str, str] | None = None) -> str:
    """Open ``url`` as this client and return the form token it was given."""
    return csrf_token(client.get(url, headers=headers or {}).text)


def bearer(token: str) -> dict[str, str]:
    """The header an agent's or admin's API client sends."""
    return {"Authorization": f"Bearer {token}"}


def login(
    client: httpx.Client, token: str, *, form: str = "/admin/login", **fields: str
) -> httpx.Response:
    """Log in through the login form at ``form`` (``/admin/login`` or ``/agent/login``):
    open it, post ``token`` with the form's CSRF token and ``fields`` (``next``, ``hl``).
    Returns the form's answer, redirects not followed (303 on success); the client keeps
    the login cookie."""
    csrf = form_token(client, form)
    return client.post(form, data={"token": token, "csrf": csrf, **fields}, follow_redirects=False)


def vote(
    client: httpx.Client,
    article: str,
    helpful: str = "yes",
    *,
    page: str | None = None,
    **fields: Any,
) -> httpx.Response:
    """A visitor on ``article`` (``/en/articles/returns``) answers "was this helpful?":
    posts the page's feedback form with its token, ``helpful`` and ``fields`` (``reason``,
    ``comment``, ``search_id``). The article is opened first unless ``page`` is the HTML
    the visitor already has open. Redirects are not followed (303 when the vote is taken)."""
    html = client.get(article).text if page is None else page
    action = FEEDBACK_FORM.search(html)
    assert action, f"no feedback form on {article}: {html[:300]}"
    return client.post(
        action.group(1),
        data={"helpful": helpful, "csrf": csrf_token(html), **fields},
        follow_redirects=False,
    )


def paste(
    client: httpx.Client,
    message: str,
    headers: dict[str, str] | None = None,
    csrf: str | None = None,
    **fields: str,
) -> httpx.Response:
    """An agent pastes a customer's ``message`` into the agent page and asks for replies;
    ``headers`` authenticate (``bearer(token)``) unless the client is logged in. The page's
    token is read unless ``csrf`` is one the agent's page already gave."""
    csrf = csrf or form_token(client, "/agent", headers)
    return client.post(
        "/agent", data={"message": message, "csrf": csrf, **fields}, headers=headers or {}
    )
