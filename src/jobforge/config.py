"""Settings, from command-line flags and ``JOBFORGE_*`` environment variables (flags win).

All checking happens here: :meth:`Settings.from_env` converts text (a bad number names its flag or
variable), :meth:`Settings.validate` refuses impossible values and :meth:`Settings.prepare` a bad
data directory or credentials file; each raises :class:`SettingsError` with a one-line message.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from jobforge.engine.celery_app import CeleryConfig

PACES = ("instant", "realistic", "step")
AUTH_MODES = ("none", "sigv4")
LOG_FORMATS = ("json", "text")
HTTP_PROTOCOLS = ("h11", "httptools")
EXECUTORS = ("local", "celery")
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
_ACCOUNT = re.compile(r"\d{12}")
MIN_BODY_BYTES_IN_FLIGHT = 1024 * 1024
T = TypeVar("T")


class SettingsError(ValueError):
    """An impossible setting; the message names the flag or variable it came from."""


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 4580
    data_dir: Path = Path(".jobforge")
    database_url: str | None = None  # default: SQLite at <data-dir>/jobforge.db
    s3_endpoint_url: str | None = None  # default: local directory <data-dir>/buckets
    auth: str = "none"  # "none" accepts any credentials; "sigv4" verifies signatures
    credentials_file: Path | None = None  # JSON {"AKID": {"secret": "...", "account": "...", "admin": true}}
    # key -> (secret, account, admin); admin keys may use the control API under sigv4
    credentials: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    control: bool = True  # the control API /_jobforge/control/...; False answers 404 there
    default_account: str = "000000000000"
    default_region: str = "us-east-1"
    workers: int = 4  # concurrent jobs on this node
    cpu_workers: int | None = None  # worker processes for CPU-heavy work (default: cores)
    executor: str = "local"  # local: jobs run in this process | celery: on `jobforge worker` processes
    broker_url: str | None = None  # celery: redis://host:6379/0 or amqp://...
    result_backend: str | None = None  # celery: piece results; default the broker URL when redis://
    broker_visibility_timeout: int = 300  # celery on Redis: seconds before a killed worker's task returns
    pieces_per_job: int = 32  # celery: a job's pieces in flight at once, across all workers
    pace: str = "instant"  # instant | realistic | step (see engine.control)
    step_delay: float = 0.0
    log_level: str = "info"
    log_format: str = "json"  # json | text
    generation_concurrency: int = 3  # concurrent world generation jobs per account and region
    export_concurrency: int = 3  # concurrent world export jobs per account and region
    dataexchange_bucket: str = "jobforge-dataexchange"  # internal bucket holding asset bytes
    bucket_owners: str | None = None  # JSON {"bucket": "123456789012", "*": ...}; default: default_account
    dataexchange_limits: str | None = None  # JSON {"Assets per revision": 10000, ...} overriding defaults
    location_reference: Path | None = None  # address index; default <data-dir>/location/reference.sqlite
    location_limits: str | None = None  # JSON {"Input files per job": 1000, ...} overriding defaults
    location_split_bytes: int = 256 * 1024 * 1024  # input files larger are split by row groups; 0: never
    location_bucket: str = "jobforge-location"  # internal bucket staging the pieces of split files
    max_body_bytes_in_flight: int = 64 * 1024 * 1024  # request-body bytes in memory across all requests
    diagnostic_jobs: bool = False  # the control API's diagnostic-job action (for tests of the engine)
    http_protocol: str = "httptools"  # httptools | h11: the HTTP parser (either answers malformed HTTP)
    metrics: bool = True  # Prometheus metrics at /metrics; False: no /metrics, nothing counted
    metrics_token: str | None = field(default=None, repr=False)  # a bearer token that may read /metrics
    sources: dict[str, str] = field(default_factory=dict, repr=False, compare=False)  # name -> flag/var
    prepared: bool = field(default=False, repr=False, compare=False)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'jobforge.db'}"

    @property
    def resolved_result_backend(self) -> str:
        """Where Celery keeps piece results: ``result_backend``, else a redis:// broker."""
        if self.result_backend:
            return self.result_backend
        if self.broker_url and urlsplit(self.broker_url).scheme in ("redis", "rediss"):
            return self.broker_url
        raise SettingsError(
            f"{self.where('result_backend')} is required with the broker {self.broker_url!r}"
            " (a redis:// URL, or another Celery result backend that can be polled)"
        )

    def celery_config(self) -> CeleryConfig | None:
        """The Celery executor's settings, or None for the in-process executor."""
        if self.executor != "celery":
            return None
        from jobforge.engine.celery_app import CeleryConfig

        return CeleryConfig(
            broker_url=self.broker_url or "",
            result_backend=self.resolved_result_backend,
            visibility_timeout=float(self.broker_visibility_timeout),
            pieces_per_job=self.pieces_per_job,
        )

    @property
    def resolved_location_reference(self) -> Path:
        return self.location_reference or self.data_dir / "location" / "reference.sqlite"

    def where(self, name: str) -> str:
        """The flag or variable a setting came from (for messages)."""
        return self.sources.get(name) or f"JOBFORGE_{name.upper()}"

    def parse(self, name: str, parse: Callable[[Any], T], expected: str) -> T:
        """``parse`` applied to the setting ``name`` (for a service's settings section); a
        :class:`SettingsError` naming its flag or variable and ``expected`` if that fails."""
        try:
            return parse(getattr(self, name))
        except (ValueError, TypeError, AttributeError) as exc:
            raise SettingsError(f"{self.where(name)} must be {expected}: {exc}") from exc

    def validate(self) -> Settings:
        """Refuse impossible values (:class:`SettingsError`); touches no file."""
        if not 1 <= self.port <= 65535:
            raise SettingsError(f"{self.where('port')} must be between 1 and 65535, not {self.port}")
        for name in (
            "workers",
            "cpu_workers",
            "generation_concurrency",
            "export_concurrency",
            "broker_visibility_timeout",
            "pieces_per_job",
        ):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise SettingsError(f"{self.where(name)} must be at least 1, not {value}")
        for name, allowed in (
            ("pace", PACES),
            ("auth", AUTH_MODES),
            ("log_format", LOG_FORMATS),
            ("log_level", LOG_LEVELS),
            ("http_protocol", HTTP_PROTOCOLS),
            ("executor", EXECUTORS),
        ):
            value = getattr(self, name)
            if (value.lower() if name in ("log_level", "http_protocol") else value) not in allowed:
                raise SettingsError(f"{self.where(name)} must be one of {', '.join(allowed)}, not {value!r}")
        if self.location_split_bytes < 0:
            raise SettingsError(
                f"{self.where('location_split_bytes')} must be 0 (never split) or a number of bytes,"
                f" not {self.location_split_bytes}"
            )
        if self.max_body_bytes_in_flight < MIN_BODY_BYTES_IN_FLIGHT:
            raise SettingsError(
                f"{self.where('max_body_bytes_in_flight')} must be at least {MIN_BODY_BYTES_IN_FLIGHT}"
                f" bytes, not {self.max_body_bytes_in_flight}"
            )
        if not (math.isfinite(self.step_delay) and self.step_delay >= 0):
            raise SettingsError(
                f"{self.where('step_delay')} must be 0 or more seconds, not {self.step_delay}"
            )
        if not _ACCOUNT.fullmatch(self.default_account):
            raise SettingsError(
                f"{self.where('default_account')} must be 12 digits, not {self.default_account!r}"
            )
        if self.s3_endpoint_url is not None:
            url = urlsplit(self.s3_endpoint_url)
            if url.scheme not in ("http", "https") or not url.netloc:
                raise SettingsError(
                    f"{self.where('s3_endpoint_url')} must be an http:// or https:// URL,"
                    f" not {self.s3_endpoint_url!r}"
                )
        if self.database_url is not None:
            self._check_database_url(self.database_url)
        if self.executor == "celery":
            self._check_celery()
        self.parsed_bucket_owners()
        return self

    def parsed_bucket_owners(self) -> tuple[dict[str, str], str]:
        """``bucket_owners`` as (owner per bucket, owner of every other bucket)."""
        where = self.where("bucket_owners")
        shape = '{"bucket": "123456789012", "*": "123456789012"}'
        try:
            raw = json.loads(self.bucket_owners) if self.bucket_owners else {}
        except ValueError as exc:
            raise SettingsError(f"{where} is not valid JSON ({exc}); expected {shape}") from None
        if not isinstance(raw, dict):
            raise SettingsError(f"{where} must be a JSON object {shape}")
        for bucket, account in raw.items():
            if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
                raise SettingsError(f"{where}: the owner of {bucket!r} must be a 12-digit account")
        default = raw.pop("*", self.default_account)
        return raw, default

    def _check_celery(self) -> None:
        where = self.where("broker_url")
        if not self.broker_url:
            raise SettingsError(
                f"{self.where('executor')} celery needs a broker: --broker-url or JOBFORGE_BROKER_URL,"
                " e.g. redis://host:6379/0 (or amqp://...)"
            )
        scheme = urlsplit(self.broker_url).scheme
        if scheme not in BROKER_SCHEMES:
            raise SettingsError(
                f"{where} must be a redis:// or amqp:// URL, not {self.broker_url!r}"
                f" (schemes: {', '.join(BROKER_SCHEMES)})"
            )
        backend = self.resolved_result_backend
        if urlsplit(backend).scheme in ("rpc", ""):
            raise SettingsError(
                f"{self.where('result_backend')} must be a result store the job can poll"
                f" (redis://..., db+postgresql://...), not {backend!r}"
            )

    def _check_database_url(self, url: str) -> None:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        try:
            make_url(url).get_dialect()
        except (ArgumentError, NoSuchModuleError, ValueError) as exc:
            raise SettingsError(f"{self.where('database_url')} is not a usable database URL: {exc}") from exc

    def prepare(self) -> Settings:
        """Validate, create the data directory (it must be writable), load the credentials file."""
        if self.prepared:
            return self
        self.validate()
        where = self.where("data_dir")
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SettingsError(f"{where} {self.data_dir}: cannot create it ({_reason(exc)})") from exc
        try:
            with tempfile.TemporaryFile(dir=self.data_dir):
                pass
        except OSError as exc:
            raise SettingsError(f"{where} {self.data_dir}: not writable ({_reason(exc)})") from exc
        if self.credentials_file is not None:
            self.credentials.update(self._load_credentials_file(Path(self.credentials_file)))
        self.prepared = True
        return self

    def _load_credentials_file(self, path: Path) -> dict[str, tuple[str, str, bool]]:
        where = f"{self.where('credentials_file')} {path}"
        try:
            raw = json.loads(path.read_text())
        except OSError as exc:
            raise SettingsError(f"{where}: cannot read it ({_reason(exc)})") from exc
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            raise SettingsError(f"{where}: not valid JSON ({exc})") from exc
        shape = '{"AKID": {"secret": "...", "account": "123456789012", "admin": false}, ...}'
        if not isinstance(raw, dict):
            raise SettingsError(f"{where}: expected a JSON object {shape}")
        result = {}
        for key, entry in raw.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("secret"), str) or not entry["secret"]:
                raise SettingsError(f'{where}: key {key!r} needs a "secret" string; expected {shape}')
            account = entry.get("account", self.default_account)
            if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
                raise SettingsError(f"{where}: the account of key {key!r} must be 12 digits, not {account!r}")
            admin = entry.get("admin", False)
            if not isinstance(admin, bool):
                raise SettingsError(f'{where}: "admin" of key {key!r} must be true or false, not {admin!r}')
            result[key] = (entry["secret"], account, admin)
        return result

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``JOBFORGE_<NAME>`` variables, then explicit overrides (flags, text or
        typed values). An empty variable counts as unset."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for spec in fields(cls):
            variable = f"JOBFORGE_{spec.name.upper()}"
            raw = env.get(variable)
            if raw and spec.name not in ("credentials", "sources", "prepared"):
                values[spec.name] = _convert(spec.name, raw, variable)
                sources[spec.name] = variable
        for key, value in overrides.items():
            if value is not None:
                flag = _FLAGS.get(key, "--" + key.replace("_", "-"))
                values[key] = _convert(key, value, flag) if isinstance(value, str) else value
                sources[key] = flag
        if env.get("JOBFORGE_CREDENTIALS"):
            account = values.get("default_account", cls.default_account)
            values["credentials"] = parse_credentials(env["JOBFORGE_CREDENTIALS"], account)
        return cls(**values, sources=sources)


