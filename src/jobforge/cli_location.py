"""``jobforge location import FILE``: OpenAddresses points into the reference index; and
``jobforge location validate INPUT.parquet --output DIR``: a ValidateAddress run on a local file,
without a server, with a progress bar.

It runs the pipeline a job's worker runs on each input file (the same validator on the same reference
index, :func:`~jobforge.services.location.parquet_io.process_file`) and writes what a job writes
into its output folder: ``part-00000.parquet`` and ``manifest.json``. Only the random ``Output_Id``
of each row differs from a job's (a job seeds them with its id).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobforge.cli_common import CliError
from jobforge.cli_progress import ProgressDisplay, Snapshot

if TYPE_CHECKING:
    from jobforge.services.location.addresses import AddressValidator

FEATURES = ("Position", "CountrySpecificAttributes")
SHOW_EVERY = 1.0  # seconds between two progress updates


def _validate(args: argparse.Namespace) -> int:
    from jobforge.config import Settings
    from jobforge.services.location.addresses import ValidationOptions
    from jobforge.services.location.fanout import part_name
    from jobforge.services.location.job_handler import MANIFEST
    from jobforge.services.location.parquet_io import InputSchemaError, open_input, process_file

    source: Path = args.input
    if not source.is_file():
        raise CliError(f"{source}: no such file")
    if args.output.exists() and not args.output.is_dir():
        raise CliError(f"{args.output}: not a directory (--output is the folder for the part file)")
    settings = Settings.from_env(data_dir=args.data_dir, location_reference=args.reference)
    validator = _validator(args.reference, settings.resolved_location_reference)
    features = list(dict.fromkeys(args.feature or ()))
    part = args.output / part_name(0)
    partial = part.with_name(part.name + ".partial")
    try:
        args.output.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as stream:
            total = open_input(stream).metadata.num_rows
        with ProgressDisplay(source.name) as display, source.open("rb") as stream, partial.open("wb") as out:
            shown = _Shown(display, total)
            stats = process_file(
                stream, out, validator, ValidationOptions.from_features(features), on_progress=shown.add
            )
            shown.finish()
        os.replace(partial, part)
    except InputSchemaError as exc:
        raise CliError(f"{source}: {exc}") from exc
    except OSError as exc:
        raise CliError(f"{exc.filename or source}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):  # e.g. the output folder was never made
            partial.unlink(missing_ok=True)
    entry = {"input": str(source), "output": str(part), "rows": stats.rows, "errorRows": stats.error_rows}
    manifest: dict[str, Any] = {
        "input": str(source),
        "output": str(args.output),
        "additionalFeatures": features,
        "completedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "rows": stats.rows,
        "errorRows": stats.error_rows,
        "files": [entry],
    }
    (args.output / MANIFEST).write_text(json.dumps(manifest, indent=2))
    print(f"validated {stats.rows} rows ({stats.error_rows} with errors) into {part}")
    return 0


def _validator(given: Path | None, index: Path) -> AddressValidator:
    """The validator a job's worker would use: with the index if there is one. An index named by
    ``--reference`` must exist, and any index must be one (a typo must not silently validate
    against the ZIP table alone)."""
    from jobforge.services.location.file_worker import validator_for

    if given is not None and not index.is_file():
        raise CliError(f"--reference {index}: no such index file")
    try:
        return validator_for(str(index) if index.exists() else None)
    except (sqlite3.Error, OSError) as exc:
        raise CliError(f"{index}: not a readable address index ({exc})") from exc


def _import(args: argparse.Namespace) -> int:
    from jobforge.config import Settings
    from jobforge.services.location.addresses import ReferenceImportError, import_reference
    from jobforge.services.location.addresses.countries import resolve_country

    settings = Settings.from_env(data_dir=args.data_dir, location_reference=args.reference)
    index = settings.resolved_location_reference
    if not args.file.is_file():
        raise CliError(f"{args.file}: no such file")
    try:
        result = import_reference(args.file, index, args.country)
    except ReferenceImportError as exc:
        raise CliError(str(exc)) from exc
    except OSError as exc:
        if exc.filename is None or Path(exc.filename) == args.file:
            raise CliError(f"{args.file}: cannot read it ({_os_reason(exc)})") from exc
        raise CliError(f"cannot write the index {index}: {exc.filename}: {_os_reason(exc)}") from exc
    except sqlite3.Error as exc:
        raise CliError(f"cannot write the index {index}: {exc}") from exc
    except (ValueError, KeyError) as exc:  # a file that is not OpenAddresses CSV/GeoJSON
        raise CliError(f"{args.file}: cannot read it as OpenAddresses CSV or GeoJSON ({exc})") from exc
    if result.removed:
        print(f"upgraded {index}: removed {result.removed} duplicate address points")
    country = resolve_country(args.country)
    print(
        f"imported {result.added} new {country.code2 if country else args.country} address points"
        f" into {index} ({result.present} already present)"
    )
    if result.rejected:
        print(
            f"jobforge: skipped {result.rejected} points of {args.file} whose position is not a"
            " longitude -180..180 and latitude -90..90",
            file=sys.stderr,
        )
    return 0


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class _Shown:
    """Rows counted as batches finish, shown at most once per :data:`SHOW_EVERY` (and at the end)."""

    def __init__(self, display: ProgressDisplay, total: int) -> None:
        self.display = display
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.last = 0.0
        display.show(Snapshot("Running", 0, total, "rows"))

    def add(self, rows: int) -> None:
        self.done += rows
        if time.monotonic() - self.last >= SHOW_EVERY:
            self._show("Running")

    def finish(self) -> None:
        self._show("Completed")

    def _show(self, status: str) -> None:
        self.last = time.monotonic()
        rate = self.done / max(self.last - self.started, 1e-9)
        eta = (self.total - self.done) / rate if rate and status == "Running" else None
        self.display.show(Snapshot(status, self.done, self.total, "rows", rate, eta))


def add_import_parser(location_commands: Any) -> None:
    load = location_commands.add_parser(
        "import", help="add OpenAddresses points (CSV or GeoJSON, optionally .gz) to the reference index"
    )
    load.add_argument("file", type=Path, help="an OpenAddresses CSV/GeoJSON file")
    load.add_argument("--country", default="US", help="AU, CA, GB or US (default US)")
    add_reference_arguments(load)
    load.set_defaults(func=_import)


def add_validate_parser(location_commands: Any) -> None:
    validate = location_commands.add_parser(
        "validate", help="validate the addresses of a local Parquet file as a ValidateAddress job does"
    )
    validate.add_argument("input", type=Path, help="a Parquet file in ValidateAddress's input format")
    validate.add_argument("--output", type=Path, required=True, help="folder for the part file and manifest")
    validate.add_argument(
        "--feature", action="append", choices=FEATURES, help="an additional feature (repeatable)"
    )
    add_reference_arguments(validate)
    validate.set_defaults(func=_validate)


def add_reference_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the address index is: ``--data-dir`` and ``--reference``."""
    parser.add_argument(
        "--data-dir", type=Path, help="state directory (JOBFORGE_DATA_DIR, default ./.jobforge)"
    )
    parser.add_argument(
        "--reference",
        type=Path,
        help="index file (JOBFORGE_LOCATION_REFERENCE, default <data-dir>/location/reference.sqlite)",
    )
