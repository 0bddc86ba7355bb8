"""AddressValidator outcomes against the fictional reference index."""

from __future__ import annotations

from typing import Any

import pytest

from jobforge.services.location.addresses import AddressValidator, ValidationOptions
from jobforge.services.location.addresses.columns import COUNTRY_SPECIFIC_COLUMNS, ZIP_VALID_COLUMN

C = "Output_ValidationResults_Components_Address_"
GRAN = "Output_ValidationResults_ValidationGranularity"
CONF = "Output_ValidationResults_MatchConfidence"
SCORE = "Output_ValidationResults_MatchConfidenceScore"


def check(validator: AddressValidator, row: dict[str, Any]) -> dict[str, Any]:
    out = validator.validate_mapping(row).as_dict()
    assert out["ErrorType"] is None, out["ErrorMessage"]
    return out


def status(out: dict[str, Any], comp: str) -> tuple[str | None, str | None]:
    return out[f"{C}{comp}_Status"], out[f"{C}{comp}_StatusDetail"]


SEATTLE = {
    "AddressComponents_AddressNumber": "120",
    "AddressComponents_Street": "E Quillfeather St",
    "AddressComponents_Locality": "Seattle",
    "AddressComponents_Region": "WA",
    "AddressComponents_PostalCode": "98112",
    "AddressComponents_Country": "US",
}


def test_exact_premise_match(validator: AddressValidator) -> None:
    out = check(validator, SEATTLE)
    assert (out[GRAN], out[CONF], out[SCORE]) == ("Premise", "High", 1.0)
    for comp in ("Country", "Region", "Locality", "Street", "AddressNumber", "PostalCodeDetails_Base"):
        assert status(out, comp) == ("Validated", "Exact"), comp
    assert out["Output_Address_Street"] == "E Quillfeather St"
    assert out["Output_Address_StreetComponents_Prefix"] == "E"
    assert out["Output_Address_StreetComponents_Type"] == "St"
    assert out["Output_Address_StreetComponents_TypePlacement"] == "AfterBaseName"
    assert out["Output_Address_Region_Name"] == "Washington"
    assert out["Output_Address_SubRegion_Name"] == "King County"
    assert out["Output_Address_Country_Code3"] == "USA"
    assert out["Output_AddressLines_1"] == "120 E Quillfeather St"
    assert out["Output_AddressLines_2"] == "Seattle, WA 98112"
    assert out["Output_Position_Longitude"] == pytest.approx(-122.2972)
    assert out["Output_Position_Latitude"] == pytest.approx(47.6301 + 0.0004)
    assert out["Output_AddressMetadata_DeliveryIndicators_Locatable"] is True
    assert out["Output_AddressMetadata_DeliveryIndicators_Mailable"] is None


def test_free_form_line_equals_components(validator: AddressValidator) -> None:
    line = check(validator, {"AddressLines_1": "120 East Quillfeather Street, Seattle, WA 98112, USA"})
    comps = check(validator, SEATTLE)
    for key in ("Output_Address_Label", "Output_Address_Street", "Output_Address_PostalCode", GRAN, CONF):
        assert line[key] == comps[key], key


def test_multi_line_input(validator: AddressValidator) -> None:
    out = check(validator, {"AddressLines_1": "120 E Quillfeather St", "AddressLines_2": "Seattle WA 98112"})
    assert out[GRAN] == "Premise"
    assert status(out, "Country") == ("Validated", "Appended")


def test_street_typo_is_corrected(validator: AddressValidator) -> None:
    out = check(validator, {**SEATTLE, "AddressComponents_Street": "E Quilfeather St"})
    assert out[GRAN] == "Premise"
    assert status(out, "Street") == ("Validated", "Corrected")
    assert out["Output_Address_Street"] == "E Quillfeather St"
    assert out[SCORE] < 1.0


def test_city_typo_is_corrected(validator: AddressValidator) -> None:
    out = check(validator, {**SEATTLE, "AddressComponents_Locality": "Seatle"})
    assert status(out, "Locality") == ("Validated", "Corrected")
    assert out["Output_Address_Locality"] == "Seattle"
    assert out[GRAN] == "Premise"


