"""Front matter: split from the body and validated against one declared schema.

The loader builds every article from :class:`FrontMatter`, and `kb check` and `kb index`
report its violations alike, each at the line of the offending key: a bad value is an
error a writer can jump to, never silently dropped or guessed. Keys the schema does not
name (DocFX's ``ms.author``, MkDocs' ``hide``, ...) are ignored, so imports need no edits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

import yaml
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
)

from kb.text import slugify


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's safe loader (fast), where an impossible date (2026-02-30) stays text for
    the schema to report, instead of a ValueError from deep inside YAML."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_OPENING = re.compile(r"\A---[ \t]*\r?\n")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LANG = re.compile(r"^([A-Za-z]{2})(?:[-_][A-Za-z]{2,4})?$")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y.", "%d.%m.%Y", "%m/%d/%Y", "%Y/%m/%d")


def _text(value: Any) -> Any:
    """Numbers read as text (`title: 2048`, `translation_key: 42`); empty means unset."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return value


def _date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date) or value is None:
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(text[:11].strip(), fmt).date()
            except ValueError:
                continue
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            pass
    raise ValueError("must be a date such as 2026-09-14")


def _slug(value: Any) -> Any:
    value = _text(value)
    if isinstance(value, str):
        value = value.removeprefix("/")  # Docusaurus writes `slug: /refunds`
        if not _SLUG.match(value):
            hint = slugify(value)
            raise ValueError(
                "must be lower-case letters, digits and hyphens"
                + (f" (for example '{hint}')" if hint else "")
            )
    return value


def _lang(value: Any) -> Any:
    value = _text(value)
    if isinstance(value, str):
        match = _LANG.match(value)
        if not match:
            raise ValueError("must be a language code such as hr or en")
        return match.group(1).lower()
    return value


def _keywords(value: Any) -> Any:
    """DocFX and Hugo write keywords as one comma-separated line; both forms are theirs."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def _list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str | int | float | bool | date):
        raise ValueError(f"must be a list, for example [{value}]")
    return value


Text = Annotated[str | None, BeforeValidator(_text)]
Slug = Annotated[str | None, BeforeValidator(_slug)]
Lang = Annotated[str | None, BeforeValidator(_lang)]
Date = Annotated[date | None, BeforeValidator(_date)]
TextList = Annotated[list[Annotated[str, BeforeValidator(_text)]], BeforeValidator(_list)]


class FrontMatter(BaseModel):
    """Every front-matter key the help center reads, with the type it must have."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    title: Text = None
    description: Text = Field(None, validation_alias=AliasChoices("description", "summary"))
    tags: TextList = []
    keywords: Annotated[TextList, BeforeValidator(_keywords)] = []
    lang: Lang = None
    locale: Lang = Field(
        None, validation_alias=AliasChoices("ms.contentlocale", "locale", "language")
    )
    slug: Slug = None
    category: Text = None
    draft: StrictBool = False
    featured: StrictBool = False
    updated: Date = None
    imported_date: Date = Field(
        None, validation_alias=AliasChoices("last_updated", "lastmod", "ms.date", "date")
    )
    translation_key: Text = None
    translation_of: Slug = None
    aliases: TextList = []

    @property
    def last_update(self) -> date | None:
        return self.updated or self.imported_date


# the name a writer sees for each field: the key they wrote is reported, not ours
_MESSAGES = {
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "date_type": "must be a date such as 2026-09-14",
}


@dataclass(frozen=True)
class Violation:
    line: int  # in the file
    message: str


@dataclass(frozen=True)
class Parsed:
    meta: FrontMatter
    raw: dict[str, Any]  # every key as written, for the loader's defaults
    lines: dict[str, int]  # file line of each top-level key
    body: str
    body_line: int


