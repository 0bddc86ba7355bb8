"""The deployment files: deploy/docker-compose.yml against the Compose Specification's schema (and
``docker compose config`` where docker compose runs), the facts the files rely on (commands that
jobforge's CLI accepts, settings that exist and are valid, the API nodes behind the load balancer,
Flower optional) and the Dockerfile's essentials, its health check run against a real server."""

from __future__ import annotations

import copy
import fnmatch
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from jobforge.cli import build_parser
from jobforge.config import Settings
from tests.support import JobforgeServer, free_port, server_without_scipy
from tests.tooling.deploy_files import (
    COMPOSE,
    REPO,
    command,
    compose,
    compose_schema,
    dockerfile,
    exec_form,
    haproxy_sections,
    jobforge_services,
)

SETTINGS = {spec.name for spec in fields(Settings)} - {"sources", "prepared"}


def _environment(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {key: "" if value is None else str(value) for key, value in raw.items()}


def _settings_named(env: dict[str, str]) -> set[str]:
    return {name[len("JOBFORGE_") :].lower() for name in env if name.startswith("JOBFORGE_")}


# -- docker-compose.yml -----------------------------------------------------------------------------


def test_compose_file_matches_the_compose_schema() -> None:
    schema = compose_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    spec = compose()
    assert [error.message for error in validator.iter_errors(spec)] == []
    broken = copy.deepcopy(spec)
    broken["services"]["worker"]["comand"] = broken["services"]["worker"].pop("command")
    assert any("comand" in error.message for error in validator.iter_errors(broken))


def test_docker_compose_config_accepts_it() -> None:
    try:
        version = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    except FileNotFoundError:
        pytest.skip("no docker here; the schema test checks the file")
    if version.returncode != 0:
        pytest.skip("docker has no compose plugin here; the schema test checks the file")
    done = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_jobforge_services_run_the_image_built_from_this_repository() -> None:
    spec = compose()
    ours = jobforge_services(spec)
    assert sorted(ours) == ["api-1", "api-2", "worker"]
    assert len({service["image"] for service in ours.values()}) == 1
    for service in ours.values():
        context = (COMPOSE.parent / service["build"]["context"]).resolve()
        assert context == REPO and (context / service["build"].get("dockerfile", "Dockerfile")).is_file()
    image = next(iter(ours.values()))["image"]
    assert [name for name, service in spec["services"].items() if service.get("image") == image] == list(ours)
    assert {name: command(service)[0] for name, service in ours.items()} == {
        "api-1": "serve",
        "api-2": "serve",
        "worker": "worker",
    }


@pytest.mark.parametrize("name", ["api-1", "api-2", "worker"])
def test_each_jobforge_command_is_one_the_cli_accepts(name: str) -> None:
    argv = command(compose()["services"][name])
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"jobforge refuses {name}'s command {argv}")
    if argv[0] == "serve":
        assert args.executor == "celery"


def test_settings_in_the_environment_exist_and_are_valid() -> None:
    for name, service in jobforge_services(compose()).items():
        env = _environment(service)
        unknown = _settings_named(env) - SETTINGS
        assert unknown == set(), f"{name} sets JOBFORGE_* variables config.py does not read: {unknown}"
        settings = Settings.from_env(env).validate()
        assert settings.broker_url and settings.broker_url.startswith("redis://")  # every node
        assert settings.database_url and settings.database_url.startswith("postgresql+psycopg://")


def test_urls_name_the_services_that_provide_them() -> None:
    spec = compose()
    services = spec["services"]
    postgres = services["postgres"]["environment"]
    init = services["minio-init"]
    for service in jobforge_services(spec).values():
        env = _environment(service)
        database = urlsplit(env["JOBFORGE_DATABASE_URL"])
        assert (database.hostname, database.username, database.password, database.path) == (
            "postgres",
            postgres["POSTGRES_USER"],
            postgres["POSTGRES_PASSWORD"],
            "/" + postgres["POSTGRES_DB"],
        )
        assert urlsplit(env["JOBFORGE_S3_ENDPOINT_URL"]).hostname == "minio"
        assert urlsplit(env["JOBFORGE_BROKER_URL"]).hostname == "redis"
        # jobforge's key on the store is the one minio-init creates
        assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == (
            init["environment"]["S3_ACCESS_KEY_ID"],
            init["environment"]["S3_SECRET_ACCESS_KEY"],
        )
    script = "\n".join(command(init))
    assert f"store/{Settings().dataexchange_bucket}" in script  # the internal bucket exists up front


def test_api_nodes_sit_behind_the_load_balancer() -> None:
    spec = compose()
    lb = spec["services"]["lb"]
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in lb["volumes"]
    sections = haproxy_sections()
    backend = sections["backend api"]
    servers = {words[2] for words in backend if words[0] == "server"}
    serving = {}
    for name, service in jobforge_services(spec).items():
        argv = command(service)
        if argv[0] == "serve":
            port = argv[argv.index("--port") + 1] if "--port" in argv else str(Settings().port)
            serving[name] = f"{name}:{port}"
    assert servers == set(serving.values())
    assert ["option", "httpchk", "GET", "/_jobforge/health"] in backend
    assert ["default_backend", "api"] in sections["frontend jobforge"]
    bind = next(words for words in sections["frontend jobforge"] if words[0] == "bind")
    assert [port.rsplit(":", 1)[1] for port in lb["ports"]] == [bind[1].lstrip(":")]


