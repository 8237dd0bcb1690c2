"""What an agent sends: one reply per section, or one draft that answers the whole message.

A customer who asked three things wants one e-mail back, not three pasted blocks. The
draft greets, gives a short answer per question (the opening of the section that answers
it, with the link to that section) and closes, in the message's language; the agent edits
it and sends it. Questions no section answers are left out of the text and listed, so the
agent writes those answers rather than sending a reply that skips them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

MORE = {"hr": "Više o tome", "en": "More details"}
GREETING = {"hr": "Poštovani,", "en": "Hello,"}
THANKS = {"hr": "hvala Vam na poruci.", "en": "thank you for your message."}
CLOSING = {"hr": "Lijep pozdrav,\nVaš tim podrške", "en": "Kind regards,\nYour support team"}
SHORT_ANSWER_CHARS = 420


def replies(title: str, section: str | None, text: str, url: str, lang: str) -> tuple[str, str]:
    """One section as a ready-to-paste reply: plain text and Markdown, ending with its link."""
    more = MORE.get(lang, MORE["en"])
    plain = f"{text.strip()}\n\n{more}: {url}"
    heading = f"**{section}**\n\n" if section else ""
    label = f"{title} › {section}" if section else title
    markdown = f"{heading}{text.strip()}\n\n[{label}]({url})"
    return plain, markdown


def short_answer(text: str, max_chars: int = SHORT_ANSWER_CHARS) -> str:
    """The opening of a section: its first paragraph (with the list it introduces), cut
    at a sentence end when long. Sections open with the answer; details follow."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    if not paragraphs:
        return ""
    answer = paragraphs[0]
    if answer.endswith(":") and len(paragraphs) > 1 and paragraphs[1].startswith("- "):
        answer += "\n" + "\n".join(paragraphs[1].splitlines()[:5])
    if len(answer) <= max_chars:
        return answer
    cut = answer[:max_chars]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "), cut.rfind(".\n"))
    if end > max_chars // 3:
        return cut[: end + 1]
    return cut.rsplit(" ", 1)[0] + " …"


@dataclass
class Draft:
    lang: str
    text: str
    sections: list[str] = field(default_factory=list)  # "lang/slug#section" it reuses
    uncovered: list[str] = field(default_factory=list)  # questions it does not answer

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """The section chosen for one question (None: nothing answers it in this language)."""

    question: str
    lang: str | None = None
    slug: str | None = None
    section_id: str | None = None
    text: str = ""
    url: str = ""


def compose_draft(lang: str, answers: list[Answer]) -> Draft:
    """Greeting, one short answer per question with its section link, closing."""
    more = MORE.get(lang, MORE["en"])
    blocks: list[str] = []
    sections: list[str] = []
    uncovered: list[str] = []
    for answer in answers:
        if answer.slug is None:
            uncovered.append(answer.question)
            continue
        key = f"{answer.lang}/{answer.slug}#{answer.section_id or ''}"
        if key in sections:
            continue  # two questions, one section: answered once
        sections.append(key)
        blocks.append(f"{short_answer(answer.text)}\n{more}: {answer.url}")
    parts = [GREETING.get(lang, GREETING["en"]), THANKS.get(lang, THANKS["en"]), *blocks]
    parts.append(CLOSING.get(lang, CLOSING["en"]))
    return Draft(lang, "\n\n".join(parts), sections, uncovered)
