"""AddressValidator: InputRecord -> ValidationOutcome (one value per §10 output column)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .columns import OUTCOME_INDEX, OUTCOME_NAMES, ZIP_VALID_COLUMN
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
    """Result for one row: `values` aligned with columns.OUTCOME_NAMES (output order)."""

    values: tuple[Any, ...]

    def get(self, column: str) -> Any:
        return self.values[OUTCOME_INDEX[column]]

    def __getitem__(self, column: str) -> Any:
        return self.values[OUTCOME_INDEX[column]]

    def as_dict(self, options: ValidationOptions | None = None) -> dict[str, Any]:
        """Column -> value, dropping feature columns that were not requested."""
        opts = options or ValidationOptions(True, True)
        return {
            name: value
            for name, value in zip(OUTCOME_NAMES, self.values, strict=True)
            if (opts.position or not name.startswith("Output_Position_"))
            and (opts.country_specific or not name.startswith("Output_CountrySpecificAttributes_"))
        }

    @property
    def error_type(self) -> str | None:
        return self.values[OUTCOME_INDEX["ErrorType"]]

    @property
    def error_message(self) -> str | None:
        return self.values[OUTCOME_INDEX["ErrorMessage"]]


_N = len(OUTCOME_NAMES)
_I = OUTCOME_INDEX


def error_outcome(error_type: str, message: str) -> ValidationOutcome:
    """A row-level failure: every output column null except ErrorType/ErrorMessage."""
    values: list[Any] = [None] * _N
    values[_I["ErrorType"]] = error_type
    values[_I["ErrorMessage"]] = message[:_ERROR_MESSAGE_MAX]
    return ValidationOutcome(tuple(values))


def _street_line(r: MatchResult) -> str | None:
    c = r.country.code2
    street = r.street.full if r.street else None
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
    lines = [x for x in (_street_line(r),) if x]
    postcode = r.postcode
    if c == "US" and postcode and r.postcode_ext:
        postcode = f"{postcode}-{r.postcode_ext}"
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


def outcome_from_match(r: MatchResult) -> ValidationOutcome:
    """Flatten a MatchResult into the output column values."""
    v: list[Any] = [None] * _N
    lines = _lines(r)
    for i, line in enumerate(lines[:5], start=1):
        v[_I[f"Output_AddressLines_{i}"]] = line
    v[_I["Output_Address_Label"]] = ", ".join([*lines, r.country.name])
    v[_I["Output_Address_Country_Code2"]] = r.country.code2
    v[_I["Output_Address_Country_Code3"]] = r.country.code3
    v[_I["Output_Address_Country_Name"]] = r.country.name
    if r.region:
        v[_I["Output_Address_Region_Code"]], v[_I["Output_Address_Region_Name"]] = r.region
    v[_I["Output_Address_SubRegion_Name"]] = r.sub_region
    v[_I["Output_Address_Locality"]] = r.locality
    if r.postcode:
        full = f"{r.postcode}-{r.postcode_ext}" if r.postcode_ext else r.postcode
        v[_I["Output_Address_PostalCode"]] = full
        v[_I["Output_Address_PostalCodeDetails_Base"]] = r.postcode
        v[_I["Output_Address_PostalCodeDetails_Extension"]] = r.postcode_ext
    if r.street:
        s = r.street
        v[_I["Output_Address_Street"]] = s.full
        v[_I["Output_Address_StreetComponents_BaseName"]] = s.base_name
        v[_I["Output_Address_StreetComponents_Prefix"]] = s.prefix
        v[_I["Output_Address_StreetComponents_Suffix"]] = s.suffix
        v[_I["Output_Address_StreetComponents_Type"]] = s.type
        v[_I["Output_Address_StreetComponents_TypePlacement"]] = s.type_placement
    v[_I["Output_Address_AddressNumber"]] = r.number
    v[_I["Output_Address_SecondaryAddressComponents_Unit_Number"]] = r.unit_number
    v[_I["Output_Address_SecondaryAddressComponents_Unit_Designator"]] = (
        r.unit_designator if r.unit_number else None
    )
    v[_I["Output_Address_SecondaryAddressComponents_Floor_Number"]] = r.floor_number
    v[_I["Output_Address_SecondaryAddressComponents_Floor_Designator"]] = (
        r.floor_designator if r.floor_number else None
    )
    # Mailability needs postal delivery-point data (USPS DPV, PAF, ...), which we do not have.
    v[_I["Output_AddressMetadata_DeliveryIndicators_Locatable"]] = r.granularity == PREMISE
    v[_I["Output_ValidationResults_ValidationGranularity"]] = r.granularity
    v[_I["Output_ValidationResults_MatchConfidence"]] = r.confidence
    v[_I["Output_ValidationResults_MatchConfidenceScore"]] = r.score
    for comp in COMPONENTS:
        pair = r.statuses.get(comp)
        if pair is not None:
            base = f"Output_ValidationResults_Components_Address_{comp}_"
            v[_I[base + "Status"]], v[_I[base + "StatusDetail"]] = pair
    if r.position is not None:
        v[_I["Output_Position_Longitude"]], v[_I["Output_Position_Latitude"]] = r.position
    if r.country.code2 == "US":
        v[_I[ZIP_VALID_COLUMN]] = r.zip_valid
    return ValidationOutcome(tuple(v))


class AddressValidator:
    """Validates input records against an optional OpenAddresses index and built-in open data."""

    def __init__(self, reference_index_path: Path | str | None = None, cache_size: int = 100_000) -> None:
        self.reference = ReferenceIndex(reference_index_path) if reference_index_path else None
        self.matcher = Matcher(self.reference)
        self._cache: dict[tuple[str | None, ...], ValidationOutcome] = {}
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
        outcome = self._validate(record)
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[key] = outcome
        return outcome

    def validate_mapping(
        self, row: Mapping[str, Any], options: ValidationOptions | None = None
    ) -> ValidationOutcome:
        return self.validate(InputRecord.from_mapping(row), options)

    def _validate(self, record: InputRecord) -> ValidationOutcome:
        if record.is_empty():
            return error_outcome(ERROR_VALIDATION, "Record has no address lines and no address components")
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
        try:
            return outcome_from_match(self.matcher.match(parsed))
        except Exception as exc:  # a bug for one row must not fail the job
            return error_outcome(ERROR_INTERNAL, f"{type(exc).__name__}: {exc}")
