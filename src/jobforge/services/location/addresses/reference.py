"""Reference data: an SQLite index of OpenAddresses points plus the US ZIP table from `zipcodes`.

The SQLite file is written by `import_openaddresses` and then only read; lookups load whole
postcode/locality blocks into small in-memory structures behind LRU caches, so a validation run
touches SQLite once per distinct postcode or locality rather than once per row.

Imports are idempotent: every point carries a fingerprint (a hash of its match keys and rounded
position) under a UNIQUE index, so importing a file again, or an overlapping extract, adds only
the points not already there. Indexes written before fingerprints existed are upgraded in place
by the next import; the read side never looks at the fingerprint, so it reads both.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import zipcodes

from .countries import SUPPORTED_COUNTRIES, resolve_country, resolve_region
from .standardize import display_name, name_key, number_key, standardize_postcode, standardize_street

log = logging.getLogger("jobforge.location")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS points (
    id INTEGER PRIMARY KEY,
    country TEXT NOT NULL,
    number TEXT,
    number_key TEXT,
    street TEXT,
    street_key TEXT,
    unit TEXT,
    city TEXT,
    city_key TEXT,
    district TEXT,
    region TEXT,
    postcode TEXT,
    lon REAL,
    lat REAL,
    source_id TEXT,
    fingerprint BLOB
);
"""
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS points_postcode ON points (country, postcode)",
    "CREATE INDEX IF NOT EXISTS points_street_city ON points (country, street_key, city_key)",
    "CREATE INDEX IF NOT EXISTS points_city ON points (country, city_key)",
)
_UNIQUE_INDEX = "points_fingerprint"
KEYS_VERSION = 1  # PRAGMA user_version of an index whose match keys are current (1: no diacritics)
_FINGERPRINT_COLUMNS = "country, number_key, street_key, unit, city_key, postcode, lon, lat"
_FIELDS = ("LON", "LAT", "NUMBER", "STREET", "UNIT", "CITY", "DISTRICT", "REGION", "POSTCODE", "ID")
_BATCH = 5000
_PLACES_MEMO = 100_000  # distinct (city, region, postcode) kept while importing


class ReferenceImportError(ValueError):
    """The file is not an OpenAddresses CSV/GeoJSON we can read."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one import did to the index."""

    added: int  # new points
    present: int  # points skipped: already in the index, or repeated in the file
    removed: int = 0  # duplicates dropped while upgrading an index written without fingerprints
    rejected: int = 0  # points not imported: a position that is not a WGS 84 longitude/latitude


def _micro(value: float | None) -> int | str:
    """A coordinate rounded to millionths of a degree (about 0.1 m); "" when there is none."""
    try:
        return round(value * 1e6)  # type: ignore[operator]
    except (TypeError, OverflowError):  # None, inf
        return ""


def point_fingerprint(
    country: str,
    number_key: str | None,
    street_key: str | None,
    unit: str | None,
    city_key: str | None,
    postcode: str | None,
    lon: float | None,
    lat: float | None,
) -> bytes:
    """Identity of a point in the index: its match keys and its rounded position (16 bytes)."""
    text = (
        f"{country}\x1f{number_key or ''}\x1f{street_key or ''}\x1f{unit or ''}\x1f{city_key or ''}"
        f"\x1f{postcode or ''}\x1f{_micro(lon)}\x1f{_micro(lat)}"
    )
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


# --- import --------------------------------------------------------------------------------------


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return path.open("r", encoding="utf-8-sig", newline="")


def _iter_csv(fh: IO[str]) -> Iterator[dict[str, Any]]:
    reader = csv.reader(fh)
    header = next(reader, None)
    if header is None:
        return
    names = [h.strip().upper() for h in header]
    if "STREET" not in names or "NUMBER" not in names:
        raise ReferenceImportError("OpenAddresses CSV needs at least NUMBER and STREET columns")
    for row in reader:
        yield dict(zip(names, row, strict=False))


def _feature_row(feature: dict[str, Any]) -> dict[str, Any]:
    props = {str(k).upper(): v for k, v in (feature.get("properties") or {}).items()}
    geom = feature.get("geometry") or {}
    coords = geom.get("coordinates") if geom.get("type") == "Point" else None
    if coords and len(coords) >= 2:
        props["LON"], props["LAT"] = coords[0], coords[1]
    return props


