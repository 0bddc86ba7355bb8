"""Parsing of address lines and components into a ParsedAddress.

US street lines go through fast deterministic rules first and fall back to the `usaddress` CRF
tagger whenever the rules cannot account for every token (the tagger costs ~0.25 ms per call, so
the rules keep the common case fast). CA, GB and AU use rules only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import usaddress

from .countries import Country, region_keys, resolve_country, resolve_region
from .record import InputRecord
from .standardize import (
    StreetParts,
    floor_designator,
    fold_accents,
    standardize_postcode,
    standardize_street,
    tokens,
    unit_designator,
)
from .vocab import STREET_TYPES


class AddressParseError(ValueError):
    """The row cannot be interpreted as an address (missing/unsupported country, no content)."""


class StreetLine(NamedTuple):
    """First-line components: house number, street, unit and floor."""

    number: str | None = None
    street: StreetParts | None = None
    unit_designator: str | None = None
    unit_number: str | None = None
    floor_designator: str | None = None
    floor_number: str | None = None
    rest: str | None = None  # trailing text the rules took for a last line (single-line input)
    delivery: str | None = None  # a US PO box / rural route / highway contract box ("RR 2 Box 5")


@dataclass(slots=True)
class ParsedAddress:
    """Standardized view of one input record, before reference matching."""

    country: Country
    country_given: bool = True
    number: str | None = None
    street: StreetParts | None = None
    unit_designator: str | None = None
    unit_number: str | None = None
    floor_designator: str | None = None
    floor_number: str | None = None
    locality: str | None = None
    region_text: str | None = None
    region: tuple[str, str] | None = None
    sub_region: str | None = None
    postcode_text: str | None = None
    postcode: tuple[str, str | None] | None = None
    delivery: str | None = None  # StreetLine.delivery: kept in the output lines, not matched

    def cache_key(self) -> tuple[Any, ...]:
        """Everything matching depends on; equal keys give equal outcomes."""
        return (
            self.country.code2,
            self.country_given,
            self.number,
            self.street,
            self.unit_designator,
            self.unit_number,
            self.floor_designator,
            self.floor_number,
            self.locality,
            self.region_text,
            self.sub_region,
            self.postcode_text,
        )


_NUMBER = re.compile(r"^\d+[A-Z]?$")
_NUMBER_RANGE = re.compile(r"^\d+[A-Z]?-\d+[A-Z]?$")
_FRACTION = re.compile(r"^\d/\d$")
_UNIT_SLASH = re.compile(r"^([A-Z]?\d+[A-Z]?)/(\d+[A-Z]?)$")  # AU "5/12"
_UNIT_HYPHEN = re.compile(r"^([A-Z]?\d+[A-Z]?)-(\d+[A-Z]?)$")  # CA "4B-123"
_UNIT_ID = re.compile(r"^(?=.*\d)[A-Z0-9\-]{1,8}$|^[A-Z]$")
_DIGITS5 = re.compile(r"^\d{5}(?:-\d{4})?$")


def _take_secondary(words: list[str], i: int, country: str) -> tuple[str, str, str, int] | None:
    """Recognize '<designator> <id>' or '#<id>' at words[i]: (kind, designator, id, next index)."""
    word = words[i]
    if word.startswith("#") and len(word) > 1:
        return "unit", "#", word[1:], i + 1
    if i + 1 < len(words):
        nxt = words[i + 1].lstrip("#")
        if not nxt or not _UNIT_ID.match(nxt):
            return None
        if (u := unit_designator(word, country)) is not None:
            return "unit", u, nxt, i + 2
        if (f := floor_designator(word, country)) is not None:
            return "floor", f, nxt, i + 2
    return None


def _rules_street_line(line: str, country: str, allow_rest: bool) -> StreetLine | None:
    """Deterministic parse of '[unit] number [dir] name [type] [dir] [unit]'; None if unsure."""
    words = tokens(line)
    if not words:
        return None
    n = len(words)
    i = 0
    unit_d = unit_n = floor_d = floor_n = None
    number = None
    # leading secondary components ("Flat 3 12 High Street", "Level 2 ...")
    while i < n and (sec := _take_secondary(words, i, country)) is not None:
        kind, desig, ident, i = sec
        if kind == "unit":
            unit_d, unit_n = desig, ident
        else:
            floor_d, floor_n = desig, ident
    if i < n:
        w = words[i]
        if country in ("AU", "CA") and (m := (_UNIT_SLASH.match(w) or _UNIT_HYPHEN.match(w))):
            unit_n, number = m.group(1), m.group(2)
            i += 1
        elif _NUMBER.match(w) or (_NUMBER_RANGE.match(w) and country != "CA"):
            number = w
            i += 1
            if country == "US" and i < n and _FRACTION.match(words[i]):
                number = f"{number} {words[i]}"
                i += 1
    # trailing secondary components and (single-line input) trailing last-line text
    street_words: list[str] = []
    rest: list[str] = []
    types = STREET_TYPES[country]
    j = i
    trailing_secondary = False
    while j < n:
        w = words[j]
        if street_words and not rest and (sec := _take_secondary(words, j, country)) is not None:
            kind, desig, ident, j = sec
            if kind == "unit":
                unit_d, unit_n = desig, ident
            else:
                floor_d, floor_n = desig, ident
            trailing_secondary = True
            continue
        if trailing_secondary:
            rest.append(w)
        else:
            street_words.append(w)
        j += 1
    if rest and not allow_rest:
        return None
    if allow_rest and not rest and number is not None:
        # "12 Main St Springfield IL 62704": split after the last street-type word
        last_type = max((k for k, w in enumerate(street_words) if w in types and k > 0), default=-1)
        if 0 < last_type < len(street_words) - 1:
            cut = last_type + 1
            if cut < len(street_words) and street_words[cut] in ("N", "S", "E", "W", "NE", "NW", "SE", "SW"):
                cut += 1
            rest = street_words[cut:]
            street_words = street_words[:cut]
    if country == "US":
        # Rules only for the plain grammar; anything odd goes to usaddress.
        if any(_DIGITS5.match(w) for w in street_words) or len(street_words) > 6:
            return None
        if street_words and street_words[0] in ("PO", "P", "BOX", "POBOX", "RR", "HC"):
            return None
        if number is None and street_words[:3] == ["POST", "OFFICE", "BOX"]:
            return None
    if not street_words and number is None and unit_n is None and floor_n is None:
        return None
    street = standardize_street(" ".join(street_words), country) if street_words else None
    return StreetLine(number, street, unit_d, unit_n, floor_d, floor_n, " ".join(rest) or None)


def _usaddress_street_line(line: str) -> StreetLine:
    """Tag a US line with usaddress (the CRF model); tolerant of repeated labels."""
    try:
        tagged, _kind = usaddress.tag(line)
        parts: dict[str, str] = dict(tagged)
    except usaddress.RepeatedLabelError as exc:
        parts = {}
        for text, label in exc.parsed_string:
            parts.setdefault(label, text)
    number = " ".join(
        p
        for p in (
            parts.get("AddressNumberPrefix"),
            parts.get("AddressNumber"),
            parts.get("AddressNumberSuffix"),
        )
        if p
    )
    street_text = " ".join(
        p
        for p in (
            parts.get("StreetNamePreDirectional"),
            parts.get("StreetNamePreModifier"),
            parts.get("StreetNamePreType"),
            parts.get("StreetName"),
            parts.get("StreetNamePostType"),
            parts.get("StreetNamePostDirectional"),
        )
        if p
    )
    unit_d = unit_n = floor_d = floor_n = None
    for type_key, id_key in (
        ("OccupancyType", "OccupancyIdentifier"),
        ("SubaddressType", "SubaddressIdentifier"),
    ):
        ident = parts.get(id_key)
        desig = parts.get(type_key)
        if not ident and not desig:
            continue
        if desig and floor_designator(desig, "US"):
            floor_d, floor_n = floor_designator(desig, "US"), (ident or "").lstrip("#") or None
        elif unit_n is None:
            if desig:
                unit_d = unit_designator(desig, "US") or desig.title()
            elif ident and ident.startswith("#"):
                unit_d = "#"
            unit_n = (ident or "").lstrip("#").upper() or None
    rest = " ".join(p for p in (parts.get("PlaceName"), parts.get("StateName"), parts.get("ZipCode")) if p)
    street = standardize_street(street_text, "US") if street_text else None
    return StreetLine(
        number.upper() or None,
        street,
        unit_d,
        unit_n,
        floor_d,
        floor_n,
        rest.replace(",", " ") or None,
        _delivery(parts),
    )


_BOX_GROUPS = {"RR": "RR", "RURALROUTE": "RR", "RURALRTE": "RR", "RTE": "RR", "HC": "HC"}
_BOX_GROUPS["HIGHWAYCONTRACT"] = "HC"
_BOX_WORDS = frozenset({"PO", "P", "BOX", "POBOX", "POB", "POST", "RR", "HC", "RURAL", "HIGHWAY"})


def _box_line(segment: str, country: str) -> StreetLine | None:
    """A US segment holding only a box ("PO Box 5" after the street line), else None."""
    if country != "US" or segment.split()[0].upper().replace(".", "") not in _BOX_WORDS:
        return None
    line = parse_street_line(segment, country)
    return line if line is not None and line.delivery is not None and _secondary_only(line) else None


def _delivery(parts: dict[str, str]) -> str | None:
    """The US box line usaddress tagged, in USPS form: "PO Box 123", "RR 2 Box 5", "HC 1 Box 3"."""
    box_id = (parts.get("USPSBoxID") or "").lstrip("#").upper()
    group_id = (parts.get("USPSBoxGroupID") or "").upper()
    if not box_id and not group_id:
        return None
    group_type = re.sub(r"[^A-Z]", "", (parts.get("USPSBoxGroupType") or "").upper())
    group = f"{_BOX_GROUPS.get(group_type, group_type or 'RR')} {group_id}" if group_id else None
    box = f"{'Box' if group else 'PO Box'} {box_id}" if box_id else None
    return " ".join(x for x in (group, box) if x)


# "123 Main St" / "123 E Main St Apt 4": the overwhelmingly common shape, parsed with plain splits.
_SIMPLE_UNITS = frozenset({"APT", "APARTMENT", "STE", "SUITE", "UNIT", "FLAT"})
_NOT_SIMPLE_WORDS = frozenset({"PO", "P", "BOX", "POBOX", "RR", "HC", "FLOOR", "FL", "LEVEL", "L", "U"})
_SIMPLE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .'-")


# "<number> <words without digits>", the plainest line of all: one regex instead of word checks.
_PLAIN_LINE = re.compile(r"([0-9]{1,7}|[0-9]{1,6}[A-Z]) ([A-Z][A-Z.' -]*)")


_WORDS = object()  # _plain_street's answer for "not plain after all: check it word by word"


@lru_cache(maxsize=32768)
def _plain_street(text: str, country: str, allow_rest: bool) -> StreetParts | object | None:
    """The street of a plain line, given the text after its number (street names repeat a lot)."""
    words = text.split()
    if len(words) > 7 or (len(words) >= 3 and words[-2].rstrip(".") in _SIMPLE_UNITS):
        return _WORDS
    if not _NOT_SIMPLE_WORDS.isdisjoint(words):
        return None
    return _street_of_words(words, country, allow_rest)


def _street_of_words(words: list[str], country: str, allow_rest: bool) -> StreetParts | None:
    """The standardized street of a plain line's street words; None when the rules should decide
    (for a single-line input, a street with no type or directional may run into the locality)."""
    street = standardize_street(" ".join(words), country)
    if street is None or (allow_rest and street.type is None and street.suffix is None):
        return None
    if allow_rest and street.base_name.count(" ") > 2:
        return None
    return street


# A street line's number, street, unit designator and number, floor designator and number: the
# first six StreetLine fields in a plain tuple (much cheaper to build than a StreetLine).
LineParts = tuple[str | None, StreetParts | None, str | None, str | None, str | None, str | None]


def _simple_street_line(line: str, country: str, allow_rest: bool) -> LineParts | None:
    """Fast path for plain lines; None means 'use the general rules'."""
    upper = line.upper()
    m = _PLAIN_LINE.fullmatch(upper)
    if m is not None:
        street = _plain_street(m.group(2), country, allow_rest)
        if street is not _WORDS:
            return (m.group(1), street, None, None, None, None) if street is not None else None  # type: ignore[return-value]
    return _simple_street_line_words(upper, country, allow_rest)


def _simple_street_line_words(upper: str, country: str, allow_rest: bool) -> LineParts | None:
    words = upper.split()
    if len(words) < 2 or len(words) > 8:
        return None
    number = words[0]
    if not (number.isdigit() or (number[:-1].isdigit() and number[-1].isalpha())) or len(number) > 7:
        return None
    if not _SIMPLE_CHARS.issuperset(upper):  # after the cheaper tests: most lines here have no number
        return None
    desig = unit = None
    if len(words) >= 4 and words[-2].rstrip(".") in _SIMPLE_UNITS:
        unit = words[-1]
        if len(unit) > 1 and not _HAS_DIGIT(unit):
            return None
        desig = unit_designator(words[-2], country)
        if desig is None:
            return None
        words = words[1:-2]
    else:
        words = words[1:]
    if not words[0][0].isalpha() and not words[0][0].isdigit():
        return None
    for w in words:
        if w in _NOT_SIMPLE_WORDS or (w.isdigit() and len(w) == 5):
            return None
    street = _street_of_words(words, country, allow_rest)
    return (number, street, desig, unit, None, None) if street is not None else None


def parse_street_line(line: str, country: str, allow_rest: bool = False) -> StreetLine | None:
    """Parse a first address line for a supported country (the unusual shapes cached per line)."""
    simple = _simple_street_line(line, country, allow_rest)
    if simple is not None:
        return StreetLine(*simple)  # cheaper to recompute than to look up in a cache of mostly unique lines
    return _general_street_line(line, country, allow_rest)


@lru_cache(maxsize=32768)
def _general_street_line(line: str, country: str, allow_rest: bool) -> StreetLine | None:
    parsed = _rules_street_line(line, country, allow_rest)
    if parsed is None and country == "US":
        return _usaddress_street_line(line)
    return parsed


# --- last line (locality, region, postcode) ------------------------------------------------------

_POSTCODE_AT_END: dict[str, re.Pattern[str]] = {
    "US": re.compile(r"(?:^|[\s,])(\d{5}(?:-\d{4})?)\s*$"),
    "CA": re.compile(r"(?:^|[\s,])([A-Z]\d[A-Z]\s?\d[A-Z]\d)\s*$"),
    "GB": re.compile(r"(?:^|[\s,])([A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\s*$"),
    "AU": re.compile(r"(?:^|[\s,])(\d{4})\s*$"),
}


@lru_cache(maxsize=32768)
def parse_last_line(text: str, country: str) -> tuple[str | None, str | None, str | None]:
    """Split 'Seattle, WA 98112' style text into (locality, region text, postcode text)."""
    work = text.strip().upper()
    postcode = None
    if m := _POSTCODE_AT_END[country].search(work):
        postcode = m.group(1)
        work = work[: m.start(1)]
    work = work.strip(" ,")
    region = None
    if country != "GB":
        words = tokens(work)
        keys = region_keys(country)
        for size in (4, 3, 2, 1):
            if len(words) >= size and fold_accents(" ".join(words[-size:])) in keys:
                # keep a lone token that is the whole text as locality only if it is not a region code
                region = " ".join(words[-size:])
                cut = work.upper().rfind(words[-size])
                work = work[:cut] if size == 1 else _strip_words(work, size)
                break
    parts = [p.strip() for p in work.split(",") if p.strip()]
    locality = parts[-1] if parts else None
    return locality, region, postcode


def _strip_words(text: str, count: int) -> str:
    words = text.rstrip(" ,").split()
    return " ".join(words[:-count])


# --- country inference ---------------------------------------------------------------------------


def _infer_country(texts: list[str]) -> Country | None:
    """Guess the country from postcode shapes and region names; only when unambiguous."""
    return _infer_country_of(" ".join(texts).upper())


@lru_cache(maxsize=16384)
def _infer_country_of(joined: str) -> Country | None:
    hits = []
    for code in ("CA", "GB", "US", "AU"):
        m = _POSTCODE_AT_END[code].search(joined)
        if m is None:
            continue
        _locality, region, _ = parse_last_line(joined, code)
        if code in ("US", "AU") and region is None:
            continue
        hits.append(code)
    if len(hits) == 1:
        return resolve_country(hits[0])
    return None


# --- record --------------------------------------------------------------------------------------


_HAS_DIGIT = re.compile(r"\d").search


def _looks_like_country(segment: str) -> Country | None:
    if len(segment) < 3 or len(segment) > 60 or _HAS_DIGIT(segment):
        return None
    return resolve_country(segment)


def _parse_simple(
    line: str | None,
    other_lines: tuple[str | None, ...],
    country_text: str | None,
    region_text: str | None,
    sub_region: str | None,
    locality: str | None,
    postcode_text: str | None,
    has_components: bool,
) -> ParsedAddress | None:
    """The common row shapes, parsed without the general machinery: a supported country, one street
    line the line rules read whole ("123 Main St", "12 Oak Ave Apt 4", "Bryfen Boulevard"), maybe lines
    holding only a unit or floor ("Apt 4", "Level 2"), and the rest as components. None: not such a
    shape (``has_components``: street, number or unit components are given).

    Gives exactly what the general path gives for such rows.
    """
    if line is None or has_components:
        return None
    if country_text is None:
        components = (region_text, sub_region, locality, postcode_text)
        return _parse_one_line(line) if not any(other_lines) and components.count(None) == 4 else None
    if "," in line:
        return None
    more = [text for text in other_lines if text] if any(other_lines) else None
    country = _supported_country(country_text)
    if country is None:
        return None
    code = country.code2
    street = _simple_street_line(line, code, not more) or _whole_street_line(line, code, more)
    if street is None:
        return None
    secondaries = _secondary_lines(more, code) if more else ()
    if secondaries is None:
        return None
    parsed = ParsedAddress(
        country,
        True,
        *street,
        locality,
        region_text,
        resolve_region(code, region_text) if region_text else None,
        sub_region,
        postcode_text,
        standardize_postcode(postcode_text, code) if postcode_text else None,
    )
    for secondary in secondaries:
        _merge_secondary(parsed, secondary)
    return parsed


@lru_cache(maxsize=4096)
def _supported_country(text: str) -> Country | None:
    """The country ``text`` names when the parser supports it, else None."""
    country = resolve_country(text)
    return country if country is not None and country.supported else None


def _whole_street_line(line: str, country: str, more: list[str] | None) -> LineParts | None:
    """The parts of a street line that is not plain, when the general path takes the rules' parse of
    it whole as the row's street line (no last-line text after it, not a lone unit); else None."""
    if not more and _looks_like_country(line) is not None:
        return None  # the general path takes a last segment naming the country off
    parsed = _general_street_line(line, country, not more)
    if parsed is None or _secondary_only(parsed) or parsed.rest:
        return None
    if parsed.number is None and more and _has_number(more):
        return None  # the numbered line after it would be the street line
    if parsed.unit_number or parsed.floor_number:
        return parsed[:6]
    return parsed.number, parsed.street, None, None, None, None  # the general path drops a lone designator