def test_city_typo_without_street_match_uses_zip_table(validator: AddressValidator) -> None:
    out = check(
        validator,
        {
            "AddressComponents_Locality": "Sprinfield",
            "AddressComponents_PostalCode": "62704",
            "AddressComponents_Country": "US",
        },
    )
    assert status(out, "Locality") == ("Validated", "Corrected")
    assert out["Output_Address_Locality"] == "Springfield"


def test_wrong_zip_is_corrected(validator: AddressValidator) -> None:
    out = check(validator, {**SEATTLE, "AddressComponents_PostalCode": "98101"})
    assert status(out, "PostalCodeDetails_Base") == ("Validated", "Corrected")
    assert out["Output_Address_PostalCode"] == "98112"
    assert out[GRAN] == "Premise"
    assert out[CONF] != "High"


def test_wrong_zip_for_city_without_street_is_flagged(validator: AddressValidator) -> None:
    # Seattle has many ZIPs, so a ZIP from another city cannot be corrected, only flagged.
    out = check(
        validator,
        {
            "AddressComponents_Locality": "Seattle",
            "AddressComponents_Region": "WA",
            "AddressComponents_PostalCode": "62704",
            "AddressComponents_Country": "US",
        },
    )
    assert status(out, "PostalCodeDetails_Base") == ("Unconfirmed", "StandardizedNoMatch")
    assert status(out, "Locality") == ("Validated", "Exact")
    assert out[GRAN] == "Locality"


@pytest.mark.parametrize("missing", ["AddressComponents_Locality", "AddressComponents_PostalCode"])
def test_missing_city_or_zip_is_appended(validator: AddressValidator, missing: str) -> None:
    row = {k: v for k, v in SEATTLE.items() if k != missing}
    out = check(validator, row)
    comp = "Locality" if missing.endswith("Locality") else "PostalCodeDetails_Base"
    assert status(out, comp) == ("Validated", "Appended")
    assert out["Output_Address_Locality"] == "Seattle"
    assert out["Output_Address_PostalCode"] == "98112"
    assert out[GRAN] == "Premise"


def test_unique_street_without_city_or_zip(validator: AddressValidator) -> None:
    out = check(validator, {"AddressLines_1": "140 Brindlecombe Avenue", "AddressComponents_Country": "US"})
    assert out[GRAN] == "Premise"
    assert status(out, "PostalCodeDetails_Base") == ("Validated", "Appended")
    assert status(out, "Region") == ("Validated", "Appended")


def test_street_without_number(validator: AddressValidator) -> None:
    row = {k: v for k, v in SEATTLE.items() if k != "AddressComponents_AddressNumber"}
    out = check(validator, row)
    assert out[GRAN] == "Street"
    assert status(out, "AddressNumber") == ("Unconfirmed", "NotFound")
    assert out["Output_AddressMetadata_DeliveryIndicators_Locatable"] is False
    assert out["Output_Position_Longitude"] is not None  # street centroid


@pytest.mark.parametrize(("number", "detail"), [("9999", "OutOfRange"), ("130", "StandardizedNoMatch")])
def test_unknown_house_number_is_never_premise(validator: AddressValidator, number: str, detail: str) -> None:
    out = check(validator, {**SEATTLE, "AddressComponents_AddressNumber": number})
    assert out[GRAN] == "Street"
    assert status(out, "AddressNumber") == ("Unconfirmed", detail)


def test_locality_and_postal_code_only(validator: AddressValidator) -> None:
    out = check(
        validator,
        {
            "AddressComponents_Locality": "New York",
            "AddressComponents_PostalCode": "10001",
            "AddressComponents_Country": "USA",
        },
    )
    assert out[GRAN] == "LocalityAndPostalCode"
    assert status(out, "Region") == ("Validated", "Appended")
    assert status(out, "Street") == ("Unconfirmed", "NotFound")
    assert out["Output_Position_Latitude"] == pytest.approx(40.7484)  # ZIP centroid
    assert out[CONF] in ("Medium", "MediumLow")


