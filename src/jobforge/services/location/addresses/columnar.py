"""The columnar fast path of a batch: exact premise matches resolved with Arrow, the rest per row.

A row whose first line is ``<number> <rest>`` (digits, no leading zero) and which has no street,
number or unit component has a *shape*: every cleaned input column with the number cut out (its
length kept), a second line ``<designator> <unit>`` ("Apt 35") with the unit's digits cut out
likewise, and the country as its code. Parsing looks neither at the digits' values nor at the
country's spelling, so rows of one shape parse alike but for the number and unit (checked for the
unit when a shape is learnt). A shape is learnt from
the parse of its first row (validated per row): if that row reaches a street the matcher has
memoized as an exact hit, the street gets a number table, filled as numbers are probed
(what ``Matcher.known_point`` gives for each, so the point is the one ``match`` would choose). The other rows
of known shapes are resolved per batch by a vectorized sort-merge join of (table, number) against
those tables (numpy ``searchsorted``), and their outcomes built with Arrow compute from the
validator's :class:`~.validator.ExactPremise` templates: the very templates and substitutions
(first line, label, number, position) the per-row path uses for those rows. Rows without a shape,
a point or a template go through the per-row validator. Caches are bounded (memory stays flat).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .columns import ALWAYS_NULL, VALUE_INDEX, VALUE_TYPE
from .countries import resolve_country
from .match import EXACT, PREMISE
from .parse import AddressParseError, ParsedAddress, parse_key
from .reference import AddressPoint, StreetGroup
from .standardize import name_key
from .validator import ERROR_INTERNAL, AddressValidator, error_outcome

# Positions in the cleaned input columns (record.INPUT_COLUMNS without Id).
_LINE1, _LINE2, _COUNTRY, _STREET_COMPONENT, _NUMBER_COMPONENT, _UNIT_COMPONENT = 0, 1, 5, 10, 11, 12
_SHAPE_COLUMNS = (2, 3, 4, 5, 6, 7, 8, 9, 13)  # lines 3..5, the place components, unit designator
_SEP = "\x1f"
_SHAPE_FIELDS = 4 + len(_SHAPE_COLUMNS)
_LEADING_NUMBER = r"^(?P<n>[1-9][0-9]{0,6}) (?P<s>.+)$"
_UNIT_LINE = r"^(?P<d>[^0-9]*[^0-9 ] )(?P<u>[1-9][0-9]{0,5})$"  # "Apt 35": designator, unit

_V_LINE1, _V_LABEL = VALUE_INDEX["Output_AddressLines_1"], VALUE_INDEX["Output_Address_Label"]
_V_STREET, _V_NUMBER = VALUE_INDEX["Output_Address_Street"], VALUE_INDEX["Output_Address_AddressNumber"]
_V_UNIT = VALUE_INDEX["Output_Address_SecondaryAddressComponents_Unit_Number"]
_V_UNIT_DESIGNATOR = VALUE_INDEX["Output_Address_SecondaryAddressComponents_Unit_Designator"]
_V_GRANULARITY = VALUE_INDEX["Output_ValidationResults_ValidationGranularity"]
_V_STREET_DETAIL = VALUE_INDEX["Output_ValidationResults_Components_Address_Street_StatusDetail"]
_V_LON, _V_LAT = VALUE_INDEX["Output_Position_Longitude"], VALUE_INDEX["Output_Position_Latitude"]

_MAX_SHAPES = 100_000  # shapes remembered at most (see make_room): memory stays flat
_MAX_NUMBERS = 1_000_000
_NO_SHAPE = -1
_UNLEARNT = -2
_PENDING = -3  # met once: learnt from its first row's parse when met again
_NUMBER_SPAN = 10**7  # house numbers on this path have at most 7 digits
_PAIR_SPAN = 2**31  # (shape, fact) pairs as shape * _PAIR_SPAN + fact

OutcomeField = tuple[str, pa.DataType]


@dataclass(frozen=True, slots=True)
class _Row:
    """The first row of a shape: its parse, house number and unit (with its key when it has one)."""

    key: tuple[str | None, ...] | None
    parsed: ParsedAddress
    number: str
    unit: str | None


def _unit_follows(row: _Row) -> bool:
    """Whether the row's parse takes the unit from the second line's digits: the same row with
    other digits there parses to those digits."""
    key, unit = row.key, row.unit
    if key is None or unit is None or key[_LINE2] is None:
        return False
    other = "".join("2" if digit == "1" else "1" for digit in unit)
    line2 = f"{key[_LINE2][: -len(unit)]}{other}"
    try:
        return parse_key((*key[:_LINE2], line2, *key[_LINE2 + 1 :])).unit_number == other
    except AddressParseError:
        return False


class _Templates:
    """The ExactPremise templates the joins used, and their values as Arrow columns, each built
    once per template (not per batch): a batch's fast rows take their values by template slot."""

    _SUFFIX, _POSITIONED = -1, -2  # derived columns: the label after the first line; positioned

    def __init__(self) -> None:
        self._values: list[tuple[Any, ...]] = []
        self._positioned: list[bool] = []
        self._columns: dict[tuple[int, pa.DataType], pa.Array] = {}

    def add(self, template: tuple[tuple[Any, ...], bool]) -> int:
        """The new template's slot."""
        self._values.append(template[0])
        self._positioned.append(template[1])
        return len(self._values) - 1

    def column(self, value: int, dtype: pa.DataType) -> pa.Array:
        """Column ``value`` (a VALUE_INDEX position, _SUFFIX or _POSITIONED) of every template."""
        built = self._columns.get((value, dtype))
        start = 0 if built is None else len(built)
        if start < len(self._values):
            new = pa.array(self._cells(value, start), dtype)
            built = new if built is None else pa.concat_arrays([built, new])
            self._columns[(value, dtype)] = built
        assert built is not None
        return built

    def _cells(self, value: int, start: int) -> list[Any]:
        if value == self._POSITIONED:
            return self._positioned[start:]
        if value == self._SUFFIX:
            return [row[_V_LABEL][len(row[_V_LINE1]) :] for row in self._values[start:]]
        return [row[value] for row in self._values[start:]]