def _iter_geojson(fh: IO[str]) -> Iterator[dict[str, Any]]:
    """Stream features from line-delimited GeoJSON or a FeatureCollection without loading it whole."""
    decoder = json.JSONDecoder()
    buf = fh.read(1 << 16)
    stripped = buf.lstrip()
    if not stripped:
        return
    first_line = stripped.split("\n", 1)[0].strip()
    line_delimited = False
    try:
        line_delimited = json.loads(first_line).get("type") == "Feature"
    except (json.JSONDecodeError, AttributeError):
        line_delimited = False
    if line_delimited:
        pending = buf
        while True:
            lines = pending.split("\n")
            pending = lines.pop()
            for line in lines:
                if line.strip():
                    yield _feature_row(json.loads(line))
            chunk = fh.read(1 << 16)
            if not chunk:
                if pending.strip():
                    yield _feature_row(json.loads(pending))
                return
            pending += chunk
    # FeatureCollection: find the "features" array, then decode one object at a time.
    while (pos := buf.find('"features"')) < 0:
        chunk = fh.read(1 << 16)
        if not chunk:
            raise ReferenceImportError("GeoJSON has no 'features' array")
        buf = buf[-16:] + chunk
    buf = buf[pos + len('"features"') :]
    while "[" not in buf:
        buf += fh.read(1 << 16)
    buf = buf[buf.index("[") + 1 :]
    while True:
        buf = buf.lstrip(" \r\n\t,")
        if buf.startswith("]"):
            return
        try:
            obj, end = decoder.raw_decode(buf)
        except json.JSONDecodeError:
            chunk = fh.read(1 << 16)
            if not chunk:
                raise ReferenceImportError("truncated GeoJSON feature collection") from None
            buf += chunk
            continue
        yield _feature_row(obj)
        buf = buf[end:]
        if len(buf) < 1024:
            buf += fh.read(1 << 16)


def _to_float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out else None


def _coordinate(value: Any, limit: float) -> float | None:
    """A longitude (``limit`` 180) or latitude (90); None when ``value`` is not a number within it."""
    number = _to_float(value)
    return number if number is not None and -limit <= number <= limit else None


_IMPOSSIBLE = object()  # a point whose position is no place on Earth: not imported


def _position(lon_raw: Any, lat_raw: Any) -> tuple[float | None, float | None] | object:
    """A point's (lon, lat); (None, None) when it has none; :data:`_IMPOSSIBLE` when one is given
    that is not a WGS 84 position (text, NaN, Inf, out of range, or only one of the two)."""
    given = [v is not None and str(v).strip() != "" for v in (lon_raw, lat_raw)]
    if not any(given):
        return None, None
    lon, lat = _coordinate(lon_raw, 180.0), _coordinate(lat_raw, 90.0)
    if lon is None or lat is None:
        return _IMPOSSIBLE
    return lon, lat


_Place = tuple[str | None, str, str | None, str | None]  # city, city_key, region, postcode


def _place(
    city_raw: str, region_raw: str, postcode_raw: str, country: str, zips: UsZipTable | None
) -> _Place:
    """City, its match key, region and postcode of a point, standardized (the same for a whole area)."""
    city = display_name(city_raw) or None
    region = region_raw.strip() or None
    postcode_raw = postcode_raw.strip()
    std = standardize_postcode(postcode_raw, country) if postcode_raw else None
    postcode = std[0] if std else (postcode_raw.upper() or None)
    if region:
        resolved = resolve_region(country, region)
        region = resolved[0] if resolved else region.upper()
    if zips is not None and std is not None and (info := zips.get(std[0])) is not None:
        # Many US OpenAddresses sources omit city/state; the ZIP table supplies them.
        city = city or info.city
        region = region or info.state
    return city, name_key(city), region, postcode


