"""Country and region resolution for the four supported countries (pycountry-backed, cached)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pycountry

from .standardize import fold_accents

SUPPORTED_COUNTRIES: frozenset[str] = frozenset({"US", "CA", "GB", "AU"})

# Extra spellings people actually type that pycountry does not carry.
_COUNTRY_ALIASES: dict[str, str] = {
    "USA": "US",
    "U S A": "US",
    "U S": "US",
    "UNITED STATES OF AMERICA": "US",
    "AMERICA": "US",
    "UK": "GB",
    "U K": "GB",
    "GREAT BRITAIN": "GB",
    "BRITAIN": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "NORTHERN IRELAND": "GB",
    "AUS": "AU",
    "CAN": "CA",
}

_NON_ALNUM = re.compile(r"[^0-9A-Z]+")


def _key(text: str) -> str:
    return _NON_ALNUM.sub(" ", fold_accents(text).upper()).strip()


@dataclass(frozen=True, slots=True)
class Country:
    """ISO 3166-1 identity of a resolved country."""

    code2: str
    code3: str
    name: str

    @property
    def supported(self) -> bool:
        return self.code2 in SUPPORTED_COUNTRIES


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """Normalized alpha-2/alpha-3/name/official/common name -> alpha-2, for every ISO country."""
    table: dict[str, str] = {}
    for record in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(record, attr, None)
            if value:
                table.setdefault(_key(value), record.alpha_2)
    for record in pycountry.countries:
        table[record.alpha_3] = record.alpha_2
        table[record.alpha_2] = record.alpha_2
    table.update(_COUNTRY_ALIASES)
    return table


@lru_cache(maxsize=4096)
def resolve_country(text: str | None) -> Country | None:
    """Resolve an alpha-2, alpha-3 or country name (any case) to a Country; None if unknown."""
    if not text:
        return None
    key = _key(text)
    code = _country_names().get(key) if key else None
    if code is None:
        return None
    record = pycountry.countries.get(alpha_2=code)
    return Country(record.alpha_2, record.alpha_3, record.name)


# --- regions -------------------------------------------------------------------------------------

# GB "regions" are the constituent countries; AWS-style outputs carry no postal region for GB.
_GB_REGIONS: dict[str, str] = {
    "ENG": "England",
    "SCT": "Scotland",
    "WLS": "Wales",
    "NIR": "Northern Ireland",
}

_REGION_ALIASES: dict[str, dict[str, str]] = {
    "US": {"WASH": "WA", "CALIF": "CA", "MASS": "MA", "PENN": "PA", "D C": "DC", "WASHINGTON DC": "DC"},
    "CA": {
        "QUE": "QC",
        "PQ": "QC",
        "NFLD": "NL",
        "NF": "NL",
        "NEWFOUNDLAND": "NL",
        "YK": "YT",
        "QUEBEC": "QC",
    },
    "AU": {"VICTORIA": "VIC", "QUEENSLAND": "QLD", "TASMANIA": "TAS"},
    "GB": {"CYMRU": "WLS", "CYM": "WLS"},
}


@lru_cache(maxsize=8)
def region_table(country2: str) -> dict[str, str]:
    """Map of region code -> English name for a supported country (first-level divisions only)."""
    if country2 == "GB":
        return dict(_GB_REGIONS)
    table: dict[str, str] = {}
    for sub in pycountry.subdivisions.get(country_code=country2) or ():
        if sub.parent_code is not None:
            continue
        code = sub.code.split("-", 1)[1]
        table[code] = sub.name.split(" [", 1)[0]
    return table


@lru_cache(maxsize=8)
def _region_lookup(country2: str) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for code, name in region_table(country2).items():
        lookup[code] = code
        lookup[_key(name)] = code
    for alias, code in _REGION_ALIASES.get(country2, {}).items():
        lookup[alias] = code
    return lookup


@lru_cache(maxsize=4096)
def resolve_region(country2: str, text: str | None) -> tuple[str, str] | None:
    """Resolve a region code or name to (code, name) for the country; None if unknown."""
    if not text:
        return None
    code = _region_lookup(country2).get(_key(text))
    if code is None:
        return None
    return code, region_table(country2)[code]


def region_keys(country2: str) -> dict[str, str]:
    """All normalized region spellings (codes, names, aliases) -> code; used by line parsers."""
    return _region_lookup(country2)