@dataclass(frozen=True, slots=True)
class _Shape:
    """A registered shape: the parse of its first row, the street reached and its number table."""

    text: str
    parsed: ParsedAddress
    loc_key: str
    group: StreetGroup
    table: int


class ColumnarIndex:
    """Per-validator state of the columnar path: shapes, their number tables (sorted int64 keys
    ``table * 10**7 + number`` with the point columns aligned) and the point facts that select a
    template."""

    def __init__(self, validator: AddressValidator) -> None:
        self.validator = validator
        self.fast_rows = 0  # rows answered by the columnar path
        self.reset()

    def reset(self) -> None:
        self._shape_ids: dict[str, int] = {}  # shape text -> index in _shapes, or < 0 (_NO_SHAPE ...)
        self._pending: dict[str, _Row] = {}  # a _PENDING shape's first row
        self._shapes: list[_Shape] = []
        self._shape_tables: list[int] = []
        self._tables: dict[tuple[str, str, str | None, str, bool], tuple[int, StreetGroup]] = {}
        self._table_count = 0
        self._facts: dict[tuple[Any, ...], int] = {}
        self._fact_points: list[AddressPoint] = []
        self._table_sources: list[tuple[ParsedAddress, str, StreetGroup]] = []
        self._probed = np.empty(0, np.int64)  # (table, number) keys looked up, sorted
        # (table, number) keys found since the last join, with their points: merged into _sorted
        self._new_rows: list[tuple[int, int, str | None, float | None, float | None]] = []
        self._sorted: tuple[np.ndarray, np.ndarray, pa.Array, pa.Array, pa.Array] | None = None
        self.templates = _Templates()
        # (shape, fact) pairs (shape * _PAIR_SPAN + fact), sorted, and their template slots (-1: none)
        self._slot_keys = np.empty(0, np.int64)
        self._slot_values = np.empty(0, np.int64)

    # -- registration ----------------------------------------------------------------------------

    def make_room(self, shapes: int) -> None:
        """Make room before a batch that could take the caches past their bounds (never within a
        batch: its shape ids stay valid). Shapes not learnt (met once, most of them) go first;
        when the learnt ones fill half the room, or the number tables theirs, all start afresh."""
        if self._probed.size > _MAX_NUMBERS or len(self._shapes) + shapes > _MAX_SHAPES // 2:
            self.reset()
        elif len(self._shape_ids) + shapes > _MAX_SHAPES:
            self._shape_ids = {text: i for text, i in self._shape_ids.items() if i >= 0}
            self._pending.clear()

    def validate_and_learn(
        self, shape: str, key: tuple[str | None, ...], number: str, unit: str | None, now: bool
    ) -> tuple[Any, ...]:
        """Validate a row of a shape not learnt yet (its outcome values). When the row was an
        exact premise match (else another row's number may be), learn the shape from the row's
        parse: ``now``, or else when the shape is met again (most shapes are met once)."""
        try:
            parsed = parse_key(key)
        except AddressParseError:
            self._shape_ids[shape] = _NO_SHAPE
            return _validate(self.validator, key)
        values = _validate(self.validator, key, parsed)
        if values[_V_GRANULARITY] == PREMISE and values[_V_STREET_DETAIL] == EXACT:
            row = _Row(key if unit is not None else None, parsed, number, unit)
            if now:
                self._shape_ids[shape] = self._learn(shape, row)
            else:
                self._shape_ids[shape] = _PENDING
                self._pending[shape] = row
        return values

    def forget(self, shape_id: int) -> None:
        """Learn the shape again from its next row (its street was reloaded, or its first row's
        template does not cover other points)."""
        text = self._shapes[shape_id].text
        if self._shape_ids.get(text) == shape_id:
            del self._shape_ids[text]

    def _learn(self, text: str, row: _Row) -> int:
        """The id of shape ``text`` learnt from the parse of one of its rows (validated per row);
        _NO_SHAPE when its rows cannot take the fast path, _UNLEARNT when this row's street or
        number was no exact match (another row of the shape may be)."""
        parsed = row.parsed
        premises = self.validator.exact_premises
        if premises is None:
            return _NO_SHAPE
        if (
            parsed.number != row.number
            or parsed.street is None
            or (parsed.postcode is not None and parsed.postcode[1] is not None)
            or parsed.unit_number != row.unit
            or parsed.floor_number
            or parsed.delivery is not None  # a PO box line the templates do not carry
            or (row.unit is not None and not _unit_follows(row))
        ):
            return _NO_SHAPE  # every row of the shape parses so: no exact premise match
        loc_key = name_key(parsed.locality)
        known = self.validator.matcher.known_point(parsed, loc_key)
        if known is None:
            return _UNLEARNT
        group = known[0]
        if premises.template(group, parsed, loc_key, known[1]) is None:
            # The row's outcome is no ExactPremise template (say, its locality was corrected):
            # the shape's other rows, which give the same components, will hardly have one, and
            # learning it would only forget it at its first join.
            return _NO_SHAPE
        pc = parsed.postcode[0] if parsed.postcode else None
        memo = (parsed.country.code2, parsed.street.key, pc, loc_key, row.unit is not None)
        table = self._tables.get(memo)
        if table is None or table[1] is not group:
            table = self._tables[memo] = (self._add_table(parsed, loc_key, group), group)
        self._shapes.append(_Shape(text, parsed, loc_key, group, table[0]))
        self._shape_tables.append(table[0])
        return len(self._shapes) - 1

    def _add_table(self, parsed: ParsedAddress, loc_key: str, group: StreetGroup) -> int:
        """A new (empty) number table of ``group``, filled as its numbers are probed."""
        self._table_sources.append((parsed, loc_key, group))  # parses are never changed once made
        self._table_count += 1
        return self._table_count - 1

    def _fill(self, keys: np.ndarray) -> None:
        """Add the probed (table, number) keys not looked up yet: each number with the point
        ``match`` would choose for it (``Matcher.known_point``: its street looked up once per table,
        ``known_street``, then ``point_at`` each number), or nothing."""
        new = np.unique(keys)
        if self._probed.size:  # binary searches: cheaper than np.isin's sort of both arrays
            at = np.minimum(np.searchsorted(self._probed, new), self._probed.size - 1)
            new = new[self._probed[at] != new]
        if new.size == 0:
            return
        matcher = self.validator.matcher
        tables, numbers = np.divmod(new, _NUMBER_SPAN)
        starts = np.flatnonzero(np.diff(tables, prepend=-1))  # runs of one table (``new`` is sorted)
        for table, start, stop in zip(
            tables[starts].tolist(), starts.tolist(), [*starts[1:].tolist(), len(new)], strict=True
        ):
            probe, loc_key, group = self._table_sources[table]
            # one memo look-up per table: Matcher.known_point(probe, loc_key) for each number
            if matcher.known_street(probe, loc_key) is not group:
                continue
            for key, number in zip(new[start:stop].tolist(), numbers[start:stop].tolist(), strict=True):
                point = matcher.point_at(group, probe, str(number))
                if point is None:
                    continue
                fact = (point.city, point.region, point.postcode, point.city_key)
                fact_id = self._facts.get(fact)
                if fact_id is None:
                    fact_id = self._facts[fact] = len(self._fact_points)
                    self._fact_points.append(point)
                positioned = point.lon is not None and point.lat is not None
                self._new_rows.append(
                    (
                        key,
                        fact_id,
                        point.number,
                        point.lon if positioned else None,
                        point.lat if positioned else None,
                    )
                )
        self._probed = np.insert(self._probed, np.searchsorted(self._probed, new), new)  # a merge

    def join(self, tables: np.ndarray, numbers: np.ndarray) -> tuple[np.ndarray, ...] | None:
        """Join (table, number) pairs against the number tables (a sort-merge join in numpy):
        (positions found, fact ids, point numbers, lons, lats)."""
        probe = tables.astype(np.int64) * _NUMBER_SPAN + numbers
        self._fill(probe)
        if self._new_rows:
            self._sorted = self._merge_new_rows()
        if self._sorted is None:
            return None
        keys, facts, point_numbers, lons, lats = self._sorted
        at = np.searchsorted(keys, probe)
        at[at == len(keys)] = 0
        found = np.flatnonzero(keys[at] == probe)
        hit = at[found]
        take = pa.array(hit)
        return found, facts[hit], point_numbers.take(take), lons.take(take), lats.take(take)

    def _merge_new_rows(self) -> tuple[np.ndarray, np.ndarray, pa.Array, pa.Array, pa.Array]:
        """The sorted lookup arrays with the rows found since the last join merged in."""
        column = list(zip(*self._new_rows, strict=True))
        self._new_rows.clear()
        parts = [
            np.asarray(column[0], np.int64),
            np.asarray(column[1], np.int64),
            pa.array(column[2], pa.string()),
            pa.array(column[3], pa.float64()),
            pa.array(column[4], pa.float64()),
        ]
        if self._sorted is not None:
            old = self._sorted
            parts = [
                np.concatenate([old[0], parts[0]]),
                np.concatenate([old[1], parts[1]]),
                *(pa.concat_arrays([a, b]) for a, b in zip(old[2:], parts[2:], strict=True)),
            ]
        order = np.argsort(parts[0], kind="stable")
        take = pa.array(order)
        return (parts[0][order], parts[1][order], *(a.take(take) for a in parts[2:]))  # type: ignore[return-value]

    def shape_id(self, shape: str) -> int:
        """The shape's index; _NO_SHAPE without fast path, _UNLEARNT not learnt (yet). A shape
        met once so far is learnt now."""
        shape_id = self._shape_ids.get(shape, _UNLEARNT)
        if shape_id == _PENDING:
            shape_id = self._shape_ids[shape] = self._learn(shape, self._pending.pop(shape))
        return shape_id

    def shape_ids(self, texts: list[str]) -> np.ndarray:
        """:meth:`shape_id` of each of ``texts``."""
        get = self._shape_ids.get
        ids = np.fromiter((get(text, _UNLEARNT) for text in texts), np.int64, len(texts))
        for i in np.flatnonzero(ids == _PENDING).tolist():
            ids[i] = self.shape_id(texts[i])
        return ids

    def shape_tables(self) -> np.ndarray:
        """The number table of each shape."""
        return np.array(self._shape_tables, np.int32)

    def template_slots(self, pairs: np.ndarray) -> np.ndarray:
        """The slot in :attr:`templates` of the ExactPremise template for rows of a shape reaching
        a point with these facts, for each (shape, fact) pair given as ``shape * _PAIR_SPAN +
        fact`` (sorted, distinct); -1 where there is none (the shape is forgotten then)."""
        keys, values = self._slot_keys, self._slot_values
        slots = np.full(pairs.size, -1, np.int64)
        known = np.zeros(pairs.size, bool)
        if keys.size:
            at = np.minimum(np.searchsorted(keys, pairs), keys.size - 1)
            known = keys[at] == pairs
            slots[known] = values[at[known]]
        new = np.flatnonzero(~known)
        if new.size:
            fresh = [self._template_slot(*divmod(pair, _PAIR_SPAN)) for pair in pairs[new].tolist()]
            slots[new] = fresh
            where = np.searchsorted(keys, pairs[new])
            self._slot_keys = np.insert(keys, where, pairs[new])
            self._slot_values = np.insert(values, where, fresh)
        return slots

    def _template_slot(self, shape_id: int, fact_id: int) -> int:
        premises = self.validator.exact_premises
        shape = self._shapes[shape_id]
        found = (
            premises.template(shape.group, shape.parsed, shape.loc_key, self._fact_points[fact_id])
            if premises is not None
            else None
        )
        if found is None or found[0][_V_STREET] is None:
            self.forget(shape_id)
            return -1
        return self.templates.add(found)


