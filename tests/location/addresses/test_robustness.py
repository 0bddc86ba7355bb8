"""Property tests: arbitrary input never raises out of the validator and always yields one outcome."""

from __future__ import annotations

import io

import pytest

pytest.importorskip("hypothesis")  # not declared in pyproject's test extras yet

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobforge.services.location import parquet_io
from jobforge.services.location.addresses import AddressValidator, InputRecord, ValidationOptions
from jobforge.services.location.parquet_io import InputSchemaError, open_input

_text = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["US", "USA", "CA", "GB", "AU", "FR", ""]))
_words = st.sampled_from(
    ["12", "5/12", "4B-123", "Apt", "#7", "Main", "St", "Street", "North", "Suite", "Flat", "Level", "2",
     "Seattle", "WA", "98112", "M5V 2T6", "SW1A 2AA", "NSW", "2000", ",", "PO", "Box", "Rue"]
)  # fmt: skip
_lines = st.lists(_words, max_size=9).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.one_of(st.none(), _lines, st.text(max_size=30)), min_size=5, max_size=5),
    country=_text,
    locality=_text,
    region=_text,
    postcode=_text,
    street=_text,
    number=_text,
    unit=_text,
)
def test_validator_never_raises(
    validator: AddressValidator, lines, country, locality, region, postcode, street, number, unit
) -> None:
    strip = [x.strip() or None if x else None for x in lines]
    record = InputRecord(None, tuple(strip), country or None, region or None, None, locality or None,
                         postcode or None, street or None, number or None, unit or None, None)  # fmt: skip
    outcome = validator.validate(record, ValidationOptions(True, True))
    if outcome.error_type is None:
        assert outcome["Output_Address_Country_Code2"] in {"US", "CA", "GB", "AU"}
        score = outcome["Output_ValidationResults_MatchConfidenceScore"]
        assert 0.0 <= score <= 1.0
        if outcome["Output_ValidationResults_ValidationGranularity"] == "Premise":
            assert outcome["Output_ValidationResults_Components_Address_AddressNumber_Status"] == "Validated"
    else:
        assert outcome.error_type in {"ValidationError", "InternalServerError"}
        assert outcome.error_type == "ValidationError", outcome.error_message  # no internal errors expected


def test_file_size_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parquet_io, "MAX_FILE_BYTES", 10)
    with pytest.raises(InputSchemaError, match="10 GB"):
        open_input(io.BytesIO(b"x" * 100))


def test_sub_region_is_echoed_when_not_derived(validator: AddressValidator) -> None:
    out = validator.validate_mapping(
        {"AddressLines_1": "3 Quarrington Lane, London, SW1A 2AA", "AddressComponents_Country": "GB",
         "AddressComponents_SubRegion": "Greater London"}
    )  # fmt: skip
    assert out["Output_Address_SubRegion_Name"] == "Greater London"
