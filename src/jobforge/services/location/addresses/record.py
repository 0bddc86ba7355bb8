"""The input record of one ValidateAddress row (the input columns of docs/location.md, "Input")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

ADDRESS_LINE_COLUMNS: tuple[str, ...] = tuple(f"AddressLines_{i}" for i in range(1, 6))
COMPONENT_COLUMNS: tuple[str, ...] = (
    "AddressComponents_Country",
    "AddressComponents_Region",
    "AddressComponents_SubRegion",
    "AddressComponents_Locality",
    "AddressComponents_PostalCode",
    "AddressComponents_Street",
    "AddressComponents_AddressNumber",
    "AddressComponents_Unit",
    "AddressComponents_UnitDesignator",
)
INPUT_COLUMNS: tuple[str, ...] = ("Id", *ADDRESS_LINE_COLUMNS, *COMPONENT_COLUMNS)


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class InputRecord(NamedTuple):
    """One input row; every field is a stripped string or None (a NamedTuple: cheap to build)."""

    id: str | None = None
    address_lines: tuple[str | None, ...] = (None, None, None, None, None)
    country: str | None = None
    region: str | None = None
    sub_region: str | None = None
    locality: str | None = None
    postal_code: str | None = None
    street: str | None = None
    address_number: str | None = None
    unit: str | None = None
    unit_designator: str | None = None

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> InputRecord:
        """Build from a dict keyed by input column names; missing keys are null."""
        get = row.get
        return cls(
            _clean(get("Id")),
            tuple(_clean(get(c)) for c in ADDRESS_LINE_COLUMNS),
            _clean(get("AddressComponents_Country")),
            _clean(get("AddressComponents_Region")),
            _clean(get("AddressComponents_SubRegion")),
            _clean(get("AddressComponents_Locality")),
            _clean(get("AddressComponents_PostalCode")),
            _clean(get("AddressComponents_Street")),
            _clean(get("AddressComponents_AddressNumber")),
            _clean(get("AddressComponents_Unit")),
            _clean(get("AddressComponents_UnitDesignator")),
        )

    def cache_key(self) -> tuple[str | None, ...]:
        """Everything except the id: rows with equal keys validate identically."""
        return (
            *self.address_lines,
            self.country,
            self.region,
            self.sub_region,
            self.locality,
            self.postal_code,
            self.street,
            self.address_number,
            self.unit,
            self.unit_designator,
        )

    def is_empty(self) -> bool:
        return not any(self.cache_key())