def test_api_nodes_see_the_client_address_the_load_balancer_forwards() -> None:
    """HAProxy adds X-Forwarded-For and the API nodes trust it (the sign-in throttle counts per
    client address), which is safe only while no API node publishes a port of its own."""
    assert ["option", "forwardfor"] in haproxy_sections()["defaults"]
    for name, service in jobforge_services(compose()).items():
        if command(service)[0] == "serve":
            assert _environment(service).get("FORWARDED_ALLOW_IPS") == "*", name
            assert not service.get("ports"), name


def test_api_2_and_workers_wait_for_api_1_to_migrate_the_database() -> None:
    services = compose()["services"]
    for name in ("api-2", "worker"):
        assert services[name]["depends_on"]["api-1"] == {"condition": "service_healthy"}
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "api-1" not in services["api-1"]["depends_on"]


def test_workers_scale_and_flower_is_an_option() -> None:
    services = compose()["services"]
    worker = services["worker"]
    assert int(worker["deploy"]["replicas"]) >= 2
    assert worker["healthcheck"] == {"disable": True}  # the image's check is the API's HTTP health
    assert worker["stop_grace_period"]  # running tasks finish before the worker stops
    assert services["flower"]["profiles"] == ["flower"]
    optional = [name for name, service in services.items() if "profiles" in service]
    assert optional == ["flower", "prometheus", "grafana"]  # the last two: tests/metrics/test_deploy*
    broker = _environment(worker)["JOBFORGE_BROKER_URL"]
    assert f"--broker={broker}" in command(services["flower"])


# -- Dockerfile -------------------------------------------------------------------------------------


def _final(keyword: str) -> list[str]:
    instructions = dockerfile()
    last = instructions[-1].stage
    return [i.arguments for i in instructions if i.keyword == keyword and i.stage == last]


def test_dockerfile_base_user_port_and_entrypoint() -> None:
    instructions = dockerfile()
    bases = [i.arguments.split()[0] for i in instructions if i.keyword == "FROM"]
    assert bases and set(bases) == {"python:3.11-slim"}
    users = _final("USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert _final("EXPOSE") == [str(Settings().port)]
    assert exec_form(_final("ENTRYPOINT")[-1]) == ["jobforge"]
    assert exec_form(_final("CMD")[-1]) == ["serve"]
    installs = [i.arguments for i in instructions if i.keyword == "RUN" and "pip install" in i.arguments]
    assert any('pip install ".[' in run or "pip install ." in run for run in installs)


def test_dockerfile_copies_what_the_install_needs_and_dockerignore_keeps_it() -> None:
    copied = [
        word
        for i in dockerfile()
        if i.keyword == "COPY" and not i.arguments.startswith("--from")
        for word in i.arguments.split()[:-1]
    ]
    assert sorted(copied) == ["README.md", "pyproject.toml", "src"]
    assert all((REPO / path).exists() for path in copied)
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not [(p, rule) for p in copied for rule in ignored if fnmatch.fnmatch(p, rule.rstrip("/"))]


def test_dockerfile_environment_names_settings() -> None:
    env: dict[str, str] = {}
    for arguments in _final("ENV"):
        env.update(item.split("=", 1) for item in arguments.split())
    named = _settings_named(env)
    assert named - SETTINGS == set()
    settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("JOBFORGE_")}).validate()
    assert settings.host == "0.0.0.0" and str(settings.data_dir) == "/var/lib/jobforge"


def _healthcheck() -> list[str]:
    """The image's HEALTHCHECK command, with this interpreter for ``python``."""
    (check,) = _final("HEALTHCHECK")
    argv = exec_form(check.split(" CMD ", 1)[1])
    assert argv[0] == "python"
    return [sys.executable, *argv[1:]]


def _check(port: int) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(_healthcheck(), env={"JOBFORGE_PORT": str(port)}, capture_output=True, timeout=30)


def test_healthcheck_passes_against_a_healthy_server_and_fails_without_one(server: JobforgeServer) -> None:
    up = _check(server.port)
    assert up.returncode == 0, up.stderr
    assert _check(free_port()).returncode != 0


def test_healthcheck_fails_while_the_server_is_degraded(tmp_path: Path) -> None:
    """503 (a service that cannot run its jobs, here RoboMaker without scipy) is unhealthy."""
    degraded = server_without_scipy(tmp_path)
    try:
        degraded.start(timeout=120, expect_status=503)
        failed = _check(degraded.port)
        assert failed.returncode != 0 and b"503" in failed.stderr
    finally:
        degraded.stop()
