from pathlib import Path

import pytest

from kb.settings import Settings


def test_environment_variables_use_the_kb_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_INDEX_DIR", "/tmp/elsewhere")
    monkeypatch.setenv("KB_DEFAULT_LANG", "EN")
    settings = Settings()
    assert settings.index_dir == Path("/tmp/elsewhere")
    assert settings.default_lang == "en"


def test_settings_file_is_read_and_env_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    file = tmp_path / "kb.toml"
    file.write_text('articles_dir = "content"\nport = 9000\n')
    monkeypatch.setenv("KB_SETTINGS_FILE", str(file))
    monkeypatch.setenv("KB_PORT", "9100")
    settings = Settings()
    assert settings.articles_dir == Path("content") and settings.port == 9100


def test_bad_values_are_refused_with_the_setting_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_DEFAULT_LANG", "croatian!")
    with pytest.raises(ValueError, match="default_lang"):
        Settings()


def test_admin_token_is_secret() -> None:
    settings = Settings(admin_token="s3cret")
    assert "s3cret" not in repr(settings)
