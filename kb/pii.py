"""Personal data is scrubbed from query text before anything stores it.

Customers paste e-mails, phone numbers, card numbers, order numbers, their street address
and their name into search boxes and agents paste whole e-mails; the search log must keep
none of them. Numbers are only treated as cards or OIBs when their checksums say so, so
"2 do 4 radna dana" or a price survives; a street is only an address with its house
number, and a name only where the writer introduces it as one ("moje ime je ...", "my
name is ...", "Ime i prezime: ...", "g. Horvat"): telling names from words anywhere else
would need a model, and signature blocks, where most names are, go as a whole
(:mod:`kb.assist.messages`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# starts only where a run of address characters starts: linear time on a long word
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.U)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", re.I)
CARD = re.compile(r"\b\d(?:[ -]?\d){12,}\b")  # a run of digits; cards are found inside it
OIB = re.compile(r"\b\d{11}\b")
PHONE = re.compile(
    # international: +385 91 234 5678, 0044 20 7946 0958
    r"(?<![\w+])(?:\+|00)\d{1,3}[\s./-]?\(?\d{1,4}\)?(?:[\s./-]?\d{2,4}){2,4}(?!\w)"
    # Croatian national: 01 4000 123, 091 234 5678, 098/765-432
    r"|(?<![\w+])0\d{1,2}[\s./-]?\d{3,4}[\s./-]?\d{3,4}(?!\w)"
    # other national forms: 07700 900456, 0161 496 0000
    r"|(?<![\w+])0\d{3,4}[\s.-]?\d{3}[\s.-]?\d{3,4}(?!\w)"
)
PLACEHOLDERS = {
    "email": "[email]",
    "iban": "[iban]",
    "card": "[card]",
    "oib": "[oib]",
    "phone": "[phone]",
    "order": "[order]",
    "address": "[address]",
    "name": "[name]",
    "company": "[company]",
}
PLACEHOLDER = re.compile(r"\[(?:" + "|".join(PLACEHOLDERS) + r")\]")

_UP = "A-ZČĆĐŠŽ"
_LOW = "a-zčćđšžäöüß"
_CAP = rf"[{_UP}][{_LOW}]+"  # a capitalised word: Zvonimira, Horvat
# Ana-Marija, O'Connor, McDonald
_NAME = rf"[{_UP}](?:'[{_UP}])?[{_LOW}]+(?:[{_UP}][{_LOW}]+)?(?:-[{_UP}][{_LOW}]+)?"
_HOUSE = r"\d{1,4}(?:\s?[a-zA-Z])?(?:\s?/\s?\d{1,3})?\b"  # 12, 12a, 41/3
# what follows a number that is not a house number: "Vukovarska 3 dana" is a delivery time
_NOT_HOUSE = (
    r"(?!\s*(?:%|€|\$|eur|kn\b|kuna|din|dan|dana|sat|sati|h\b|min|rat[ae]?\b|mjesec|"
    r"godin|tjed|put[ae]?\b|kom|x\b|days?\b|hours?\b|weeks?\b|months?\b|years?\b|times\b|"
    r"pcs|items?\b|instal))"
)
_HR_MARKER = (
    r"(?:[Uu]lic[aeiu]|[Uu]l\.|[Cc]est[aeiu]|Trg|Put|Prilaz|Avenij[aeiu]|Aleja|Obala|"
    r"Šetalište|Naselje|Vijenac|Odvojak|Poljana|Prolaz|Stube|Dvor)"
)
_EN_STREET = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|"
    r"Pl|Close|Crescent|Terrace|Square|Sq|Parkway|Highway|Hwy|Row|Gardens|Mews|Hill|Grove|"
    r"Walk|Strasse|Straße)"
)
ADDRESS = re.compile(
    "|".join(
        [
            # Ulica kralja Zvonimira 12, Trg bana J. Jelačića 1, ulica Grada Vukovara 70
            rf"\b{_HR_MARKER}(?:\s+(?:{_CAP}|[{_LOW}]{{2,}}|[{_UP}]\.)){{1,4}}\s+{_HOUSE}{_NOT_HOUSE}",
            # Savska cesta 41, Zagrebačka avenija 104, Ljudevita Posavskog ulica 3
            rf"\b(?:{_CAP}\s+){{1,3}}(?:ulica|cesta|obala|trg|put|avenija|aleja)\s+{_HOUSE}",
            # Vukovarska 23, Tkalčićeva 5a, Ilica 45, Zrinsko-Frankopanska 22 (street names
            # are adjectives and possessives), Hauptstraße 5, Storgatan 3
            rf"\b(?:[{_UP}][{_LOW}]+-)?[{_UP}][{_LOW}]+(?:ska|ška|čka|ćka|ova|eva|ina|ica|ića|"
            rf"straße|strasse|gasse|weg|platz|gatan|vägen|gade|vej)\s+{_HOUSE}{_NOT_HOUSE}",
            # Kralja Tomislava 15, Ivana Meštrovića 18: a person's name in the genitive
            rf"\b(?:[{_UP}][{_LOW}]+[ae]\s+){{1,2}}[{_UP}][{_LOW}]+[ae]\s+{_HOUSE}{_NOT_HOUSE}",
            # 221B Baker Street, 12 High St., Flat 3, 25 Oxford Road
            rf"\b(?:(?:Flat|Apt\.?|Apartment|Unit|Suite)\s+\w{{1,5}},?\s+)?\d{{1,5}}[A-Za-z]?,?"
            rf"\s+(?:[A-Z][a-z]+\.?\s+){{1,3}}{_EN_STREET}\b\.?",
            r"\b(?:Flat|Apt\.?|Apartment|Suite|stan|kat)\s+\d{1,4}[a-zA-Z]?\b",
            r"\bP\.?\s?O\.?\s+Box\s+\d+",
        ]
    )
)
POSTCODE = re.compile(
    "|".join(
        [
            # 10000 Zagreb, HR-21000 Split, 10410 Velika Gorica, D-80331 München
            rf"\b(?:[A-Z]{{1,2}}-)?[1-9]\d{{3,4}}\s+(?!Eur|Kun|Dolar|Din)"
            rf"[{_UP}][{_LOW}]+(?:[\s-]+[{_UP}][{_LOW}]+){{0,2}}",
            # London SW1A 1AA / SW1A 1AA; Dublin D02 XY45
            r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b",
            r"\b[A-Z]\d{2}\s?[A-Z\d]{4}\b",
            # Springfield, IL 62704
            r"\b(?:[A-Z][a-z]+\s+){0,2}[A-Z][a-z]+,\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?\b",
        ]
    )
)
# a name the writer introduces: "moje ime je Marko Horvat", "my name is John Smith"
_INTRO = (
    r"(?:moje ime je|ime mi je|zovem se|ja sam|potpisani|potpisana|na ime|pod imenom|"
    r"under the name|in the name of|"
    r"my name is|my name's|i am|i'm|im|this is|name is)"
)
_TITLE = r"(?:g\.|gosp\.|gospodin[ae]?|gospođ[aeo]|gđa|gđe|gđo|gđica|Mr\.?|Mrs\.?|Ms\.?|Miss|Dr\.?)"
NAME = re.compile(
    rf"(?i:\b{_INTRO})\s+{_NAME}(?:\s+{_NAME}){{0,2}}"
    rf"|\b{_TITLE}\s+{_NAME}(?:\s+{_NAME}){{0,1}}"
)
# labelled fields of a form or an e-mail: "Ime i prezime: Marko Horvat"
FIELD = re.compile(
    r"(?im)^(?P<label>[ \t>]*(?:ime i prezime|ime|prezime|name|full name|first name|last name|"
    r"kupac|ime kupca|customer|customer name|primatelj|recipient|kontakt osoba|contact person|"
    r"adresa(?: dostave| za dostavu| stanovanja)?|(?:shipping |delivery |billing |home )?address|"
    r"tvrtka|firma|company|poduzeće|naziv tvrtke)[ \t]*:)[ \t]*(?P<value>\S[^\n]*)$"
)
COMPANY = re.compile(
    rf"\b(?:[{_UP}][\w&.'-]*\s+){{1,4}}(?:d\.\s?o\.\s?o\.|j\.\s?d\.\s?o\.\s?o\.|d\.\s?d\.|"
    r"obrt\b|Ltd\.?|LLC\b|GmbH\b|Inc\.?)"
)
_INTRO_WORDS = re.compile(rf"(?i)^(?:{_INTRO}|{_TITLE})")
# capitalised words that follow "I'm" / "ja sam" without being a name
_NOT_NAMES = frozenset(
    [
        "not",
        "very",
        "so",
        "really",
        "still",
        "just",
        "also",
        "from",
        "in",
        "at",
        "a",
        "an",
        "the",
        "bura",
        "sorry",
        "happy",
        "unhappy",
        "trying",
        "writing",
        "looking",
        "interested",
        "hrvat",
        "hrvatica",
        "croatian",
        "english",
    ]
)


def luhn_valid(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def oib_valid(digits: str) -> bool:
    """ISO 7064 MOD 11,10: the check digit every Croatian OIB carries."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    remainder = 10
    for ch in digits[:10]:
        remainder = (remainder + int(ch)) % 10 or 10
        remainder = (remainder * 2) % 11
    return (11 - remainder) % 10 == int(digits[10])


