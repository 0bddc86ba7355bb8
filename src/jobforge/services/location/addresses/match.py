"""Matching a ParsedAddress against reference points and the US ZIP table.

Produces per-component Status/StatusDetail pairs, the validation granularity, a confidence score
and a position. Premise granularity is only ever claimed when a reference address point with the
same house number on the matched street exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Any

from rapidfuzz import fuzz, process

from .countries import Country, resolve_region
from .neighbours import Neighbours, continues
from .parse import ParsedAddress
from .reference import (
    AddressPoint,
    Block,
    GroupSummary,
    ReferenceIndex,
    StreetGroup,
    UsZipTable,
    ZipInfo,
    us_zip_table,
)
from .standardize import StreetParts, name_key, number_key, postcode_regions, standardize_street
from .vocab import SPELLED_ORDINALS

VALIDATED = "Validated"
UNCONFIRMED = "Unconfirmed"
EXACT = "Exact"
CORRECTED = "Corrected"
ALIAS = "Alias"
APPENDED = "Appended"
NO_MATCH = "StandardizedNoMatch"
NOT_FOUND = "NotFound"
OUT_OF_RANGE = "OutOfRange"

PREMISE = "Premise"
STREET = "Street"
LOCALITY_AND_POSTAL = "LocalityAndPostalCode"
LOCALITY = "Locality"

COMPONENTS: tuple[str, ...] = (
    "Country",
    "Region",
    "Locality",
    "Street",
    "AddressNumber",
    "PostalCodeDetails_Base",
    "PostalCodeDetails_Extension",
    "SecondaryAddressComponents_Unit",
    "SecondaryAddressComponents_Floor",
)

_GRANULARITY_WEIGHT = {PREMISE: 1.0, STREET: 0.8, LOCALITY_AND_POSTAL: 0.6, LOCALITY: 0.45, None: 0.15}
_LEVEL_COMPONENTS = {
    PREMISE: frozenset(COMPONENTS),
    STREET: frozenset({"Country", "Region", "Locality", "Street", "PostalCodeDetails_Base"}),
    LOCALITY_AND_POSTAL: frozenset({"Country", "Region", "Locality", "PostalCodeDetails_Base"}),
    LOCALITY: frozenset({"Country", "Region", "Locality"}),
    None: frozenset({"Country"}),
}
_V_EXACT = (VALIDATED, EXACT)
_V_APPENDED = (VALIDATED, APPENDED)
_V_ALIAS = (VALIDATED, ALIAS)
_U_NO_MATCH = (UNCONFIRMED, NO_MATCH)
_U_NOT_FOUND = (UNCONFIRMED, NOT_FOUND)
_U_OUT_OF_RANGE = (UNCONFIRMED, OUT_OF_RANGE)
STREET_CUTOFF = 85.0
STRUCTURAL_SIM = 0.9  # similarity reported for a street found despite a missing/wrong type or directional
LOCALITY_CUTOFF = 85.0
POSITION_COUNTRIES = frozenset({"US", "CA", "AU"})
_MISSING: Any = object()
_NO_SIMS: dict[str, float] = {}


def confidence_label(score: float) -> str:
    """Map a 0..1 score to the MatchConfidence enum."""
    if score >= 0.9:
        return "High"
    if score >= 0.78:
        return "MediumHigh"
    if score >= 0.58:
        return "Medium"
    if score >= 0.4:
        return "MediumLow"
    return "Low"


@dataclass(slots=True)
class MatchResult:
    """Standardized/corrected components plus validation results for one address."""

    country: Country
    number: str | None = None
    street: StreetParts | None = None
    unit_designator: str | None = None
    unit_number: str | None = None
    floor_designator: str | None = None
    floor_number: str | None = None
    locality: str | None = None
    region: tuple[str, str] | None = None
    sub_region: str | None = None
    postcode: str | None = None
    postcode_ext: str | None = None
    statuses: dict[str, tuple[str, str]] = field(default_factory=dict)
    granularity: str | None = None
    score: float = 0.0
    confidence: str = "Low"
    position: tuple[float, float] | None = None
    zip_valid: bool | None = None
    _sims: dict[str, float] | None = None  # similarity of components below 1.0 (made when one is)
    group: StreetGroup | None = None  # the reference street and point matched, if any
    point: AddressPoint | None = None

    def set(self, component: str, status: str, detail: str, similarity: float = 1.0) -> None:
        self.statuses[component] = (status, detail)
        if similarity != 1.0:
            if self._sims is None:
                self._sims = {}
            self._sims[component] = similarity


def _factor(detail: str, sim: float) -> float:
    if detail == CORRECTED:
        return 0.6 + 0.35 * sim
    if detail == APPENDED:
        return 0.97
    if detail == ALIAS:
        return 0.98
    if detail in (NO_MATCH, OUT_OF_RANGE):
        return 0.95
    return 1.0


def _fuzzy(key: str, choices: list[str], cutoff: float) -> tuple[str, float] | None:
    if not key or not choices:
        return None
    hit = process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
    return (hit[0], hit[1] / 100.0) if hit else None


def _acceptable_keys(zi: ZipInfo) -> frozenset[str]:
    return _name_keys(zi.acceptable)


@lru_cache(maxsize=32768)
def _name_keys(names: tuple[str, ...]) -> frozenset[str]:
    """Match keys of the names (cached by the names: a ZipInfo hashes slowly, field by field)."""
    return frozenset(name_key(a) for a in names)


def _ratio(a: str, b: str) -> float:
    return fuzz.ratio(a, b) / 100.0


Candidates = tuple[
    tuple[StreetGroup, float], ...
]  # reference streets an input street may be, with similarity


@lru_cache(maxsize=32768)
def base_key(base_name: str) -> str:
    """Match key of a street's base name alone, spelled ordinals as numbers ('Twelfth' -> '12TH')."""
    key = name_key(base_name.replace("-", " "))
    return SPELLED_ORDINALS.get(key, key)


