"""Standardization: street names (type/directional abbreviations), units, postcodes, match keys."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from .vocab import DIRECTIONALS, FLOOR_DESIGNATORS, PREFIX_TYPES_CA, STREET_TYPES, UNIT_DESIGNATORS

_PUNCT = re.compile(r"[^\w#/\- ]+")
_SPACES = re.compile(r"\s+")
_KEY_STRIP = re.compile(r"[^0-9A-Z ]+")

# Words normalized only inside match keys so "Saint Louis" and "St. Louis" share one key.
_KEY_WORDS: dict[str, str] = {"SAINT": "ST", "MOUNT": "MT", "FORT": "FT", "SAINTE": "STE"}


# Letters that carry no combining mark to drop: written out as their ASCII forms.
_ASCII_LETTERS = str.maketrans(
    {"ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Ø": "O", "ø": "o", "Ł": "L", "ł": "l"}
    | {"Đ": "D", "đ": "d", "Þ": "TH", "þ": "th", "\u0131": "i"}  # dotless i
)


def fold_accents(text: str) -> str:
    """``text`` without diacritics ('Montréal' -> 'Montreal', 'Jérôme' -> 'Jerome'), so that names
    written with and without their accents share one match key."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_LETTERS))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _letters_digits_spaces(text: str) -> bool:
    """Only ASCII letters, digits and spaces: nothing for the punctuation patterns to strip (a cheap
    test that spares the regex the common case)."""
    return text.isascii() and text.replace(" ", "").isalnum()


def tokens(text: str) -> list[str]:
    """Upper-case tokens with punctuation (except # / -) removed."""
    upper = text.upper()
    if not _letters_digits_spaces(upper):
        upper = _PUNCT.sub(" ", upper)
    return upper.split()  # split() takes the same whitespace as \s


@lru_cache(maxsize=32768)
def name_key(text: str | None) -> str:
    """Match key for locality names: upper-case, no diacritics or punctuation, common word forms
    unified."""
    if not text:
        return ""
    upper = fold_accents(text).upper().replace("'", "")
    if not _letters_digits_spaces(upper):
        upper = _KEY_STRIP.sub(" ", upper)
    return " ".join([_KEY_WORDS.get(w, w) for w in upper.split()])


def smart_title(text: str) -> str:
    """Title-case words, but keep ordinals/mixed alphanumerics ('1st', '4B') sensible."""
    return " ".join([_title_word(word) for word in text.split(" ") if word])


@lru_cache(maxsize=32768)
def _title_word(word: str) -> str:
    """smart_title of one non-empty word (street and city words repeat a lot)."""
    if word[0].isdigit():
        return word.upper() if len(word) <= 3 and word[-1].isalpha() and word[:-1].isdigit() else word.lower()
    if word.isupper() and len(word) <= 3 and not word.isalpha():
        return word
    return "-".join([part[:1].upper() + part[1:].lower() for part in word.split("-")])


def display_name(text: str) -> str:
    """Clean a free-text name for output; title-case it only when it is all upper or all lower."""
    cleaned = _SPACES.sub(" ", text.strip().strip(","))
    if cleaned.isupper() or cleaned.islower():
        return smart_title(cleaned)
    return cleaned


class StreetParts(NamedTuple):
    """A standardized street: base name plus abbreviated type and directionals.

    `full` is the display form ("E Madison St") and `key` its match key; build with make_street().
    """

    base_name: str
    type: str | None = None
    type_placement: str | None = None  # "BeforeBaseName" | "AfterBaseName"
    prefix: str | None = None
    suffix: str | None = None
    full: str = ""
    key: str = ""


def make_street(
    base_name: str,
    st_type: str | None = None,
    placement: str | None = None,
    prefix: str | None = None,
    suffix: str | None = None,
) -> StreetParts:
    """Assemble StreetParts, precomputing the display form and match key."""
    parts: list[str] = []
    if prefix:
        parts.append(prefix)
    if st_type and placement == "BeforeBaseName":
        parts.append(st_type)
    if base_name:
        parts.append(base_name)
    if st_type and placement != "BeforeBaseName":
        parts.append(st_type)
    if suffix:
        parts.append(suffix)
    full = " ".join(parts)
    return StreetParts(base_name, st_type, placement, prefix, suffix, full, name_key(full))


def _type_of(word: str, country: str) -> str | None:
    return STREET_TYPES[country].get(word)