_INDEXES: weakref.WeakKeyDictionary[AddressValidator, ColumnarIndex] = weakref.WeakKeyDictionary()


def columnar_index(validator: AddressValidator) -> ColumnarIndex:
    """The validator's columnar state (made on first use, lives as long as the validator)."""
    index = _INDEXES.get(validator)
    if index is None:
        index = _INDEXES[validator] = ColumnarIndex(validator)
    return index


@dataclass(slots=True)
class _Fast:
    """Rows resolved by the join: their positions, point columns and template slot per row."""

    rows: np.ndarray
    point_number: pa.Array
    unit: pa.Array  # the unit cut from the second line, or null
    lon: pa.Array
    lat: pa.Array
    slots: pa.Array  # into templates
    templates: _Templates
    line1: pa.Array | None = None  # made for the first line, kept for the label


def _shapes(cleaned: list[pa.Array]) -> tuple[np.ndarray, pa.Array, pa.Array, pa.Array] | None:
    """(candidate rows, their numbers, units and shape texts), or None when no row has a shape."""
    parts = pc.extract_regex(cleaned[_LINE1], _LEADING_NUMBER)
    mask = pc.and_kleene(
        pc.is_valid(parts),
        pc.and_kleene(
            pc.and_kleene(pc.is_null(cleaned[_STREET_COMPONENT]), pc.is_null(cleaned[_NUMBER_COMPONENT])),
            pc.is_null(cleaned[_UNIT_COMPONENT]),
        ),
    )
    rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
    if rows.size == 0:
        return None
    take = pa.array(rows)
    parts = parts.take(take)
    number = pc.struct_field(parts, "n")
    rest = pc.struct_field(parts, "s")
    line2 = cleaned[_LINE2].take(take)
    unit_parts = pc.extract_regex(line2, _UNIT_LINE)
    unit = pc.struct_field(unit_parts, "u")
    fields = [
        rest,
        pc.cast(pc.utf8_length(number), pa.string()),
        pc.coalesce(pc.struct_field(unit_parts, "d"), line2),
        pc.cast(pc.utf8_length(unit), pa.string()),
    ]
    fields.extend(
        _country_codes(cleaned[i].take(take)) if i == _COUNTRY else cleaned[i].take(take)
        for i in _SHAPE_COLUMNS
    )
    shape = pc.binary_join_element_wise(*fields, _SEP, null_handling="replace", null_replacement="")
    plain = pc.equal(pc.count_substring(shape, _SEP), _SHAPE_FIELDS - 1).to_numpy(zero_copy_only=False)
    if not plain.all():  # a separator inside a value: such rows go per row
        keep = pa.array(np.flatnonzero(plain))
        rows, number, unit, shape = rows[plain], number.take(keep), unit.take(keep), shape.take(keep)
    return rows, number, unit, shape


