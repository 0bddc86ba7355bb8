"""AddressValidator: InputRecord -> ValidationOutcome (one value per output column, columns.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .columns import ALWAYS_NULL, OUTCOME_NAMES, VALUE_INDEX, ZIP_VALID_COLUMN
from .match import (
    APPENDED,
    COMPONENTS,
    CORRECTED,
    EXACT,
    NO_MATCH,
    POSITION_COUNTRIES,
    PREMISE,
    UNCONFIRMED,
    VALIDATED,
    Matcher,
    MatchResult,
)
from .parse import AddressParseError, ParsedAddress, parse_key
from .record import InputRecord
from .reference import ReferenceIndex
from .standardize import name_key

FEATURE_POSITION = "Position"
FEATURE_COUNTRY_SPECIFIC = "CountrySpecificAttributes"
ERROR_VALIDATION = "ValidationError"
ERROR_INTERNAL = "InternalServerError"
_ERROR_MESSAGE_MAX = 500


@dataclass(frozen=True, slots=True)
class ValidationOptions:
    """Which AdditionalFeatures were requested for the job."""

    position: bool = False
    country_specific: bool = False

    @classmethod
    def from_features(cls, features: Iterable[str] | None) -> ValidationOptions:
        """From ActionOptions.ValidateAddress.AdditionalFeatures."""
        chosen = set(features or ())
        return cls(FEATURE_POSITION in chosen, FEATURE_COUNTRY_SPECIFIC in chosen)


@dataclass(frozen=True, slots=True)
class ValidationOutcome:
    """Result for one row: `values` aligned with columns.VALUE_NAMES (output order).

    Columns in columns.ALWAYS_NULL carry no value: they read as None.
    """

    values: tuple[Any, ...]

    def get(self, column: str) -> Any:
        index = VALUE_INDEX.get(column)
        if index is not None:
            return self.values[index]
        if column in ALWAYS_NULL:
            return None
        raise KeyError(column)

    __getitem__ = get

    def as_dict(self, options: ValidationOptions | None = None) -> dict[str, Any]:
        """Column -> value, dropping feature columns that were not requested."""
        opts = options or ValidationOptions(True, True)
        return {
            name: self.get(name)
            for name in OUTCOME_NAMES
            if (opts.position or not name.startswith("Output_Position_"))
            and (opts.country_specific or not name.startswith("Output_CountrySpecificAttributes_"))
        }

    @property
    def error_type(self) -> str | None:
        return self.values[_I["ErrorType"]]

    @property
    def error_message(self) -> str | None:
        return self.values[_I["ErrorMessage"]]


_N = len(VALUE_INDEX)
_I = VALUE_INDEX


def error_outcome(error_type: str, message: str) -> ValidationOutcome:
    """A row-level failure: every output column null except ErrorType/ErrorMessage."""
    values: list[Any] = [None] * _N
    values[_I["ErrorType"]] = error_type
    values[_I["ErrorMessage"]] = message[:_ERROR_MESSAGE_MAX]
    return ValidationOutcome(tuple(values))


def _street_line(r: MatchResult) -> str | None:
    c = r.country.code2
    street = r.street.full if r.street else None
    if r.unit_number is None and r.floor_number is None:
        if r.number and street:
            return f"{r.number} {street}"
        return street or r.number
    unit = r.unit_number
    desig = r.unit_designator
    floor = f"{r.floor_designator or 'Floor'} {r.floor_number}" if r.floor_number else None
    if c in ("AU", "CA") and unit and (desig is None or desig == "#") and r.number:
        first = f"{unit}{'/' if c == 'AU' else '-'}{r.number} {street or ''}".strip()
        unit = None
    else:
        first = " ".join(x for x in (r.number, street) if x) or None
    if c == "GB":
        return first
    parts = [x for x in (floor if c == "AU" else None, first) if x]
    if unit:
        tail = f"{desig} {unit}" if desig and desig != "#" else f"# {unit}"
        parts = [tail, *parts] if c == "AU" else [*parts, tail]
    if floor and c != "AU":
        parts.append(floor)
    return " ".join(parts) or None


def _lines(r: MatchResult) -> list[str]:
    c = r.country.code2
    region = r.region[0] if r.region else None
    if c == "GB":
        lines = []
        secondary = " ".join(x for x in (r.unit_designator, r.unit_number) if x) if r.unit_number else None
        if secondary:
            lines.append(secondary)
        if r.floor_number:
            lines.append(f"{r.floor_designator or 'Floor'} {r.floor_number}")
        if first := _street_line(r):
            lines.append(first)
        if r.locality:
            lines.append(r.locality)
        if r.postcode:
            lines.append(r.postcode)
        return lines
    first = _street_line(r)
    lines = [first] if first else []
    postcode = r.postcode
    if c == "US" and postcode and r.postcode_ext:
        postcode = f"{postcode}-{r.postcode_ext}"
    if r.locality and region and postcode:
        sep = "," if c == "US" else ""
        lines.append(f"{r.locality}{sep} {region} {postcode}")
        return lines
    if c == "US":
        last = " ".join(
            x
            for x in (
                f"{r.locality}," if r.locality and (region or postcode) else r.locality,
                region,
                postcode,
            )
            if x
        )
    else:
        last = " ".join(x for x in (r.locality, region, postcode) if x)
    if last:
        lines.append(last)
    return lines


# outcome_from_match builds its tuple in this order; checked against columns.VALUE_NAMES at import.
_BUILD_ORDER = (
    *(f"Output_AddressLines_{i}" for i in range(1, 6)),
    "Output_Address_Label",
    *(f"Output_Address_Country_{x}" for x in ("Code2", "Code3", "Name")),
    "Output_Address_Region_Code",
    "Output_Address_Region_Name",
    "Output_Address_SubRegion_Name",
    "Output_Address_Locality",
    "Output_Address_PostalCode",
    "Output_Address_PostalCodeDetails_Base",
    "Output_Address_PostalCodeDetails_Extension",
    "Output_Address_Street",
    *(
        f"Output_Address_StreetComponents_{x}"
        for x in ("BaseName", "Prefix", "Suffix", "Type", "TypePlacement")
    ),
    "Output_Address_AddressNumber",
    *(
        f"Output_Address_SecondaryAddressComponents_{x}"
        for x in ("Unit_Number", "Unit_Designator", "Floor_Number", "Floor_Designator")
    ),
    "Output_AddressMetadata_DeliveryIndicators_Locatable",
    "Output_ValidationResults_ValidationGranularity",
    "Output_ValidationResults_MatchConfidence",
    "Output_ValidationResults_MatchConfidenceScore",
    *(
        f"Output_ValidationResults_Components_Address_{comp}_{x}"
        for comp in COMPONENTS
        for x in ("Status", "StatusDetail")
    ),
    "Output_Position_Longitude",
    "Output_Position_Latitude",
    ZIP_VALID_COLUMN,
    "ErrorType",
    "ErrorMessage",
)
if _BUILD_ORDER != tuple(VALUE_INDEX):
    raise RuntimeError("outcome_from_match is out of step with columns.VALUE_NAMES")

_NONE2: tuple[None, None] = (None, None)
_NO_LINES = (None, None, None, None, None)


def outcome_from_match(r: MatchResult) -> ValidationOutcome:
    """Flatten a MatchResult into the output column values (one tuple, in _BUILD_ORDER)."""
    lines = _lines(r)
    l1, l2, l3, l4, l5 = (*lines, *_NO_LINES)[:5]
    country = r.country
    region_code, region_name = r.region or _NONE2
    base = r.postcode
    ext = r.postcode_ext if base else None
    s = r.street
    if s is None:
        street = base_name = prefix = suffix = st_type = placement = None
    else:
        street, base_name, prefix, suffix = s.full, s.base_name, s.prefix, s.suffix
        st_type, placement = s.type, s.type_placement
    unit_n, unit_d = (r.unit_number, r.unit_designator) if r.unit_number else _NONE2
    floor_n, floor_d = (r.floor_number, r.floor_designator) if r.floor_number else _NONE2
    get = r.statuses.get
    c_s, c_d = get("Country", _NONE2)
    rg_s, rg_d = get("Region", _NONE2)
    lo_s, lo_d = get("Locality", _NONE2)
    s_s, s_d = get("Street", _NONE2)
    n_s, n_d = get("AddressNumber", _NONE2)
    pb_s, pb_d = get("PostalCodeDetails_Base", _NONE2)
    pe_s, pe_d = get("PostalCodeDetails_Extension", _NONE2)
    u_s, u_d = get("SecondaryAddressComponents_Unit", _NONE2)
    f_s, f_d = get("SecondaryAddressComponents_Floor", _NONE2)
    lon, lat = r.position or _NONE2
    # Mailable stays null: it needs postal delivery-point data (USPS DPV, PAF, ...), which we lack.
    return ValidationOutcome(
        (
            l1,
            l2,
            l3,
            l4,
            l5,
            ", ".join([*lines, country.name]),
            country.code2,
            country.code3,
            country.name,
            region_code,
            region_name,
            r.sub_region,
            r.locality,
            (f"{base}-{ext}" if ext else base) if base else None,
            base or None,
            ext,
            street,
            base_name,
            prefix,
            suffix,
            st_type,
            placement,
            r.number,
            unit_n,
            unit_d,
            floor_n,
            floor_d,
            r.granularity == PREMISE,
            r.granularity,
            r.confidence,
            r.score,
            c_s,
            c_d,
            rg_s,
            rg_d,
            lo_s,
            lo_d,
            s_s,
            s_d,
            n_s,
            n_d,
            pb_s,
            pb_d,
            pe_s,
            pe_d,
            u_s,
            u_d,
            f_s,
            f_d,
            lon,
            lat,
            r.zip_valid if country.code2 == "US" else None,
            None,
            None,
        )
    )


_LINES = tuple(_I[f"Output_AddressLines_{i}"] for i in range(1, 6))


def with_delivery(outcome: ValidationOutcome, delivery: str) -> ValidationOutcome:
    """``outcome`` with a PO box / rural route line kept as given (standardized, not validated): the
    line above the locality line, as USPS writes it, in the address lines and the label."""
    values = list(outcome.values)
    lines = [values[i] for i in _LINES if values[i] is not None]
    street_line = values[_STREET] is not None or values[_NUMBER] is not None
    lines.insert(1 if street_line and lines else 0, delivery)
    for i, line in zip(_LINES, (*lines, *_NO_LINES), strict=False):
        values[i] = line
    values[_I["Output_Address_Label"]] = ", ".join([*lines, values[_I["Output_Address_Country_Name"]]])
    return ValidationOutcome(tuple(values))


_EXACT = (VALIDATED, EXACT)
_EXACT_COMPONENTS = ("Street", "AddressNumber", "PostalCodeDetails_Base", "Locality", "Region")
_APPENDED, _CORRECTED = (VALIDATED, APPENDED), (VALIDATED, CORRECTED)
# the statuses of _EXACT_COMPONENTS a template may have: (postcode given, locality given) -> statuses
_TEMPLATE_STATUSES = {
    (True, True): {
        (_EXACT,) * len(_EXACT_COMPONENTS),
        (_EXACT, _EXACT, _CORRECTED, _EXACT, _EXACT),  # another postcode of the street's stretch
    },
    (True, False): {(_EXACT, _EXACT, _EXACT, _APPENDED, _EXACT)},
    (False, True): {(_EXACT, _EXACT, _APPENDED, _EXACT, _EXACT)},
}


_LINE1, _LABEL = _I["Output_AddressLines_1"], _I["Output_Address_Label"]
_STREET, _NUMBER = _I["Output_Address_Street"], _I["Output_Address_AddressNumber"]
_UNIT = _I["Output_Address_SecondaryAddressComponents_Unit_Number"]
_UNIT_DESIGNATOR = _I["Output_Address_SecondaryAddressComponents_Unit_Designator"]
_LON, _LAT = _I["Output_Position_Longitude"], _I["Output_Position_Latitude"]
_UNIT_UNCONFIRMED = (UNCONFIRMED, NO_MATCH)
_ERROR_TYPE = _I["ErrorType"]


def _first_line(number: str | None, street: str | None, unit: tuple[str, str] | None = None) -> str | None:
    """_street_line of an address without floor, and without unit or with a US ``unit``
    (designator, number) after the street."""
    if unit is not None:
        return f"{number} {street} {unit[0]} {unit[1]}"
    if number and street:
        return f"{number} {street}"
    return street or number


def _templated_unit(parsed: ParsedAddress) -> bool:
    """Whether a template may hold ``parsed``'s unit: a US unit with a designator other than "#",
    written after the street."""
    designator = parsed.unit_designator
    return parsed.country.code2 == "US" and bool(designator) and designator != "#"


class ExactPremise:
    """Outcomes of exact premise matches, remembered per reference street as templates.

    When an address matched a point exactly in every component (street, number, postcode, locality,
    region; no floor or postcode extension; a US unit only where the point records no units, so it
    is Unconfirmed whatever it is), or in all of them but a locality or a postcode it did not give
    (appended from the point) or a postcode of another stretch of the street (corrected to the
    point's), its outcome depends only on: the street matched; the postcode (None when none was
    given), locality key (empty when none was given) and region code given; whether the country
    was given; the sub-region passed through; the unit designator; the point's own city, region,
    postcode and city key; and, per point, its house number and position, and the unit's number.
    So the outcome of one such match is a template for every later address that reaches a point of
    the same street with the same facts: only the first line, the label, the number, the unit and
    the position change. Entries hold the street group itself, so an ``id`` is never reused while
    its entry lives.
    """

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._entries: dict[int, tuple[Any, dict[tuple[Any, ...], tuple[tuple[Any, ...], bool]]]] = {}

    @staticmethod
    def _key(parsed: ParsedAddress, loc_key: str, point: Any) -> tuple[Any, ...] | None:
        """None for an address whose outcome is never a template: a unit not templated, a locality
        or postcode given that has no key (it is corrected, not appended)."""
        if (
            (parsed.unit_number and not _templated_unit(parsed))
            or (parsed.locality and not loc_key)
            or (parsed.postcode is None and parsed.postcode_text)
        ):
            return None
        region = parsed.region[0] if parsed.region else None
        pc = parsed.postcode[0] if parsed.postcode else None
        return (
            pc,
            loc_key,
            region,
            parsed.country_given,
            parsed.sub_region,
            parsed.unit_designator if parsed.unit_number else None,
            point.city,
            point.region,
            point.postcode,
            point.city_key,
        )

    def template(
        self, group: Any, parsed: ParsedAddress, loc_key: str, point: Any
    ) -> tuple[tuple[Any, ...], bool] | None:
        """The remembered (values, positioned) for ``point`` of ``group`` reached by ``parsed``."""
        entry = self._entries.get(id(group))
        if entry is None or entry[0] is not group:
            return None
        key = self._key(parsed, loc_key, point)
        return None if key is None else entry[1].get(key)

    def get(self, matcher: Matcher, parsed: ParsedAddress) -> ValidationOutcome | None:
        loc_key = name_key(parsed.locality)
        known = matcher.known_point(parsed, loc_key)
        if known is None:
            return None
        group, point = known
        template = self.template(group, parsed, loc_key, point)
        if template is None:
            return None
        values, positioned = template
        v = list(values)
        unit = parsed.unit_number
        line1 = _first_line(point.number, values[_STREET], (values[_UNIT_DESIGNATOR], unit) if unit else None)
        v[_LINE1], v[_NUMBER], v[_UNIT] = line1, point.number, unit
        v[_LABEL] = f"{line1}{values[_LABEL][len(values[_LINE1]) :]}"
        if positioned and point.lon is not None and point.lat is not None:
            v[_LON], v[_LAT] = point.lon, point.lat
        else:
            v[_LON] = v[_LAT] = None
        return ValidationOutcome(tuple(v))

    def remember(self, parsed: ParsedAddress, result: MatchResult, outcome: ValidationOutcome) -> None:
        """Keep the outcome if the match was an exact premise match of an address without extras."""
        statuses = result.statuses
        values = outcome.values
        unit = parsed.unit_number
        if (
            result.granularity != PREMISE
            or result.point is None
            or parsed.floor_number
            or result.unit_number != unit
            or result.floor_number
            or result.postcode_ext is not None
            or len(statuses) != (7 if unit else 6)
            or (unit and statuses.get("SecondaryAddressComponents_Unit") != _UNIT_UNCONFIRMED)
            or statuses.get("Country") not in (_EXACT, (VALIDATED, APPENDED))
            or tuple(map(statuses.get, _EXACT_COMPONENTS))
            not in _TEMPLATE_STATUSES.get((parsed.postcode is not None, bool(parsed.locality)), ())
            or not values[_LINE1]
            or values[_LINE1]
            != _first_line(result.number, values[_STREET], (values[_UNIT_DESIGNATOR], unit) if unit else None)
            or not values[_LABEL].startswith(f"{values[_LINE1]}, ")
        ):
            return
        key = self._key(parsed, name_key(parsed.locality), result.point)
        if key is None:
            return
        group = result.group
        entry = self._entries.get(id(group))
        if entry is None or entry[0] is not group:
            if len(self._entries) >= self._size:
                self._entries.clear()
            entry = self._entries[id(group)] = (group, {})
        elif len(entry[1]) >= 64:
            entry[1].clear()  # a street seen with many different facts: keep the newest few
        entry[1][key] = (values, parsed.country.code2 in POSITION_COUNTRIES)


_EMPTY_ROW = error_outcome(ERROR_VALIDATION, "Record has no address lines and no address components")


class AddressValidator:
    """Validates input records against an optional OpenAddresses index and built-in open data."""

    def __init__(
        self,
        reference_index_path: Path | str | None = None,
        cache_size: int = 20_000,
        reuse_exact_matches: bool = True,
    ) -> None:
        self.reference = ReferenceIndex(reference_index_path) if reference_index_path else None
        self.matcher = Matcher(self.reference)
        self._cache: dict[tuple[str | None, ...], ValidationOutcome] = {}
        # Outcomes without a house number or error (a street or place given, no number): a few
        # distinct ones, met again and again, kept apart so that one-off rows do not flush them.
        self._numberless: dict[tuple[str | None, ...], ValidationOutcome] = {}
        self._premises = ExactPremise() if reuse_exact_matches else None
        self._cache_size = cache_size
        self.premise_reuses = 0  # rows answered from an ExactPremise template

    @property
    def exact_premises(self) -> ExactPremise | None:
        """The exact-premise templates (None when reuse is off); the columnar path reads them."""
        return self._premises

    def close(self) -> None:
        if self.reference is not None:
            self.reference.close()

    def validate(self, record: InputRecord, options: ValidationOptions | None = None) -> ValidationOutcome:
        """Validate one record; row-level problems come back as ErrorType/ErrorMessage, never raise.

        `options` only affects which columns a writer keeps; the outcome always carries them all.
        """
        return self.validate_key(record.cache_key())

    def validate_key(
        self, key: tuple[str | None, ...], parsed: ParsedAddress | None = None
    ) -> ValidationOutcome:
        """Validate a row given as InputRecord.cache_key() (the input columns without Id, cleaned).

        The batch path: rows seen lately come from a cache, the common shape is parsed without
        building a record. ``parsed``: the row's ``parse_key(key)`` when the caller made it already.
        """
        outcome = self._cache.get(key) or self._numberless.get(key)
        if outcome is not None:
            return outcome
        outcome = self._validate(key, parsed) if any(key) else _EMPTY_ROW
        values = outcome.values
        cache = self._cache if values[_NUMBER] or values[_ERROR_TYPE] else self._numberless
        if len(cache) >= self._cache_size:
            cache.clear()
        cache[key] = outcome
        return outcome

    def validate_mapping(
        self, row: Mapping[str, Any], options: ValidationOptions | None = None
    ) -> ValidationOutcome:
        return self.validate(InputRecord.from_mapping(row), options)

    def _validate(self, key: tuple[str | None, ...], parsed: ParsedAddress | None) -> ValidationOutcome:
        if parsed is None:
            try:
                parsed = parse_key(key)
            except AddressParseError as exc:
                return error_outcome(ERROR_VALIDATION, str(exc))
        if (
            parsed.street is None
            and parsed.number is None
            and not (parsed.locality or parsed.postcode_text or parsed.region_text)
        ):
            return error_outcome(ERROR_VALIDATION, "Could not parse an address from the record")
        # Different spellings of one exactly matching address ("US"/"USA", case, lines vs
        # components) reach the same reference point: its outcome is reused.
        premises = self._premises
        if premises is not None:
            outcome = premises.get(self.matcher, parsed)
            if outcome is not None:
                self.premise_reuses += 1
                return outcome if parsed.delivery is None else with_delivery(outcome, parsed.delivery)
        try:
            result = self.matcher.match(parsed)
            outcome = outcome_from_match(result)
        except Exception as exc:  # a bug for one row must not fail the job
            return error_outcome(ERROR_INTERNAL, f"{type(exc).__name__}: {exc}")
        if premises is not None:
            premises.remember(parsed, result, outcome)  # the templates carry no box line
        return outcome if parsed.delivery is None else with_delivery(outcome, parsed.delivery)
