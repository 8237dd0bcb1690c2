"""Running the site under uvicorn, with one process or several.

One process serves the app object itself, so a content watcher in the same process can
swap it to a new index at once. Several workers each build their app from the ``KB_*``
environment (uvicorn's factory mode), so anything they must share (the key that signs
cookies and forms) is put there first.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import Any

from kb.logs import logging_config
from kb.settings import Settings


def application_for(settings: Settings) -> Any:
    """The app (one process) or the factory's import string (several workers)."""
    if settings.workers == 1:
        from web.app import create_app

        return create_app(settings)
    # each worker builds its app from KB_* variables; they must sign cookies and forms
    # with one key, or a form served by one is refused by another
    if settings.secret_key is None and settings.admin_token is None:
        os.environ["KB_SECRET_KEY"] = secrets.token_hex(32)
    return "web.app:create_app"


def swapper(application: Any) -> Callable[[], object] | None:
    """After a rebuild, swap a one-process site to the new index now; workers poll."""
    if isinstance(application, str):
        return None

    def swap() -> object:
        state = getattr(application.state, "kb", None)  # None until the site has started
        return state.reload_if_changed() if state is not None else None

    return swap


def run(settings: Settings, application: Any) -> None:
    import uvicorn

    several = settings.workers > 1
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        workers=settings.workers if several else None,
        factory=several,
        # several workers: Nagle off on every connection, or each response waits ~40 ms
        http="web.nodelay:HTTP" if several else "auto",
        log_config=logging_config(settings),
        timeout_graceful_shutdown=20,
    )