def _point_row(
    raw: dict[str, Any], country: str, zips: UsZipTable | None, places: dict[tuple[str, ...], _Place]
) -> tuple[Any, ...] | object | None:
    """One ``points`` row (fingerprint last), None for a row without a street, or
    :data:`_IMPOSSIBLE`; ``places`` memoizes :func:`_place` across rows."""
    get = raw.get
    street_text = str(get("STREET") or "").strip()
    if not street_text:
        return None
    position = _position(get("LON"), get("LAT"))
    if position is _IMPOSSIBLE:
        return _IMPOSSIBLE
    lon, lat = position  # type: ignore[misc]
    parts = standardize_street(street_text, country)
    if parts is None:
        return None
    number = str(get("NUMBER") or "").strip().upper() or None
    area = (str(get("CITY") or ""), str(get("REGION") or ""), str(get("POSTCODE") or ""))
    place = places.get(area)
    if place is None:
        if len(places) >= _PLACES_MEMO:
            places.clear()
        place = places[area] = _place(*area, country, zips)
    city, city_key, region, postcode = place
    unit = str(get("UNIT") or "").strip().upper() or None
    num_key = number_key(number)
    return (
        country,
        number,
        num_key,
        parts.full,
        parts.key,
        unit,
        city,
        city_key,
        str(get("DISTRICT") or "").strip() or None,
        region,
        postcode,
        lon,
        lat,
        str(get("ID") or "").strip() or None,
        point_fingerprint(country, num_key, parts.key, unit, city_key, postcode, lon, lat),
    )


def _iter_rows(path: Path) -> Iterator[dict[str, Any]]:
    name = path.name.lower().removesuffix(".gz")
    with _open_text(path) as fh:
        if name.endswith((".geojson", ".json", ".geojsonl", ".ndjson")):
            yield from _iter_geojson(fh)
        else:
            yield from _iter_csv(fh)


def _ascii(text: str | None) -> bool:
    return text is None or text.isascii()


def _upgrade_keys(conn: sqlite3.Connection) -> bool:
    """Bring the match keys of an index written by an older version up to KEYS_VERSION (whether
    they were older): the keys of points whose street or city is not ASCII changed (diacritics are
    folded now), and so did their fingerprints, which hash the keys: those are cleared to be made
    anew (see below)."""
    if conn.execute("PRAGMA user_version").fetchone()[0] >= KEYS_VERSION:
        return False
    conn.execute(_SCHEMA)
    conn.create_function("jobforge_ascii", 1, _ascii, deterministic=True)
    conn.create_function("jobforge_name_key", 1, name_key, deterministic=True)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(points)")}
    clear = ", fingerprint = NULL" if "fingerprint" in columns else ""  # else none has one yet
    # the street column holds the standardized name its key was made of (StreetParts.full)
    conn.execute(
        "UPDATE points SET street_key = jobforge_name_key(street), city_key = jobforge_name_key(city)"
        f"{clear} WHERE NOT (jobforge_ascii(street) AND jobforge_ascii(city))"
    )
    conn.execute(f"PRAGMA user_version = {KEYS_VERSION}")
    return True


def _prepare_index(conn: sqlite3.Connection) -> int:
    """Create the table, or bring an older one up to date; returns the duplicate points removed.

    An index written before fingerprints existed (or by such a version since), or before its match
    keys changed, has points without one: they get theirs, duplicates are dropped keeping the
    lowest id, and the UNIQUE index is (re)built. A current index only costs a lookup of NULL
    fingerprints through that index.
    """
    conn.execute(_SCHEMA)
    if "fingerprint" not in {row[1] for row in conn.execute("PRAGMA table_info(points)")}:
        conn.execute("ALTER TABLE points ADD COLUMN fingerprint BLOB")
    _upgrade_keys(conn)
    if _UNIQUE_INDEX in {row[1] for row in conn.execute("PRAGMA index_list(points)")}:
        if conn.execute("SELECT 1 FROM points WHERE fingerprint IS NULL LIMIT 1").fetchone() is None:
            return 0
        conn.execute(f"DROP INDEX {_UNIQUE_INDEX}")
    conn.create_function("jobforge_fingerprint", 8, point_fingerprint, deterministic=True)
    conn.execute(
        f"UPDATE points SET fingerprint = jobforge_fingerprint({_FINGERPRINT_COLUMNS})"
        " WHERE fingerprint IS NULL"
    )
    removed = conn.execute(
        "DELETE FROM points WHERE id NOT IN (SELECT min(id) FROM points GROUP BY fingerprint)"
    ).rowcount
    conn.execute(f"CREATE UNIQUE INDEX {_UNIQUE_INDEX} ON points (fingerprint)")
    return max(removed, 0)


