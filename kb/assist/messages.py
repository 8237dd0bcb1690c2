"""A pasted customer e-mail reduced to the customer's own words, with nobody in it.

Agents paste whole e-mails: a greeting, the questions, a sign-off, a signature block with
the customer's name, street, company and phone, and below it quoted earlier replies or the
headers of a forwarded message. Only the questions may drive the match, and only they may
be stored, so the structure goes before :func:`kb.pii.scrub` replaces what is left inside
the sentences. A forwarded message's headers go but its text stays (it is what the
customer wrote); a quoted history below the customer's text goes; a "P.S." after the
signature stays, because it usually asks one more thing.
"""

from __future__ import annotations

import re

from kb.pii import PLACEHOLDER, scrub

_HR_SIGN_OFF = (
    r"lijep(?:i|e)? pozdrav(?:i|e)?|srdačan pozdrav|srdačni? pozdrav(?:i|e)?|srdačno|"
    r"s poštovanjem|sa štovanjem|uz pozdrav|pozdrav(?:i|e)?|lp|pozz?|"
    r"(?:unaprijed |puno |veliko |lijepa |najljepša )?hvala(?: unaprijed| vam| puno| lijepa)?|"
    r"unaprijed zahvaljujem|zahvaljujem(?: se)?(?: unaprijed)?|"
    r"(?:hvala|zahvaljujem)(?: vam)? na (?:pomoći|odgovoru|razumijevanju|trudu|strpljenju)"
    r"(?: i (?:lijep|srdačan) pozdrav)?|veselim se (?:vašem )?odgovoru"
)
_EN_SIGN_OFF = (
    r"(?:best|kind|warm|warmest|many) regards|regards|best wishes|all the best|best|cheers|"
    r"(?:many )?thanks(?: in advance| a lot| so much| again)?|"
    r"thank you(?: in advance| so much| very much| again)?(?: for your (?:help|time|reply))?|"
    r"(?:yours )?sincerely|yours (?:faithfully|truly)|looking forward to (?:hearing from you|"
    r"your (?:reply|answer|response))|ta"
)
SIGN_OFF = rf"(?:{_HR_SIGN_OFF}|{_EN_SIGN_OFF})"
_SIGN_OFF = re.compile(rf"(?<!\w)(?i:{SIGN_OFF})(?!\w)")
# the words that may stand around a sign-off ("Molim vas račun, hvala" asks for something)
_CLOSING_WORDS = frozenset(
    [
        "i",
        "te",
        "a",
        "pa",
        "još",
        "jos",
        "jednom",
        "unaprijed",
        "puno",
        "vam",
        "vas",
        "na",
        "pomoći",
        "pomoci",
        "odgovoru",
        "trudu",
        "razumijevanju",
        "strpljenju",
        "želim",
        "zelim",
        "ugodan",
        "ugodno",
        "lijep",
        "lijepi",
        "dan",
        "vikend",
        "ostatak",
        "dana",
        "hvala",
        "zahvaljujem",
        "se",
        "and",
        "thanks",
        "thank",
        "you",
        "in",
        "advance",
        "for",
        "your",
        "help",
        "time",
        "again",
        "so",
        "much",
        "very",
        "have",
        "a",
        "nice",
        "great",
        "good",
        "day",
        "weekend",
        "many",
        "with",
        "also",
        "kindly",
        "once",
        "more",
        "all",
    ]
)
_GREETING = re.compile(
    r"^(?i:hi there|hello there|hi|hello|hey|dear|good (?:morning|afternoon|evening)|"
    r"poštovan[aie]?|postovan[aie]?|draga?|bok|pozdrav|dobar dan|dobro jutro|dobra večer|"
    r"dobra vecer|hej|zdravo|cao|ćao|greetings)\b"
    r"(?:[ \t]+(?:[A-ZČĆĐŠŽ][\w.'-]*|(?i:team|tim|podrško|podrska|podrške|support|all|there|"
    r"everyone|sir|madam|or|gospodine|gospođo|gospodo|gđo|gđice|g\.|gđa|mr\.?|mrs\.?|ms\.?|"
    r"dr\.?|i|and|/))){0,5}[ \t]*[,!:.]*[ \t]*"
)
_QUOTE_START = re.compile(
    r"^(?:on .{3,120} wrote:|am .{3,80} schrieb|dana .{3,120} (?:je )?napisa[oa]?:|"
    r".{3,120} je napisa[oa]:|sent from my|poslano s mo(?:g|jeg)|get outlook for|"
    r"šalje se s mog)",
    re.I,
)
_FORWARD = re.compile(
    r"^(?:-{2,}\s*(?:original message|izvorna poruka|forwarded message|proslijeđena poruka|"
    r"prosljeđena poruka)\s*-*|begin forwarded message:?|početak proslijeđene poruke:?|"
    r"_{5,})$",
    re.I,
)
_HEADER = re.compile(
    r"^(?:from|sent|to|cc|bcc|subject|date|reply-to|od|šalje|poslano|prima|za|predmet|"
    r"datum|kopija|odgovor na)\s*:",
    re.I,
)
_MOBILE = re.compile(r"^(?:sent from my|poslano s mo|get outlook for|šalje se s mog)", re.I)
_FIELD_LINE = re.compile(r"(?m)^[^\n:?]{0,30}:?[ \t]*(?:\[\w+\][ \t]*[,;|/]?[ \t]*)+$\n?")
_PS = re.compile(r"^p\.?\s?s\.?\s*[:,-]?\s*", re.I)
_SIG_LABELS = frozenset(
    [
        "tel",
        "tel.",
        "mob",
        "mob.",
        "mobitel",
        "gsm",
        "fax",
        "e-mail",
        "email",
        "mail",
        "web",
        "www",
        "adresa",
        "address",
        "phone",
        "m",
        "t",
        "e",
        "m:",
        "t:",
        "e:",
        "iban",
        "oib",
        "vat",
        "pdv",
        "d.o.o.",
        "ltd",
    ]
)
_TOKEN = re.compile(r"\[\w+\]|[^\W\d_][\w'.&-]*|\d[\w/.-]*|[+(]\d[\w/.)-]*")