def _secondary_lines(lines: list[str], country: str) -> list[StreetLine] | None:
    """The units/floors of the lines after the street line; None when one holds something else (or
    the last reads as a country name, which the general path takes off)."""
    if _looks_like_country(lines[-1]) is not None:
        return None
    secondaries = []
    for text in lines:
        if "," in text or (secondary := _secondary_segment(text, country)) is None:
            return None
        secondaries.append(secondary)
    return secondaries


class _LineTail(NamedTuple):
    """What the segments after the street segment of a one-line address give the general path."""

    country: Country
    country_given: bool
    street_alone: bool  # no segment left after the street segment
    secondaries: tuple[StreetLine, ...]
    locality: str | None
    region_text: str | None
    region: tuple[str, str] | None
    postcode_text: str | None
    postcode: tuple[str, str | None] | None


def _parse_one_line(line: str) -> ParsedAddress | None:
    """A row that is one line "<plain street line>, <locality, region, postcode...>" and nothing
    else, parsed as the general path does, with what follows the street cached; None: not that shape."""
    street_text, _, rest = line.partition(",")
    tail = _line_tail(rest)
    if tail is None:
        return None
    street = _simple_street_line(street_text.strip(), tail.country.code2, tail.street_alone)
    if street is None:
        return None
    parsed = ParsedAddress(
        tail.country,
        tail.country_given,
        *street,
        tail.locality,
        tail.region_text,
        tail.region,
        None,
        tail.postcode_text,
        tail.postcode,
    )
    for secondary in tail.secondaries:
        _merge_secondary(parsed, secondary)
    return parsed


