"""Settings, from command-line flags and ``JOBFORGE_*`` environment variables (flags win)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 4580
    data_dir: Path = Path(".jobforge")
    database_url: str | None = None  # default: SQLite at <data-dir>/jobforge.db
    s3_endpoint_url: str | None = None  # default: local directory <data-dir>/buckets
    auth: str = "none"  # "none" accepts any credentials; "sigv4" verifies signatures
    credentials_file: Path | None = None  # JSON {"AKID": {"secret": "...", "account": "123456789012"}}
    credentials: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (secret, account)
    default_account: str = "000000000000"
    default_region: str = "us-east-1"
    workers: int = 4  # concurrent jobs on this node
    cpu_workers: int | None = None  # worker processes for CPU-heavy work (default: cores)
    single_node: bool = True  # on start, jobs left running by any other worker are orphans
    pace: str = "instant"  # instant | realistic | step (see engine.control)
    step_delay: float = 0.0
    log_level: str = "info"
    log_format: str = "json"  # json | text
    generation_concurrency: int = 3  # concurrent world generation jobs per account and region
    export_concurrency: int = 3  # concurrent world export jobs per account and region
    dataexchange_bucket: str = "jobforge-dataexchange"  # internal bucket holding asset bytes
    dataexchange_limits: str | None = None  # JSON {"Assets per revision": 10000, ...} overriding defaults
    location_reference: Path | None = None  # address index; default <data-dir>/location/reference.sqlite
    location_limits: str | None = None  # JSON {"Input files per job": 1000, ...} overriding defaults

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'jobforge.db'}"

    @property
    def resolved_location_reference(self) -> Path:
        return self.location_reference or self.data_dir / "location" / "reference.sqlite"

    def prepare(self) -> Settings:
        """Create the data directory and load the credentials file."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.credentials_file is not None:
            raw = json.loads(Path(self.credentials_file).read_text())
            for key, entry in raw.items():
                self.credentials[key] = (entry["secret"], entry.get("account", self.default_account))
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``JOBFORGE_<NAME>`` variables, then explicit overrides (flags)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = env.get(f"JOBFORGE_{spec.name.upper()}")
            if raw is not None and spec.name != "credentials":
                values[spec.name] = _convert(spec.name, raw)
        if env.get("JOBFORGE_CREDENTIALS"):
            values["credentials"] = parse_credentials(env["JOBFORGE_CREDENTIALS"], cls.default_account)
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


def parse_credentials(text: str, default_account: str) -> dict[str, tuple[str, str]]:
    """``AKID:SECRET[:ACCOUNT],AKID2:SECRET2`` -> {key: (secret, account)}."""
    result = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, secret, *account = item.split(":")
        result[key] = (secret, account[0] if account else default_account)
    return result


_INTS = {"port", "workers", "cpu_workers", "generation_concurrency", "export_concurrency"}
_PATHS = {"data_dir", "credentials_file", "location_reference"}


def _convert(name: str, raw: str) -> Any:
    if name in _INTS:
        return int(raw)
    if name in _PATHS:
        return Path(raw)
    if name == "step_delay":
        return float(raw)
    if name == "single_node":
        return raw.lower() in ("1", "true", "yes", "on")
    return raw