def _digits(key: str) -> str:
    return "".join(ch for ch in key if ch.isdigit())


def _directions(street: StreetParts) -> frozenset[str]:
    return frozenset(d for d in (street.prefix, street.suffix) if d)


def _disagreements(given: StreetParts, ref: StreetParts) -> int:
    """How far the reference street contradicts the type and directionals the input gave: one for
    another type, one for a directional the reference lacks, two for another directional, and one
    more when, besides a contradiction, the input also lacks a type or directional the reference has."""
    dirs, ref_dirs = _directions(given), _directions(ref)
    wrong_dirs = 0 if not dirs or dirs == ref_dirs else (2 if ref_dirs else 1)
    wrong = bool(given.type and given.type != ref.type) + wrong_dirs
    missing = (not given.type and ref.type is not None) or (not dirs and bool(ref_dirs))
    return wrong + (wrong > 0 and missing)


@dataclass(slots=True)
class _LooseBlock:
    """A block's streets by base-name key (types and directionals aside)."""

    block: Block
    by_base: dict[str, list[tuple[StreetGroup, StreetParts]]]


def _best(candidates: Iterable[tuple[StreetGroup, float]]) -> tuple[StreetGroup, float] | None:
    """The candidate ranked above all others, if one is."""
    ranked = sorted(candidates, key=lambda c: -c[1])
    if not ranked or (len(ranked) > 1 and ranked[1][1] >= ranked[0][1]):
        return None
    return ranked[0]


def _unambiguous(points: list[AddressPoint] | None, pc: str | None) -> list[AddressPoint] | None:
    """The points of a house number, unless they lie in several postcodes and none is the one given
    (the same number in two postcodes of a street: which one is meant is not known)."""
    if points and len(points) > 1 and all(pt.postcode != pc for pt in points):
        if len({pt.postcode for pt in points}) > 1:
            return None
    return points


