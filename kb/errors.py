"""The errors the library raises on purpose.

Every error a user can cause derives from :class:`KBError`, so the edges (CLI exit code,
HTTP 4xx page) translate exactly this tree and let everything else surface as a bug.
"""

from __future__ import annotations

from pathlib import Path, PurePath


class KBError(Exception):
    """A problem the user can fix; its message is shown as is."""


class ArticleError(KBError):
    """An article file that cannot be used, with the place an editor can jump to."""

    def __init__(self, path: PurePath | str, line: int, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(f"{self.path}:{line}: {message}")


class IndexNotFoundError(KBError):
    """No index has been built yet where the settings point."""


class IndexMismatchError(KBError):
    """The index on disk cannot be used with the current settings (other model, old format)."""


class ConfigError(KBError):
    """A setting has a value that cannot work."""


class EventStoreUnavailable(Exception):
    """The event database could not be read (down, unreachable, locked too long).

    Not a :class:`KBError`: nothing in the request is wrong. Searching never waits for the
    store (writes are queued); only reports read it, and the web answers them with 503."""


class QueryError(KBError):
    """A search request that cannot be answered as asked. ``kind`` says what is wrong
    (``empty``, ``too_long``, ``language`` or ``invalid``), so the edges choose a status
    and a visitor's message without reading the developer's one."""

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


def empty_query(
    what: str = "query", hint: str = "type a few words about what you need"
) -> QueryError:
    return QueryError(f"the {what} is empty: {hint}", "empty")


def too_long(length: int, limit: int, what: str = "query") -> QueryError:
    return QueryError(f"the {what} is too long ({length} characters; at most {limit})", "too_long")


def unknown_language(lang: str, available: tuple[str, ...] | list[str]) -> QueryError:
    """The one message for a language the help center has no articles in, wherever it is
    asked for."""
    return QueryError(
        f"no articles in language {lang!r}; available: {', '.join(available)}", "language"
    )
