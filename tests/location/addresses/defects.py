"""A labelled accuracy corpus: a generated reference plus input rows each carrying one known defect.

The reference holds fictional streets in real postcodes: six US cities with three ZIPs each (streets
that run through every ZIP of their city, numbered streets with directionals, E/W street pairs,
same-name streets of different types) plus CA, GB and AU areas. Each input row takes one reference
point and applies one defect of a named kind; its label is the point it must be matched to. Rows
whose defect leaves the address ambiguous in the reference (the dropped directional could be E or
W) and rows naming house numbers that do not exist are negatives: a Premise match there is false.

``score`` turns validation outcomes into recall (correct Premise matches / positive rows) and
precision (correct Premise matches / all Premise matches), per kind and overall.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobforge.services.location.addresses import AddressValidator, import_openaddresses
from jobforge.services.location.addresses.standardize import name_key, number_key, standardize_street

from .refdata import RefPoint, write_csv

US_CITIES: tuple[tuple[str, str, str, tuple[str, ...], float, float], ...] = (
    ("Madison", "WI", "Wisconsin", ("53703", "53704", "53705"), 43.0747, -89.3841),
    ("Seattle", "WA", "Washington", ("98112", "98101", "98105"), 47.6301, -122.2972),
    ("Portland", "OR", "Oregon", ("97201", "97202", "97209"), 45.5152, -122.6784),
    ("Austin", "TX", "Texas", ("78701", "78702", "78703"), 30.2713, -97.7426),
    ("Denver", "CO", "Colorado", ("80202", "80203", "80205"), 39.7491, -104.9946),
    ("Chicago", "IL", "Illinois", ("60614", "60657", "60610"), 41.9229, -87.6483),
)
# country, city, region code, region name, postcodes
INTL_AREAS: tuple[tuple[str, str, str, str, tuple[str, ...], float, float], ...] = (
    ("CA", "Toronto", "ON", "Ontario", ("M5V 2T6", "M5V 3L9", "M4C 1B5"), -79.3957, 43.6435),
    ("CA", "Vancouver", "BC", "British Columbia", ("V6B 1A1", "V5K 0A1"), -123.11, 49.28),
    ("GB", "London", "", "", ("SW1A 2AA", "EC1A 1BB", "N1 9GU"), -0.1410, 51.5010),
    ("GB", "Manchester", "", "", ("M1 1AE", "M2 5DB"), -2.2426, 53.4808),
    ("AU", "Melbourne", "VIC", "Victoria", ("3000", "3004"), 144.9631, -37.8136),
    ("AU", "Sydney", "NSW", "New South Wales", ("2000", "2010"), 151.2070, -33.8675),
    ("CA", "Montréal", "QC", "Québec", ("H2X 1Y4", "H3B 2Y5"), -73.5673, 45.5017),  # names with accents
)
# Two neighbouring towns whose streets run across the postcode boundary: city, postcode, lon, lat.
BORDER_TOWNS: tuple[tuple[str, str, float, float], ...] = (
    ("Minneapolis", "55414", -93.2199, 44.9779),
    ("Saint Paul", "55114", -93.1981, 44.9680),
)
_SYLLABLES = (
    "quill brin lan orch mar this cop wren amb fox lark haz jun moss cind bram eld glim kest net "
    "oak peb rook sab tan umb vet wil yar zeph ash birch"
).split()
_ENDINGS = "feather combe wick vale gate down beck hollow moor glen croft well field stone brook ley".split()
_ACCENTED_SYLLABLES = "bé lé mè rô châ fré gué dé pè sé cô vé".split()
_FRENCH_ENDINGS = "taille rière court ville mont lière ronne champ".split()
_TYPES = ("Street", "Avenue", "Road", "Boulevard", "Drive", "Lane", "Court", "Place", "Way", "Terrace")
_ABBREVIATIONS = {"Street": "St", "Avenue": "Ave", "Road": "Rd", "Boulevard": "Blvd", "Drive": "Dr",
                  "Lane": "Ln", "Court": "Ct", "Place": "Pl", "Way": "Way", "Terrace": "Ter"}  # fmt: skip
_DIRECTION_WORDS = {"N": "North", "S": "South", "E": "East", "W": "West", "NE": "Northeast",
                    "NW": "Northwest", "SE": "Southeast", "SW": "Southwest"}  # fmt: skip
_UNITS = ("", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth")
_TEENS = ("Tenth", "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth",
          "Seventeenth", "Eighteenth", "Nineteenth")  # fmt: skip
_TENS = ("", "", "Twent", "Thirt", "Fort", "Fift", "Sixt", "Sevent", "Eight", "Ninet")
NEGATIVE = "negative"


@dataclass(frozen=True)
class Street:
    """A reference street in parts: the reference spells it ``raw``."""

    prefix: str
    base: str
    type: str
    suffix: str
    ordinal: int = 0  # the number of a numbered street ("12th")

    def text(self, full_type: bool = False, full_dirs: bool = False) -> str:
        def d(x: str) -> str:
            return _DIRECTION_WORDS[x] if full_dirs and x else x

        st_type = self.type if full_type else _ABBREVIATIONS.get(self.type, self.type)
        return " ".join(x for x in (d(self.prefix), self.base, st_type, d(self.suffix)) if x)


@dataclass(frozen=True)
class Place:
    country: str
    city: str
    region: str
    region_name: str
    postcode: str
    city_postcodes: tuple[str, ...]


@dataclass(frozen=True)
class Labelled:
    """One input row, its defect kind and the point it must match (None for a negative)."""

    kind: str
    row: dict[str, Any]
    truth: RefPoint | None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def spell_ordinal(n: int) -> str:
    """'Twelfth', 'Twenty-First', 'Fortieth' (1..99)."""
    if n < 10:
        return _UNITS[n]
    if n < 20:
        return _TEENS[n - 10]
    tens, units = divmod(n, 10)
    return f"{_TENS[tens]}ieth" if units == 0 else f"{_TENS[tens]}y-{_UNITS[units]}"


class Reference:
    """The generated reference: points, their streets and places, and lookups used for labelling."""

    def __init__(self, seed: int = 18) -> None:
        self.rng = random.Random(seed)
        self.points: dict[str, list[RefPoint]] = {"US": [], "CA": [], "GB": [], "AU": []}
        self.street_of: dict[int, Street] = {}
        self.place_of: dict[int, Place] = {}
        self._names: set[str] = set()
        for city, state, state_name, zips, lat, lon in US_CITIES:
            self._area("US", city, state, state_name, zips, lon, lat, ordinals=True, directionals=True)
        for country, city, region, region_name, pcs, lon, lat in INTL_AREAS:
            self._area(country, city, region, region_name, pcs, lon, lat, False, country != "GB")
        self.across: set[int] = set()  # ids of points on streets running across BORDER_TOWNS
        self.apart: set[int] = set()  # ids of points on a same-named street that does not
        self._border()

    def _name(self, accented: bool = False) -> str:
        syllables, endings = (_ACCENTED_SYLLABLES, _FRENCH_ENDINGS) if accented else (_SYLLABLES, _ENDINGS)
        while True:
            name = (self.rng.choice(syllables) + self.rng.choice(endings)).title()
            if name not in self._names:
                self._names.add(name)
                return name

    def _add(self, street: Street, place: Place, numbers: Iterable[str], lon: float, lat: float) -> None:
        upper = self.rng.random() < 0.3  # OpenAddresses sources are often upper case
        raw = street.text(full_type=self.rng.random() < 0.5)
        for i, number in enumerate(numbers):
            p = RefPoint(lon + 1e-4 * i, lat, number, raw.upper() if upper else raw, "", place.city,
                         place.region, place.postcode)  # fmt: skip
            self.points[place.country].append(p)
            self.street_of[id(p)] = street
            self.place_of[id(p)] = place

    def _area(self, country: str, city: str, region: str, region_name: str, pcs: tuple[str, ...],
              lon: float, lat: float, ordinals: bool, directionals: bool) -> None:  # fmt: skip
        rng = self.rng
        places = [Place(country, city, region, region_name, pc, pcs) for pc in pcs]
        accented = not city.isascii()
        through = [Street("", self._name(accented), rng.choice(_TYPES), "") for _ in range(2)]
        for z, place in enumerate(places):
            for s, street in enumerate(through):  # one street, a different stretch in every postcode
                self._add(street, place, (str(1000 * (z + 1) + 2 * k) for k in range(12)), lon, lat + s)
            for _ in range(4):
                prefix = rng.choice(("", "", "N", "S")) if directionals else ""
                street = Street(prefix, self._name(accented), rng.choice(_TYPES), "")
                self._add(street, place, (str(100 + 4 * k) for k in range(12)), lon + z, lat)
            # same name, two types: "Foxglen St" and "Foxglen Ave" (one shared house number)
            twin = self._name(accented)
            self._add(Street("", twin, "Street", ""), place, (str(10 + 2 * k) for k in range(8)), lon, lat)
            self._add(Street("", twin, "Avenue", ""), place, (str(24 + 2 * k) for k in range(8)), lon, lat)
            if directionals:  # an E/W pair with overlapping stretches
                pair = self._name(accented)
                self._add(
                    Street("E", pair, "Street", ""), place, (str(300 + 2 * k) for k in range(10)), lon, lat
                )
                self._add(
                    Street("W", pair, "Street", ""), place, (str(316 + 2 * k) for k in range(10)), lon, lat
                )
            if ordinals:
                for n in rng.sample(range(1, 60), 3):
                    suffix = rng.choice(("", "NE", "NW", "SE", "SW", "E", "W"))
                    street = Street("", _ordinal(n), rng.choice(("Avenue", "Street")), suffix, n)
                    self._add(street, place, (str(600 + 6 * k) for k in range(10)), lon, lat + z)
            numbered = Street("", self._name(accented), "Road" if country == "GB" else "Street", "")
            self._add(numbered, place, ("7", "7A", "7B", "9", "11A", "15C"), lon, lat)

    def _border(self) -> None:
        """Streets that run from one BORDER_TOWN into the other (a stretch in each postcode,
        meeting at the boundary), and one name found in both towns 3 km apart."""
        (city_a, pc_a, lon_a, lat_a), (city_b, pc_b, lon_b, lat_b) = BORDER_TOWNS
        towns = [
            Place("US", city, "MN", "Minnesota", pc, (pc,)) for city, pc in ((city_a, pc_a), (city_b, pc_b))
        ]
        for s in range(5):
            street = Street("", self._name(), self.rng.choice(_TYPES), "")
            for side, (place, first) in enumerate(zip(towns, (100, 2000), strict=True)):
                for k in range(12):
                    t = 0.2 + 0.3 * side + 0.025 * k  # along the line from one centroid to the other
                    lon, lat = lon_a + t * (lon_b - lon_a), lat_a + t * (lat_b - lat_a) + 0.002 * s
                    if s == 4 and side == 1:
                        lon += 0.04  # the same name 3 km further east: another street
                    p = RefPoint(lon, lat, str(first + 2 * k), street.text(full_type=True), "", place.city,
                                 place.region, place.postcode)  # fmt: skip
                    self.points["US"].append(p)
                    self.street_of[id(p)] = street
                    self.place_of[id(p)] = place
                    (self.apart if s == 4 else self.across).add(id(p))
        self.border_towns = towns

    def all_points(self) -> list[tuple[str, RefPoint]]:
        return [(c, p) for c, pts in self.points.items() for p in pts]

    def candidates(self, point: RefPoint, country: str, same: Callable[[Street], bool]) -> list[RefPoint]:
        """Points of the same postcode and house number on streets ``same`` accepts."""
        return [
            q
            for q in self.points[country]
            if q.postcode == point.postcode
            and number_key(q.number) == number_key(point.number)
            and same(self.street_of[id(q)])
        ]


# --- rows ----------------------------------------------------------------------------------------


def _row(point: RefPoint, place: Place, street: str, **changes: Any) -> dict[str, Any]:
    row = {
        "AddressLines_1": f"{point.number} {street}",
        "AddressComponents_Locality": place.city,
        "AddressComponents_Region": place.region or None,
        "AddressComponents_PostalCode": place.postcode,
        "AddressComponents_Country": place.country,
    }
    row.update(changes)
    return row


def _unaccented(text: str) -> str:
    """``text`` as a keyboard without accents writes it ("Montréal" -> "Montreal")."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(("drop", "swap", "double", "replace"))
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiou".replace(word[i].lower(), "")) + word[i + 1 :]


