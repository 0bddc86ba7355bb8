"""The job type table (one declaration per type) against the Data Exchange model and the limits."""

from __future__ import annotations

import pytest

from jobforge.engine.handlers import check_handler
from jobforge.protocol.specs import load_service_model
from jobforge.services.dataexchange.common import DEFAULT_LIMITS
from jobforge.services.dataexchange.job_types import JOB_TYPES, KINDS, build_handlers

MODEL = load_service_model("dataexchange")


def test_every_type_of_the_model_is_declared_once() -> None:
    assert sorted(JOB_TYPES) == sorted(MODEL.shape_for("Type").enum)
    assert len(set(KINDS)) == len(JOB_TYPES)
    request_members = MODEL.shape_for("RequestDetails").members
    response_members = MODEL.shape_for("ResponseDetails").members
    for spec in JOB_TYPES.values():
        assert spec.member in request_members and spec.member in response_members, spec.name


@pytest.mark.parametrize("spec", JOB_TYPES.values(), ids=list(JOB_TYPES))
def test_a_declaration_names_only_existing_limits_and_fields(spec) -> None:
    names = [spec.concurrency_limit, spec.job_limit, spec.revision_limit]
    assert all(name in DEFAULT_LIMITS for name in names if name is not None)
    assert (spec.revision_limit is not None) == spec.imports  # imports check the revision's room
    if spec.upload_md5 is not None:
        assert spec.upload_md5 in MODEL.shape_for("RequestDetails").members[spec.member].members
    assert spec.plan.__name__ == f"plan_{spec.name.lower()}"


def test_each_type_gets_its_own_handler_that_fits_the_engine_contract() -> None:
    handlers = build_handlers(runtime=None)
    assert [h.kind for h in handlers] == list(KINDS)
    for handler, spec in zip(handlers, JOB_TYPES.values(), strict=True):
        assert check_handler(handler) is handler and type(handler) is spec.handler and handler.spec is spec
    assert len({type(h) for h in handlers}) == len(handlers)
