"""Parsing and standardization: abbreviations, postcodes, countries, regions, free-form lines."""

from __future__ import annotations

import pytest

from jobforge.services.location.addresses import (
    AddressParseError,
    InputRecord,
    parse_record,
    resolve_country,
    resolve_region,
    standardize_postcode,
    standardize_street,
)
from jobforge.services.location.addresses.parse import parse_street_line


def record(*lines: str, **components: str) -> InputRecord:
    padded = (*lines, *([None] * (5 - len(lines))))
    return InputRecord(address_lines=padded, **components)


@pytest.mark.parametrize(
    ("text", "country", "full", "base", "st_type", "prefix", "suffix"),
    [
        ("East Madison Street", "US", "E Madison St", "Madison", "St", "E", None),
        ("N Maple Avenue", "US", "N Maple Ave", "Maple", "Ave", "N", None),
        ("Sunset Boulevard", "US", "Sunset Blvd", "Sunset", "Blvd", None, None),
        ("MAIN ST NW", "US", "Main St NW", "Main", "St", None, "NW"),
        ("North Street", "US", "North St", "North", "St", None, None),
        ("Pine Lane", "US", "Pine Ln", "Pine", "Ln", None, None),
        ("Pine Lane", "AU", "Pine La", "Pine", "La", None, None),
        ("Ocean Parade", "AU", "Ocean Pde", "Ocean", "Pde", None, None),
        ("High Street", "GB", "High Street", "High", "Street", None, None),
        ("high st", "GB", "High Street", "High", "Street", None, None),
        ("Elm Court", "CA", "Elm Crt", "Elm", "Crt", None, None),
        ("Rue Saint-Denis", "CA", "Rue Saint-Denis", "Saint-Denis", "Rue", None, None),
        ("1st Avenue", "US", "1st Ave", "1st", "Ave", None, None),
    ],
)
def test_standardize_street(text, country, full, base, st_type, prefix, suffix) -> None:
    parts = standardize_street(text, country)
    assert parts is not None
    assert (parts.full, parts.base_name, parts.type, parts.prefix, parts.suffix) == (
        full,
        base,
        st_type,
        prefix,
        suffix,
    )


def test_type_placement() -> None:
    assert standardize_street("Rue Saint-Denis", "CA").type_placement == "BeforeBaseName"
    assert standardize_street("Main Street", "US").type_placement == "AfterBaseName"
    assert standardize_street("Broadway", "US").type is None


@pytest.mark.parametrize(
    ("line", "country", "designator", "unit"),
    [
        ("12 Main St Apartment 4B", "US", "Apt", "4B"),
        ("12 Main St Suite 200", "US", "Ste", "200"),
        ("12 Main St #7", "US", "#", "7"),
        ("12 Main St Suite 200", "CA", "Suite", "200"),
        ("Flat 3 12 High Street", "GB", "Flat", "3"),
        ("Unit 5 12 Smith St", "AU", "Unit", "5"),
    ],
)
def test_unit_designators(line, country, designator, unit) -> None:
    parsed = parse_street_line(line, country)
    assert parsed is not None
    assert (parsed.unit_designator, parsed.unit_number, parsed.number) == (designator, unit, "12")


def test_floor_designator() -> None:
    parsed = parse_street_line("100 Main St Floor 3", "US")
    assert (parsed.floor_designator, parsed.floor_number) == ("Fl", "3")


def test_au_and_ca_unit_number_forms() -> None:
    au = parse_street_line("5/12 Smith Street", "AU")
    assert (au.unit_number, au.number, au.street.full) == ("5", "12", "Smith St")
    ca = parse_street_line("4B-123 Main St", "CA")
    assert (ca.unit_number, ca.number) == ("4B", "123")


def test_usaddress_fallback_for_unusual_us_lines() -> None:
    parsed = parse_street_line("2901 E Madison St Seattle WA 98112", "US", True)
    assert parsed.number == "2901"
    assert parsed.street.full == "E Madison St"
    po_box = parse_street_line("PO Box 123", "US")
    assert po_box.street is None and po_box.number is None


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("98112", "US", ("98112", None)),
        ("98112-1234", "US", ("98112", "1234")),
        ("981121234", "US", ("98112", "1234")),
        ("2134", "US", ("02134", None)),
        ("m5v2t6", "CA", ("M5V 2T6", None)),
        ("sw1a1aa", "GB", ("SW1A 1AA", None)),
        ("M1 1AE", "GB", ("M1 1AE", None)),
        ("2000", "AU", ("2000", None)),
        ("ABCDE", "US", None),
        ("D5V 2T6", "CA", None),
        ("20000", "AU", None),
    ],
)
def test_postcodes(text, country, expected) -> None:
    assert standardize_postcode(text, country) == expected


