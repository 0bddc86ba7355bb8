"""AddressValidator: InputRecord -> ValidationOutcome (one value per §10 output column)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .columns import ALWAYS_NULL, OUTCOME_NAMES, VALUE_INDEX, ZIP_VALID_COLUMN
from .match import COMPONENTS, PREMISE, Matcher, MatchResult
from .parse import AddressParseError, parse_record
from .record import InputRecord
from .reference import ReferenceIndex

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


_LINE_IDX = tuple(_I[f"Output_AddressLines_{i}"] for i in range(1, 6))
_LABEL = _I["Output_Address_Label"]
_CODE2, _CODE3, _CNAME = (_I[f"Output_Address_Country_{x}"] for x in ("Code2", "Code3", "Name"))
_REGION_CODE, _REGION_NAME = _I["Output_Address_Region_Code"], _I["Output_Address_Region_Name"]
_SUBREGION_NAME = _I["Output_Address_SubRegion_Name"]
_LOCALITY = _I["Output_Address_Locality"]
_PC, _PC_BASE, _PC_EXT = (
    _I["Output_Address_PostalCode"],
    _I["Output_Address_PostalCodeDetails_Base"],
    _I["Output_Address_PostalCodeDetails_Extension"],
)
_STREET = _I["Output_Address_Street"]
_SC = "Output_Address_StreetComponents_"
_SC_BASE, _SC_PREFIX, _SC_SUFFIX, _SC_TYPE, _SC_PLACEMENT = (
    _I[_SC + x] for x in ("BaseName", "Prefix", "Suffix", "Type", "TypePlacement")
)
_NUMBER = _I["Output_Address_AddressNumber"]
_SEC = "Output_Address_SecondaryAddressComponents_"
_UNIT_NUM, _UNIT_DESIG, _FLOOR_NUM, _FLOOR_DESIG = (
    _I[_SEC + x] for x in ("Unit_Number", "Unit_Designator", "Floor_Number", "Floor_Designator")
)
_LOCATABLE = _I["Output_AddressMetadata_DeliveryIndicators_Locatable"]
_GRANULARITY = _I["Output_ValidationResults_ValidationGranularity"]
_CONFIDENCE = _I["Output_ValidationResults_MatchConfidence"]
_SCORE = _I["Output_ValidationResults_MatchConfidenceScore"]
_STATUS_IDX = {
    comp: (
        _I[f"Output_ValidationResults_Components_Address_{comp}_Status"],
        _I[f"Output_ValidationResults_Components_Address_{comp}_StatusDetail"],
    )
    for comp in COMPONENTS
}
_LON, _LAT = _I["Output_Position_Longitude"], _I["Output_Position_Latitude"]
_ZIP_VALID = _I[ZIP_VALID_COLUMN]
_EMPTY = [None] * _N


def outcome_from_match(r: MatchResult) -> ValidationOutcome:
    """Flatten a MatchResult into the output column values."""
    v: list[Any] = _EMPTY.copy()
    lines = _lines(r)
    for idx, line in zip(_LINE_IDX, lines, strict=False):
        v[idx] = line
    country = r.country
    v[_LABEL] = ", ".join([*lines, country.name])
    v[_CODE2], v[_CODE3], v[_CNAME] = country.code2, country.code3, country.name
    if r.region:
        v[_REGION_CODE], v[_REGION_NAME] = r.region
    v[_SUBREGION_NAME] = r.sub_region
    v[_LOCALITY] = r.locality
    if r.postcode:
        v[_PC] = f"{r.postcode}-{r.postcode_ext}" if r.postcode_ext else r.postcode
        v[_PC_BASE] = r.postcode
        v[_PC_EXT] = r.postcode_ext
    s = r.street
    if s:
        v[_STREET], v[_SC_BASE], v[_SC_PREFIX], v[_SC_SUFFIX] = s.full, s.base_name, s.prefix, s.suffix
        v[_SC_TYPE], v[_SC_PLACEMENT] = s.type, s.type_placement
    v[_NUMBER] = r.number
    if r.unit_number:
        v[_UNIT_NUM], v[_UNIT_DESIG] = r.unit_number, r.unit_designator
    if r.floor_number:
        v[_FLOOR_NUM], v[_FLOOR_DESIG] = r.floor_number, r.floor_designator
    # Mailable stays null: it needs postal delivery-point data (USPS DPV, PAF, ...), which we lack.
    v[_LOCATABLE] = r.granularity == PREMISE
    v[_GRANULARITY], v[_CONFIDENCE], v[_SCORE] = r.granularity, r.confidence, r.score
    for comp, pair in r.statuses.items():
        i_status, i_detail = _STATUS_IDX[comp]
        v[i_status], v[i_detail] = pair
    if r.position is not None:
        v[_LON], v[_LAT] = r.position
    if country.code2 == "US":
        v[_ZIP_VALID] = r.zip_valid
    return ValidationOutcome(tuple(v))


_EMPTY_ROW = error_outcome(ERROR_VALIDATION, "Record has no address lines and no address components")


class AddressValidator:
    """Validates input records against an optional OpenAddresses index and built-in open data."""

    def __init__(self, reference_index_path: Path | str | None = None, cache_size: int = 20_000) -> None:
        self.reference = ReferenceIndex(reference_index_path) if reference_index_path else None
        self.matcher = Matcher(self.reference)
        self._cache: dict[tuple[str | None, ...], ValidationOutcome] = {}
        self._parsed_cache: dict[tuple[Any, ...], ValidationOutcome] = {}
        self._cache_size = cache_size

    def close(self) -> None:
        if self.reference is not None:
            self.reference.close()

    def validate(self, record: InputRecord, options: ValidationOptions | None = None) -> ValidationOutcome:
        """Validate one record; row-level problems come back as ErrorType/ErrorMessage, never raise.

        `options` only affects which columns a writer keeps; the outcome always carries them all.
        """
        key = record.cache_key()
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        return self._validate_new(key, record)

    def validate_key(self, key: tuple[str | None, ...]) -> ValidationOutcome:
        """Validate a row given as InputRecord.cache_key() (the §9 columns without Id, cleaned).

        The batch path: no record is built unless the row is new to the cache.
        """
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        return self._validate_new(key, InputRecord(None, key[:5], *key[5:]))

    def _validate_new(self, key: tuple[str | None, ...], record: InputRecord) -> ValidationOutcome:
        outcome = self._validate(record) if any(key) else _EMPTY_ROW
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[key] = outcome
        return outcome

    def validate_mapping(
        self, row: Mapping[str, Any], options: ValidationOptions | None = None
    ) -> ValidationOutcome:
        return self.validate(InputRecord.from_mapping(row), options)

    def _validate(self, record: InputRecord) -> ValidationOutcome:
        try:
            parsed = parse_record(record)
        except AddressParseError as exc:
            return error_outcome(ERROR_VALIDATION, str(exc))
        if (
            parsed.street is None
            and parsed.number is None
            and not (parsed.locality or parsed.postcode_text or parsed.region_text)
        ):
            return error_outcome(ERROR_VALIDATION, "Could not parse an address from the record")
        # Different spellings of one address ("US"/"USA", case, lines vs components) parse alike.
        key = parsed.cache_key()
        hit = self._parsed_cache.get(key)
        if hit is not None:
            return hit
        try:
            outcome = outcome_from_match(self.matcher.match(parsed))
        except Exception as exc:  # a bug for one row must not fail the job
            return error_outcome(ERROR_INTERNAL, f"{type(exc).__name__}: {exc}")
        if len(self._parsed_cache) >= self._cache_size:
            self._parsed_cache.clear()
        self._parsed_cache[key] = outcome
        return outcome