def _signature_like(line: str) -> bool:
    """A name, company, town, job title or contact line: short, no question, every word
    capitalised, a number, a label or a placeholder."""
    if "?" in line or len(line) > 90:
        return False
    tokens = _TOKEN.findall(line)
    if not tokens or len(tokens) > 8:
        return not tokens and bool(line.strip(" -–—_*|,.;:"))  # "---", "|" alone
    return all(
        PLACEHOLDER.fullmatch(t) or not t[0].isalpha() or t[0].isupper() or t.lower() in _SIG_LABELS
        for t in tokens
    )


def _is_sign_off(line: str) -> bool:
    """ "Lijep pozdrav, Ivana", "Hvala unaprijed i lijep pozdrav,", "Best regards and have
    a nice day": a sign-off with nothing but closing words and a name around it."""
    if "?" in line or len(line) > 100:
        return False
    rest, found = _SIGN_OFF.subn(" ", line)
    if not found:
        return False
    words = re.findall(r"[^\W\d_][\w'-]*", rest)
    names = [w for w in words if w[0].isupper() and w.lower() not in _CLOSING_WORDS]
    if len(names) > 3 or (names and words[-len(names) :] != names):
        return False  # a name comes last: "Lijep pozdrav, Ivana Horvat"
    return all(w.lower() in _CLOSING_WORDS for w in words if w not in names)


def _strip_greeting(line: str) -> str:
    m = _GREETING.match(line)
    if not m:
        return line
    rest = line[m.end() :]
    if rest and not re.search(r"[,!:.\s]\s*$", m.group()):  # "Hello world" is not a greeting
        return line
    return rest.strip()


def _own_lines(message: str) -> list[str]:
    lines: list[str] = []
    raw_lines = message.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    signed = False  # after the sign-off only a P.S. or a further question is the customer's
    while i < len(raw_lines):
        line = raw_lines[i].strip()
        i += 1
        if line.startswith(">"):
            continue  # a quoted line: an inline reply goes on below it
        if _FORWARD.match(line) or _HEADER.match(line):
            if any(not _signature_like(x) for x in lines if x):
                break  # history below the customer's own text
            lines, signed = [], False  # forwarded: the message starts after its headers
            while i < len(raw_lines) and (
                _HEADER.match(raw_lines[i].strip())
                or not raw_lines[i].strip()
                or (raw_lines[i].startswith((" ", "\t")) and raw_lines[i - 1].strip())
            ):
                i += 1
            continue
        if _QUOTE_START.match(line) and not _MOBILE.match(line):
            if any(lines):
                break  # "On Monday ... wrote:": the history below is not the customer's
            continue
        if _MOBILE.match(line) or line in ("--", "-- ", "—", "__"):
            signed = signed or any(lines)  # a signature follows
            continue
        if signed:
            ps = _PS.match(line)
            if ps:
                lines.append(line[ps.end() :])
            elif "?" in line and len(line.split()) >= 4 and not _signature_like(line):
                lines.append(line)  # one more question below the signature
            continue
        if lines and any(x for x in lines) and _is_sign_off(line):
            signed = True
            continue
        if not any(lines):
            line = _strip_greeting(line)
        lines.append(line)
    return lines


def _drop_trailing_signature(lines: list[str]) -> list[str]:
    """A signature without a sign-off: name, street and phone lines ending the message."""
    while lines and not lines[-1].strip():
        lines.pop()
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or _signature_like(lines[end - 1])):
        end -= 1
    if end == 0:
        return lines  # nothing but capitalised words: keep them, they may be the question
    return lines[:end]


def clean_message(message: str, order_pattern: str | None = None) -> str:
    """The customer's own words: no greeting, sign-off, signature, quoted history,
    forwarded headers or personal data."""
    # line by line: an address or a name must not run on into the next line
    lines = [scrub(line, order_pattern) for line in _own_lines(message)]
    text = "\n".join(_drop_trailing_signature(lines)).strip()
    # "Adresa: [address]", "Mob: [phone]": form fields say nothing once scrubbed
    text = _FIELD_LINE.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