def test_locality_only(validator: AddressValidator) -> None:
    out = check(
        validator,
        {
            "AddressComponents_Locality": "Boulder",
            "AddressComponents_Region": "CO",
            "AddressComponents_Country": "US",
        },
    )
    assert out[GRAN] == "Locality"
    assert status(out, "PostalCodeDetails_Base") == ("Unconfirmed", "NotFound")
    assert out["Output_Position_Longitude"] is None


def test_unknown_street_in_real_zip(validator: AddressValidator) -> None:
    out = check(validator, {**SEATTLE, "AddressComponents_Street": "Nonexistent Way"})
    assert out[GRAN] == "LocalityAndPostalCode"
    assert status(out, "Street") == ("Unconfirmed", "StandardizedNoMatch")
    assert out["Output_Address_Street"] == "Nonexistent Way"


def test_unit_in_reference(validator: AddressValidator) -> None:
    out = check(
        validator,
        {
            "AddressLines_1": "500 E Quillfeather St Apartment 1b",
            "AddressComponents_Country": "US",
            "AddressComponents_PostalCode": "98112",
        },
    )
    assert status(out, "SecondaryAddressComponents_Unit") == ("Validated", "Exact")
    assert out["Output_Address_SecondaryAddressComponents_Unit_Designator"] == "Apt"
    assert out["Output_Address_SecondaryAddressComponents_Unit_Number"] == "1B"
    unknown = check(
        validator,
        {
            "AddressLines_1": "120 E Quillfeather St Ste 9",
            "AddressComponents_Country": "US",
            "AddressComponents_PostalCode": "98112",
        },
    )
    assert status(unknown, "SecondaryAddressComponents_Unit") == ("Unconfirmed", "StandardizedNoMatch")
    assert unknown["Output_Address_SecondaryAddressComponents_Unit_Designator"] == "Ste"


def test_no_secondary_status_when_absent(validator: AddressValidator) -> None:
    out = check(validator, SEATTLE)
    assert status(out, "SecondaryAddressComponents_Unit") == (None, None)
    assert status(out, "PostalCodeDetails_Extension") == (None, None)


@pytest.mark.parametrize(
    ("row", "locality", "postcode", "region"),
    [
        ({"AddressLines_1": "12 Wrenfield Street", "AddressLines_2": "Toronto ON M5V2T6",
          "AddressComponents_Country": "CA"}, "Toronto", "M5V 2T6", "ON"),
        ({"AddressLines_1": "3 Quarrington Lane", "AddressLines_2": "London", "AddressLines_3": "SW1A 2AA",
          "AddressComponents_Country": "GB"}, "London", "SW1A 2AA", None),
        ({"AddressLines_1": "14 Kookaburra St, Sydney NSW 2000", "AddressComponents_Country": "AUS"},
         "Sydney", "2000", "NSW"),
    ],
)  # fmt: skip
def test_international_premise(validator: AddressValidator, row, locality, postcode, region) -> None:
    out = check(validator, row)
    assert (out[GRAN], out[CONF]) == ("Premise", "High")
    assert out["Output_Address_Locality"] == locality
    assert out["Output_Address_PostalCode"] == postcode
    assert out["Output_Address_Region_Code"] == region


def test_gb_has_no_position(validator: AddressValidator) -> None:
    out = check(
        validator,
        {"AddressLines_1": "3 Quarrington Lane, London, SW1A 2AA", "AddressComponents_Country": "GB"},
    )
    assert out[GRAN] == "Premise"
    assert out["Output_Position_Longitude"] is None


def test_au_unit_slash_form(validator: AddressValidator) -> None:
    out = check(
        validator,
        {
            "AddressLines_1": "5/12 Kookaburra Street",
            "AddressLines_2": "Sydny NSW 2000",
            "AddressComponents_Country": "Australia",
        },
    )
    assert status(out, "SecondaryAddressComponents_Unit") == ("Validated", "Exact")
    assert status(out, "Locality") == ("Validated", "Corrected")
    assert out["Output_AddressLines_1"] == "5/12 Kookaburra St"