def _country_codes(countries: pa.Array) -> pa.Array:
    """The country column with every spelling the parser resolves alike ("US", "USA", "United
    States") as its alpha-2 code: rows differing only there parse to the same address."""
    encoded = pc.dictionary_encode(countries)
    codes = []
    for text in encoded.dictionary.to_pylist():
        country = resolve_country(text)
        codes.append(country.code2 if country is not None else f"?{text}")
    return pc.take(pa.array(codes, pa.string()), encoded.indices)


def _keys(cleaned: list[pa.Array], rows: np.ndarray) -> list[list[str | None]]:
    take = pa.array(rows, pa.int64())
    return [col.take(take).to_pylist() for col in cleaned]


def _resolve(
    index: ColumnarIndex, cleaned: list[pa.Array], validated: dict[int, tuple[Any, ...]]
) -> _Fast | None:
    """Learn shapes met again (their first row of the batch validated per row into
    ``validated``) and join the other rows of known shapes against the number tables."""
    found = _shapes(cleaned)
    if found is None:
        return None
    rows, number, unit, shape = found
    encoded = pc.dictionary_encode(shape)
    index.make_room(len(encoded.dictionary))
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    texts = encoded.dictionary.to_pylist()
    ids = index.shape_ids(texts)
    learn = np.flatnonzero(ids == _UNLEARNT)
    first_rows = np.empty(0, np.int64)
    if learn.size:
        _, first = np.unique(codes, return_index=True)
        first_rows = rows[first[learn]]
        keys = list(zip(*_keys(cleaned, first_rows), strict=True))
        first_of_learnt = pa.array(first[learn])
        numbers = number.take(first_of_learnt).to_pylist()
        units = unit.take(first_of_learnt).to_pylist()
        again = (np.bincount(codes, minlength=len(texts))[learn] > 1).tolist()  # more rows to come
        for code, row, key, num, row_unit, now in zip(
            learn.tolist(), first_rows.tolist(), keys, numbers, units, again, strict=True
        ):
            validated[row] = index.validate_and_learn(texts[code], key, num, row_unit, now)
            if now:
                ids[code] = index.shape_id(texts[code])
    shape_of_row = ids[codes]
    known = np.flatnonzero(shape_of_row >= 0)
    if first_rows.size:
        known = known[~np.isin(rows[known], first_rows)]
    if known.size == 0:
        return None
    numbers_known = pc.cast(number.take(pa.array(known)), pa.int64()).to_numpy()
    joined = index.join(index.shape_tables()[shape_of_row[known]], numbers_known)
    if joined is None or joined[0].size == 0:
        return None
    hit, facts, point_numbers, lons, lats = joined
    pos = known[hit]
    pairs, inverse = np.unique(shape_of_row[pos] * _PAIR_SPAN + facts, return_inverse=True)
    per_row = index.template_slots(pairs)[inverse]
    ok = per_row >= 0
    keep = pa.array(np.flatnonzero(ok))
    return _Fast(
        rows[pos[ok]],
        point_numbers.take(keep),
        unit.take(pa.array(pos[ok])),
        lons.take(keep),
        lats.take(keep),
        pa.array(per_row[ok]),
        index.templates,
    )