@lru_cache(maxsize=32768)
def standardize_street(text: str, country: str) -> StreetParts | None:
    """Split a street name (no house number) into base/type/directionals, abbreviating per country."""
    words = tokens(text)
    if not words:
        return None
    dirs = DIRECTIONALS[country]
    prefix = suffix = st_type = placement = None
    # post-directional: "Main St NW"
    if len(words) >= 3 and words[-1] in dirs and _type_of(words[-2], country):
        suffix = dirs[words.pop()]
    elif len(words) >= 2 and words[-1] in dirs and len(words[-1]) <= 2 and not _type_of(words[-2], country):
        suffix = dirs[words.pop()]
    if len(words) >= 2 and (t := _type_of(words[-1], country)) is not None:
        st_type, placement = t, "AfterBaseName"
        words.pop()
    elif country == "CA" and len(words) >= 2 and words[0] in PREFIX_TYPES_CA:
        st_type, placement = PREFIX_TYPES_CA[words[0]], "BeforeBaseName"
        words.pop(0)
    if len(words) >= 2 and words[0] in dirs:
        prefix = dirs[words.pop(0)]
    base = " ".join([_title_word(word) for word in words])  # smart_title of the remaining words
    return make_street(base, st_type, placement, prefix, suffix)


@lru_cache(maxsize=32768)
def street_key(text: str | None, country: str) -> str:
    """Match key of a free-text street name after standardization ('East Main Street' -> 'E MAIN ST')."""
    if not text:
        return ""
    parts = standardize_street(text, country)
    return parts.key if parts else ""


def unit_designator(word: str, country: str) -> str | None:
    """Standard form of a unit designator word (Apartment -> Apt, Suite -> Ste for US)."""
    return UNIT_DESIGNATORS[country].get(word.upper().rstrip("."))


def floor_designator(word: str, country: str) -> str | None:
    """Standard form of a floor designator word (Floor -> Fl for US, Level for AU)."""
    return FLOOR_DESIGNATORS[country].get(word.upper().rstrip("."))


def number_key(number: str | None) -> str:
    """Match key of a house number: upper-case, no spaces ('12 a' -> '12A')."""
    if not number:
        return ""
    return number.upper().replace(" ", "")


# --- postcodes -----------------------------------------------------------------------------------

_US_ZIP = re.compile(r"^(\d{5})(?:[-\s]?(\d{4}))?$")
_CA_POST = re.compile(r"^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])\s*(\d[ABCEGHJ-NPRSTV-Z]\d)$")
_GB_POST = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?|GIR)\s*(\d[A-Z]{2})$")
_AU_POST = re.compile(r"^(\d{4})$")


@lru_cache(maxsize=32768)
def standardize_postcode(text: str | None, country: str) -> tuple[str, str | None] | None:
    """Return (base, extension) in national format ('M5V2T6' -> 'M5V 2T6'), or None if malformed."""
    if not text:
        return None
    raw = text.strip().upper()
    if country == "US":
        if raw.isdigit() and len(raw) == 4:
            raw = "0" + raw  # leading zero lost by spreadsheets
        m = _US_ZIP.match(raw)
        return (m.group(1), m.group(2)) if m else None
    if country == "CA":
        m = _CA_POST.match(raw)
        return (f"{m.group(1)} {m.group(2)}", None) if m else None
    if country == "GB":
        m = _GB_POST.match(raw)
        return (f"{m.group(1)} {m.group(2)}", None) if m else None
    if country == "AU":
        m = _AU_POST.match(raw)
        return (m.group(1), None) if m else None
    return None


# Canadian postal districts by first letter (a format rule, not address data).
CA_POSTAL_REGIONS: dict[str, tuple[str, ...]] = {
    "A": ("NL",),
    "B": ("NS",),
    "C": ("PE",),
    "E": ("NB",),
    "G": ("QC",),
    "H": ("QC",),
    "J": ("QC",),
    "K": ("ON",),
    "L": ("ON",),
    "M": ("ON",),
    "N": ("ON",),
    "P": ("ON",),
    "R": ("MB",),
    "S": ("SK",),
    "T": ("AB",),
    "V": ("BC",),
    "X": ("NT", "NU"),
    "Y": ("YT",),
}


def postcode_regions(postcode: str, country: str) -> tuple[str, ...]:
    """Regions a well-formed postcode can belong to by national allocation rules (CA, AU)."""
    if country == "CA" and standardize_postcode(postcode, "CA") is not None:
        return CA_POSTAL_REGIONS.get(postcode[:1], ())
    if country == "AU" and len(postcode) == 4 and postcode.isdigit():
        n = int(postcode)
        if 200 <= n <= 299 or 2600 <= n <= 2618 or 2900 <= n <= 2920:
            return ("ACT",)
        if 800 <= n <= 999:
            return ("NT",)
        if 1000 <= n <= 2999:
            return ("NSW",)
        if 3000 <= n <= 3999 or 8000 <= n <= 8999:
            return ("VIC",)
        if 4000 <= n <= 4999 or 9000 <= n <= 9999:
            return ("QLD",)
        if 5000 <= n <= 5999:
            return ("SA",)
        if 6000 <= n <= 6999:
            return ("WA",)
        if 7000 <= n <= 7999:
            return ("TAS",)
    return ()
