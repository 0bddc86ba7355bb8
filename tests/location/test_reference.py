"""OpenAddresses import into the SQLite index and the read-side lookups."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pytest

from jobforge.services.location.addresses import ReferenceImportError, ReferenceIndex, import_openaddresses
from jobforge.services.location.addresses.reference import us_zip_table

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
    assert import_openaddresses(write_csv(tmp_path / "b.csv", pts), index, "AU") == 3
    assert ReferenceIndex(index).count("AU") == 6


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