class _Memo:
    """A bounded memo in two parts: a look-up met once goes to ``new``, which starts afresh when
    full; met again, it moves to ``kept``, which drops its older half when full. One-off keys (a
    typo'd street) thus never push out the ones met again and again (a street that exact-premise
    templates and learnt shapes rely on)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self.new: dict[Any, Any] = {}
        self.kept: dict[Any, Any] = {}

    def get(self, key: Any, default: Any = None) -> Any:
        found = self.kept.get(key, _MISSING)
        if found is not _MISSING:
            return found
        found = self.new.pop(key, _MISSING)
        if found is _MISSING:
            return default
        if len(self.kept) >= self._size:
            for old in list(islice(self.kept, len(self.kept) // 2)):  # dicts keep insertion order
                del self.kept[old]
        self.kept[key] = found
        return found

    def put(self, key: Any, value: Any) -> None:
        if len(self.new) >= self._size // 2:
            self.new.clear()
        self.new[key] = value


def _pick(candidates: Candidates, number: str | None) -> tuple[StreetGroup, float] | None:
    """The best-ranked candidate holding the house number, else the best-ranked one; None on a tie."""
    if len(candidates) == 1:
        return candidates[0]
    if number:
        key = number_key(number)
        holding = [c for c in candidates if key in c[0].by_number]
        if holding:
            return _best(holding)
    return _best(candidates)


class Matcher:
    """Matches parsed addresses; holds the reference index and memoizes fuzzy lookups."""

    def __init__(self, reference: ReferenceIndex | None) -> None:
        self.ref = reference
        self._street_fuzzy: dict[tuple[int, str, int], Candidates] = {}
        self._loose_blocks: dict[int, _LooseBlock] = {}
        self._street_memo = _Memo(32_768)  # (country, street key, postcode, locality key) -> candidates
        self.fuzzy_locality = lru_cache(maxsize=32768)(self._fuzzy_locality)
        self.fuzzy_us_city = lru_cache(maxsize=32768)(self._fuzzy_us_city)
        self.neighbours = Neighbours(reference) if reference is not None else None

    # -- lookups ------------------------------------------------------------------------------

    def _street_in(
        self, block: Block, street: StreetParts, country: str, contradictions: int = 0
    ) -> Candidates:
        """Streets of the block the input street may be: itself, else by base name, else by typo."""
        group = block.streets.get(street.key)
        if group is not None:
            return ((group, 1.0),)
        if not block.keys:
            return ()
        memo_key = (id(block), street.key, contradictions)
        hit = self._street_fuzzy.get(memo_key)
        if hit is None:
            if len(self._street_fuzzy) >= 32_768:
                self._street_fuzzy.clear()
            hit = self._loose_candidates(block, street, country, contradictions)
            hit = hit or self._misspelt(block, street, country)
            self._street_fuzzy[memo_key] = hit
        return hit

    def _misspelt(self, block: Block, street: StreetParts, country: str) -> Candidates:
        """The closest whole street name ('Nrth Quilbran Stret'), never changing a number in it nor
        contradicting a type or directional read from the input."""
        hit = _fuzzy(street.key, block.keys, STREET_CUTOFF)
        if hit is None or _digits(hit[0]) != _digits(street.key):
            return ()
        group = block.streets[hit[0]]
        parts = standardize_street(group.street, country)
        if parts is None or _disagreements(street, parts):
            return ()
        return ((group, hit[1]),)

    def _loose(self, block: Block, country: str) -> _LooseBlock:
        loose = self._loose_blocks.get(id(block))
        if loose is None or loose.block is not block:
            if len(self._loose_blocks) >= 4096:
                self._loose_blocks.clear()
            by_base: dict[str, list[tuple[StreetGroup, StreetParts]]] = {}
            for group in block.streets.values():
                parts = standardize_street(group.street, country)
                if parts is not None and parts.base_name:
                    by_base.setdefault(base_key(parts.base_name), []).append((group, parts))
            loose = self._loose_blocks[id(block)] = _LooseBlock(block, by_base)
        return loose

    def _loose_candidates(
        self, block: Block, street: StreetParts, country: str, contradictions: int
    ) -> Candidates:
        """Streets with the same (or, misspelled, a close) base name whose type and directionals
        contradict at most ``contradictions`` of those given (missing ones never contradict); fewer
        contradictions rank higher."""
        loose = self._loose(block, country)
        key = base_key(street.base_name) if street.base_name else ""
        if not key:
            return ()
        sim = STRUCTURAL_SIM
        numbered = any(ch.isdigit() for ch in key)
        found = loose.by_base.get(key)
        if found is None:
            if numbered:
                return ()  # "2nd" is not a misspelt "42nd": numbers are not fuzzy-matched
            hit = _fuzzy(key, list(loose.by_base), STREET_CUTOFF)
            if hit is None:
                return ()
            found = loose.by_base[hit[0]]
            contradictions = 0  # a misspelt name with another type is two defects: no guess
            sim = min(_ratio(street.key, found[0][1].key), STRUCTURAL_SIM) if len(found) > 1 else hit[1]
        # fewer contradictions rank higher (a lower similarity); _pick uses the house number first
        ranked = [(g, n) for g, parts in found if (n := _disagreements(street, parts)) <= contradictions]
        return tuple((g, round(sim - 0.05 * n, 4)) for g, n in sorted(ranked, key=lambda c: c[1]))

    def _fuzzy_locality(self, country: str, key: str) -> tuple[str, float] | None:
        assert self.ref is not None
        locs = self.ref.localities(country)
        if key in locs:
            return key, 1.0
        return _fuzzy(key, list(locs), LOCALITY_CUTOFF)

    def _fuzzy_us_city(self, state: str, key: str) -> tuple[str, float] | None:
        cities = us_zip_table().cities_by_state.get(state, {})
        if key in cities or us_zip_table().zips_for(state, key):
            return key, 1.0
        return _fuzzy(key, list(cities), LOCALITY_CUTOFF)

    def _find_street(self, p: ParsedAddress, c: str, pc: str | None, loc_key: str) -> Candidates:
        """Street candidates for the address: by postcode, then by (corrected) locality, then country-wide."""
        assert self.ref is not None and p.street is not None
        street = p.street
        # a wrong type or directional is corrected only where the postcode given agrees
        by_pc = self._street_in(self.ref.by_postcode(c, pc), street, c, 1) if pc else ()
        if by_pc and by_pc[0][1] < 1.0 and loc_key:
            # a loose hit in the given postcode loses to the exact street elsewhere in the given
            # locality, unless it only lacks a type or directional the input left out: then the two
            # compete on equal terms, the house number decides and a tie is no match (see match())
            loc = self.fuzzy_locality(c, loc_key)
            exact = self.ref.by_locality(c, loc[0]).streets.get(street.key) if loc is not None else None
            if exact is not None:
                if by_pc[0][1] != STRUCTURAL_SIM:  # a typo or contradiction in the given postcode
                    return ((exact, 1.0),)
                return ((exact, by_pc[0][1]), *by_pc)
        if by_pc:
            if len(by_pc) == 1:
                cities = by_pc[0][0].summary().city_keys
            else:
                cities = frozenset().union(*(g.summary().city_keys for g, _ in by_pc))
            if not loc_key or loc_key in cities or not any(cities):
                return by_pc
            if max(_ratio(loc_key, ck) for ck in cities) >= LOCALITY_CUTOFF / 100:
                return by_pc
        if loc_key:
            loc = self.fuzzy_locality(c, loc_key)
            if loc is not None:
                hit = self._locality_streets(self.ref.by_locality(c, loc[0]), street, c, pc)
                if hit:
                    return hit
        if c == "US" and pc and (zi := us_zip_table().get(pc)) is not None:
            hit = self._locality_streets(self.ref.by_locality(c, name_key(zi.city)), street, c, pc)
            if hit:
                return hit
        if by_pc:
            return by_pc
        if not pc and not loc_key:
            block = self.ref.by_street(c, street.key)
            group = block.streets.get(street.key)
            if group is not None and len({(pt.city_key, pt.postcode) for pt in group.points}) == 1:
                return ((group, 1.0),)
        return ()

    def _locality_streets(self, block: Block, street: StreetParts, c: str, pc: str | None) -> Candidates:
        """Street candidates in a locality: any when no postcode was given, else only the street
        itself (a postcode that does not hold the street is one defect; a changed street another)."""
        if pc is None:
            return self._street_in(block, street, c)
        group = block.streets.get(street.key)
        return ((group, 1.0),) if group is not None else ()

    def _elsewhere(
        self, c: str, group: StreetGroup, number: str, loc_key: str, pc: str | None
    ) -> StreetGroup | None:
        """The same street holding the number elsewhere: across its locality's postcodes when
        exactly one of them holds it, else, when none does, across the given postcode's boundary."""
        assert self.ref is not None
        loc = self.fuzzy_locality(c, loc_key) if loc_key else None
        cities = [loc[0]] if loc is not None else list(group.summary().city_keys)
        key = number_key(number)
        held = False
        for city in cities:
            if not city:
                continue
            wide = self.ref.by_locality(c, city).streets.get(group.points[0].street_key)
            pts = wide.by_number.get(key) if wide is not None else None
            if pts and len({pt.postcode for pt in pts}) == 1:
                return wide
            held = held or bool(pts)
        return None if held or pc is None else self._across_border(c, group, number, pc)

    def _across_border(self, c: str, group: StreetGroup, number: str, pc: str) -> StreetGroup | None:
        """The same street in a neighbouring postcode (of any locality), when exactly one
        neighbour holds the number on a street of that name and the street runs on into it."""
        assert self.ref is not None and self.neighbours is not None
        key = number_key(number)
        street_key = group.points[0].street_key
        found = None
        for other in self.neighbours.of(c, pc):
            near = self.ref.by_postcode(c, other).streets.get(street_key)
            if near is None or near is group or key not in near.by_number:
                continue
            if found is not None:
                return None  # two neighbours hold it: which one is meant is not known
            found = near
        return found if found is not None and continues(group, found) else None

    # -- exact premise matches -------------------------------------------------------------------

    def known_point(self, p: ParsedAddress, loc_key: str) -> tuple[StreetGroup, AddressPoint] | None:
        """The street group and address point ``match`` would settle on, found from its memo alone.

        Only for addresses whose outcome can be an exact premise match (see ExactPremise): a street
        already matched exactly in this postcode (or none) and locality, a house number, no floor or
        postcode extension. A unit qualifies when the number has a single point and no units are recorded
        there, so that the unit changes neither the point nor its status (Unconfirmed, whatever
        the unit). None otherwise, or when the street is not memoized.
        """
        if not p.number:
            return None
        group = self.known_street(p, loc_key)
        if group is None:
            return None
        point = self.point_at(group, p, p.number)
        return None if point is None else (group, point)

    def known_street(self, p: ParsedAddress, loc_key: str) -> StreetGroup | None:
        """The street of :meth:`known_point`, whatever the house number: the one street memoized as
        an exact hit for ``p``'s street, postcode and locality; None when there is none or ``p``
        has a floor or postcode extension."""
        if p.floor_number or p.street is None:
            return None
        pc, ext = p.postcode or (None, None)
        if ext is not None:
            return None
        hit = self._street_memo.get((p.country.code2, p.street.key, pc, loc_key))
        if hit is None or hit is _MISSING or len(hit) != 1 or hit[0][1] < 1.0:
            return None
        return hit[0][0]

    def point_at(self, group: StreetGroup, p: ParsedAddress, number: str) -> AddressPoint | None:
        """The point of :meth:`known_point` at house ``number`` of ``group`` (the street
        :meth:`known_street` gave for ``p``), or None."""
        pc = p.postcode[0] if p.postcode else None
        pts = _unambiguous(group.by_number.get(number_key(number)), pc)
        if not pts:
            return None
        if p.unit_number:
            c = p.country.code2
            street = standardize_street(group.street, c)
            if len(pts) > 1 or street is None or self._units_at(c, pc, street.key, pts[0].number):
                return None
            return pts[0]
        for pt in pts:  # the choice _apply_street makes for an address without unit
            if pt.postcode == pc:
                return pt
        return pts[0]

    # -- main ---------------------------------------------------------------------------------

    def match(self, p: ParsedAddress) -> MatchResult:
        """Validate one parsed address."""
        c = p.country.code2
        postcode = p.postcode
        pc = postcode[0] if postcode else None
        # sub_region is replaced by the ZIP table's county when a US ZIP validates
        r = MatchResult(
            p.country,
            p.number,
            p.street,
            p.unit_designator,
            p.unit_number,
            p.floor_designator,
            p.floor_number,
            None,
            None,
            p.sub_region,
            None,
            postcode[1] if postcode else None,
            {"Country": _V_EXACT if p.country_given else _V_APPENDED},
        )
        loc_key = name_key(p.locality)

        hit = None
        if self.ref is not None and p.street is not None:
            memo_key = (c, p.street.key, pc, loc_key)
            candidates = self._street_memo.get(memo_key, _MISSING)
            if candidates is _MISSING:
                candidates = self._find_street(p, c, pc, loc_key)
                self._street_memo.put(memo_key, candidates)
            hit = _pick(candidates, p.number)
            if hit is not None and hit[1] < 1.0 and hit[0].points[0].street_key == p.street.key:
                hit = (hit[0], 1.0)  # the exact street, ranked level with a loose one
            if hit is not None and p.number and number_key(p.number) not in hit[0].by_number:
                wide = self._elsewhere(c, hit[0], p.number, loc_key, pc)
                if wide is not None:
                    hit = (wide, hit[1])
        if hit is not None:
            self._apply_street(r, p, hit[0], hit[1], pc, loc_key)
        else:
            self._apply_place(r, p, pc, loc_key)
        if p.unit_number or p.floor_number or r.postcode_ext:
            self._secondary(r, p)
        self._finish(r, c)
        return r

    def _apply_street(
        self, r: MatchResult, p: ParsedAddress, group: StreetGroup, sim: float, pc: str | None, loc_key: str
    ) -> None:
        c = p.country.code2
        statuses = r.statuses
        r.street = standardize_street(group.street, c) or p.street
        if sim >= 1.0:
            statuses["Street"] = _V_EXACT
        else:
            r.set("Street", VALIDATED, CORRECTED, sim)
        point: AddressPoint | None = None
        summary: GroupSummary | None = None
        if p.number:
            key = number_key(p.number)
            pts = _unambiguous(group.by_number.get(key), pc)
            if pts:
                point = pts[0]
                if len(pts) > 1:
                    for pt in pts:
                        if (not p.unit_number or pt.unit == p.unit_number) and (not pc or pt.postcode == pc):
                            point = pt
                            break
                r.number = point.number
                statuses["AddressNumber"] = _V_EXACT
            else:
                summary = group.summary()
                rng = summary.numeric_range
                outside = rng is not None and key.isdigit() and not rng[0] <= int(key) <= rng[1]
                statuses["AddressNumber"] = _U_OUT_OF_RANGE if outside else _U_NO_MATCH
        else:
            statuses["AddressNumber"] = _U_NOT_FOUND

        # postcode, locality and region: from the point, else from the street when unambiguous
        if point is not None:
            ref_pcs: Iterable[str] = (point.postcode,) if point.postcode else ()
            cities: tuple[tuple[str, str], ...] = ((point.city, point.city_key),) if point.city else ()
            ref_region = point.region or None
        else:
            summary = summary or group.summary()
            ref_pcs, cities = summary.postcodes, summary.cities
            ref_region = next(iter(summary.regions)) if len(summary.regions) == 1 else None
        if pc and pc in ref_pcs:
            r.postcode = pc
            statuses["PostalCodeDetails_Base"] = _V_EXACT
        elif len(ref_pcs) == 1:  # type: ignore[arg-type]
            r.postcode = next(iter(ref_pcs))
            if p.postcode_text:
                sim = _ratio(pc or p.postcode_text, r.postcode)
                r.set("PostalCodeDetails_Base", VALIDATED, CORRECTED, sim)
            else:
                statuses["PostalCodeDetails_Base"] = _V_APPENDED
        else:
            r.postcode = pc
            statuses["PostalCodeDetails_Base"] = _U_NO_MATCH if p.postcode_text else _U_NOT_FOUND

        zi = us_zip_table().get(r.postcode) if c == "US" and r.postcode else None
        if not cities and zi is not None:
            cities = ((zi.city, name_key(zi.city)),)
        matched_city = None
        if loc_key:
            for city, key in cities:
                if key == loc_key:
                    matched_city = city
                    break
        if matched_city is not None:
            r.locality = matched_city
            statuses["Locality"] = _V_EXACT
        elif zi is not None and loc_key and loc_key in _acceptable_keys(zi):
            r.locality = zi.city
            statuses["Locality"] = _V_ALIAS
        elif cities and (len(cities) == 1 or not loc_key):
            r.locality, key = cities[0]
            if p.locality:
                r.set("Locality", VALIDATED, CORRECTED, _ratio(loc_key, key))
            else:
                statuses["Locality"] = _V_APPENDED
        else:
            r.locality = p.locality
            statuses["Locality"] = _U_NO_MATCH if p.locality else _U_NOT_FOUND

        if ref_region is None and zi is not None:
            ref_region = zi.state
        self._region(r, p, ref_region)
        if zi is not None:
            r.sub_region = zi.county
            r.zip_valid = True
        elif c == "US":
            r.zip_valid = False if r.postcode else None

        r.group, r.point = group, point
        if point is not None:
            r.granularity = PREMISE
            if point.lon is not None and point.lat is not None:
                r.position = (point.lon, point.lat)
        else:
            r.granularity = STREET
            r.position = (summary or group.summary()).centroid

    def _region(self, r: MatchResult, p: ParsedAddress, ref_region: str | None) -> None:
        c = p.country.code2
        if (
            ref_region is None
            and r.postcode
            and r.statuses.get("PostalCodeDetails_Base", ("",))[0] == VALIDATED
        ):
            rules = postcode_regions(r.postcode, c)
            if len(rules) == 1:
                ref_region = rules[0]
        resolved = resolve_region(c, ref_region) if ref_region else None
        if resolved is None:
            r.region = p.region
            if p.region is not None and r.postcode and p.region[0] in postcode_regions(r.postcode, c):
                r.statuses["Region"] = _V_EXACT
            elif c == "GB" and p.region is None and p.region_text is None:
                pass  # GB addresses carry no postal region
            else:
                r.set("Region", UNCONFIRMED, NO_MATCH if p.region_text else NOT_FOUND)
            return
        r.region = resolved
        if p.region is not None and p.region[0] == resolved[0]:
            r.statuses["Region"] = _V_EXACT
        elif p.region_text:
            r.set("Region", VALIDATED, CORRECTED, 0.5)
        else:
            r.statuses["Region"] = _V_APPENDED

    def _apply_place(self, r: MatchResult, p: ParsedAddress, pc: str | None, loc_key: str) -> None:
        """No street match: validate locality/postcode/region only."""
        r.set("Street", UNCONFIRMED, NO_MATCH if p.street else NOT_FOUND)
        r.set("AddressNumber", UNCONFIRMED, NO_MATCH if p.number else NOT_FOUND)
        if p.country.code2 == "US":
            self._us_place(r, p, pc, loc_key)
        else:
            self._ref_place(r, p, pc, loc_key)
        loc_ok = r.statuses.get("Locality", ("",))[0] == VALIDATED
        pc_ok = r.statuses.get("PostalCodeDetails_Base", ("",))[0] == VALIDATED
        if loc_ok and pc_ok:
            r.granularity = LOCALITY_AND_POSTAL
        elif loc_ok:
            r.granularity = LOCALITY

    def _us_place(self, r: MatchResult, p: ParsedAddress, pc: str | None, loc_key: str) -> None:
        zt: UsZipTable = us_zip_table()
        zi: ZipInfo | None = zt.get(pc) if pc else None
        state_in = p.region[0] if p.region else None
        r.postcode = pc
        if zi is not None:
            r.set("PostalCodeDetails_Base", VALIDATED, EXACT)
            if not loc_key:
                r.locality = zi.city
                r.set("Locality", VALIDATED, APPENDED)
            elif loc_key == name_key(zi.city):
                r.locality = zi.city
                r.set("Locality", VALIDATED, EXACT)
            elif loc_key in _acceptable_keys(zi):
                r.locality = zi.city
                r.set("Locality", VALIDATED, ALIAS)
            elif (sim := _ratio(loc_key, name_key(zi.city))) >= LOCALITY_CUTOFF / 100:
                r.locality = zi.city
                r.set("Locality", VALIDATED, CORRECTED, sim)
            else:
                # the city may be right and the ZIP wrong
                city = self.fuzzy_us_city(state_in or zi.state, loc_key)
                zips = zt.zips_for(state_in or zi.state, city[0]) if city else []
                if city and zips:
                    r.locality = zt.cities_by_state.get(state_in or zi.state, {}).get(city[0], p.locality)
                    r.set("Locality", VALIDATED, EXACT if city[1] >= 1.0 else CORRECTED, city[1])
                    zi = zt.get(zips[0])
                    if len(zips) == 1:
                        r.postcode = zips[0]
                        r.set("PostalCodeDetails_Base", VALIDATED, CORRECTED, _ratio(pc or "", zips[0]))
                    else:
                        r.set("PostalCodeDetails_Base", UNCONFIRMED, NO_MATCH)
                else:
                    r.locality = p.locality
                    r.set("Locality", UNCONFIRMED, NO_MATCH)
        else:
            r.locality = p.locality
            states = [state_in] if state_in else sorted(zt.states_by_city.get(loc_key, ()))
            city = self.fuzzy_us_city(states[0], loc_key) if loc_key and len(states) == 1 else None
            zips = zt.zips_for(states[0], city[0]) if city else []
            if city and zips:
                zi = zt.get(zips[0])
                r.locality = zt.cities_by_state.get(states[0], {}).get(city[0]) or (
                    zi.city if zi else p.locality
                )
                r.set("Locality", VALIDATED, EXACT if city[1] >= 1.0 else CORRECTED, city[1])
                if len(zips) == 1:
                    r.postcode = zips[0]
                    if p.postcode_text:
                        r.set("PostalCodeDetails_Base", VALIDATED, CORRECTED, 0.5)
                    else:
                        r.set("PostalCodeDetails_Base", VALIDATED, APPENDED)
                else:
                    r.set("PostalCodeDetails_Base", UNCONFIRMED, NO_MATCH if p.postcode_text else NOT_FOUND)
            else:
                r.set("Locality", UNCONFIRMED, NO_MATCH if p.locality else NOT_FOUND)
                r.set("PostalCodeDetails_Base", UNCONFIRMED, NO_MATCH if p.postcode_text else NOT_FOUND)
        if r.postcode is None and p.postcode_text and p.postcode is None:
            r.postcode = p.postcode_text
        self._region(r, p, zi.state if zi is not None else None)
        r.zip_valid = zi is not None and r.postcode == zi.zip if r.postcode else None
        if zi is not None and r.statuses["PostalCodeDetails_Base"][0] == VALIDATED:
            r.sub_region = zi.county
            if zi.lon is not None and zi.lat is not None:
                r.position = (zi.lon, zi.lat)

    def _ref_place(self, r: MatchResult, p: ParsedAddress, pc: str | None, loc_key: str) -> None:
        c = p.country.code2
        pcs = self.ref.postcodes(c) if self.ref is not None else {}
        pc_info = pcs.get(pc) if pc else None
        loc = self.fuzzy_locality(c, loc_key) if self.ref is not None and loc_key else None
        locs = self.ref.localities(c) if self.ref is not None else {}
        loc_info = locs.get(loc[0]) if loc else None
        r.postcode = pc or p.postcode_text
        if pc_info is not None:
            r.set("PostalCodeDetails_Base", VALIDATED, EXACT)
        elif pc:
            r.set("PostalCodeDetails_Base", UNCONFIRMED, NO_MATCH)
        else:
            r.set("PostalCodeDetails_Base", UNCONFIRMED, NO_MATCH if p.postcode_text else NOT_FOUND)
        if loc_info is not None and loc is not None:
            r.locality = loc_info.name
            r.set("Locality", VALIDATED, EXACT if loc[1] >= 1.0 else CORRECTED, loc[1])
            if pc_info is not None and pc not in loc_info.related:
                if len(loc_info.related) == 1:
                    r.postcode = next(iter(loc_info.related))
                    r.set("PostalCodeDetails_Base", VALIDATED, CORRECTED, 0.5)
                else:
                    r.set("PostalCodeDetails_Base", UNCONFIRMED, NO_MATCH)
            elif pc_info is None and len(loc_info.related) == 1:
                r.postcode = next(iter(loc_info.related))
                detail = CORRECTED if p.postcode_text else APPENDED
                r.set("PostalCodeDetails_Base", VALIDATED, detail, 0.5)
        elif pc_info is not None and len(pc_info.related) == 1:
            key = next(iter(pc_info.related))
            r.locality = locs[key].name if key in locs else p.locality
            if loc_key:
                r.set("Locality", VALIDATED, CORRECTED, _ratio(loc_key, key))
            else:
                r.set("Locality", VALIDATED, APPENDED)
        else:
            r.locality = p.locality
            r.set("Locality", UNCONFIRMED, NO_MATCH if p.locality else NOT_FOUND)
        regions: set[str] = set()
        if r.postcode in pcs:
            regions = pcs[r.postcode].regions
        elif loc_info is not None:
            regions = loc_info.regions
        self._region(r, p, next(iter(regions)) if len(regions) == 1 else None)
        if r.statuses["PostalCodeDetails_Base"][0] == VALIDATED and r.postcode in pcs:
            info = pcs[r.postcode]
            if info.lon is not None and info.lat is not None:
                r.position = (info.lon, info.lat)

    def _secondary(self, r: MatchResult, p: ParsedAddress) -> None:
        if p.unit_number:
            if r.granularity == PREMISE and r.statuses.get("AddressNumber", ("",))[0] == VALIDATED:
                street_key = r.street.key if r.street is not None else None
                units = self._units_at(p.country.code2, r.postcode, street_key, r.number)
                if p.unit_number in units:
                    r.set("SecondaryAddressComponents_Unit", VALIDATED, EXACT)
                else:
                    r.set("SecondaryAddressComponents_Unit", UNCONFIRMED, NO_MATCH)
            else:
                r.set("SecondaryAddressComponents_Unit", UNCONFIRMED, NO_MATCH)
        if p.floor_number:
            r.set("SecondaryAddressComponents_Floor", UNCONFIRMED, NO_MATCH)
        if r.postcode_ext:
            r.set("PostalCodeDetails_Extension", UNCONFIRMED, NO_MATCH)

    def _units_at(
        self, country: str, postcode: str | None, street_key: str | None, number: str | None
    ) -> set[str]:
        """The units recorded at a house number of a street in a postcode."""
        if self.ref is None or not postcode or street_key is None or not number:
            return set()
        block = self.ref.by_postcode(country, postcode)
        group = block.streets.get(street_key) if block is not None else None
        if group is None:
            return set()
        return {pt.unit for pt in group.by_number.get(number_key(number), ()) if pt.unit}

    def _finish(self, r: MatchResult, country: str) -> None:
        granularity = r.granularity
        if country not in POSITION_COUNTRIES or granularity is None or granularity == LOCALITY:
            r.position = None
        level = _LEVEL_COMPONENTS[granularity]
        score = _GRANULARITY_WEIGHT[granularity]
        sims = r._sims or _NO_SIMS
        for comp, pair in r.statuses.items():
            detail = pair[1]
            if detail != EXACT and detail != NOT_FOUND and comp in level:
                score *= _factor(detail, sims.get(comp, 1.0))
        r.score = score = round(score, 4)
        r.confidence = confidence_label(score)
