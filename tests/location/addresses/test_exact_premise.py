"""Reused exact premise outcomes (ExactPremise templates) equal freshly matched ones, everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobforge.services.location.addresses import AddressValidator

from .refdata import RefPoint, intl_points, us_points

_COUNTRY_SPELLINGS = {"US": ("US", "USA"), "CA": ("CA", "Canada"), "GB": ("GB", "UK"), "AU": ("AU", "AUS")}


def _rows(country: str, p: RefPoint) -> list[dict[str, Any]]:
    """Several spellings of one reference point: components, upper case, one line, no country, no
    locality, no postcode."""
    region = p.region or None
    last = " ".join(x for x in (p.region, p.postcode) if x)
    rows: list[dict[str, Any]] = []
    for spelling in _COUNTRY_SPELLINGS[country]:
        rows.append(
            {
                "AddressLines_1": f"{p.number} {p.street}",
                "AddressComponents_Locality": p.city,
                "AddressComponents_Region": region,
                "AddressComponents_PostalCode": p.postcode,
                "AddressComponents_Country": spelling,
            }
        )
        rows.append(
            {
                "AddressLines_1": f"{p.number} {p.street}, {p.city}, {last}".upper(),
                "AddressComponents_Country": spelling,
            }
        )
    rows.append({"AddressLines_1": f"{p.number} {p.street}, {p.city}, {last}"})
    rows.append(  # no locality: appended from the point
        {
            "AddressLines_1": f"{p.number} {p.street}",
            "AddressComponents_Region": region,
            "AddressComponents_PostalCode": p.postcode,
            "AddressComponents_Country": country,
        }
    )
    rows.append({"AddressLines_1": f"{p.number} {p.street}, {last}", "AddressComponents_Country": country})
    rows.append({**rows[-2], "AddressComponents_Locality": "--"})  # given, but no name key: corrected
    no_postcode = {**rows[-3], "AddressComponents_Locality": p.city, "AddressComponents_PostalCode": None}
    rows.append(no_postcode)  # appended from the point
    rows.append({**no_postcode, "AddressComponents_PostalCode": "ZZZ"})  # given, but not a postcode
    rows.append({**no_postcode, "AddressComponents_Locality": None})  # neither: no template
    rows.append(
        {
            "AddressComponents_AddressNumber": p.number,
            "AddressComponents_Street": p.street,
            "AddressComponents_Locality": p.city,
            "AddressComponents_Region": region,
            "AddressComponents_PostalCode": p.postcode,
            "AddressComponents_Country": country,
            "AddressComponents_SubRegion": "Somewhere County",
        }
    )
    return rows


def test_reused_outcomes_equal_fresh_matches(reference_index: Path) -> None:
    points = [("US", p) for p in us_points()] + [(c, p) for c, ps in intl_points().items() for p in ps]
    rows = [row for country, p in points if not p.unit for row in _rows(country, p)]
    reusing = AddressValidator(reference_index, cache_size=1)  # no row cache: every row is validated
    fresh = AddressValidator(reference_index, cache_size=1, reuse_exact_matches=False)
    for _ in range(2):
        for row in rows:
            assert reusing.validate_mapping(row) == fresh.validate_mapping(row), row
    assert reusing.premise_reuses > len(rows)  # the second round at least came from templates
    assert fresh.premise_reuses == 0


def test_reused_outcomes_with_another_postcode_of_the_city_equal_fresh_matches(reference_index: Path) -> None:
    """A postcode of the same city that does not hold the number: Premise with the postcode
    corrected where one postcode of the street holds it (templates then), else fewer."""
    points = [("US", p) for p in us_points()] + [(c, p) for c, ps in intl_points().items() for p in ps]
    postcodes: dict[tuple[str, str], set[str]] = {}
    for country, p in points:
        postcodes.setdefault((country, p.city), set()).add(p.postcode)
    rows = []
    for country, p in points:
        for postcode in [p.postcode, *sorted(postcodes[(country, p.city)] - {p.postcode})]:
            rows.append(
                {
                    "AddressLines_1": f"{p.number} {p.street}",
                    "AddressComponents_Locality": p.city,
                    "AddressComponents_Region": p.region or None,
                    "AddressComponents_PostalCode": postcode,
                    "AddressComponents_Country": country,
                }
            )
    reusing = AddressValidator(reference_index, cache_size=1)
    fresh = AddressValidator(reference_index, cache_size=1, reuse_exact_matches=False)
    corrected = 0
    for _ in range(2):
        for row in rows:
            outcome = fresh.validate_mapping(row)
            assert reusing.validate_mapping(row) == outcome, row
            corrected += (
                outcome.get("Output_ValidationResults_Components_Address_PostalCodeDetails_Base_StatusDetail")
                == "Corrected"
            )
    assert corrected > 40 and reusing.premise_reuses > corrected // 4


def _unit_rows(country: str, p: RefPoint, unit: str) -> list[dict[str, Any]]:
    """One point with a unit: on a second line with several designators, after the street, one line."""
    region = p.region or None
    last = " ".join(x for x in (p.region, p.postcode) if x)
    comps = {
        "AddressComponents_Locality": p.city,
        "AddressComponents_Region": region,
        "AddressComponents_PostalCode": p.postcode,
        "AddressComponents_Country": country,
    }
    rows = [
        {**comps, "AddressLines_1": f"{p.number} {p.street}", "AddressLines_2": f"{designator} {unit}"}
        for designator in ("Apt", "APT", "Unit", "Suite", "#", "Flat")
    ]
    rows.append({**comps, "AddressLines_1": f"{p.number} {p.street} Apt {unit}"})
    rows.append(
        {
            "AddressLines_1": f"{p.number} {p.street} Apt {unit}, {p.city}, {last}",
            "AddressComponents_Country": country,
        }
    )
    return rows


def test_reused_unit_outcomes_equal_fresh_matches(reference_index: Path) -> None:
    """Units are reused only where the point records none (US, a designator other than "#"); a
    building with units, and other countries' unit forms, are matched afresh and agree too."""
    points = [("US", p) for p in us_points()] + [(c, p) for c, ps in intl_points().items() for p in ps]
    rows = [
        row
        for country, p in points
        for unit in ("7", "12", p.unit or "3")
        for row in _unit_rows(country, p, unit)
    ]
    reusing = AddressValidator(reference_index, cache_size=1)
    fresh = AddressValidator(reference_index, cache_size=1, reuse_exact_matches=False)
    for _ in range(2):
        for row in rows:
            assert reusing.validate_mapping(row) == fresh.validate_mapping(row), row
    assert reusing.premise_reuses > len(rows) // 4  # US second lines with a designator came from templates
    building = [p for p in us_points() if p.unit]
    assert building  # the units recorded at one number: matched, never from a template
    for p in building:
        outcome = reusing.validate_mapping(_unit_rows("US", p, p.unit)[0])
        assert (
            outcome["Output_ValidationResults_Components_Address_SecondaryAddressComponents_Unit_Status"]
            == "Validated"
        )