@lru_cache(maxsize=16384)
def _line_tail(text: str) -> _LineTail | None:
    """The _LineTail of the text after a one-line address's first comma; None when the general path
    would read the street segment for it too (or fail on it)."""
    segments = _comma_segments(text)
    if not segments:
        return None
    country = _looks_like_country(segments[-1])
    country_given = country is not None
    if country is not None:
        segments.pop()
    elif len(segments) < 2:
        return None  # the country is inferred from the last two segments
    else:
        country = _infer_country(segments[-2:])
    if country is None or not country.supported:
        return None
    code = country.code2
    secondaries: list[StreetLine] = []  # unit/floor segments right after the street
    for segment in segments:
        if (secondary := _secondary_segment(segment, code)) is None:
            break
        secondaries.append(secondary)
    locality = region_text = postcode_text = None
    if last_line := segments[len(secondaries) :]:
        locality, region_text, postcode_text = parse_last_line(", ".join(last_line), code)
    return _LineTail(
        country,
        country_given,
        not segments,
        tuple(secondaries),
        locality.title() if locality else None,
        region_text,
        resolve_region(code, region_text) if region_text else None,
        postcode_text,
        standardize_postcode(postcode_text, code) if postcode_text else None,
    )


def parse_key(key: tuple[str | None, ...]) -> ParsedAddress:
    """``parse_record`` of the row whose InputRecord.cache_key() is ``key``; the common shape is
    parsed without building a record. Raises AddressParseError."""
    simple = _parse_simple(
        key[0], key[1:5], key[5], key[6], key[7], key[8], key[9], bool(key[10] or key[11] or key[12])
    )
    return simple if simple is not None else _parse_general(InputRecord(None, key[:5], *key[5:]))