def celery_root_allowed(env: Mapping[str, str] | None = None) -> bool:
    """Whether Celery may run a pickle-accepting worker as root: its own ``C_FORCE_ROOT`` switch."""
    return bool((os.environ if env is None else env).get("C_FORCE_ROOT"))


def parse_credentials(text: str, default_account: str) -> dict[str, tuple[str, str, bool]]:
    """``AKID:SECRET[:ACCOUNT[:admin]],AKID2:SECRET2`` -> {key: (secret, account, admin)}."""
    result = {}
    for number, item in enumerate(filter(None, (part.strip() for part in text.split(","))), 1):
        parts = item.split(":")
        key, secret = parts[0], parts[1] if len(parts) > 1 else ""
        account = parts[2] if len(parts) > 2 else default_account
        admin = len(parts) > 3 and parts[3] == "admin"
        if (
            len(parts) > 4
            or not key
            or not secret
            or (len(parts) > 2 and not _ACCOUNT.fullmatch(account))
            or (len(parts) > 3 and not admin)
        ):
            raise SettingsError(  # never echo the secret
                f"JOBFORGE_CREDENTIALS entry {number} ({key or '?'}) must be AKID:SECRET[:ACCOUNT[:admin]]"
                " with a 12-digit account"
            )
        result[key] = (secret, account, admin)
    return result


