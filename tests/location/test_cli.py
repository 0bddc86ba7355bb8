"""``jobforge location import`` and ``jobforge location validate`` as a user runs them: what they
report, and bad arguments ending in one ``jobforge: ...`` line and exit status 1, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from tests.server.test_cli import assert_refused, jobforge

REPO = Path(__file__).resolve().parents[2]
SAMPLE_POINTS = REPO / "examples" / "location" / "us_fictional_openaddresses.csv"
SAMPLE_INPUT = REPO / "examples" / "location" / "sample_input.parquet"
HEADER = "LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE\n"


def test_import_reports_points_at_impossible_positions(tmp_path: Path) -> None:
    points = tmp_path / "coords.csv"
    points.write_text(
        HEADER + "999,999,10,Zzyzx Rd,,Boulder,,CO,80302\n"
        "nan,inf,12,Zzyzx Rd,,Boulder,,CO,80302\n"
        "-1e308,1e308,14,Zzyzx Rd,,Boulder,,CO,80302\n"
        "-105.27,40.01,16,Zzyzx Rd,,Boulder,,CO,80302\n"
    )
    index = tmp_path / "c.sqlite"
    done = jobforge("location", "import", str(points), "--reference", str(index))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"imported 1 new US address points into {index}"), done.stdout
    assert "skipped 3 points" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_import_names_the_country_it_stored_the_points_under(tmp_path: Path) -> None:
    done = jobforge(
        "location", "import", str(SAMPLE_POINTS), "--country", "usa", "--reference", str(tmp_path / "i")
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.startswith("imported 80 new US address points"), done.stdout


def test_validate_refuses_an_output_that_is_a_file(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("hi\n")
    done = jobforge(
        "location", "validate", str(SAMPLE_INPUT), "--output", str(afile), "--data-dir", str(tmp_path)
    )
    assert_refused(done, 1, f"{afile}: not a directory")
    assert afile.read_text() == "hi\n"
    under = afile / "part-00000.parquet"  # an output folder below a file
    done = jobforge(
        "location", "validate", str(SAMPLE_INPUT), "--output", str(under), "--data-dir", str(tmp_path)
    )
    assert_refused(done, 1, str(under))


def test_validate_refuses_a_reference_that_is_missing_or_not_an_index(tmp_path: Path) -> None:
    output = tmp_path / "out"
    fake = tmp_path / "fake.sqlite"
    fake.write_text("garbage\n")
    done = jobforge(
        "location", "validate", str(SAMPLE_INPUT), "--output", str(output), "--reference", str(fake)
    )
    assert_refused(done, 1, f"{fake}: not a readable address index", "file is not a database")
    missing = tmp_path / "nonexist.sqlite"
    done = jobforge(
        "location", "validate", str(SAMPLE_INPUT), "--output", str(output), "--reference", str(missing)
    )
    assert_refused(done, 1, f"--reference {missing}: no such index file")
    assert not (output / "part-00000.parquet").exists()
    # an index that is there is used: the sample reaches Premise
    index = tmp_path / "index.sqlite"
    assert jobforge("location", "import", str(SAMPLE_POINTS), "--reference", str(index)).returncode == 0
    done = jobforge(
        "location", "validate", str(SAMPLE_INPUT), "--output", str(output), "--reference", str(index)
    )
    assert done.returncode == 0, done.stderr
    granularity = pq.read_table(output / "part-00000.parquet")[
        "Output_ValidationResults_ValidationGranularity"
    ]
    assert "Premise" in granularity.to_pylist()