def _validate(
    validator: AddressValidator, key: tuple[str | None, ...], parsed: ParsedAddress | None = None
) -> tuple[Any, ...]:
    try:
        return validator.validate_key(key, parsed).values
    except Exception as exc:  # defensive: a bug for one row must not fail the batch
        return error_outcome(ERROR_INTERNAL, f"{type(exc).__name__}: {exc}").values


def _fast_column(fast: _Fast, value: int, dtype: pa.DataType) -> pa.Array:
    """One outcome column of the fast rows: the template's value, or the per-point substitution."""
    templates, pick = fast.templates, fast.slots
    if value in (_V_LINE1, _V_LABEL):
        if fast.line1 is None:
            street = templates.column(_V_STREET, pa.string()).take(pick)
            fast.line1 = pc.binary_join_element_wise(fast.point_number, street, " ")
            if fast.unit.null_count < len(fast.unit):  # "<number> <street> <designator> <unit>"
                designator = templates.column(_V_UNIT_DESIGNATOR, pa.string()).take(pick)
                fast.line1 = pc.binary_join_element_wise(
                    fast.line1, designator, fast.unit, " ", null_handling="skip"
                )
        if value == _V_LINE1:
            return fast.line1
        suffix = templates.column(_Templates._SUFFIX, pa.string()).take(pick)
        return pc.binary_join_element_wise(fast.line1, suffix, "")
    if value == _V_NUMBER:
        return fast.point_number
    if value == _V_UNIT:
        return fast.unit.cast(dtype)
    if value in (_V_LON, _V_LAT):
        positioned = templates.column(_Templates._POSITIONED, pa.bool_()).take(pick)
        coordinate = fast.lon if value == _V_LON else fast.lat
        return pc.if_else(positioned, coordinate, pa.scalar(None, pa.float64())).cast(dtype)
    return templates.column(value, dtype).take(pick)