def import_reference(path: Path, index_path: Path, country: str) -> ImportResult:
    """Stream an OpenAddresses CSV/GeoJSON (optionally .gz) into the SQLite index, skipping points
    already there; the whole import (and any upgrade of an older index) is one transaction."""
    resolved = resolve_country(country)
    if resolved is None or resolved.code2 not in SUPPORTED_COUNTRIES:
        raise ReferenceImportError(f"country must be one of AU, CA, GB, US (got {country!r})")
    code = resolved.code2
    zips = us_zip_table() if code == "US" else None
    index_path.parent.mkdir(parents=True, exist_ok=True)
    with _writing(index_path, "synchronous=OFF", "cache_size=-65536") as conn:  # 64 MB: random inserts
        removed = _prepare_index(conn)
        sql = (
            "INSERT OR IGNORE INTO points (country, number, number_key, street, street_key, unit, city,"
            " city_key, district, region, postcode, lon, lat, source_id, fingerprint)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        )
        read = rejected = 0
        changes = conn.total_changes
        batch: list[tuple[Any, ...]] = []
        places: dict[tuple[str, ...], _Place] = {}
        for raw in _iter_rows(Path(path)):
            row = _point_row(raw, code, zips, places)
            if row is None:
                continue
            if row is _IMPOSSIBLE:
                rejected += 1
                continue
            batch.append(row)  # type: ignore[arg-type]
            if len(batch) >= _BATCH:
                conn.executemany(sql, batch)
                read += len(batch)
                batch.clear()
        if batch:
            conn.executemany(sql, batch)
            read += len(batch)
        added = conn.total_changes - changes
        for stmt in _INDEXES:
            conn.execute(stmt)
        conn.execute("ANALYZE")
    return ImportResult(added, read - added, removed, rejected)


@contextmanager
def _writing(index_path: Path, *pragmas: str) -> Iterator[sqlite3.Connection]:
    """A connection to the index (made if missing) in one write transaction, committed when the
    block ends and rolled back if it raises; ``pragmas`` are set before it begins."""
    conn = sqlite3.connect(index_path, isolation_level=None, timeout=300)  # transactions are explicit
    try:
        for pragma in ("journal_mode=WAL", *pragmas):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


def upgrade_keys(index_path: Path) -> bool:
    """Bring the match keys of an index written by an older version up to date in place, as the
    next import would first (which also makes the fingerprints cleared here anew); whether it was
    needed."""
    with _writing(index_path) as conn:
        return _upgrade_keys(conn)


def import_openaddresses(path: Path, index_path: Path, country: str) -> int:
    """:func:`import_reference`, returning only the number of new points."""
    return import_reference(path, index_path, country).added


# --- US ZIP table --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZipInfo:
    """One US ZIP code from the `zipcodes` package."""

    zip: str
    city: str
    state: str
    county: str | None
    lat: float | None
    lon: float | None
    acceptable: tuple[str, ...]


class UsZipTable:
    """In-memory ZIP <-> city/state maps built once from `zipcodes` (about 42k ZIPs)."""

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self.by_zip: dict[str, ZipInfo] = {}
        self.by_city: dict[tuple[str, str], list[str]] = {}
        self.cities_by_state: dict[str, dict[str, str]] = {}
        self.states_by_city: dict[str, set[str]] = {}
        pool: dict[str, str] = {}

        def own(text: str) -> str:
            # A copy of our own (shared between equal values): holding on to the package's strings
            # would pin its ~140 MB of records in memory after they are released.
            return pool.setdefault(text, text.encode().decode())

        for row in rows:
            county = row.get("county")
            info = ZipInfo(
                own(row["zip_code"]),
                own(row["city"]),
                own(row["state"]),
                own(county) if county else None,
                _to_float(row.get("lat")),
                _to_float(row.get("long")),
                tuple(own(city) for city in row.get("acceptable_cities") or ()),
            )
            self.by_zip[info.zip] = info
            for city in (info.city, *info.acceptable):
                key = name_key(city)
                self.by_city.setdefault((info.state, key), []).append(info.zip)
                self.states_by_city.setdefault(key, set()).add(info.state)
            self.cities_by_state.setdefault(info.state, {})[name_key(info.city)] = info.city

    def get(self, zip5: str) -> ZipInfo | None:
        return self.by_zip.get(zip5)

    def zips_for(self, state: str, city_key: str) -> list[str]:
        return self.by_city.get((state, city_key), [])


@lru_cache(maxsize=1)
def us_zip_table() -> UsZipTable:
    """The process-wide ZIP table (loaded lazily, ~1 s once).

    `zipcodes` keeps its full records (about 140 MB of dicts) cached for the process; the table
    keeps only what validation reads, so the package's cache is let go once the table is built.
    """
    was_cached = getattr(zipcodes, "_zips_cache", None) is not None
    table = UsZipTable(zipcodes.list_all())
    if not was_cached and hasattr(zipcodes, "_zips_cache"):
        zipcodes._zips_cache = None
    return table


# --- reading the index ---------------------------------------------------------------------------


@dataclass(slots=True)
class AddressPoint:
    """One reference address point."""

    number: str | None
    number_key: str
    street: str
    street_key: str
    unit: str | None
    city: str | None
    city_key: str
    region: str | None
    postcode: str | None
    lon: float | None
    lat: float | None


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """Aggregates of a street group, computed once per group and reused by every row."""

    postcodes: dict[str, int]
    cities: tuple[tuple[str, str], ...]  # (display name, match key), most common first
    city_keys: frozenset[str]
    regions: frozenset[str]
    numeric_range: tuple[int, int] | None
    centroid: tuple[float, float] | None


@dataclass(slots=True)
class StreetGroup:
    """All points of one street inside a block (postcode or locality)."""

    street: str
    points: list[AddressPoint] = field(default_factory=list)
    by_number: dict[str, list[AddressPoint]] = field(default_factory=dict)
    _summary: GroupSummary | None = None

    def add(self, point: AddressPoint) -> None:
        self.points.append(point)
        same = self.by_number.get(point.number_key)
        if same is None:
            self.by_number[point.number_key] = [point]
        else:
            same.append(point)

    def summary(self) -> GroupSummary:
        if self._summary is None:
            self._summary = _summarize(self.points)
        return self._summary


def _count(values: Iterable[str | None]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        if v:
            out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _summarize(points: list[AddressPoint]) -> GroupSummary:
    nums = [int(p.number_key) for p in points if p.number_key.isdigit()]
    coords = [(p.lon, p.lat) for p in points if p.lon is not None and p.lat is not None]
    centroid = None
    if coords:
        centroid = (sum(x for x, _ in coords) / len(coords), sum(y for _, y in coords) / len(coords))
    keys = {p.city: p.city_key for p in points if p.city}
    return GroupSummary(
        _count(p.postcode for p in points),
        tuple((city, keys[city]) for city in _count(p.city for p in points)),
        frozenset(p.city_key for p in points),
        frozenset(p.region for p in points if p.region),
        (min(nums), max(nums)) if nums else None,
        centroid,
    )


@dataclass(slots=True)
class Block:
    """Streets of one postcode or locality, keyed by street match key."""

    streets: dict[str, StreetGroup] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PlaceInfo:
    """Summary of a postcode or locality seen in the reference points."""

    name: str
    regions: set[str] = field(default_factory=set)
    related: set[str] = field(default_factory=set)  # postcodes of a locality / city keys of a postcode
    lon: float | None = None
    lat: float | None = None


# An index imported by a version that took any coordinates may hold impossible ones: read as none.
_ON_EARTH = "lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90"
_LON_LAT = f"CASE WHEN {_ON_EARTH} THEN lon END, CASE WHEN {_ON_EARTH} THEN lat END"
_POINT_COLUMNS = f"number, number_key, street, street_key, unit, city, city_key, region, postcode, {_LON_LAT}"


def _block(rows: Iterable[tuple[Any, ...]]) -> Block:
    """The streets of the rows (_POINT_COLUMNS), in the order the rows first name them."""
    # Points share their street, city, region, postcode and house number strings with the other
    # points of the block: one object per distinct value keeps a block small. Units and
    # positions, seldom repeated, are kept as they come.
    pool: dict[str | None, str | None] = {}
    share = pool.setdefault
    streets: dict[str, StreetGroup] = {}
    for number, num_key, street, street_key, unit, city, city_key, region, postcode, lon, lat in rows:
        group = streets.get(street_key)
        if group is None:
            group = streets[street_key] = StreetGroup(street)
        else:  # the strings of the street's first point
            first = group.points[0]
            street_key = first.street_key
            if street == first.street:
                street = first.street
        num_key = share(num_key, num_key)
        point = AddressPoint(
            num_key if number == num_key else share(number, number),
            num_key,
            street,
            street_key,
            unit,
            share(city, city),
            share(city_key, city_key),
            share(region, region),
            share(postcode, postcode),
            lon,
            lat,
        )
        group.add(point)
    return Block(streets, list(streets))


class ReferenceIndex:
    """Read side of the SQLite index with per-postcode/locality caches."""

    def __init__(self, index_path: Path | str, cache_size: int = 4096) -> None:
        self.path = Path(index_path)
        if not self.path.exists():
            raise FileNotFoundError(f"reference index not found: {self.path}")
        self._conn = self._open()
        if self._conn.execute("PRAGMA user_version").fetchone()[0] < KEYS_VERSION:
            self._conn.close()
            try:
                if upgrade_keys(self.path):
                    log.info("reference index keys upgraded", extra={"index": str(self.path)})
            except sqlite3.Error as exc:  # a read-only copy: names with accents only match loosely
                log.warning(
                    "reference index not upgraded", extra={"index": str(self.path), "error": f"{exc}"}
                )
            self._conn = self._open()
        self._lock = threading.Lock()  # one connection shared by threads; loads are rare (cached)
        self.by_postcode = lru_cache(maxsize=cache_size)(self._load_postcode)
        self.by_locality = lru_cache(maxsize=cache_size)(self._load_locality)
        self.by_street = lru_cache(maxsize=cache_size)(self._load_street)
        self._postcodes: dict[str, dict[str, PlaceInfo]] = {}
        self._localities: dict[str, dict[str, PlaceInfo]] = {}

    def _open(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)

    def close(self) -> None:
        self._conn.close()

    def count(self, country: str | None = None) -> int:
        if country:
            return self._conn.execute("SELECT count(*) FROM points WHERE country=?", (country,)).fetchone()[0]
        return self._conn.execute("SELECT count(*) FROM points").fetchone()[0]

    def _load_postcode(self, country: str, postcode: str) -> Block:
        sql = f"SELECT {_POINT_COLUMNS} FROM points WHERE country=? AND postcode=?"
        with self._lock:
            rows = self._conn.execute(sql, (country, postcode)).fetchall()
        return _block(rows)

    def _load_locality(self, country: str, city_key: str) -> Block:
        sql = f"SELECT {_POINT_COLUMNS} FROM points WHERE country=? AND city_key=?"
        with self._lock:
            rows = self._conn.execute(sql, (country, city_key)).fetchall()
        return _block(rows)

    def _load_street(self, country: str, street_key: str) -> Block:
        sql = f"SELECT {_POINT_COLUMNS} FROM points WHERE country=? AND street_key=?"
        with self._lock:
            rows = self._conn.execute(sql, (country, street_key)).fetchall()
        return _block(rows)

    def _load_places(self, country: str) -> None:
        postcodes: dict[str, PlaceInfo] = {}
        localities: dict[str, PlaceInfo] = {}
        sql = (
            f"SELECT postcode, city, city_key, region, avg(CASE WHEN {_ON_EARTH} THEN lon END),"
            f" avg(CASE WHEN {_ON_EARTH} THEN lat END) FROM points WHERE country=?"
            " GROUP BY postcode, city_key, region"
        )
        pc_sums: dict[str, list[float]] = {}
        with self._lock:
            rows = self._conn.execute(sql, (country,)).fetchall()
        for postcode, city, city_key, region, lon, lat in rows:
            if postcode:
                info = postcodes.setdefault(postcode, PlaceInfo(postcode))
                if city_key:
                    info.related.add(city_key)
                if region:
                    info.regions.add(region)
                if lon is not None and lat is not None:
                    acc = pc_sums.setdefault(postcode, [0.0, 0.0, 0.0])
                    acc[0] += lon
                    acc[1] += lat
                    acc[2] += 1
            if city_key:
                loc = localities.setdefault(city_key, PlaceInfo(city or city_key))
                if postcode:
                    loc.related.add(postcode)
                if region:
                    loc.regions.add(region)
        for postcode, (sx, sy, n) in pc_sums.items():
            postcodes[postcode].lon, postcodes[postcode].lat = sx / n, sy / n
        self._postcodes[country] = postcodes
        self._localities[country] = localities

    def postcodes(self, country: str) -> dict[str, PlaceInfo]:
        """Postcodes present in the points, with their localities and centroid."""
        if country not in self._postcodes:
            self._load_places(country)
        return self._postcodes[country]

    def localities(self, country: str) -> dict[str, PlaceInfo]:
        """Localities (by name key) present in the points, with their postcodes and regions."""
        if country not in self._localities:
            self._load_places(country)
        return self._localities[country]
