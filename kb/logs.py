"""Logging set-up shared by `kb serve` and the app factory: plain text for people, or
one JSON object per line for log collectors (``KB_LOG_FORMAT=json``)."""

from __future__ import annotations

import logging.config
from typing import Any

from kb.settings import Settings

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d"


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
    handler = {"class": "logging.StreamHandler", "formatter": "default"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": {
            name: {"handlers": ["default"], "level": level, "propagate": False}
            for name in ("kb", "uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure_logging(settings: Settings, level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(settings, level))