class FrontMatterError(Exception):
    """One file's front matter broke the schema or YAML itself; every violation is listed."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__("; ".join(f"line {v.line}: {v.message}" for v in violations))


def split(text: str) -> tuple[str | None, str, int]:
    """YAML text (None: no front matter), the body, and the file line the body starts on."""
    opening = _OPENING.match(text)
    if not opening:
        return None, text, 1
    closing = _CLOSING.search(text, opening.end())
    if closing is None:
        raise FrontMatterError([Violation(1, "front matter starts with '---' but is never closed")])
    yaml_text = text[opening.end() : closing.start()]
    end = text.find("\n", closing.end())
    body = "" if end < 0 else text[end + 1 :]
    body_line = text[: closing.end()].count("\n") + 2
    return yaml_text, body, body_line


def _describe(value: Any) -> str:
    shown = repr(value) if not isinstance(value, str) else f"'{value}'"
    return shown if len(shown) <= 60 else shown[:57] + "..."


def parse(text: str) -> Parsed:
    """Front matter validated against :class:`FrontMatter`; violations carry file lines."""
    yaml_text, body, body_line = split(text)
    if yaml_text is None or not yaml_text.strip():
        return Parsed(FrontMatter(), {}, {}, body, body_line)
    loader = _Loader(yaml_text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as exc:
        raise FrontMatterError([_yaml_violation(yaml_text, exc)]) from exc
    finally:
        loader.dispose()
    if data is None:
        return Parsed(FrontMatter(), {}, {}, body, body_line)
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise FrontMatterError([Violation(2, "front matter must be `key: value` lines")])
    lines: dict[str, int] = {}
    violations: list[Violation] = []
    known = _known_keys()
    for key_node, _ in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 2
        if key in lines and key in known:
            violations.append(Violation(line, f"{key}: written twice (first on line {lines[key]})"))
        lines.setdefault(key, line)
    raw = {str(k): v for k, v in data.items()}
    try:
        meta = FrontMatter.model_validate(raw)
    except ValidationError as exc:
        reported: set[str] = set()
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            if key in reported:  # `str | None` fails both ways: one message is enough
                continue
            reported.add(key)
            value = raw.get(key, err.get("input"))
            reason = _MESSAGES.get(err["type"]) or str(err["msg"]).removeprefix("Value error, ")
            violations.append(Violation(lines.get(key, 2), f"{key}: {_describe(value)} {reason}"))
        meta = None
    if violations or meta is None:
        raise FrontMatterError(sorted(violations, key=lambda v: v.line))
    return Parsed(meta, raw, lines, body, body_line)


_QUOTED = re.compile(r"""^\s*[^\s#:][^:]*:\s+(["'])(.*)$""")


def _yaml_violation(yaml_text: str, exc: yaml.YAMLError) -> Violation:
    """Where the writer should look: an unclosed quote before the place YAML gave up is
    the usual cause, and YAML itself reports the line after it, or the mapping's start."""
    context = getattr(exc, "context", None) or ""
    context_mark = getattr(exc, "context_mark", None)
    problem_mark = getattr(exc, "problem_mark", None)
    # an unclosed quote or bracket: where it opened; anything else: where YAML gave up
    opened = context.startswith(("while scanning", "while parsing a flow"))
    mark = context_mark if opened else problem_mark
    mark = mark or context_mark
    line = mark.line if mark is not None else 0
    for number, text in enumerate(yaml_text.splitlines()[: line + 1]):
        quoted = _QUOTED.match(text)
        if quoted and not quoted.group(2).rstrip().endswith(quoted.group(1)):
            return Violation(
                number + 2,
                f"invalid YAML front matter: the {quoted.group(1)} opened on this line "
                "is never closed",
            )
    problem = " ".join(p for p in (context, getattr(exc, "problem", None)) if p)
    message = problem or str(exc).splitlines()[0]
    return Violation(line + 2, f"invalid YAML front matter: {message}")  # YAML starts on line 2


def _known_keys() -> frozenset[str]:
    names: set[str] = set()
    for name, info in FrontMatter.model_fields.items():
        alias = info.validation_alias
        names.update(alias.choices if isinstance(alias, AliasChoices) else [name])  # type: ignore[arg-type]
        names.add(name)
    return frozenset(names)