def test_ca_postcode_without_points_uses_format_rules(validator: AddressValidator) -> None:
    out = check(
        validator,
        {
            "AddressComponents_Locality": "Toronto",
            "AddressComponents_Region": "Ontario",
            "AddressComponents_PostalCode": "m5v2t6",
            "AddressComponents_Country": "CA",
        },
    )
    assert out[GRAN] == "LocalityAndPostalCode"
    assert out["Output_Address_PostalCode"] == "M5V 2T6"
    assert status(out, "Region") == ("Validated", "Exact")


def test_unsupported_country_and_empty_rows(validator: AddressValidator) -> None:
    fr = validator.validate_mapping({"AddressLines_1": "1 Rue de Rivoli", "AddressComponents_Country": "FRA"})
    assert fr.error_type == "ValidationError"
    assert "Unsupported country FR" in fr.error_message
    assert fr.get(GRAN) is None and fr.get("Output_Address_Street") is None
    empty = validator.validate_mapping({"Id": "x", "AddressLines_1": "  "})
    assert empty.error_type == "ValidationError"
    assert "no address" in empty.error_message


def test_unparseable_row(validator: AddressValidator) -> None:
    out = validator.validate_mapping({"AddressLines_1": "!!!", "AddressComponents_Country": "US"})
    assert out.error_type == "ValidationError"


def test_country_specific_attributes_stay_null(validator: AddressValidator) -> None:
    out = check(validator, SEATTLE)
    for name, _ in COUNTRY_SPECIFIC_COLUMNS:
        if name != ZIP_VALID_COLUMN:
            assert out[name] is None, name
    assert out[ZIP_VALID_COLUMN] is True
    au = check(
        validator, {"AddressLines_1": "14 Kookaburra St, Sydney NSW 2000", "AddressComponents_Country": "AU"}
    )
    assert au[ZIP_VALID_COLUMN] is None
    assert au["Output_CountrySpecificAttributes_AUS_Gnaf_GnafPid"] is None


def test_feature_columns_follow_options(validator: AddressValidator) -> None:
    outcome = validator.validate_mapping(SEATTLE)
    plain = outcome.as_dict(ValidationOptions())
    assert not any(k.startswith(("Output_Position_", "Output_CountrySpecificAttributes_")) for k in plain)
    assert "Output_Position_Latitude" in outcome.as_dict(ValidationOptions.from_features(["Position"]))


def test_validator_without_reference_index() -> None:
    bare = AddressValidator(None)
    out = check(bare, SEATTLE)
    assert out[GRAN] == "LocalityAndPostalCode"  # never Premise without an address point
    assert status(out, "Street") == ("Unconfirmed", "StandardizedNoMatch")
    gb = check(
        bare, {"AddressLines_1": "3 Quarrington Lane, London, SW1A 2AA", "AddressComponents_Country": "GB"}
    )
    assert gb[GRAN] is None
    assert gb[CONF] == "Low"


def test_scores_order_by_granularity(validator: AddressValidator) -> None:
    premise = check(validator, SEATTLE)[SCORE]
    street = check(validator, {k: v for k, v in SEATTLE.items() if k != "AddressComponents_AddressNumber"})[
        SCORE
    ]
    place = check(validator, {**SEATTLE, "AddressComponents_Street": "Nonexistent Way"})[SCORE]
    assert 1.0 >= premise > street > place > 0.0


def test_acceptable_city_name_is_an_alias(validator: AddressValidator) -> None:
    # USPS lists "Boston" as an acceptable city for ZIP 02134 (primary name "Allston").
    out = check(
        validator,
        {"AddressComponents_Locality": "Boston", "AddressComponents_PostalCode": "02134",
         "AddressComponents_Country": "US"},
    )  # fmt: skip
    assert status(out, "Locality") == ("Validated", "Alias")
    assert out["Output_Address_Locality"] == "Allston"