Defect = Callable[["Corpus", str, RefPoint, Street, Place], "dict[str, Any] | None"]


class Corpus:
    """Builds labelled rows of every defect kind over a Reference."""

    def __init__(self, reference: Reference, seed: int = 18) -> None:
        self.ref = reference
        self.rng = random.Random(seed)

    # each defect: (country, point, street, place) -> input row, or None when it does not apply

    def exact(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        return _row(p, pl, s.text())

    def wrong_postcode(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        others = [pc for pc in pl.city_postcodes if pc != pl.postcode]
        if not others:
            return None
        return _row(p, pl, s.text(), AddressComponents_PostalCode=self.rng.choice(others))

    def type_missing(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        if s.ordinal:
            return None
        return _row(p, pl, Street(s.prefix, s.base, "", s.suffix).text())

    def _other_type(self, p: RefPoint, s: Street, pl: Place) -> dict[str, Any]:
        same = (s.prefix, s.base, s.suffix)
        taken = {t.type for t in self.ref.street_of.values() if (t.prefix, t.base, t.suffix) == same}
        other = self.rng.choice([t for t in _TYPES if t not in taken])
        return _row(p, pl, Street(s.prefix, s.base, other, s.suffix).text())

    def wrong_type(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        return None if s.ordinal else self._other_type(p, s, pl)

    def wrong_type_numbered(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        return self._other_type(p, s, pl) if s.ordinal else None

    def spelled_ordinal(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        if not s.ordinal:
            return None
        return _row(p, pl, Street(s.prefix, spell_ordinal(s.ordinal), s.type, s.suffix).text())

    def directional_dropped(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        if not (s.prefix or s.suffix):
            return None
        return _row(p, pl, Street("", s.base, s.type, "").text())

    def extra_directional(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        if s.prefix or s.suffix or c == "GB":
            return None
        return _row(p, pl, Street(self.rng.choice(("N", "S", "E", "W")), s.base, s.type, "").text())

    def street_typo(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        if s.ordinal or len(s.base) < 8:
            return None
        return _row(p, pl, Street(s.prefix, _typo(self.rng, s.base), s.type, s.suffix).text())

    def full_words(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        return _row(p, pl, s.text(full_type=True, full_dirs=True))

    def case_noise(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        text = s.text()
        noisy = self.rng.choice((text.lower(), text.upper(), text.swapcase()))
        return _row(p, pl, noisy, AddressComponents_Locality=pl.city.upper())

    def whitespace_punctuation(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        words = s.text().split()
        line = "  ".join(w + "." if len(w) <= 3 and w.isalpha() else w for w in words)
        return _row(
            p, pl, line, AddressLines_1=f" {p.number},  {line} ", AddressComponents_Locality=f"{pl.city} "
        )

    def unit_forms(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        unit = str(self.rng.randint(1, 9))
        forms = {"US": (f"Apt {unit}", f"# {unit}", f"Unit {unit}", f"Ste {unit}"),
                 "CA": (f"Apt {unit}", f"Suite {unit}", f"Unit {unit}"),
                 "GB": (f"Flat {unit}",), "AU": (f"Unit {unit}",)}[c]  # fmt: skip
        line = f"{p.number} {s.text()} {self.rng.choice(forms)}"
        if c == "GB" or (c == "AU" and self.rng.random() < 0.5):
            line = (
                f"{self.rng.choice(forms)} {p.number} {s.text()}"
                if c == "GB"
                else f"{unit}/{p.number} {s.text()}"
            )
        return _row(p, pl, "", AddressLines_1=line)

    def number_suffix(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        if not p.number[-1].isalpha():
            return None
        return _row(p, pl, "", AddressLines_1=f"{p.number[:-1]}{p.number[-1].lower()} {s.text()}")

    def accents_dropped(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        if s.text().isascii() and pl.city.isascii():
            return None
        return _row(p, pl, _unaccented(s.text()), AddressComponents_Locality=_unaccented(pl.city))

    def city_misspelled(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        if len(pl.city) < 6:
            return None
        return _row(p, pl, s.text(), AddressComponents_Locality=_typo(self.rng, pl.city))

    def region_full_name(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        if not pl.region_name:
            return None
        return _row(p, pl, s.text(), AddressComponents_Region=pl.region_name)

    def postcode_missing(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        return _row(p, pl, s.text(), AddressComponents_PostalCode=None)

    def _in_other_postcode(self, c: str, p: RefPoint) -> bool:
        """Whether the same street and number exist in another postcode of the city."""
        s, pl = self.ref.street_of[id(p)], self.ref.place_of[id(p)]
        return any(
            q.number == p.number
            and q.postcode != p.postcode
            and self.ref.street_of[id(q)] == s
            and self.ref.place_of[id(q)].city == pl.city
            for q in self.ref.points[c]
        )

    def _other_town(self, p: RefPoint, s: Street) -> dict[str, Any]:
        own = self.ref.place_of[id(p)]
        other = next(town for town in self.ref.border_towns if town.postcode != own.postcode)
        return _row(p, other, s.text())

    def neighbour_postcode(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        """The neighbouring town's locality and postcode for an address on a street running
        across their boundary."""
        return self._other_town(p, s) if id(p) in self.ref.across else None

    def postcode_format(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        if c not in ("CA", "GB"):
            return None
        return _row(p, pl, s.text(), AddressComponents_PostalCode=pl.postcode.replace(" ", "").lower())

    def single_line(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        last = " ".join(x for x in (pl.region, pl.postcode) if x)
        return {"AddressLines_1": f"{p.number} {s.text()}, {pl.city}, {last}", "AddressComponents_Country": c}

    def swapped_lines(self, c: str, p: RefPoint, s: Street, pl: Place) -> dict[str, Any] | None:
        last = " ".join(x for x in (pl.region, pl.postcode) if x)
        return {"AddressLines_1": f"{pl.city}, {last}", "AddressLines_2": f"{p.number} {s.text()}",
                "AddressComponents_Country": c}  # fmt: skip

    # -- labelling --------------------------------------------------------------------------------

    def _ambiguous(self, kind: str, c: str, p: RefPoint, s: Street) -> bool:
        """Whether another point fits the defective row as well as the truth does."""
        if kind in ("type_missing", "wrong_type", "wrong_type_numbered"):
            keep = (s.prefix, s.base, s.suffix)

            def same(t: Street) -> bool:
                return (t.prefix, t.base, t.suffix) == keep
        elif kind in ("directional_dropped", "extra_directional"):

            def same(t: Street) -> bool:
                return (t.base, t.type) == (s.base, s.type)
        else:
            return False
        return len(self.ref.candidates(p, c, same)) > 1

    def _exact_elsewhere(self, c: str, p: RefPoint, row: dict[str, Any]) -> bool:
        """Whether the defective street line names another point of the city exactly (another
        postcode's '630 6th Ave' for '630 6th Ave SE' with its directional dropped)."""
        number, _, text = (row.get("AddressLines_1") or "").partition(" ")
        given = standardize_street(text, c)
        city = self.ref.place_of[id(p)].city
        return given is not None and any(
            q is not p
            and number_key(q.number) == number_key(number)
            and self.ref.place_of[id(q)].city == city
            and standardize_street(q.street, c) == given
            for q in self.ref.points[c]
        )

    def rows(self, per_kind: int = 110) -> list[Labelled]:
        """``per_kind`` rows of every defect kind (fewer where few points qualify) plus negatives."""
        points = self.ref.all_points()
        out: list[Labelled] = []
        for kind in DEFECT_KINDS:
            defect: Defect = getattr(Corpus, kind)
            made = 0
            for c, p in self.rng.sample(points, len(points)):
                row = defect(self, c, p, self.ref.street_of[id(p)], self.ref.place_of[id(p)])
                if row is None:
                    continue
                street = self.ref.street_of[id(p)]
                if (
                    self._ambiguous(kind, c, p, street)
                    or (kind in _LOSSY and self._exact_elsewhere(c, p, row))
                    or (kind in _POSTCODE_LOST and self._in_other_postcode(c, p))
                ):
                    out.append(Labelled(f"{NEGATIVE}:ambiguous_{kind}", row, None))
                else:
                    out.append(Labelled(kind, row, p))
                made += 1
                if made >= per_kind:
                    break
        out += self._absent_numbers(per_kind)
        out += [
            Labelled(
                f"{NEGATIVE}:same_name_not_continuing", self._other_town(p, self.ref.street_of[id(p)]), None
            )
            for _, p in points
            if id(p) in self.ref.apart
        ]
        out += self._streets_of_other_cities(per_kind)
        return out

    def _streets_of_other_cities(self, count: int) -> list[Labelled]:
        """Rows naming a street of one city with another city of the same country and its postcode."""
        out = []
        points = self.ref.all_points()
        for c, p in self.rng.sample(points, count):
            own = self.ref.place_of[id(p)]
            places = {
                pl.city: pl for q in self.ref.points[c] if (pl := self.ref.place_of[id(q)]).city != own.city
            }
            other = places[self.rng.choice(sorted(places))]
            street = self.ref.street_of[id(p)]
            if any(
                self.ref.place_of[id(q)].city == other.city and self.ref.street_of[id(q)].base == street.base
                for q in self.ref.points[c]
                if q.number == p.number
            ):
                continue  # the other city has that number on a street of that name (of any type)
            if id(p) in self.ref.across and other in self.ref.border_towns:
                continue  # the street runs on into the other town: a neighbour_postcode row
            row = _row(p, other, street.text())
            out.append(Labelled(f"{NEGATIVE}:street_of_other_city", row, None))
        return out

    def _absent_numbers(self, count: int) -> list[Labelled]:
        """Rows naming a house number that no point of the street has, in any postcode."""
        out = []
        points = self.ref.all_points()
        for c, p in self.rng.sample(points, count):
            s, pl = self.ref.street_of[id(p)], self.ref.place_of[id(p)]
            numbers = {number_key(q.number) for q in self.ref.points[c] if self.ref.street_of[id(q)] == s}
            absent = next(
                str(n) for n in range(int(p.number.rstrip("ABC")) + 1, 10_000) if str(n) not in numbers
            )
            out.append(
                Labelled(
                    f"{NEGATIVE}:absent_number",
                    _row(p, pl, s.text(), AddressLines_1=f"{absent} {s.text()}"),
                    None,
                )
            )
        return out


_LOSSY = frozenset(
    {"type_missing", "wrong_type", "wrong_type_numbered", "directional_dropped", "extra_directional"}
)
_POSTCODE_LOST = frozenset({"postcode_missing", "wrong_postcode"})
DEFECT_KINDS: tuple[str, ...] = (
    "exact",
    "wrong_postcode",
    "type_missing",
    "wrong_type",
    "wrong_type_numbered",
    "spelled_ordinal",
    "directional_dropped",
    "extra_directional",
    "street_typo",
    "full_words",
    "case_noise",
    "whitespace_punctuation",
    "unit_forms",
    "number_suffix",
    "city_misspelled",
    "accents_dropped",
    "region_full_name",
    "postcode_missing",
    "postcode_format",
    "single_line",
    "swapped_lines",
    "neighbour_postcode",
)


# --- scoring -------------------------------------------------------------------------------------

OUT_STREET = "Output_Address_Street"
OUT_NUMBER = "Output_Address_AddressNumber"
OUT_POSTCODE = "Output_Address_PostalCodeDetails_Base"
OUT_GRANULARITY = "Output_ValidationResults_ValidationGranularity"


def is_correct(country: str, truth: RefPoint, out: dict[str, Any]) -> bool:
    """The outcome names the labelled point: its street, house number and postcode."""
    street = standardize_street(truth.street, country)
    return (
        street is not None
        and name_key(out.get(OUT_STREET)) == street.key
        and number_key(out.get(OUT_NUMBER)) == number_key(truth.number)
        and out.get(OUT_POSTCODE) == truth.postcode
    )


@dataclass
class KindScore:
    rows: int = 0  # positive rows
    correct: int = 0  # positive rows matched at Premise to their point
    premise: int = 0  # Premise claims (positive and negative rows)
    negatives: int = 0

    @property
    def recall(self) -> float:
        return self.correct / self.rows if self.rows else 1.0

    @property
    def wrong(self) -> int:
        """Premise claims naming another point than the label (all of them, on negative rows)."""
        return self.premise - self.correct

    @property
    def precision(self) -> float:
        return self.correct / self.premise if self.premise else 1.0


def score(rows: list[Labelled], outcomes: list[dict[str, Any]]) -> dict[str, KindScore]:
    """Per kind (negatives under their own kinds) and ``overall``."""
    scores: dict[str, KindScore] = {}
    overall = KindScore()
    for item, out in zip(rows, outcomes, strict=True):
        ks = scores.setdefault(item.kind, KindScore())
        premise = out.get(OUT_GRANULARITY) == "Premise"
        country = item.row.get("AddressComponents_Country") or "US"
        correct = premise and item.truth is not None and is_correct(country, item.truth, out)
        for target in (ks, overall):
            target.premise += premise
            if item.truth is None:
                target.negatives += 1
            else:
                target.rows += 1
                target.correct += correct
    scores["overall"] = overall
    return scores


# --- running -------------------------------------------------------------------------------------


def build_index(reference: Reference, workdir: Path) -> Path:
    """Import the reference into a fresh index under ``workdir``."""
    index = workdir / "accuracy.sqlite"
    for country, points in reference.points.items():
        import_openaddresses(write_csv(workdir / f"accuracy-{country}.csv", points), index, country)
    return index


def measure(workdir: Path, per_kind: int = 110, seed: int = 18) -> dict[str, KindScore]:
    """Generate the corpus, validate every row against its reference, and score the outcomes."""
    reference = Reference(seed)
    validator = AddressValidator(build_index(reference, workdir))
    try:
        rows = Corpus(reference, seed).rows(per_kind)
        outcomes = [validator.validate_mapping(item.row).as_dict() for item in rows]
    finally:
        validator.close()
    return score(rows, outcomes)


def report(scores: dict[str, KindScore]) -> str:
    """A table per kind: positive rows, negative rows, wrong Premise claims, recall, precision."""
    lines = [f"{'kind':40} {'rows':>5} {'neg':>4} {'wrong':>5} {'recall':>7} {'precision':>9}"]
    for kind, ks in sorted(scores.items(), key=lambda kv: (kv[0] == "overall", kv[0])):
        lines.append(
            f"{kind:40} {ks.rows:5d} {ks.negatives:4d} {ks.wrong:5d} {ks.recall:7.3f} {ks.precision:9.3f}"
        )
    return "\n".join(lines)
