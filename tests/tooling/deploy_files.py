"""The deployment files (Dockerfile, deploy/docker-compose.yml, deploy/haproxy.cfg) read as their
tools read them, for the tests of test_deploy.py and test_load_balancer.py."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "deploy" / "docker-compose.yml"
HAPROXY = REPO / "deploy" / "haproxy.cfg"
_VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?:(:?-)([^}]*))?\}|\$(\w+)")


def compose_schema() -> dict[str, Any]:
    """The Compose Specification's JSON schema, as check-jsonschema vendors it (its licence:
    check_jsonschema/builtin_schemas/vendor/licenses/LICENSE.compose-spec, Apache-2.0)."""
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "compose-spec.json").read_text())


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation of every string in ``value`` (keys stay as written): ``${X:-d}``
    is ``d`` when X is unset or empty, ``${X-d}`` when unset, ``${X}``/``$X`` empty when unset,
    ``$$`` a literal ``$``."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        given = env.get(name)
        if match.group(2) == ":-":
            return given or match.group(3)
        if match.group(2) == "-":
            return match.group(3) if given is None else given
        return given or ""

    return _VARIABLE.sub(substitute, value)


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    """deploy/docker-compose.yml with YAML merge keys resolved and its variables at their defaults
    (or ``env``'s values), as ``docker compose config`` sees it."""
    return interpolate(yaml.safe_load(COMPOSE.read_text()), env or {})


def command(service: dict[str, Any]) -> list[str]:
    """A service's command as an argument list."""
    raw = service.get("command", [])
    return shlex.split(raw) if isinstance(raw, str) else [str(item) for item in raw]


def jobforge_services(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run the image built from this repository's Dockerfile."""
    return {name: service for name, service in spec["services"].items() if "build" in service}


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, ...
    arguments: str
    stage: int  # 0 for the first FROM's stage


def dockerfile() -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    instructions: list[Instruction] = []
    stage, pending = -1, ""
    for line in DOCKERFILE.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        keyword, _, arguments = pending.strip().partition(" ")
        pending = ""
        stage += keyword.upper() == "FROM"
        instructions.append(Instruction(keyword.upper(), arguments.strip(), stage))
    return instructions


def exec_form(arguments: str) -> list[str]:
    """A JSON-array (exec form) instruction argument, e.g. ENTRYPOINT's or HEALTHCHECK CMD's."""
    parsed = json.loads(arguments)
    assert isinstance(parsed, list) and all(isinstance(item, str) for item in parsed), arguments
    return parsed


def haproxy_sections() -> dict[str, list[list[str]]]:
    """deploy/haproxy.cfg as {"<section> <name>": [the words of each line]}; comments dropped."""
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []
    for line in HAPROXY.read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if not line[0].isspace():
            current = sections.setdefault(" ".join(words), [])
        else:
            current.append(words)
    return sections
