"""Abbreviation tables per country: street types, directionals, unit and floor designators.

Keys are upper-case spellings as found in input; values are the standardized output form.
US follows USPS Publication 28, CA Canada Post, AU the Australia Post/AS 4590 short forms;
GB (Royal Mail) keeps full words, so its tables only canonicalize spelling.
"""

from __future__ import annotations

# canonical full word -> (US/CA/AU abbreviation); all spellings listed map to the canonical word.
_STREET_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    # canonical: (US abbreviation, alternative spellings)
    "ALLEY": ("Aly", ("ALY", "ALLY", "ALLEE")),
    "AVENUE": ("Ave", ("AVE", "AV", "AVEN", "AVENU", "AVN", "AVNUE")),
    "BOULEVARD": ("Blvd", ("BLVD", "BOUL", "BOULV", "BVD")),
    "BYPASS": ("Byp", ("BYP", "BYPA", "BYPAS", "BYPS")),
    "CAUSEWAY": ("Cswy", ("CSWY", "CAUSWA")),
    "CIRCLE": ("Cir", ("CIR", "CIRC", "CIRCL", "CRCL", "CRCLE")),
    "CLOSE": ("Cl", ("CL",)),
    "COURT": ("Ct", ("CT", "CRT")),
    "COVE": ("Cv", ("CV",)),
    "CRESCENT": ("Cres", ("CRES", "CRESC", "CRSNT")),
    "CROSSING": ("Xing", ("XING", "CRSSNG")),
    "DRIVE": ("Dr", ("DR", "DRIV", "DRV")),
    "ESPLANADE": ("Esp", ("ESP",)),
    "EXPRESSWAY": ("Expy", ("EXPY", "EXP", "EXPR", "EXPRESS", "EXPW")),
    "FREEWAY": ("Fwy", ("FWY", "FREEWY", "FRWAY", "FRWY")),
    "GARDENS": ("Gdns", ("GDNS",)),
    "GROVE": ("Grv", ("GRV", "GR", "GROV")),
    "HIGHWAY": ("Hwy", ("HWY", "HIGHWY", "HIWAY", "HIWY", "HWAY")),
    "HILL": ("Hl", ("HL",)),
    "LANE": ("Ln", ("LN",)),
    "LOOP": ("Loop", ("LOOPS",)),
    "MEWS": ("Mews", ()),
    "PARADE": ("Pde", ("PDE",)),
    "PARK": ("Park", ("PRK",)),
    "PARKWAY": ("Pkwy", ("PKWY", "PARKWY", "PKWAY", "PKY")),
    "PASS": ("Pass", ()),
    "PATH": ("Path", ("PATHS",)),
    "PIKE": ("Pike", ("PIKES",)),
    "PLACE": ("Pl", ("PL",)),
    "PLAZA": ("Plz", ("PLZ", "PLZA")),
    "POINT": ("Pt", ("PT",)),
    "ROAD": ("Rd", ("RD",)),
    "ROW": ("Row", ()),
    "RUN": ("Run", ()),
    "SQUARE": ("Sq", ("SQ", "SQR", "SQRE", "SQU")),
    "STREET": ("St", ("ST", "STR", "STRT")),
    "TERRACE": ("Ter", ("TER", "TERR")),
    "TRAIL": ("Trl", ("TRL", "TRAILS", "TRLS")),
    "TURNPIKE": ("Tpke", ("TPKE", "TRNPK", "TURNPK")),
    "VIEW": ("Vw", ("VW",)),
    "WALK": ("Walk", ("WALKS",)),
    "WAY": ("Way", ("WY",)),
}

# Country-specific abbreviation overrides (canonical -> output form).
_TYPE_OVERRIDES: dict[str, dict[str, str]] = {
    "CA": {"COURT": "Crt", "TERRACE": "Terr", "LANE": "Lane", "CLOSE": "Close", "GROVE": "Grove"},
    "AU": {"LANE": "La", "TERRACE": "Tce", "CLOSE": "Cl", "GROVE": "Gr", "HIGHWAY": "Hwy", "GARDENS": "Gdns"},
}

# Types written before the base name (French Canadian usage).
PREFIX_TYPES_CA: dict[str, str] = {
    "RUE": "Rue",
    "BOUL": "Boul",
    "BOULEVARD": "Boul",
    "CHEMIN": "Ch",
    "CH": "Ch",
}


def _build_street_types(country: str) -> dict[str, str]:
    table: dict[str, str] = {}
    overrides = _TYPE_OVERRIDES.get(country, {})
    for canonical, (abbr, spellings) in _STREET_TYPES.items():
        if country == "GB":
            out = canonical.title()
        else:
            out = overrides.get(canonical, abbr)
        for spelling in (canonical, abbr.upper(), out.upper(), *spellings):
            table[spelling] = out
    return table


STREET_TYPES: dict[str, dict[str, str]] = {c: _build_street_types(c) for c in ("US", "CA", "AU", "GB")}