def iban_valid(text: str) -> bool:
    iban = re.sub(r"\s", "", text).upper()
    if not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _cards(m: re.Match[str]) -> str:
    """Every Luhn-valid 13-19 digit stretch of a digit run, on the writer's group
    boundaries: a card followed by its CVV or preceded by another number is still a card.
    At most 19 digits are looked at from each group, so a huge run stays cheap."""
    run = m.group()
    groups = [(g.start(), g.group()) for g in re.finditer(r"\d+", run)]
    parts: list[str] = []
    cursor = i = 0
    while i < len(groups):
        digits, valid_end = "", None
        for j in range(i, len(groups)):
            digits += groups[j][1]
            if len(digits) > 19:
                break
            if len(digits) >= 13 and luhn_valid(digits):
                valid_end = j  # keep going: the longest valid stretch wins
        if valid_end is None:
            i += 1
            continue
        parts += [run[cursor : groups[i][0]], PLACEHOLDERS["card"]]
        cursor = groups[valid_end][0] + len(groups[valid_end][1])
        i = valid_end + 1
    return "".join(parts) + run[cursor:]


def _checked(kind: str, check: Callable[[str], bool]) -> Callable[[re.Match[str]], str]:
    def replace(m: re.Match[str]) -> str:
        digits = re.sub(r"[\s-]", "", m.group())
        return PLACEHOLDERS[kind] if check(digits) else m.group()

    return replace