_INTS = {
    "port",
    "broker_visibility_timeout",
    "pieces_per_job",
    "workers",
    "cpu_workers",
    "generation_concurrency",
    "export_concurrency",
    "max_body_bytes_in_flight",
    "location_split_bytes",
}
_PATHS = {"data_dir", "credentials_file", "location_reference"}
_BOOLS = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}
_FLAGS = {"location_reference": "--reference", "cpu_workers": "--concurrency"}  # not --<setting-name>


def _convert(name: str, raw: str, where: str) -> Any:
    """Text from a flag or variable to the setting's type; ``where`` names it in errors."""
    if name in _INTS:
        try:
            return int(raw.strip())
        except ValueError:
            raise SettingsError(f"{where} must be a whole number, not {raw!r}") from None
    if name in _PATHS:
        return Path(raw)
    if name == "step_delay":
        try:
            return float(raw.strip())
        except ValueError:
            raise SettingsError(f"{where} must be a number of seconds, not {raw!r}") from None
    if name in ("control", "metrics", "diagnostic_jobs"):
        if raw.strip().lower() not in _BOOLS:
            choices = "true or false" if name == "diagnostic_jobs" else "on or off"
            raise SettingsError(f"{where} must be {choices}, not {raw!r}")
        return _BOOLS[raw.strip().lower()]
    return raw


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