@pytest.mark.parametrize(
    ("text", "code2"),
    [("US", "US"), ("usa", "US"), ("United States", "US"), ("GBR", "GB"), ("UK", "GB"),
     ("United Kingdom", "GB"), ("Canada", "CA"), ("CAN", "CA"), ("AUS", "AU"), ("Australia", "AU"),
     ("France", "FR"), ("DEU", "DE")],
)  # fmt: skip
def test_countries(text, code2) -> None:
    country = resolve_country(text)
    assert country is not None and country.code2 == code2


def test_country_names_and_codes() -> None:
    us = resolve_country("USA")
    assert (us.code2, us.code3, us.name, us.supported) == ("US", "USA", "United States", True)
    assert resolve_country("Narnia") is None
    assert not resolve_country("FR").supported


@pytest.mark.parametrize(
    ("country", "text", "expected"),
    [
        ("US", "wa", ("WA", "Washington")),
        ("US", "New York", ("NY", "New York")),
        ("CA", "British Columbia", ("BC", "British Columbia")),
        ("CA", "QC", ("QC", "Quebec")),
        ("AU", "nsw", ("NSW", "New South Wales")),
        ("AU", "Victoria", ("VIC", "Victoria")),
        ("GB", "Scotland", ("SCT", "Scotland")),
        ("US", "Ontario", None),
    ],
)
def test_regions(country, text, expected) -> None:
    assert resolve_region(country, text) == expected


def test_aws_sample_rows() -> None:
    first = parse_record(record("Pike Place", "Apartment 4B", country="USA", postal_code="98101"))
    assert first.street.full == "Pike Pl" and first.number is None
    assert (first.unit_designator, first.unit_number) == ("Apt", "4B")
    second = parse_record(record("2901 E Madison St", country="USA", postal_code="98112"))
    assert (second.number, second.street.full, second.postcode) == ("2901", "E Madison St", ("98112", None))


def test_single_line_matches_components() -> None:
    line = parse_record(record("2901 East Madison Street Apt 4B, Seattle, WA 98112-1234, USA"))
    comps = parse_record(
        InputRecord(street="E Madison St", address_number="2901", unit="4B", unit_designator="Apartment",
                    locality="Seattle", region="WA", postal_code="98112-1234", country="US")
    )  # fmt: skip
    for attr in ("number", "street", "unit_designator", "unit_number", "locality", "region", "postcode"):
        assert getattr(line, attr) == getattr(comps, attr), attr
    assert line.country.code2 == "US"


@pytest.mark.parametrize(
    ("lines", "country", "number", "street", "locality", "region", "postcode"),
    [
        (
            ("Flat 3, 12 High Street", "London", "SW1A 1AA"),
            "GB",
            "12",
            "High Street",
            "London",
            None,
            "SW1A 1AA",
        ),
        (("12 Smith St", "Sydney NSW 2000"), "AU", "12", "Smith St", "Sydney", "NSW", "2000"),
        (("12 Smith St, Sydney, New South Wales 2000",), "AU", "12", "Smith St", "Sydney", "NSW", "2000"),
        (("123 Main St", "Toronto ON M5V2T6"), "CA", "123", "Main St", "Toronto", "ON", "M5V 2T6"),
        (
            ("Rose Cottage, 7 Mill Lane, Ambridge, AB1 2CD",),
            "GB",
            "7",
            "Mill Lane",
            "Ambridge",
            None,
            "AB1 2CD",
        ),
    ],
)
def test_international_lines(lines, country, number, street, locality, region, postcode) -> None:
    parsed = parse_record(record(*lines, country=country))
    assert parsed.number == number
    assert parsed.street.full == street
    assert parsed.locality == locality
    assert (parsed.region[0] if parsed.region else None) == region
    assert parsed.postcode[0] == postcode


def test_country_inferred_from_postcode_shape() -> None:
    assert parse_record(record("12 Main St, Toronto, ON M5V 2T6")).country.code2 == "CA"
    assert parse_record(record("12 Main St, Seattle, WA 98112")).country.code2 == "US"
    assert not parse_record(record("12 Main St, Seattle, WA 98112")).country_given


def test_parse_errors() -> None:
    with pytest.raises(AddressParseError, match="Unsupported country"):
        parse_record(record("1 Rue de Rivoli", country="France"))
    with pytest.raises(AddressParseError, match="Unrecognized country"):
        parse_record(record("1 Main St", country="Atlantis"))
    with pytest.raises(AddressParseError, match="could not be inferred"):
        parse_record(record("1 Main St"))
