#!/usr/bin/env python3
"""Derive jobforge's RoboMaker world-API model from AWS's last published botocore model.

AWS retired RoboMaker and botocore no longer ships its model, so jobforge ships a
facts-only subset: the world operations plus tagging, exactly the shapes they reach,
and no documentation prose.  Run from the repo root (defaults assume ``../shared``):

    python scripts/build_robomaker_model.py [--source DIR] [--dest DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "models" / "robomaker" / "2018-06-29"
DEFAULT_DEST = REPO_ROOT / "src" / "jobforge" / "models" / "robomaker" / "2018-06-29"

KEPT_OPERATIONS: tuple[str, ...] = (
    "CreateWorldTemplate",
    "UpdateWorldTemplate",
    "DescribeWorldTemplate",
    "GetWorldTemplateBody",
    "ListWorldTemplates",
    "DeleteWorldTemplate",
    "CreateWorldGenerationJob",
    "DescribeWorldGenerationJob",
    "ListWorldGenerationJobs",
    "CancelWorldGenerationJob",
    "DescribeWorld",
    "ListWorlds",
    "BatchDeleteWorlds",
    "CreateWorldExportJob",
    "DescribeWorldExportJob",
    "ListWorldExportJobs",
    "CancelWorldExportJob",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
)

# Keys that carry prose (or flags whose only payload is prose) rather than wire facts.
PROSE_KEYS = frozenset({"documentation", "documentationUrl", "deprecated", "deprecatedMessage"})


def strip_prose(node: Any) -> Any:
    """Return a deep copy of ``node`` with every prose key removed at any depth."""
    if isinstance(node, dict):
        return {key: strip_prose(value) for key, value in node.items() if key not in PROSE_KEYS}
    if isinstance(node, list):
        return [strip_prose(item) for item in node]
    return node


def referenced_shapes(shape: dict[str, Any]) -> Iterable[str]:
    """Yield the names of shapes that ``shape`` points at directly."""
    for member in shape.get("members", {}).values():
        yield member["shape"]
    for key in ("member", "key", "value"):
        if key in shape:
            yield shape[key]["shape"]


def operation_roots(operation: dict[str, Any]) -> Iterable[str]:
    """Yield the input, output and error shape names of one operation."""
    for key in ("input", "output"):
        if key in operation:
            yield operation[key]["shape"]
    for error in operation.get("errors", []):
        yield error["shape"]


def reachable_shapes(shapes: dict[str, dict[str, Any]], roots: Iterable[str]) -> set[str]:
    """Return the transitive closure of shape names reachable from ``roots``."""
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending.extend(referenced_shapes(shapes[name]))
    return seen


def build_service_model(source: dict[str, Any]) -> dict[str, Any]:
    """Cut the full AWS model down to the kept operations and the shapes they reach."""
    missing = [name for name in KEPT_OPERATIONS if name not in source["operations"]]
    if missing:
        raise SystemExit(f"source model lacks operations: {missing}")
    operations = {name: source["operations"][name] for name in KEPT_OPERATIONS}
    roots = [root for op in operations.values() for root in operation_roots(op)]
    keep = reachable_shapes(source["shapes"], roots)
    return strip_prose(
        {
            "version": source["version"],
            "metadata": source["metadata"],
            "operations": operations,
            "shapes": {name: source["shapes"][name] for name in sorted(keep)},
        }
    )


def build_paginators(source: dict[str, Any]) -> dict[str, Any]:
    """Keep only the paginator entries for kept operations."""
    kept = {name: cfg for name, cfg in source["pagination"].items() if name in KEPT_OPERATIONS}
    return strip_prose({"pagination": kept})


def read_json(path: Path) -> Any:
    """Load JSON from ``path``, transparently gunzipping ``.gz`` files."""
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, data: Any) -> None:
    """Write deterministic (sorted, indented) JSON so regenerations diff cleanly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Regenerate service-2.json, paginators-1.json and endpoint-rule-set-1.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="AWS model directory")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="output directory")
    args = parser.parse_args(argv)

    service = build_service_model(read_json(args.source / "service-2.json.gz"))
    paginators = build_paginators(read_json(args.source / "paginators-1.json"))
    # botocore 1.43 can still build a client without a rule set, but only via its deprecated
    # legacy endpoints.json fallback; ship AWS's rule set (pure data: regional/FIPS/dual-stack
    # URL templates and the custom Endpoint override) minus its parameter prose.
    ruleset = strip_prose(read_json(args.source / "endpoint-rule-set-1.json.gz"))

    write_json(args.dest / "service-2.json", service)
    write_json(args.dest / "paginators-1.json", paginators)
    write_json(args.dest / "endpoint-rule-set-1.json", ruleset)
    print(
        f"wrote {len(service['operations'])} operations, {len(service['shapes'])} shapes, "
        f"{len(paginators['pagination'])} paginators to {args.dest}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
