"""OpenAddresses import into the SQLite index and the read-side lookups."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from jobforge.services.location.addresses import (
    AddressValidator,
    ImportResult,
    ReferenceImportError,
    ReferenceIndex,
    import_openaddresses,
    import_reference,
)
from jobforge.services.location.addresses.columns import VALUE_INDEX
from jobforge.services.location.addresses.reference import KEYS_VERSION, point_fingerprint, us_zip_table

from .refdata import RefPoint, intl_points, us_points, write_csv, write_geojson


def test_csv_import_counts_and_normalizes(tmp_path: Path) -> None:
    index = tmp_path / "idx.sqlite"
    n = import_openaddresses(write_csv(tmp_path / "us.csv", us_points()), index, "US")
    assert n == len(us_points())
    with sqlite3.connect(index) as conn:
        row = conn.execute(
            "SELECT street, street_key, city, region, postcode FROM points WHERE id=1"
        ).fetchone()
        names = {r[1] for r in conn.execute("PRAGMA index_list(points)")}
    assert row == ("E Quillfeather St", "E QUILLFEATHER ST", "Seattle", "WA", "98112")
    assert {"points_postcode", "points_street_city", "points_city"} <= names


@pytest.mark.parametrize("line_delimited", [False, True])
def test_geojson_import(tmp_path: Path, line_delimited: bool) -> None:
    index = tmp_path / "idx.sqlite"
    points = intl_points()["AU"]
    path = write_geojson(tmp_path / "au.geojson", points, line_delimited=line_delimited)
    assert import_openaddresses(path, index, "Australia") == len(points)
    ref = ReferenceIndex(index)
    block = ref.by_postcode("AU", "2000")
    group = block.streets["KOOKABURRA ST"]
    assert {p.unit for p in group.by_number["12"]} == {None, "5", "6"}
    assert group.points[0].lon == pytest.approx(151.2070)


def test_gzip_and_uppercase_geojson_properties(tmp_path: Path) -> None:
    src = write_geojson(tmp_path / "gb.geojson", intl_points()["GB"])
    text = src.read_text().replace('"street"', '"STREET"').replace('"number"', '"NUMBER"')
    gz = tmp_path / "gb.geojson.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write(text)
    assert import_openaddresses(gz, tmp_path / "idx.sqlite", "GB") == len(intl_points()["GB"])


def test_blank_us_city_filled_from_zip_table(tmp_path: Path) -> None:
    index = tmp_path / "idx.sqlite"
    pts = [RefPoint(-89.68, 39.77, "7", "Cedarquill Rd", "", "", "", "62704")]
    import_openaddresses(write_csv(tmp_path / "us.csv", pts, blank_city=True), index, "US")
    ref = ReferenceIndex(index)
    point = ref.by_postcode("US", "62704").streets["CEDARQUILL RD"].points[0]
    assert (point.city, point.region) == ("Springfield", "IL")


def test_rows_without_street_are_skipped_and_import_appends(tmp_path: Path) -> None:
    index = tmp_path / "idx.sqlite"
    pts = [RefPoint(0, 0, "1", "", "", "Sydney", "NSW", "2000"), *intl_points()["AU"][:3]]
    assert import_openaddresses(write_csv(tmp_path / "a.csv", pts), index, "AU") == 3
    assert import_openaddresses(write_csv(tmp_path / "b.csv", intl_points()["AU"][3:6]), index, "AU") == 3
    assert ReferenceIndex(index).count("AU") == 6


def test_reimport_and_overlapping_extracts_add_nothing_twice(tmp_path: Path) -> None:
    index = tmp_path / "idx.sqlite"
    au = intl_points()["AU"]
    first = import_reference(write_csv(tmp_path / "a.csv", au[:8]), index, "AU")
    assert first == ImportResult(added=8, present=0)
    assert import_reference(tmp_path / "a.csv", index, "AU") == ImportResult(added=0, present=8)
    # an overlapping extract, in the other format: only the 4 points not yet there are new
    overlap = import_reference(write_geojson(tmp_path / "b.geojson", au[4:]), index, "AU")
    assert overlap == ImportResult(added=len(au) - 8, present=4)
    # a point repeated within one file counts once
    assert import_reference(write_csv(tmp_path / "c.csv", [au[0], au[0]]), tmp_path / "c.sqlite", "AU") == (
        ImportResult(added=1, present=1)
    )
    ref = ReferenceIndex(index)
    assert ref.count("AU") == len(au)
    # same street and number, another unit or position: distinct points
    assert {p.unit for p in ref.by_postcode("AU", "2000").streets["KOOKABURRA ST"].by_number["12"]} == {
        None,
        "5",
        "6",
    }


def test_fingerprint_rounds_position_to_a_millionth_of_a_degree() -> None:
    base = ("US", "120", "E QUILLFEATHER ST", None, "SEATTLE", "98112")
    same = point_fingerprint(*base, -122.2972341, 47.6301234)
    assert point_fingerprint(*base, -122.29723412, 47.63012338) == same
    assert point_fingerprint(*base, -122.2972351, 47.6301234) != same
    assert point_fingerprint(*base, None, None) != point_fingerprint(*base[:3], "1A", *base[4:], None, None)
    assert len(point_fingerprint(*base, float("inf"), None)) == 16


def test_spelling_variants_of_a_point_are_the_same_point(tmp_path: Path) -> None:
    index = tmp_path / "idx.sqlite"
    point = RefPoint(151.2070, -33.8675, "12", "Kookaburra Street", "", "Sydney", "NSW", "2000")
    import_openaddresses(write_csv(tmp_path / "a.csv", [point]), index, "AU")
    variant = RefPoint(151.20700001, -33.8675, "12", "KOOKABURRA ST", "", "SYDNEY", "New South Wales", "2000")
    assert import_reference(write_csv(tmp_path / "b.csv", [variant]), index, "AU") == ImportResult(0, 1)


def _legacy_index(tmp_path: Path, points: list[RefPoint], country: str) -> Path:
    """An index as the version without fingerprints wrote it, after importing the same file twice."""
    index = tmp_path / "legacy.sqlite"
    import_openaddresses(write_csv(tmp_path / "legacy.csv", points), index, country)
    columns = "country, number, number_key, street, street_key, unit, city, city_key, district, region," + (
        " postcode, lon, lat, source_id"
    )
    with sqlite3.connect(index) as conn:
        conn.execute("DROP INDEX points_fingerprint")
        conn.execute("ALTER TABLE points DROP COLUMN fingerprint")
        conn.execute(f"INSERT INTO points ({columns}) SELECT {columns} FROM points ORDER BY id")
    conn.close()
    return index


def test_index_without_fingerprints_is_upgraded_on_import(tmp_path: Path) -> None:
    points = us_points()[:40]
    index = _legacy_index(tmp_path, points, "US")
    legacy = ReferenceIndex(index)  # the read side reads the old layout
    assert legacy.count("US") == 80
    assert len(legacy.by_postcode("US", "98112").streets["E QUILLFEATHER ST"].by_number["100"]) == 2
    legacy.close()

    more = [RefPoint(-122.2972, 47.6401, "999", "E QUILLFEATHER ST", "", "Seattle", "WA", "98112")]
    result = import_reference(write_csv(tmp_path / "more.csv", [*points[:5], *more]), index, "US")
    assert result == ImportResult(added=1, present=5, removed=40)
    with sqlite3.connect(index) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM points ORDER BY id")]
        assert ids == list(range(1, 42))  # the first copy of every point is kept, then the new one
        assert conn.execute("SELECT count(*) FROM points WHERE fingerprint IS NULL").fetchone() == (0,)
        unique = {row[1]: row[2] for row in conn.execute("PRAGMA index_list(points)")}
    assert unique["points_fingerprint"] == 1
    conn.close()
    ref = ReferenceIndex(index)
    assert ref.count("US") == 41
    assert len(ref.by_postcode("US", "98112").streets["E QUILLFEATHER ST"].by_number["100"]) == 1
    assert import_reference(tmp_path / "legacy.csv", index, "US") == ImportResult(added=0, present=40)


def test_points_added_without_fingerprint_by_an_older_version_are_deduplicated(tmp_path: Path) -> None:
    index = tmp_path / "idx.sqlite"
    au = intl_points()["AU"]
    import_openaddresses(write_csv(tmp_path / "au.csv", au), index, "AU")
    with sqlite3.connect(index) as conn:  # what the previous version's import appends
        conn.execute(
            "INSERT INTO points (country, number, number_key, street, street_key, unit, city, city_key,"
            " region, postcode, lon, lat) SELECT country, number, number_key, street, street_key, unit,"
            " city, city_key, region, postcode, lon, lat FROM points"
        )
    conn.close()
    assert import_reference(tmp_path / "au.csv", index, "AU") == ImportResult(0, len(au), len(au))
    assert ReferenceIndex(index).count("AU") == len(au)


def test_failed_import_changes_nothing(tmp_path: Path) -> None:
    index = _legacy_index(tmp_path, intl_points()["AU"][:4], "AU")
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [' + json.dumps(
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [151.2, -33.8]},
         "properties": {"number": "1", "street": "Emu Lane", "postcode": "2000"}}
    ) + ",")  # fmt: skip
    with pytest.raises(ReferenceImportError):
        import_reference(bad, index, "AU")
    with sqlite3.connect(index) as conn:
        assert "fingerprint" not in {row[1] for row in conn.execute("PRAGMA table_info(points)")}
        assert conn.execute("SELECT count(*) FROM points").fetchone() == (8,)
    conn.close()


def test_cli_reports_new_and_present_points(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from jobforge.cli import main

    index = _legacy_index(tmp_path, intl_points()["AU"][:4], "AU")
    src = write_csv(tmp_path / "au.csv", intl_points()["AU"][:6])
    assert main(["location", "import", str(src), "--country", "AU", "--reference", str(index)]) == 0
    out = capsys.readouterr().out
    assert f"upgraded {index}: removed 4 duplicate address points" in out
    assert f"imported 2 new AU address points into {index} (4 already present)" in out
    assert main(["location", "import", str(src), "--country", "AU", "--reference", str(index)]) == 0
    out = capsys.readouterr().out
    assert out == f"imported 0 new AU address points into {index} (6 already present)\n"


def test_import_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ReferenceImportError):
        import_openaddresses(write_csv(tmp_path / "x.csv", us_points()[:2]), tmp_path / "i.sqlite", "FR")
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B\n1,2\n")
    with pytest.raises(ReferenceImportError):
        import_openaddresses(bad, tmp_path / "i.sqlite", "US")


def test_places_summary(reference_index: Path) -> None:
    ref = ReferenceIndex(reference_index)
    pcs = ref.postcodes("CA")
    assert set(pcs) == {"M5V 2T6", "V6B 1A1"}
    assert pcs["V6B 1A1"].related == {"VANCOUVER"}
    assert ref.localities("GB")["MANCHESTER"].related == {"M1 1AE"}


def test_zip_table() -> None:
    zt = us_zip_table()
    info = zt.get("98112")
    assert (info.city, info.state) == ("Seattle", "WA")
    assert "98112" in zt.zips_for("WA", "SEATTLE")


_QUEBEC = RefPoint(-73.5673, 45.5017, "1234", "Rue Saint-Jérôme", "", "Montréal", "QC", "H2X 1Y4")


def _quebec_row(street: str, city: str) -> dict[str, str]:
    return {
        "AddressLines_1": f"1234 {street}",
        "AddressComponents_Locality": city,
        "AddressComponents_Region": "QC",
        "AddressComponents_PostalCode": "H2X 1Y4",
        "AddressComponents_Country": "CA",
    }


def _exact_match(validator: AddressValidator, street: str, city: str) -> bool:
    values = validator.validate_mapping(_quebec_row(street, city)).values
    status = "Output_ValidationResults_Components_Address_{}_StatusDetail"
    return (
        values[VALUE_INDEX["Output_ValidationResults_ValidationGranularity"]] == "Premise"
        and values[VALUE_INDEX[status.format("Street")]] == "Exact"
        and values[VALUE_INDEX[status.format("Locality")]] == "Exact"
        and values[VALUE_INDEX["Output_Address_Label"]]
        == "1234 Rue Saint-Jérôme, Montréal QC H2X 1Y4, Canada"
    )


def test_names_match_with_or_without_their_accents(tmp_path: Path) -> None:
    index = tmp_path / "idx.sqlite"
    import_reference(write_csv(tmp_path / "ca.csv", [_QUEBEC]), index, "CA")
    validator = AddressValidator(index)
    assert _exact_match(validator, "Rue Saint-Jerome", "Montreal")  # as CRM exports often write them
    assert _exact_match(validator, "RUE SAINT-JÉRÔME", "MONTRÉAL")
    assert _exact_match(validator, "Rue Saint-Jérôme", "Montréal")


def test_an_index_with_keys_of_an_older_version_is_upgraded(tmp_path: Path) -> None:
    """Keys made before diacritics were folded: opening the index brings them up to date, and the
    next import makes the fingerprints anew, dropping a point that is now the same as another."""
    index = tmp_path / "idx.sqlite"
    plain = RefPoint(_QUEBEC.lon, _QUEBEC.lat, "1234", "Rue Saint-Jerome", "", "Montreal", "QC", "H2X 1Y4")
    import_reference(write_csv(tmp_path / "ca.csv", [_QUEBEC, plain]), index, "CA")  # one point now
    with sqlite3.connect(index) as conn:  # what the previous version wrote: two points
        conn.execute("DELETE FROM points")
        conn.execute("PRAGMA user_version = 0")
        for street, street_key, city, city_key in (
            ("Rue Saint-Jérôme", "RUE ST J R ME", "Montréal", "MONTR AL"),
            ("Rue Saint-Jerome", "RUE ST JEROME", "Montreal", "MONTREAL"),
        ):
            fingerprint = point_fingerprint(
                "CA", "1234", street_key, None, city_key, "H2X 1Y4", plain.lon, plain.lat
            )
            conn.execute(
                "INSERT INTO points (country, number, number_key, street, street_key, city, city_key, region,"
                " postcode, lon, lat, fingerprint) VALUES ('CA', '1234', '1234', ?, ?, ?, ?, 'QC', 'H2X 1Y4',"
                " ?, ?, ?)",
                (street, street_key, city, city_key, plain.lon, plain.lat, fingerprint),
            )
    conn.close()
    validator = AddressValidator(index)  # upgrades the keys
    assert _exact_match(validator, "Rue Saint-Jerome", "Montreal")
    assert _exact_match(validator, "Rue Saint-Jérôme", "Montréal")
    validator.close()
    with sqlite3.connect(index) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (KEYS_VERSION,)
        keys = conn.execute("SELECT DISTINCT street_key, city_key FROM points").fetchall()
    conn.close()
    assert keys == [("RUE ST JEROME", "MONTREAL")]
    assert import_reference(tmp_path / "ca.csv", index, "CA") == ImportResult(added=0, present=2, removed=1)
    assert ReferenceIndex(index).count("CA") == 1


def test_a_region_written_with_its_accents_resolves(tmp_path: Path) -> None:
    index = tmp_path / "idx.sqlite"
    import_reference(write_csv(tmp_path / "ca.csv", [_QUEBEC]), index, "CA")
    validator = AddressValidator(index)
    one_line = {
        "AddressLines_1": "1234 Rue Saint-Jérôme, Montréal, Québec H2X 1Y4",
        "AddressComponents_Country": "CA",
    }
    for row in (
        one_line,
        {**_quebec_row("Rue Saint-Jérôme", "Montréal"), "AddressComponents_Region": "Québec"},
    ):
        values = validator.validate_mapping(row).values
        assert (
            values[VALUE_INDEX["Output_Address_Label"]]
            == "1234 Rue Saint-Jérôme, Montréal QC H2X 1Y4, Canada"
        )
        assert (
            values[VALUE_INDEX["Output_ValidationResults_Components_Address_Region_StatusDetail"]] == "Exact"
        )
        assert values[VALUE_INDEX["Output_ValidationResults_ValidationGranularity"]] == "Premise"


IMPOSSIBLE_POSITIONS = [
    ("999", "999"),
    ("-181", "40"),
    ("-105", "90.5"),
    ("nan", "inf"),
    ("-1e308", "1e308"),
    ("inf", "40"),
    ("abc", "def"),
    ("-105.27", ""),  # half a position
]


def test_points_at_impossible_positions_are_counted_and_not_imported(tmp_path: Path) -> None:
    rows = [
        f"{lon},{lat},{10 + 2 * i},Zzyzx Rd,,Boulder,,CO,80302"
        for i, (lon, lat) in enumerate(IMPOSSIBLE_POSITIONS)
    ]
    rows += ["-105.27,40.01,100,Zzyzx Rd,,Boulder,,CO,80302", ",,102,Zzyzx Rd,,Boulder,,CO,80302"]
    rows += ["180,-90,104,Zzyzx Rd,,Boulder,,CO,80302"]  # the edges are on Earth
    src = tmp_path / "coords.csv"
    src.write_text("LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE\n" + "\n".join(rows) + "\n")
    index = tmp_path / "idx.sqlite"
    assert import_reference(src, index, "US") == ImportResult(3, 0, 0, rejected=len(IMPOSSIBLE_POSITIONS))
    with sqlite3.connect(index) as conn:
        stored = sorted(conn.execute("SELECT number, lon, lat FROM points").fetchall())
    conn.close()
    assert stored == [("100", -105.27, 40.01), ("102", None, None), ("104", 180.0, -90.0)]
    # the same in GeoJSON: an impossible Point geometry is rejected too
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1e308, 45]},
               "properties": {"number": "7", "street": "Zzyzx Rd", "postcode": "80302"}}  # fmt: skip
    geojson = tmp_path / "p.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    assert import_reference(geojson, index, "US").rejected == 1


def test_impossible_positions_of_an_older_index_are_read_as_none(tmp_path: Path) -> None:
    """An index an earlier version filled with any coordinates: no point or centroid is off Earth."""
    index = tmp_path / "idx.sqlite"
    pts = [RefPoint(-105.27, 40.01, "100", "Zzyzx Rd", "", "Boulder", "CO", "80302")]
    import_openaddresses(write_csv(tmp_path / "a.csv", pts), index, "US")
    with sqlite3.connect(index) as conn:
        conn.execute(
            "INSERT INTO points (country, number, number_key, street, street_key, city, city_key, region,"
            " postcode, lon, lat) SELECT country, '102', '102', street, street_key, city, city_key, region,"
            " postcode, 1e308, 9e999 FROM points"
        )
    conn.close()
    ref = ReferenceIndex(index)
    by_number = ref.by_postcode("US", "80302").streets["ZZYZX RD"].by_number
    assert (by_number["102"][0].lon, by_number["102"][0].lat) == (None, None)
    assert (by_number["100"][0].lon, by_number["100"][0].lat) == (-105.27, 40.01)
    assert ref.by_postcode("US", "80302").streets["ZZYZX RD"].summary().centroid == (-105.27, 40.01)
    centroid = ref.postcodes("US")["80302"]
    assert (centroid.lon, centroid.lat) == pytest.approx((-105.27, 40.01))
    validator = AddressValidator(index)
    for number, position in (("102", [None, None]), ("100", [-105.27, 40.01])):
        row = {"AddressLines_1": f"{number} Zzyzx Rd", "AddressComponents_Locality": "Boulder",
               "AddressComponents_Region": "CO", "AddressComponents_PostalCode": "80302",
               "AddressComponents_Country": "US"}  # fmt: skip
        values = validator.validate_mapping(row).values
        assert values[VALUE_INDEX["Output_ValidationResults_ValidationGranularity"]] == "Premise"
        lon_lat = [values[VALUE_INDEX[f"Output_Position_{axis}"]] for axis in ("Longitude", "Latitude")]
        assert lon_lat == position