def test_wrong_zip_with_similar_street_prefers_exact_street_in_city(validator: AddressValidator) -> None:
    # 98101 holds streets too; the exact street lives in 98112 (same city) -> ZIP corrected, street exact.
    out = check(validator, {**SEATTLE, "AddressComponents_PostalCode": "98101"})
    assert status(out, "Street") == ("Validated", "Exact")
    assert status(out, "PostalCodeDetails_Base") == ("Validated", "Corrected")


def test_malformed_postcode_is_a_row_result_not_an_internal_error(validator: AddressValidator) -> None:
    out = validator.validate_mapping(
        {"AddressLines_5": "WA", "AddressComponents_Country": "AU", "AddressComponents_PostalCode": ":",
         "AddressComponents_AddressNumber": "0"}
    )  # fmt: skip
    assert out.error_type != "InternalServerError", out.error_message


def test_rows_without_a_number_stay_cached_among_one_off_rows(reference_index: Any) -> None:
    """A street given without a house number is validated once, however many one-off rows (each a
    new number) come between its repeats; the one-off rows still take the row cache's turns."""
    validator = AddressValidator(reference_index, cache_size=10)
    validated: list[tuple[str | None, ...]] = []
    validate = validator._validate
    validator._validate = lambda key, parsed: (validated.append(key), validate(key, parsed))[1]  # type: ignore[method-assign]
    street = {k: v for k, v in SEATTLE.items() if k != "AddressComponents_AddressNumber"}
    outcomes = []
    for n in range(200):
        check(validator, {**SEATTLE, "AddressComponents_AddressNumber": str(1000 + n)})  # no such point
        outcomes.append(check(validator, street))
    assert all(out == outcomes[0] for out in outcomes) and outcomes[0][GRAN] == "Street"
    assert len(validated) == 201  # 200 one-off rows, the street row once


@pytest.mark.parametrize(
    ("lines", "box"),
    [
        (["PO Box 123"], "PO Box 123"),
        (["P.O. Box 77"], "PO Box 77"),
        (["Post Office Box 9"], "PO Box 9"),
        (["RR 2 Box 5"], "RR 2 Box 5"),
        (["HC 1 Box 3"], "HC 1 Box 3"),
        (["PO Box 123, Seattle, WA 98112"], "PO Box 123"),
    ],
)
def test_po_box_and_rural_route_lines_are_kept(
    validator: AddressValidator, lines: list[str], box: str
) -> None:
    """A box is no street: it is not validated, but it stays in the lines and label, above the
    locality line, never silently dropped."""
    row = {f"AddressLines_{i}": line for i, line in enumerate(lines, 1)}
    if len(lines) == 1 and "," not in lines[0]:
        row.update({k: v for k, v in SEATTLE.items() if "Street" not in k and "Number" not in k})
    out = check(validator, {**row, "AddressComponents_Country": "US"})
    assert out["Output_AddressLines_1"] == box
    assert out["Output_AddressLines_2"] == "Seattle, WA 98112"
    assert out["Output_Address_Label"] == f"{box}, Seattle, WA 98112, United States"
    assert out[GRAN] == "LocalityAndPostalCode" and out["Output_Address_Street"] is None


def test_po_box_after_a_street_line_is_kept(validator: AddressValidator) -> None:
    out = check(validator, {**SEATTLE, "AddressLines_2": "PO Box 5"})
    assert out[GRAN] == "Premise"  # the street address still validates
    lines = [out[f"Output_AddressLines_{i}"] for i in range(1, 4)]
    assert lines == ["120 E Quillfeather St", "PO Box 5", "Seattle, WA 98112"]
    assert out["Output_Address_Label"] == "120 E Quillfeather St, PO Box 5, Seattle, WA 98112, United States"
    lines = {"AddressLines_1": "120 E Quillfeather St", "AddressLines_2": "PO Box 5",
             "AddressLines_3": "Seattle, WA 98112", "AddressComponents_Country": "US"}  # fmt: skip
    lines_only = check(validator, lines)
    assert lines_only["Output_Address_Label"] == out["Output_Address_Label"]