def _iban(m: re.Match[str]) -> str:
    """The longest valid IBAN at the start of the match: the pattern also takes in the
    words after a contiguous IBAN ("GB80NWBK... three days")."""
    parts = m.group().split(" ")
    for k in range(len(parts), 0, -1):
        if iban_valid(" ".join(parts[:k])):
            rest = " ".join(parts[k:])
            return PLACEHOLDERS["iban"] + (" " + rest if rest else "")
    return m.group()


def _field(m: re.Match[str]) -> str:
    label = m.group("label").lower()
    kind = "name"
    if "adres" in label or "address" in label:
        kind = "address"
    elif any(w in label for w in ("tvrtk", "firm", "compan", "poduze")):
        kind = "company"
    return f"{m.group('label')} {PLACEHOLDERS[kind]}"


def _name(m: re.Match[str]) -> str:
    """Keep the introduction ("my name is"), drop the name; "I'm Not sure" is no name."""
    intro = _INTRO_WORDS.match(m.group())
    if intro is None:
        return PLACEHOLDERS["name"]
    rest = m.group()[intro.end() :].strip()
    if rest.split()[0].lower() in _NOT_NAMES:
        return m.group()
    return f"{m.group()[: intro.end()]} {PLACEHOLDERS['name']}"


_ADJACENT = re.compile(r"\[(address|name|company)\](?:[ \t]*[,;]?[ \t]*\[\1\])+")


def scrub_people(text: str) -> str:
    """Names, companies and addresses (before the number patterns see house numbers and
    postcodes)."""
    text = FIELD.sub(_field, text)
    text = COMPANY.sub(PLACEHOLDERS["company"], text)
    text = ADDRESS.sub(PLACEHOLDERS["address"], text)
    text = POSTCODE.sub(PLACEHOLDERS["address"], text)
    text = NAME.sub(_name, text)
    return _ADJACENT.sub(lambda m: f"[{m.group(1)}]", text)


def scrub(text: str, order_pattern: str | None = None) -> str:
    """``text`` with e-mails, IBANs, cards, OIBs, phone and order numbers, addresses,
    introduced names and companies replaced by placeholders."""
    text = EMAIL.sub(PLACEHOLDERS["email"], text)
    text = IBAN.sub(_iban, text)
    text = CARD.sub(_cards, text)
    text = OIB.sub(_checked("oib", oib_valid), text)
    text = scrub_people(text)
    if order_pattern:
        text = re.sub(order_pattern, PLACEHOLDERS["order"], text)
    return PHONE.sub(PLACEHOLDERS["phone"], text)
