"""Logging set-up shared by `kb serve` and the app factory: plain text for people, or
one JSON object per line for log collectors (``KB_LOG_FORMAT=json``). Access lines carry
the query string, where visitors type e-mail addresses and phone numbers into a search:
they are scrubbed like every stored query before they reach the log."""

from __future__ import annotations

import logging.config
from typing import Any
from urllib.parse import parse_qsl, urlencode

from kb.pii import scrub
from kb.settings import Settings

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d"


class ScrubQueries(logging.Filter):
    """Personal data out of the query string of uvicorn's access lines (its arguments are
    client, method, path with query, HTTP version, status)."""

    def __init__(self, order_pattern: str | None = None) -> None:
        super().__init__()
        self.order_pattern = order_pattern

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            path, _, query = str(args[2]).partition("?")
            if query:
                pairs = parse_qsl(query, keep_blank_values=True)
                clean = [(k, scrub(v, self.order_pattern)) for k, v in pairs]
                record.args = (*args[:2], f"{path}?{urlencode(clean)}", *args[3:])
        return True


def logging_config(settings: Settings, level: str = "INFO") -> dict[str, Any]:
    """A dictConfig for our loggers and uvicorn's (access lines included)."""
    if settings.log_format == "json":
        formatter: dict[str, Any] = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    else:
        formatter = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "default", "filters": ["scrub"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"scrub": {"()": ScrubQueries, "order_pattern": settings.order_number_pattern}},
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": {
            name: {"handlers": ["default"], "level": level, "propagate": False}
            for name in ("kb", "uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure_logging(settings: Settings, level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(settings, level))