def outcome_arrays(
    validator: AddressValidator,
    cleaned: list[pa.Array],
    fields: Sequence[OutcomeField],
    columnar: bool = True,
) -> list[pa.Array]:
    """The outcome columns (``fields``, in order) of one batch given its cleaned input columns
    (record.INPUT_COLUMNS without Id). ``columnar=False`` forces the per-row path; both give the
    same values."""
    n = len(cleaned[0])
    validated: dict[int, tuple[Any, ...]] = {}
    fast = _resolve(columnar_index(validator), cleaned, validated) if columnar else None
    done = np.zeros(n, bool)
    if fast is not None:
        done[fast.rows] = True
        columnar_index(validator).fast_rows += len(fast.rows)
    if validated:
        done[list(validated)] = True
    rest = np.flatnonzero(~done)
    outcomes = [_validate(validator, key) for key in zip(*_keys(cleaned, rest), strict=True)]
    if validated:
        rest = np.concatenate([rest, np.fromiter(validated, np.int64, len(validated))])
        outcomes.extend(validated.values())
    # values row by row -> one struct array (Arrow converts the tuples) -> a column per value
    columns = pa.array(outcomes, VALUE_TYPE).flatten()
    order = np.concatenate([rest, fast.rows]) if fast is not None else rest
    inverse = np.empty(n, np.int64)
    inverse[order] = np.arange(n)
    back = None if fast is None and _is_identity(rest) else pa.array(inverse)
    arrays: list[pa.Array] = []
    for name, dtype in fields:
        if name in ALWAYS_NULL:
            arrays.append(pa.nulls(n, dtype))
            continue
        value = VALUE_INDEX[name]
        part = columns[value] if columns[value].type == dtype else columns[value].cast(dtype)
        if fast is not None:
            part = pa.concat_arrays([part, _fast_column(fast, value, dtype)])
        arrays.append(part if back is None else part.take(back))
    return arrays


def _is_identity(order: np.ndarray) -> bool:
    return bool(order.size == 0 or (order[0] == 0 and np.all(np.diff(order) == 1)))
