"""Hostile input: payloads that try to run script or inject markup, and an HTML audit that
says whether a rendered page would run any of it.

The audit parses the page as a browser's tokenizer would (html.parser) and refuses
anything executable: inline script, event-handler attributes, javascript:/vbscript:/data:
URLs, frames, objects, <base>, meta refresh, inline styles. The rules do not depend on the
Content-Security-Policy: escaping must hold on its own, the CSP is the second wall.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

PAYLOADS: list[str] = [
    # script and event handlers
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>alert(1)//<</script>",
    # SVG and MathML
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href='javascript:alert(1)'><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    # links, frames, objects
    '<a href="javascript:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    "<iframe src=javascript:alert(1)></iframe>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<div style="background:url(javascript:alert(1))">styled</div>',
    "<style>@import 'javascript:alert(1)';</style>",
    # broken HTML
    '<img src="x',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<a href='x' <b onmouseover=alert(1)>",
    # template syntax (server-side template injection): 7*191 = 1337
    "{{ 7*191 }}",
    "{% for x in range(3) %}SSTI{% endfor %}",
    "{{ config.items() }}{{ self.__init__.__globals__ }}",
    "${7*191} #{7*191}",
    # Markdown link tricks
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#115;cript:alert(1))",
    "[click]( javascript:alert(1) )",
    "<javascript:alert(1)>",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pic](javascript:alert(1))",
    "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[ref][evil]\n\n[evil]: javascript:alert(1)",
    '[t](https://ok.example "a\\" onmouseover=\\"alert(1)")',
    # odd Unicode around markup
    "\u202e<script>alert(1)</script>\u202c",
    "<scr\u200bipt>alert(1)</script>",
]
assert len(PAYLOADS) >= 30

URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
SAFE_DATA_IMAGE = re.compile(r"^data:image/(png|gif|jpe?g|webp);", re.I)
FORBIDDEN_TAGS = {
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "style",
    "math",
    "noscript",
    "template",
}
ALLOWED_SCRIPTS = {"/static/copy.js", "/static/typeahead.js"}  # our own, from static files


class Audit(HTMLParser):
    """Collects every way the page could run script or fetch something it shouldn't."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False
        self._data_block = False  # <script type="application/ld+json">: data, not code
        self._script_text: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            self._in_script = True
            self._data_block = values.get("type", "").lower() == "application/ld+json"
            self._script_text = []
            if values.get("src") not in ALLOWED_SCRIPTS and not self._data_block:
                self.problems.append(f"script tag {attrs}")
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> {attrs}")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append(f"meta http-equiv {attrs}")
        if tag == "form" and not values.get("action", "/").startswith("/"):
            self.problems.append(f"form posting elsewhere {attrs}")
        for name, value in values.items():
            if name.startswith("on") or name in ("style", "srcdoc"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRS:
                url = re.sub(r"[\x00-\x20\u200b\u202a-\u202e]", "", value).lower()
                if url.startswith(("javascript:", "vbscript:")) or (
                    url.startswith("data:") and not (tag == "img" and SAFE_DATA_IMAGE.match(url))
                ):
                    self.problems.append(f"<{tag} {name}={value!r}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            if self._data_block:  # structured data is never run, but must stay one JSON value
                try:
                    json.loads("".join(self._script_text))
                except ValueError:
                    self.problems.append(f"broken JSON-LD {''.join(self._script_text)[:60]!r}")
            self._in_script = self._data_block = False

    def handle_data(self, data: str) -> None:
        if self._in_script and self._data_block:
            self._script_text.append(data)
        elif self._in_script and data.strip():
            self.problems.append(f"inline script {data[:60]!r}")
        self.text.append(data)


def audit(html: str) -> list[str]:
    """What in ``html`` could execute; empty when the page is safe. Template syntax that
    got evaluated shows up as its result (7*191 = 1337)."""
    parser = Audit()
    parser.feed(html)
    parser.close()
    if "1337" in html:
        parser.problems.append("template syntax was evaluated (1337 on the page)")
    if "SSTISSTI" in html:
        parser.problems.append("a template loop ran")
    return parser.problems


HOSTILE_ADMIN = "hostile-admin-token"
HOSTILE_AGENT = "hostile-agent-token"


def hostile_article(n: int, payload: str) -> str:
    """An article with ``payload`` in its title, description, tags, intro, a heading, a
    section and a list item (the fixture ``hostile_settings`` builds one per payload)."""
    one_line = payload.replace("\n", " ")
    return (
        "---\n"
        f"title: {json.dumps(f'Hostile {n} {one_line}')}\n"
        f"description: {json.dumps(payload)}\n"
        f"tags: [{json.dumps(one_line)}, hostile]\n"
        "---\n"
        f"Hostile payload number {n} in the intro: {payload}\n\n"
        f"## Section {n} {one_line}\n\n"
        f"Refund text of section {n}. {payload}\n\n"
        f"- list item {one_line}\n"
    )
