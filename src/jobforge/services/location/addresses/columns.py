"""Output column names and Arrow types of a ValidateAddress result row (docs/location.md, "Output files")."""

from __future__ import annotations

import pyarrow as pa

from .match import COMPONENTS

_STR = pa.string()
_F64 = pa.float64()
_BOOL = pa.bool_()

ADDRESS_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("Output_AddressId", _STR),
    *((f"Output_AddressLines_{i}", _STR) for i in range(1, 6)),
    ("Output_Address_Label", _STR),
    ("Output_Address_Country_Code2", _STR),
    ("Output_Address_Country_Code3", _STR),
    ("Output_Address_Country_Name", _STR),
    ("Output_Address_Region_Code", _STR),
    ("Output_Address_Region_Name", _STR),
    ("Output_Address_SubRegion_Code", _STR),
    ("Output_Address_SubRegion_Name", _STR),
    ("Output_Address_Locality", _STR),
    ("Output_Address_PostalCode", _STR),
    ("Output_Address_PostalCodeDetails_Base", _STR),
    ("Output_Address_PostalCodeDetails_Extension", _STR),
    ("Output_Address_Street", _STR),
    ("Output_Address_StreetComponents_BaseName", _STR),
    ("Output_Address_StreetComponents_Prefix", _STR),
    ("Output_Address_StreetComponents_Suffix", _STR),
    ("Output_Address_StreetComponents_Type", _STR),
    ("Output_Address_StreetComponents_TypePlacement", _STR),
    ("Output_Address_AddressNumber", _STR),
    ("Output_Address_SecondaryAddressComponents_Unit_Number", _STR),
    ("Output_Address_SecondaryAddressComponents_Unit_Designator", _STR),
    ("Output_Address_SecondaryAddressComponents_Floor_Number", _STR),
    ("Output_Address_SecondaryAddressComponents_Floor_Designator", _STR),
    ("Output_AddressMetadata_DeliveryIndicators_Mailable", _BOOL),
    ("Output_AddressMetadata_DeliveryIndicators_Locatable", _BOOL),
)

RESULT_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("Output_ValidationResults_ValidationGranularity", _STR),
    ("Output_ValidationResults_MatchConfidence", _STR),
    ("Output_ValidationResults_MatchConfidenceScore", _F64),
    *(
        (f"Output_ValidationResults_Components_Address_{comp}_{suffix}", _STR)
        for comp in COMPONENTS
        for suffix in ("Status", "StatusDetail")
    ),
)

POSITION_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("Output_Position_Longitude", _F64),
    ("Output_Position_Latitude", _F64),
)

_CSA_FIELDS: dict[str, tuple[str, ...]] = {
    "AUS": (
        "AustraliaPost_DeliveryPointIdentifier",
        "Census_MeshBlockId",
        "Gnaf_AddressClass",
        "Gnaf_GnafPid",
        "Gnaf_LegalParcelId",
        "Gnaf_StatisticalArea1",
    ),
    "CAN": (
        "CanadaPost_BuildingType",
        "CanadaPost_RecordType",
        "Census_DisseminationArea",
        "Census_Division",
        "Census_MetropolitanArea",
        "Census_Subdivision",
        "Census_Tract",
    ),
    "GBR": (
        "RoyalMail_SubBuilding",
        "RoyalMail_ThoroughfareName",
        "RoyalMail_DependentThoroughfareName",
        "RoyalMail_DependentLocality",
        "RoyalMail_DoubleDependentLocality",
        "RoyalMail_OrganizationName",
        "RoyalMail_Udprn",
    ),
    "USA": (
        "Usps_CarrierRoute",
        "Usps_DefaultFlag",
        "Usps_DeliveryPoint_Barcode",
        "Usps_DeliveryPoint_CheckDigit",
        "Usps_Elot_AscendingDescendingFlag",
        "Usps_Elot_SequenceNumber",
        "Usps_NonDeliverableRecord",
        "Usps_PoBoxOnlyFlag",
        "Usps_RecordType",
        "Usps_RuralRouteDefault",
        "Usps_Urbanization",
        "Usps_ZipValid",
        "Usps_Zip10",
        "Usps_Zip9",
        "Census_BlockId",
        "Census_CombinedStatisticalArea_Number",
        "Census_CombinedStatisticalArea_Name",
        "Census_CoreBasedStatisticalArea_Number",
        "Census_CoreBasedStatisticalArea_Name",
        "Census_CountyFipsCode",
        "Census_MetropolitanAreaFlag",
    ),
}

COUNTRY_SPECIFIC_COLUMNS: tuple[tuple[str, pa.DataType], ...] = tuple(
    (f"Output_CountrySpecificAttributes_{iso3}_{name}", _BOOL if name == "Usps_ZipValid" else _STR)
    for iso3, names in _CSA_FIELDS.items()
    for name in names
)
ZIP_VALID_COLUMN = "Output_CountrySpecificAttributes_USA_Usps_ZipValid"

ERROR_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (("ErrorType", _STR), ("ErrorMessage", _STR))

# Every column a ValidationOutcome carries, in output order (Output_Id and Input_* come first).
OUTCOME_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    *ADDRESS_COLUMNS,
    *RESULT_COLUMNS,
    *POSITION_COLUMNS,
    *COUNTRY_SPECIFIC_COLUMNS,
    *ERROR_COLUMNS,
)
# Columns this implementation never fills (licensed postal data, place ids): written as all-null arrays.
ALWAYS_NULL: frozenset[str] = frozenset(
    {
        "Output_AddressId",
        "Output_Address_SubRegion_Code",
        "Output_AddressMetadata_DeliveryIndicators_Mailable",
        *(name for name, _ in COUNTRY_SPECIFIC_COLUMNS if not name.endswith("_Usps_ZipValid")),
    }
)
OUTCOME_NAMES: tuple[str, ...] = tuple(name for name, _ in OUTCOME_COLUMNS)
OUTCOME_INDEX: dict[str, int] = {name: i for i, name in enumerate(OUTCOME_NAMES)}
# The columns a ValidationOutcome stores a value for (all but ALWAYS_NULL), in output order.
VALUE_NAMES: tuple[str, ...] = tuple(name for name in OUTCOME_NAMES if name not in ALWAYS_NULL)
VALUE_INDEX: dict[str, int] = {name: i for i, name in enumerate(VALUE_NAMES)}
# The Arrow type of a ValidationOutcome's values: one struct field per VALUE_NAMES column.
VALUE_TYPE = pa.struct([pa.field(name, dtype) for name, dtype in OUTCOME_COLUMNS if name not in ALWAYS_NULL])
