"""Offline address parsing, standardization, reference matching and validation for ValidateAddress jobs.

Typical use by the job handler::

    import_openaddresses(Path("us.csv"), Path("ref.sqlite"), "US")       # via the CLI; idempotent
    validator = AddressValidator(Path("ref.sqlite"))                       # or None: ZIP table only
    options = ValidationOptions.from_features(["Position"])
    stats = parquet_io.process_file(src, dst, validator, options, should_cancel, on_progress)

Reference data: OpenAddresses points (SQLite) for premise/street matches, the `zipcodes` package
for US ZIP <-> city/state/county/centroid, postcode format rules for CA/GB/AU. Licensed postal data
(USPS DPV/ZIP+4, Royal Mail PAF, Canada Post, G-NAF ids) is not available, so those output fields
stay null and Mailable is null. Premise granularity is only reported when an address point with the
same house number exists on the matched street.
"""

from .countries import SUPPORTED_COUNTRIES, Country, resolve_country, resolve_region
from .match import Matcher, MatchResult
from .parse import AddressParseError, ParsedAddress, parse_record, parse_street_line
from .record import INPUT_COLUMNS, InputRecord
from .reference import (
    ImportResult,
    ReferenceImportError,
    ReferenceIndex,
    import_openaddresses,
    import_reference,
    us_zip_table,
)
from .standardize import StreetParts, standardize_postcode, standardize_street
from .validator import AddressValidator, ValidationOptions, ValidationOutcome

__all__ = [
    "INPUT_COLUMNS",
    "SUPPORTED_COUNTRIES",
    "AddressParseError",
    "AddressValidator",
    "Country",
    "ImportResult",
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
    "import_reference",
    "parse_record",
    "parse_street_line",
    "resolve_country",
    "resolve_region",
    "standardize_postcode",
    "standardize_street",
    "us_zip_table",
]