def parse_record(record: InputRecord) -> ParsedAddress:
    """Turn an input row (INPUT_COLUMNS) into a standardized ParsedAddress; raises AddressParseError."""
    simple = _parse_simple(
        record.address_lines[0],
        record.address_lines[1:],
        record.country,
        record.region,
        record.sub_region,
        record.locality,
        record.postal_code,
        record.street is not None or record.address_number is not None or record.unit is not None,
    )
    return simple if simple is not None else _parse_general(record)


def _parse_general(record: InputRecord) -> ParsedAddress:
    segments: list[str] = []
    for line in record.address_lines:
        if line:
            if "," in line:
                segments.extend(_comma_segments(line))
            else:
                segments.append(line)
    country = resolve_country(record.country) if record.country else None
    if record.country and country is None:
        raise AddressParseError(f"Unrecognized country: {record.country!r}")
    if segments and (tail_country := _looks_like_country(segments[-1])) is not None:
        if country is None or tail_country == country:
            country = tail_country
            segments.pop()
    country_given = country is not None
    if country is None:
        texts = [*segments[-2:], *(t for t in (record.locality, record.region, record.postal_code) if t)]
        country = _infer_country(texts)
        if country is None:
            raise AddressParseError("Country is missing and could not be inferred")
    if not country.supported:
        raise AddressParseError(
            f"Unsupported country {country.code2} ({country.name}); supported: AU, CA, GB, US"
        )
    code = country.code2
    out = ParsedAddress(country=country, country_given=country_given)

    # first-line parts from components
    if record.street:
        line = parse_street_line(record.street, code)
        if line is not None and line.street is not None and line.number is None:
            out.street = line.street
            out.unit_designator, out.unit_number = line.unit_designator, line.unit_number
        else:
            out.street = standardize_street(record.street, code)
    out.number = record.address_number.upper() if record.address_number else None
    if record.unit:
        unit = record.unit.upper().lstrip("#").strip()
        desig = record.unit_designator
        out.unit_number = unit or None
        if desig:
            out.unit_designator = unit_designator(desig, code) or desig.strip().title()
        elif record.unit.strip().startswith("#"):
            out.unit_designator = "#"

    # lines: optional building/unit segments, the street segment, then last-line text
    tail: list[str] = []
    skipped: list[str] = []  # unreadable segments before the street line
    street_done = out.street is not None or out.number is not None
    for idx, seg in enumerate(segments):
        if street_done:
            if not tail and (sec := _secondary_segment(seg, code)) is not None:
                _merge_secondary(out, sec)
                continue
            if not tail and out.delivery is None and (box := _box_line(seg, code)) is not None:
                out.delivery = box.delivery
                if box.rest:
                    tail.append(box.rest)
                continue
            tail.append(seg)
            continue
        line = parse_street_line(seg, code, len(segments) == 1)
        if line is None:
            if idx + 1 < len(segments):
                skipped.append(seg)
                continue  # unreadable leading segment, e.g. a building name
            tail.append(seg)
            continue
        if line.delivery is not None:
            out.delivery = out.delivery or line.delivery
            if _secondary_only(line):  # a box line stands for the street line: the last line follows
                _merge_secondary(out, line)
                if line.rest:
                    tail.append(line.rest)
                street_done = True
                continue
        if _secondary_only(line):
            if line.rest and not (line.unit_number or line.floor_number):
                skipped.append(seg)  # "WA 98112" written before the street line
            else:
                _merge_secondary(out, line)
            continue
        if line.number is None and _has_number(segments[idx + 1 :]):
            skipped.append(seg)
            continue  # "Rose Cottage, 12 High Street": the numbered segment is the street
        out.number = out.number or line.number
        out.street = out.street or line.street
        if line.unit_number or line.floor_number:
            _merge_secondary(out, line)
        if line.rest:
            tail.append(line.rest)
        street_done = True

    locality = region_text = postcode_text = None
    if tail:
        locality, region_text, postcode_text = parse_last_line(", ".join(tail), code)
    elif skipped and (last := parse_last_line(", ".join(skipped), code))[2]:
        locality, region_text, postcode_text = last  # the last line written before the street line
    out.locality = record.locality or (locality.title() if locality else None)
    out.region_text = record.region or region_text
    out.region = resolve_region(code, out.region_text) if out.region_text else None
    out.sub_region = record.sub_region
    out.postcode_text = record.postal_code or postcode_text
    out.postcode = standardize_postcode(out.postcode_text, code) if out.postcode_text else None
    return out


