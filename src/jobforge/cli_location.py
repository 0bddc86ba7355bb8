"""``jobforge location validate INPUT.parquet --output DIR``: a ValidateAddress run on a local file,
without a server, with a progress bar.

It runs the pipeline a job's worker runs on each input file (the same validator on the same reference
index, :func:`~jobforge.services.location.parquet_io.process_file`) and writes what a job writes
into its output folder: ``part-00000.parquet`` and ``manifest.json``. Only the random ``Output_Id``
of each row differs from a job's (a job seeds them with its id).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobforge.cli_common import CliError
from jobforge.cli_progress import ProgressDisplay, Snapshot

FEATURES = ("Position", "CountrySpecificAttributes")
SHOW_EVERY = 1.0  # seconds between two progress updates


def _validate(args: argparse.Namespace) -> int:
    from jobforge.config import Settings
    from jobforge.services.location.addresses import ValidationOptions
    from jobforge.services.location.fanout import part_name
    from jobforge.services.location.file_worker import validator_for
    from jobforge.services.location.job_handler import MANIFEST
    from jobforge.services.location.parquet_io import InputSchemaError, open_input, process_file

    source: Path = args.input
    if not source.is_file():
        raise CliError(f"{source}: no such file")
    settings = Settings.from_env(data_dir=args.data_dir, location_reference=args.reference)
    index = settings.resolved_location_reference
    validator = validator_for(str(index) if index.exists() else None)  # as a job's worker: the index if any
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
