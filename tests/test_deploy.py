"""The deployment recipes in deploy/ run the README's command, with settings that exist,
and that command really serves several workers against PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from indexer.build import BuildReport
from kb.settings import Settings
from tests.helpers import PG_URL, ROOT, pg_url

UNIT = ROOT / "deploy" / "helpcenter.service"
CONTAINERFILE = ROOT / "deploy" / "Containerfile"


def unit_environment() -> dict[str, str]:
    env = {}
    for line in UNIT.read_text().splitlines():
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").partition("=")
            env[key] = value
    return env


def test_the_recipes_run_the_readmes_command_with_real_settings() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make serve" in readme
    unit = UNIT.read_text()
    assert re.search(r"^ExecStart=\S*make serve$", unit, re.M)
    container = CONTAINERFILE.read_text()
    assert "make install" in container and "exec make serve" in container
    fields = {f"KB_{name.upper()}" for name in Settings.model_fields}
    used = set(unit_environment()) | set(re.findall(r"\b(KB_[A-Z_]+)=", container))
    assert {k for k in used if k.startswith("KB_")} <= fields
    settings_lines = [
        line for line in (unit + container).splitlines() if not line.lstrip().startswith("#")
    ]
    for secret in ("KB_ADMIN_TOKEN", "KB_AGENT_TOKEN", "KB_SECRET_KEY"):
        assert not any(secret in line for line in settings_lines), secret


def test_the_units_command_serves_two_workers_on_postgresql(
    demo_settings: Settings, demo_build: BuildReport, pg_schema: str, tmp_path: Path
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(unit_environment())
    env.update(
        KB_DATABASE_URL=pg_url(pg_schema),
        KB_INDEX_DIR=str(demo_settings.index_dir),
        KB_PORT=str(port),
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    assert env["KB_WORKERS"] == "2" and env["KB_LOG_FORMAT"] == "json"
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            ["make", "--no-print-directory", "-C", str(ROOT), "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, log.read_text()
            time.sleep(0.3)
        else:
            pytest.fail("not ready in time:\n" + log.read_text())
        with httpx.Client(base_url=base, timeout=30) as client:
            for i in range(20):
                r = client.get("/api/search", params={"q": f"delivery cost {i}", "lang": "en"})
                assert r.status_code == 200
            metrics = client.get("/metrics").text
        # multi-process mode: counters are summed over both workers, whichever answers
        assert 'kb_searches_total{lang="en",source="api"} 20.0' in metrics
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)
    lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert len({r["process"] for r in records}) >= 3  # the supervisor and two workers
    assert any("/api/search" in r["message"] for r in records)  # access lines are JSON too
    engine = sa.create_engine(
        "postgresql+psycopg://" + PG_URL.split("://", 1)[1],
        connect_args={"options": f"-csearch_path={pg_schema}"},
    )
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM searches")).scalar_one() == 20
    engine.dispose()
