"""Every service is one package declaring its errors, settings section and binding: the errors it
can raise exist in its model (checked at start), and the application core names no service."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

import pytest

from jobforge.app import JobforgeApp
from jobforge.config import Settings, SettingsError
from jobforge.engine import AlreadyExists, IdempotencyMismatch, IllegalTransition, NotFound, QuotaExceeded
from jobforge.protocol.serializer import ErrorSerializer
from jobforge.protocol.specs import load_service_model
from jobforge.services import registry
from jobforge.services.binding import ServiceDefinitionError, ServiceErrors
from jobforge.services.dataexchange.provider import DataExchangeProvider
from jobforge.services.location.provider import LocationProvider
from jobforge.services.robomaker.provider import RoboMakerProvider

SRC = Path(__file__).resolve().parents[2] / "src" / "jobforge"
PACKAGES = {package.model_name: package for package in registry.packages()}
PROVIDERS = {
    "robomaker": RoboMakerProvider,
    "dataexchange": DataExchangeProvider,
    "location": LocationProvider,
}


def _literal_first_args(package: str, callee: str) -> dict[Path, set[str]]:
    """The string literals passed first to ``callee(...)`` in the service package, by file."""
    found: dict[Path, set[str]] = {}
    for path in (SRC / "services" / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name == callee and isinstance(node.args[0].value, str):
                found.setdefault(path, set()).add(node.args[0].value)
    return found


def test_the_registry_lists_every_service_package() -> None:
    packages = {path.parent.name for path in (SRC / "services").glob("*/binding.py")}
    assert packages == set(registry.SERVICES) == set(PACKAGES)


@pytest.mark.parametrize("service", sorted(PACKAGES))
def test_every_declared_error_exists_in_the_model(service: str) -> None:
    package = PACKAGES[service]
    model = load_service_model(service)
    assert package.errors.problems(model) == []
    if service in PROVIDERS:  # S3's provider translates the store's errors itself
        assert PROVIDERS[service].errors == package.errors.names  # what translate() answers with
    shapes = {shape.name for shape in model.error_shapes}
    assert package.errors.codes() <= shapes | set(package.errors.documented)


def test_s3_codes_are_declared_and_s3s() -> None:
    """Every code the S3 operations spell is declared in its errors.py, and is an error shape of
    S3's model or one of S3's documented codes; a code S3 does not have is found at start."""
    package = PACKAGES["s3"]
    spelled = set().union(*_literal_first_args("s3", "s3_error").values())
    assert spelled and spelled <= package.errors.codes()
    model = load_service_model("s3")
    assert {"NoSuchBucket", "NoSuchKey", "NoSuchUpload"} <= {shape.name for shape in model.error_shapes}
    assert package.errors.documented >= {"AccessDenied", "BucketNotEmpty", "InvalidPart"}
    typo = dataclasses.replace(package.errors.names, others=package.errors.names.others | {"NoSuchBuckett"})
    assert dataclasses.replace(package.errors, names=typo).problems(model) == [
        "s3: error NoSuchBuckett is not an error shape of the model"
    ]


@pytest.mark.parametrize("service", sorted(PACKAGES))
def test_modeled_errors_are_spelled_only_in_the_errors_module(service: str) -> None:
    """No ``ServiceError("...")`` outside the package's ``errors.py``: a new code has to be declared
    there, where the start-up check sees it."""
    spelled = _literal_first_args(service, "ServiceError")
    assert set(spelled) <= {SRC / "services" / service / "errors.py"}
    assert set().union(*spelled.values()) <= PACKAGES[service].errors.codes()


@pytest.mark.parametrize("service", sorted(PACKAGES))
def test_job_failure_codes_are_declared_enum_values(service: str) -> None:
    declared = set().union(*PACKAGES[service].errors.enums.values())
    for callee in ("JobFailed", "job_error"):
        for path, codes in _literal_first_args(service, callee).items():
            assert codes <= declared, f"{path}: {sorted(codes - declared)} not declared in errors.py"


@pytest.mark.parametrize("service", sorted(PACKAGES))
def test_job_failure_codes_are_spelled_only_where_declared(service: str) -> None:
    """A job failure code appears as a literal only in ``errors.py`` or a module-level constant
    (``NAME = "Code"``); call sites use the constant, so the start-up check covers every one."""
    enums = PACKAGES[service].errors.enums
    declared = set().union(*(values for name, values in enums.items() if name.endswith("Code")))
    for path in (SRC / "services" / service).rglob("*.py"):
        if path.name == "errors.py":
            continue
        tree = ast.parse(path.read_text())
        constants = {
            id(statement.value)
            for statement in tree.body
            if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
        }
        spelled = {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in declared and id(node) not in constants
        }
        assert not spelled, f"{path}: {sorted(spelled)} spelled out; import the constant from errors.py"


def test_the_check_finds_an_error_or_job_code_the_model_lacks() -> None:
    model = load_service_model("dataexchange")
    declared = PACKAGES["dataexchange"].errors
    wrong = dataclasses.replace(declared.names, limit="LimitExceededException")  # RoboMaker's name
    assert ServiceErrors(wrong, declared.validation_error).problems(model) == [
        "dataexchange: error LimitExceededException is not an error shape of the model"
    ]
    bad_code = ServiceErrors(declared.names, declared.validation_error, {"Code": {"NO_SUCH_CODE"}})
    assert bad_code.problems(model) == ["dataexchange: 'NO_SUCH_CODE' is not a value of Code"]


def test_start_up_fails_on_an_error_the_model_lacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    location = PACKAGES["location"]
    names = dataclasses.replace(location.errors.names, already_exists="ResourceAlreadyExistsException")
    broken = dataclasses.replace(location, errors=dataclasses.replace(location.errors, names=names))
    monkeypatch.setattr(registry, "packages", lambda: [broken])
    with pytest.raises(ServiceDefinitionError, match="ResourceAlreadyExistsException"):
        JobforgeApp(Settings(data_dir=tmp_path / "data"))


@pytest.mark.parametrize(
    ("service", "exc", "code", "status"),
    [
        ("location", AlreadyExists("job 1 exists already"), "ConflictException", 409),
        ("location", IdempotencyMismatch("token reused"), "ValidationException", 400),
        ("location", QuotaExceeded("1 concurrent job", "Concurrent jobs", 1), "ThrottlingException", 429),
        ("dataexchange", AlreadyExists("data set 1 exists already"), "ConflictException", 409),
        (
            "dataexchange",
            QuotaExceeded("x", "Revisions per data set", 3),
            "ServiceLimitExceededException",
            402,
        ),
        ("robomaker", AlreadyExists("template 1 exists already"), "ResourceAlreadyExistsException", 400),
    ],
)
def test_engine_errors_become_modeled_errors(service: str, exc: Exception, code: str, status: int) -> None:
    provider_class = PROVIDERS[service]
    translated = provider_class.translate(object.__new__(provider_class), exc)
    assert translated is not None and translated.code == code
    answered, _, body = ErrorSerializer(load_service_model(service)).serialize(translated)
    assert answered == status and json.loads(body)["message"]


def test_service_refinements_add_modeled_members() -> None:
    location = LocationProvider.translate(object.__new__(LocationProvider), IdempotencyMismatch("reused"))
    assert location is not None and location.fields["FieldList"] == [
        {"Name": "ClientToken", "Message": "reused"}
    ]
    ended = LocationProvider.translate(
        object.__new__(LocationProvider), IllegalTransition("j", "FAILED", "CANCELING")
    )
    assert ended is not None and ended.code == "ValidationException"
    assert ended.fields == {"Reason": "Other", "FieldList": []}  # members the model requires
    missing = DataExchangeProvider.translate(object.__new__(DataExchangeProvider), NotFound("revision", "r1"))
    assert missing is not None and missing.fields == {"ResourceId": "r1", "ResourceType": "REVISION"}


def test_service_settings_sections_parse_or_name_the_variable() -> None:
    registry.check_settings(Settings.from_env({}))
    for variable in ("JOBFORGE_DATAEXCHANGE_LIMITS", "JOBFORGE_LOCATION_LIMITS"):
        with pytest.raises(SettingsError, match=f"^{variable} must be a JSON object"):
            registry.check_settings(Settings.from_env({variable: '{"No such limit": 1}'}))
    assert Settings.from_env({"JOBFORGE_DIAGNOSTIC_JOBS": "1"}).diagnostic_jobs is True
    assert Settings.from_env({}).diagnostic_jobs is False


def test_the_core_names_no_service_and_settings_are_read_typed() -> None:
    services = r"robomaker|dataexchange|data exchange|location|world|\bs3\b|s3_?gateway|is_s3_|bucketowners"
    for core in ("app.py", "internal.py"):
        text = (SRC / core).read_text().lower()
        assert not re.search(services, text), core
        imported = {
            node.module
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("jobforge.services")
        }
        assert imported <= {"jobforge.services.registry"}, core
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"getattr\((self\.)?settings\b", text), path
        # config.py reads the settings; the checker and the users' test server (testing/) only pass
        # the environment on to processes they start.
        passes_on = (SRC / "services" / "robomaker" / "export" / "check.py", SRC / "testing" / "server.py")
        if path.name != "config.py" and path not in passes_on:
            assert "os.environ" not in text, path
