"""Log lines: what a visitor typed reaches the log only as it reaches the event store."""

from __future__ import annotations

import logging

import pytest

from kb.logs import configure_logging
from kb.settings import Settings


def test_access_lines_carry_no_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    """uvicorn logs every request's path with its query string: a search for "moj mail
    ivan.horvat@gmail.com i 091 234 5678" put both in the server's log."""
    configure_logging(Settings())
    access = logging.getLogger("uvicorn.access")
    path = "/search?q=moj+mail+ivan.horvat%40gmail.com+i+091+234+5678&hl=hr"
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/healthz", "1.1", 200)
    line, plain = capsys.readouterr().err.strip().splitlines()
    assert "ivan.horvat" not in line and "234" not in line
    assert "GET /search?q=moj+mail+%5Bemail%5D+i+%5Bphone%5D&hl=hr HTTP/1.1" in line
    assert plain.endswith('"GET /healthz HTTP/1.1" 200')
