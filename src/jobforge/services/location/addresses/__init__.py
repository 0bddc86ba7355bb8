"""Offline address parsing, standardization, reference matching and validation for ValidateAddress jobs."""

from .countries import SUPPORTED_COUNTRIES, Country, resolve_country, resolve_region
from .match import Matcher, MatchResult
from .parse import AddressParseError, ParsedAddress, parse_record, parse_street_line
from .record import INPUT_COLUMNS, InputRecord
from .reference import ReferenceImportError, ReferenceIndex, import_openaddresses, us_zip_table
from .standardize import StreetParts, standardize_postcode, standardize_street
from .validator import AddressValidator, ValidationOptions, ValidationOutcome

__all__ = [
    "INPUT_COLUMNS",
    "SUPPORTED_COUNTRIES",
    "AddressParseError",
    "AddressValidator",
    "Country",
    "InputRecord",
    "MatchResult",
    "Matcher",
    "ParsedAddress",
    "ReferenceImportError",
    "ReferenceIndex",
    "StreetParts",
    "ValidationOptions",
    "ValidationOutcome",
    "import_openaddresses",
    "parse_record",
    "parse_street_line",
    "resolve_country",
    "resolve_region",
    "standardize_postcode",
    "standardize_street",
    "us_zip_table",
]
