"""From SIGTERM on, every response says ``Connection: close``.

uvicorn's graceful shutdown asks the connections it holds to close after their current
response, but a connection accepted while it is shutting down (the workers share one
listening socket, whose backlog still holds some) is never asked: a client that keeps it
alive is served by the stopping worker until the graceful timeout expires, and then its
request is cancelled with a 500 (seen in tests/web/test_shutdown.py: one worker serving
770 more searches for 20 s after SIGTERM, then five 500s). Closing each connection after
its response sends the client to a worker that is not stopping, or tells it that this
server is gone, and the worker gets on with writing its events and exiting.

Here: knowing that the worker is stopping. Adding the header is
``web.middleware.CloseWhenDraining``.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

DRAINING = threading.Event()


def drain_on_signals() -> None:
    """Make the process's SIGTERM and SIGINT handlers (uvicorn's, installed before the
    app starts) also set ``DRAINING``. Signals are only handled in the main thread, so
    elsewhere (a test client's thread) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous) or getattr(previous, "kb_draining", False):
            continue
        signal.signal(sig, _draining_handler(previous))


def _draining_handler(previous: Any) -> Any:
    def handler(signum: int, frame: FrameType | None) -> None:
        DRAINING.set()
        previous(signum, frame)

    handler.kb_draining = True  # type: ignore[attr-defined]
    return handler
