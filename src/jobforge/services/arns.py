"""Amazon Resource Names: building and reading them the same way for every service."""

from __future__ import annotations

from dataclasses import dataclass

from jobforge.engine.resources import Scope


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account_id: str
    resource_type: str
    resource_id: str

    def __str__(self) -> str:
        return (
            f"arn:{self.partition}:{self.service}:{self.region}:{self.account_id}:"
            f"{self.resource_type}/{self.resource_id}"
        )


def build_arn(service: str, scope: Scope, resource_type: str, resource_id: str) -> str:
    return str(Arn("aws", service, scope.region, scope.account_id, resource_type, resource_id))


def parse_arn(value: str) -> Arn | None:
    """``arn:partition:service:region:account:type/id``; None if it is not of that form."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    resource_type, sep, resource_id = parts[5].partition("/")
    if not sep or not resource_id:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], resource_type, resource_id)