def _comma_segments(line: str) -> list[str]:
    """The non-empty comma-separated segments of a line, a bare house number joined to the next."""
    return _join_bare_numbers([segment.strip() for segment in line.split(",") if segment.strip()])


def _join_bare_numbers(segments: list[str]) -> list[str]:
    """'24, High Street' written with a comma after the house number: one segment '24 High Street'."""
    out: list[str] = []
    for seg in segments:
        if out and _NUMBER.match(out[-1].upper()) and not _NUMBER.match(seg.split()[0].upper()):
            out[-1] = f"{out[-1]} {seg}"
        else:
            out.append(seg)
    return out


def _has_number(segments: list[str]) -> bool:
    return any(s[:1].isdigit() for s in segments)


@lru_cache(maxsize=16384)
def _secondary_segment(segment: str, country: str) -> StreetLine | None:
    """A segment holding only a unit/floor ("Apartment 4B", "Level 2"), else None."""
    line = _rules_street_line(segment, country, False)
    return line if line is not None and _secondary_only(line) else None


def _secondary_only(line: StreetLine) -> bool:
    return line.street is None and line.number is None


def _merge_secondary(out: ParsedAddress, line: StreetLine) -> None:
    out.unit_designator = out.unit_designator or line.unit_designator
    out.unit_number = out.unit_number or line.unit_number
    out.floor_designator = out.floor_designator or line.floor_designator
    out.floor_number = out.floor_number or line.floor_number