_DIRECTIONAL_WORDS: dict[str, str] = {
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "NORTHEAST": "NE",
    "NORTHWEST": "NW",
    "SOUTHEAST": "SE",
    "SOUTHWEST": "SW",
    "N": "N",
    "S": "S",
    "E": "E",
    "W": "W",
    "NE": "NE",
    "NW": "NW",
    "SE": "SE",
    "SW": "SW",
}

DIRECTIONALS: dict[str, dict[str, str]] = {
    "US": dict(_DIRECTIONAL_WORDS),
    "CA": dict(_DIRECTIONAL_WORDS),
    "AU": dict(_DIRECTIONAL_WORDS),
    # Royal Mail does not abbreviate directional words; only bare letters are recognised as such.
    "GB": {},
}

_UNIT_BASE: dict[str, str] = {
    "APARTMENT": "Apt",
    "APT": "Apt",
    "SUITE": "Ste",
    "STE": "Ste",
    "UNIT": "Unit",
    "BUILDING": "Bldg",
    "BLDG": "Bldg",
    "ROOM": "Rm",
    "RM": "Rm",
    "DEPARTMENT": "Dept",
    "DEPT": "Dept",
    "SPACE": "Spc",
    "SPC": "Spc",
    "LOT": "Lot",
    "TRAILER": "Trlr",
    "TRLR": "Trlr",
    "PENTHOUSE": "Ph",
    "PH": "Ph",
    "OFFICE": "Ofc",
    "OFC": "Ofc",
    "HANGAR": "Hngr",
    "HNGR": "Hngr",
    "SLIP": "Slip",
    "PIER": "Pier",
    "#": "#",
}

UNIT_DESIGNATORS: dict[str, dict[str, str]] = {
    "US": dict(_UNIT_BASE),
    "CA": {
        **_UNIT_BASE,
        "SUITE": "Suite",
        "STE": "Suite",
        "APP": "Apt",
        "APPARTEMENT": "Apt",
        "BUREAU": "Bureau",
    },
    "AU": {
        "APARTMENT": "Apt",
        "APT": "Apt",
        "UNIT": "Unit",
        "U": "Unit",
        "FLAT": "Flat",
        "SHOP": "Shop",
        "SUITE": "Suite",
        "SE": "Suite",
        "VILLA": "Villa",
        "TOWNHOUSE": "Townhouse",
        "OFFICE": "Office",
        "ROOM": "Room",
        "#": "#",
    },
    "GB": {
        "FLAT": "Flat",
        "APARTMENT": "Apartment",
        "APT": "Apartment",
        "UNIT": "Unit",
        "SUITE": "Suite",
        "ROOM": "Room",
        "STUDIO": "Studio",
        "#": "#",
    },
}

FLOOR_DESIGNATORS: dict[str, dict[str, str]] = {
    "US": {"FLOOR": "Fl", "FL": "Fl", "FLR": "Fl"},
    "CA": {"FLOOR": "Fl", "FL": "Fl", "ETAGE": "Fl"},
    "AU": {"LEVEL": "Level", "LVL": "Level", "L": "Level", "FLOOR": "Floor", "FL": "Floor"},
    "GB": {"FLOOR": "Floor", "FL": "Floor", "LEVEL": "Level"},
}

_ORDINAL_UNITS = ("", "FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH", "SEVENTH", "EIGHTH", "NINTH")
_ORDINAL_TEENS = ("TENTH", "ELEVENTH", "TWELFTH", "THIRTEENTH", "FOURTEENTH", "FIFTEENTH", "SIXTEENTH",
                  "SEVENTEENTH", "EIGHTEENTH", "NINETEENTH")  # fmt: skip
_TENS_WORDS = ("", "", "TWENTY", "THIRTY", "FORTY", "FIFTY", "SIXTY", "SEVENTY", "EIGHTY", "NINETY")


def _numeric_ordinal(n: int) -> str:
    suffix = "TH" if 10 <= n % 100 <= 20 else {1: "ST", 2: "ND", 3: "RD"}.get(n % 10, "TH")
    return f"{n}{suffix}"


def _spelled_ordinals() -> dict[str, str]:
    """Spelled ordinals First..Hundredth (with and without a space/hyphen) -> '1ST'..'100TH'."""
    table = {word: _numeric_ordinal(n) for n, word in enumerate(_ORDINAL_UNITS) if word}
    table.update({word: _numeric_ordinal(10 + n) for n, word in enumerate(_ORDINAL_TEENS)})
    for tens in range(2, 10):
        word = _TENS_WORDS[tens]
        table[word[:-1] + "IETH"] = _numeric_ordinal(10 * tens)
        for units in range(1, 10):
            for sep in (" ", ""):
                table[f"{word}{sep}{_ORDINAL_UNITS[units]}"] = _numeric_ordinal(10 * tens + units)
    table["HUNDREDTH"] = table["ONE HUNDREDTH"] = "100TH"
    return table


# match keys of spelled-out ordinals ("TWENTY FIRST") -> numeric form ("21ST")
SPELLED_ORDINALS: dict[str, str] = _spelled_ordinals()
