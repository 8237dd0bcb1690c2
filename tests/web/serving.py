"""`kb serve` as a real process group, for the tests that stop, load or split it.

The child runs this checkout's code whatever the interpreter's installed copy points at
(a git worktree, or a normal checkout run from the repository root): the repository root
goes first on ``PYTHONPATH``, which uvicorn's worker processes inherit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import httpx

from tests.helpers import ROOT

KB = [sys.executable, "-c", "from kb.cli import app; app()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(**settings: str) -> dict[str, str]:
    """The test process's environment (KB_RATE_LIMIT_*=0, the model cache) with
    ``settings`` on top and this checkout first on the import path."""
    env = {**os.environ, **settings}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def start_kb_serve(
    env: Mapping[str, str],
    log: IO[str],
    workers: int = 2,
    prefix: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """``kb serve --no-build --workers N`` in a session of its own, so the test can signal
    the whole process group as systemd does; ``prefix`` runs it under another command
    (``ip netns exec NAME``)."""
    return subprocess.Popen(
        [*prefix, *KB, "serve", "--no-build", "--workers", str(workers)],
        env=dict(env),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_ready(
    base: str, server: subprocess.Popen[bytes], log_path: Path, seconds: float = 120
) -> None:
    """Until ``/readyz`` answers 200 (every worker is up when several answers in a row are)."""
    deadline = time.monotonic() + seconds
    streak = 0
    while time.monotonic() < deadline and streak < 4:
        assert server.poll() is None, log_path.read_text()
        try:
            ok = httpx.get(base + "/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            ok = False
        streak = streak + 1 if ok else 0
        if not ok:
            time.sleep(0.2)
    assert streak >= 4, "not ready in time:\n" + log_path.read_text()
