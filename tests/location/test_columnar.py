"""The columnar path (addresses/columnar.py) gives exactly the per-row path's output tables."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jobforge.services.location.addresses import INPUT_COLUMNS, AddressValidator, ValidationOptions, columnar
from jobforge.services.location.addresses.columnar import columnar_index
from jobforge.services.location.parquet_io import process_file

from .addresses.refdata import RefPoint, intl_points, us_points

_SPELLINGS = {"US": ("US", "USA"), "CA": ("CA", "Canada"), "GB": ("GB", "UK"), "AU": ("AU", "AUS")}


def _parquet(rows: list[dict[str, Any]], row_group_size: int | None = None) -> bytes:
    """The rows as an input file (every input column, as strings)."""
    schema = pa.schema([pa.field(c, pa.string()) for c in INPUT_COLUMNS])
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), buf, row_group_size=row_group_size)
    return buf.getvalue()


def _typo(text: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _row(country: str, p: RefPoint, rng: random.Random) -> dict[str, Any]:
    """One row of a mixed input: exact (components or one line), typo'd, free-form, invalid."""
    region = p.region or None
    comps = {
        "AddressComponents_Locality": p.city,
        "AddressComponents_Region": region,
        "AddressComponents_PostalCode": p.postcode,
        "AddressComponents_Country": rng.choice(_SPELLINGS[country]),
    }
    last = " ".join(x for x in (p.region, p.postcode) if x)
    kind = rng.randrange(12)
    line = f"{p.number} {p.street}"
    if kind < 4:
        return {**comps, "AddressLines_1": line}
    if kind == 4:
        return {**comps, "AddressLines_1": line.upper(), "AddressComponents_SubRegion": "Some County"}
    if kind == 5:
        return {"AddressLines_1": f"{line}, {p.city}, {last}", "AddressComponents_Country": country}
    if kind == 6:
        return {**comps, "AddressLines_1": f"{p.number} {_typo(p.street, rng)}"}
    if kind == 7:
        return {**comps, "AddressLines_1": f"{int(p.number) + 1000} {p.street}"}  # no such number
    if kind == 8:
        return {**comps, "AddressLines_1": line, "AddressLines_2": f"Apt {rng.randrange(1, 9)}"}
    if kind == 9:
        return {**comps, "AddressLines_1": line, "AddressComponents_PostalCode": None}
    if kind == 10:
        return {"AddressLines_1": f"{line} Rue Haute", "AddressComponents_Country": "FR"}  # unsupported
    return {"Id": "empty"} if rng.random() < 0.5 else {**comps, "AddressLines_1": f"PO Box {p.number}"}


