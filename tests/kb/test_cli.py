"""The `kb` command as a writer or a script uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kb.cli import app
from kb.settings import Settings

runner = CliRunner()


def test_search_json_has_the_same_shape_as_the_api(kb_env: Settings, client: TestClient) -> None:
    result = runner.invoke(app, ["search", "gift card balance", "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout)
    api = client.get("/api/search", params={"q": "gift card balance", "limit": 3}).json()
    assert cli == api


def test_index_reports_broken_articles_and_indexes_the_rest(
    tmp_path: Path, kb_env: Settings
) -> None:
    articles = tmp_path / "articles"
    (articles / "en" / "faq").mkdir(parents=True)
    (articles / "en" / "faq" / "ok.md").write_text("# Opening hours\n\nWe open at 9.\n")
    (articles / "en" / "faq" / "bad.md").write_text("---\ntitle: 'oops\n---\nText\n")
    index = tmp_path / "index"
    result = runner.invoke(
        app, ["index", "--articles", str(articles), "--index", str(index), "--quiet"]
    )
    assert result.exit_code == 1
    assert f"{articles / 'en/faq/bad.md'}:2: error: invalid YAML front matter" in result.output
    assert "indexed 1 articles" in result.output
    found = runner.invoke(app, ["search", "when do you open", "--index", str(index), "--json"])
    assert json.loads(found.stdout)["results"][0]["slug"] == "ok"


def test_search_errors_are_one_line_not_a_traceback(kb_env: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["search", "x", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "error: no index in" in result.output
    assert "Traceback" not in result.output


def test_bad_settings_and_folders_get_one_line_errors(
    kb_env: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KB_DATABASE_URL", "mysql://nope")
    bad = runner.invoke(app, ["search", "x"])
    assert bad.exit_code == 2
    assert "error: setting database_url (KB_DATABASE_URL): must be sqlite" in bad.output
    monkeypatch.delenv("KB_DATABASE_URL")
    missing = runner.invoke(
        app, ["index", "--articles", str(tmp_path / "nope"), "--index", str(tmp_path / "i")]
    )
    assert missing.exit_code == 1 and "articles folder" in missing.output
    assert "Traceback" not in bad.output + missing.output


def test_index_publish_to_puts_the_new_version_at_the_shared_location(
    tmp_path: Path, kb_env: Settings
) -> None:
    articles = tmp_path / "articles"
    (articles / "en" / "faq").mkdir(parents=True)
    (articles / "en" / "faq" / "ok.md").write_text("# Opening hours\n\nWe open at 9.\n")
    index, shared = tmp_path / "index", tmp_path / "shared"
    args = ["index", "--articles", str(articles), "--index", str(index), "--quiet"]
    result = runner.invoke(app, [*args, "--publish-to", f"file://{shared}"])
    assert result.exit_code == 0, result.output
    version = (index / "CURRENT").read_text()
    assert (shared / "CURRENT").read_text() == version
    assert f"published version {version} to file://{shared}" in result.output
    assert (shared / "versions" / version / "published.json").is_file()
    refused = runner.invoke(app, [*args, "--publish-to", "s3://bucket/kb"])
    assert refused.exit_code == 1 and "only file:///" in refused.output
    assert (index / "CURRENT").read_text() == version, "refused before building anything"