def _input(rows: int, seed: int) -> bytes:
    rng = random.Random(seed)
    points = [("US", p) for p in us_points() if not p.unit]
    points += [(c, p) for c, ps in intl_points().items() for p in ps if not p.unit]
    chunk = [_row(*rng.choice(points), rng) for _ in range(rows)]
    return _parquet(chunk, row_group_size=rows // 3)


def _run(data: bytes, validator: AddressValidator, columnar: bool) -> pa.Table:
    out = io.BytesIO()
    options = ValidationOptions.from_features(["Position", "CountrySpecificAttributes"])
    process_file(
        io.BytesIO(data),
        out,
        validator,
        options,
        batch_size=256,
        id_seed=b"0123456789abcdef",
        columnar=columnar,
    )
    return pq.read_table(io.BytesIO(out.getvalue()))


def test_columnar_output_equals_per_row_output(reference_index: Path) -> None:
    data = _input(6000, seed=18)
    columnar_validator = AddressValidator(reference_index)
    per_row = _run(data, AddressValidator(reference_index, reuse_exact_matches=False), columnar=False)
    columnar = _run(data, columnar_validator, columnar=True)
    assert columnar.schema == per_row.schema
    for name in per_row.column_names:
        assert columnar.column(name).equals(per_row.column(name)), name
    granularity = per_row.column("Output_ValidationResults_ValidationGranularity").to_pylist()
    assert granularity.count("Premise") > 2000 and granularity.count(None) > 500  # a mixed input
    # the fast path answered a good part of the rows (the exact matches seen before)
    assert columnar_index(columnar_validator).fast_rows > 1500


def test_columnar_caches_starting_afresh_change_nothing(
    reference_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(columnar, "_MAX_SHAPES", 300)  # a few batches each
    monkeypatch.setattr(columnar, "_MAX_NUMBERS", 100)
    data = _input(2000, seed=7)
    per_row = _run(data, AddressValidator(reference_index, reuse_exact_matches=False), columnar=False)
    validator = AddressValidator(reference_index)
    assert _run(data, validator, columnar=True).equals(per_row)
    assert columnar.columnar_index(validator).fast_rows > 300


def test_columnar_rows_keep_their_order_across_batches(reference_index: Path) -> None:
    data = _input(900, seed=5)
    validator = AddressValidator(reference_index)
    first = _run(data, validator, columnar=True)
    again = _run(data, validator, columnar=True)  # every shape known now: most rows take the fast path
    assert again.equals(first)
    assert first.column("Input_AddressLines_1").equals(
        pq.read_table(io.BytesIO(data)).column("AddressLines_1")
    )


def _unit_input(rows: int, seed: int) -> bytes:
    """US rows with a second line "<designator> <unit>": plain points, the building whose number
    holds units, and a first line holding a unit of its own (which the parse may keep)."""
    rng = random.Random(seed)
    points = us_points()
    chunk = []
    for _ in range(rows):
        p = rng.choice(points)
        row = _row("US", p, rng)
        if "AddressComponents_Region" in row:
            line1 = f"{p.number} {p.street}" + (" Apt 3" if rng.random() < 0.1 else "")
            unit = str(rng.randrange(1, 120))
            row.update(
                AddressLines_1=line1, AddressLines_2=f"{rng.choice(('Apt', 'Unit', 'Ste', '#'))} {unit}"
            )
        chunk.append(row)
    # A shape whose parse keeps the first line's unit, first met with the same unit on both lines.
    p = points[0]
    comps = {"AddressComponents_Locality": p.city, "AddressComponents_Region": p.region}
    comps |= {"AddressComponents_PostalCode": p.postcode, "AddressComponents_Country": "US"}
    for i, unit in enumerate(("3", "3", "5", "8", "5", "9")):
        line1 = f"{p.number} {p.street} Apt 3"
        chunk.insert(300 * i, {**comps, "AddressLines_1": line1, "AddressLines_2": f"Apt {unit}"})
    return _parquet(chunk, row_group_size=rows // 3)


def test_columnar_units_equal_per_row_output(reference_index: Path) -> None:
    data = _unit_input(4000, seed=11)
    per_row = _run(data, AddressValidator(reference_index, reuse_exact_matches=False), columnar=False)
    validator = AddressValidator(reference_index)
    fast = _run(data, validator, columnar=True)
    for name in per_row.column_names:
        assert fast.column(name).equals(per_row.column(name)), name
    units = per_row.column("Output_Address_SecondaryAddressComponents_Unit_Number").to_pylist()
    assert sum(u is not None for u in units) > 2000
    assert columnar_index(validator).fast_rows > 1500  # the unit rows of known shapes among them


def test_columnar_forgets_shapes_met_once_before_learnt_ones(
    reference_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the shapes' bound, the shapes met once (a one-off second line) go and the learnt ones
    stay; the output is the per-row path's."""
    monkeypatch.setattr(columnar, "_MAX_SHAPES", 1000)
    resets = []
    reset = columnar.ColumnarIndex.reset
    monkeypatch.setattr(columnar.ColumnarIndex, "reset", lambda index: (resets.append(1), reset(index))[1])
    rng = random.Random(3)
    points = [p for p in us_points() if not p.unit]
    rows = []
    for i in range(3000):
        p = rng.choice(points[:40])
        row = {
            "AddressLines_1": f"{p.number} {p.street}",
            "AddressComponents_Locality": p.city,
            "AddressComponents_Region": p.region,
            "AddressComponents_PostalCode": p.postcode,
            "AddressComponents_Country": "US",
        }
        if i % 2:
            row["AddressLines_2"] = "Attn " + "".join(rng.choice("bcdfghklmnprstvz") for _ in range(8))
        rows.append(row)
    data = _parquet(rows)
    per_row = _run(data, AddressValidator(reference_index, reuse_exact_matches=False), columnar=False)
    validator = AddressValidator(reference_index)
    assert _run(data, validator, columnar=True).equals(per_row)
    index = columnar_index(validator)
    assert len(resets) == 1  # made once, never started afresh
    assert len(index._shape_ids) < 1000  # though 1,500 one-off shapes were met
    assert index.fast_rows > 1200  # the learnt shapes kept answering


def test_columnar_does_not_learn_shapes_whose_rows_are_corrected(
    reference_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows giving a misspelt locality get it corrected: no exact premise match, so their shapes
    are not learnt (they were learnt, then forgotten at their first join and learnt again, over and
    over); the output is the per-row path's."""
    forgotten: list[int] = []
    forget = columnar.ColumnarIndex.forget
    monkeypatch.setattr(
        columnar.ColumnarIndex,
        "forget",
        lambda index, shape: (forgotten.append(shape), forget(index, shape))[1],
    )
    rng = random.Random(4)
    points = [p for p in us_points() if not p.unit][:30]
    rows = []
    for _ in range(1500):
        p = rng.choice(points)
        rows.append(
            {
                "AddressLines_1": f"{p.number} {p.street}",
                "AddressComponents_Locality": p.city[:-1],
                "AddressComponents_Region": p.region,
                "AddressComponents_PostalCode": p.postcode,
                "AddressComponents_Country": "US",
            }
        )
    data = _parquet(rows)
    per_row = _run(data, AddressValidator(reference_index, reuse_exact_matches=False), columnar=False)
    validator = AddressValidator(reference_index)
    assert _run(data, validator, columnar=True).equals(per_row)
    granularity = per_row.column("Output_ValidationResults_ValidationGranularity").to_pylist()
    assert granularity.count("Premise") > 1400  # premise matches, the locality corrected
    assert forgotten == []


def test_columnar_keeps_po_box_lines_as_the_per_row_path(reference_index: Path) -> None:
    """Rows of one shape whose second line is a box: the templates carry no box, so none is learnt."""
    rng = random.Random(3)
    points = [p for p in us_points() if not p.unit]
    rows = []
    for _ in range(1500):
        p = rng.choice(points)
        box = rng.choice(("PO Box 5", "PO Box 5, Seattle", "RR 2 Box 7", "Apt 4"))
        place = {"AddressComponents_Locality": p.city, "AddressComponents_Region": p.region,
                 "AddressComponents_PostalCode": p.postcode, "AddressComponents_Country": "US"}  # fmt: skip
        rows.append({"AddressLines_1": f"{p.number} {p.street}", "AddressLines_2": box, **place})
    data = _parquet(rows, row_group_size=500)
    per_row = _run(data, AddressValidator(reference_index, reuse_exact_matches=False), columnar=False)
    validator = AddressValidator(reference_index)
    assert _run(data, validator, columnar=True).equals(per_row)
    labels = per_row.column("Output_Address_Label").to_pylist()
    for row, label in zip(rows, labels, strict=True):
        box = row["AddressLines_2"].split(",")[0]
        assert box in label, (row, label)
    assert columnar_index(validator).fast_rows > 100  # the "Apt 4" rows
