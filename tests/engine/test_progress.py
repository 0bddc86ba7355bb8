"""engine.progress: done/total through a kind's counts, rate and ETA from the job's run, the
status filter across services' words, pages and account scoping (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobforge.engine import JobEngine, JobState, StatusWords
from jobforge.engine.progress import JobKind, UnknownFilter, counter
from jobforge.internal import _Scope

WORDS_A = StatusWords({state: state.value.title() for state in JobState})
WORDS_B = StatusWords({**{state: "BUSY" for state in JobState}, JobState.SUCCEEDED: "DONE"})
KIND_A = JobKind("a.work", "alpha", lambda job: "AJob", "items", WORDS_A, counter("n", lambda job: 10))
KIND_B = JobKind("b.work", "beta", lambda job: "BJob", "bytes", WORDS_B, counter("n", lambda job: None))


@pytest.fixture
def engine(database_url: str) -> JobEngine:
    engine = JobEngine(database_url)
    engine.progress.declare([KIND_A, KIND_B])
    return engine


def make(engine: JobEngine, kind: JobKind, job_id: str, account: str = "000000000000") -> int:
    job, _ = engine.jobs.create(
        _Scope(account_id=account), service=kind.service, kind=kind.kind, job_id=job_id,
        arn=f"arn:aws:{kind.service}:us-east-1:{account}:job/{job_id}", request={},
    )  # fmt: skip
    return job.pk


def test_rate_and_eta_come_from_the_run_so_far(engine: JobEngine) -> None:
    pk = make(engine, KIND_A, "a1")
    pending = engine.progress.describe(engine.jobs.load(pk))
    assert (pending["status"], pending["done"], pending["total"], pending["ratePerSecond"]) == (
        "Pending",
        0,
        10,
        None,
    )
    running = engine.jobs.transition(pk, JobState.RUNNING)
    engine.jobs.save_progress(pk, {"n": 4})
    job = engine.jobs.load(pk)
    doc = engine.progress.describe(job, now=running.started_at + timedelta(seconds=8))
    assert (doc["done"], doc["fraction"], doc["ratePerSecond"], doc["etaSeconds"]) == (4, 0.4, 0.5, 12.0)
    assert doc["cancel"] is None and doc["terminal"] is False and doc["outcome"] is None

    ended = engine.jobs.transition(pk, JobState.SUCCEEDED)
    doc = engine.progress.describe(ended, now=datetime.now(UTC) + timedelta(hours=1))
    assert (doc["done"], doc["etaSeconds"], doc["outcome"]) == (10, None, "succeeded")  # all of it, once done
    assert doc["elapsedSeconds"] == (ended.ended_at - ended.started_at).total_seconds()  # not up to now


def test_an_unknown_total_leaves_fraction_and_eta_unknown(engine: JobEngine) -> None:
    pk = make(engine, KIND_B, "b1")
    engine.jobs.transition(pk, JobState.RUNNING)
    engine.jobs.save_progress(pk, {"n": 2048})
    doc = engine.progress.describe(engine.jobs.load(pk))
    assert (doc["done"], doc["total"], doc["unit"], doc["fraction"], doc["etaSeconds"]) == (
        2048, None, "bytes", None, None
    )  # fmt: skip


def test_find_and_list_keep_to_an_account_and_the_words_of_each_service(engine: JobEngine) -> None:
    for n in range(3):
        make(engine, KIND_A, f"a{n}")
    done = make(engine, KIND_B, "b0")
    engine.jobs.transition(done, JobState.RUNNING)
    engine.jobs.transition(done, JobState.SUCCEEDED)
    make(engine, KIND_B, "other", account="111111111111")
    engine.jobs.create(_Scope(), service="jobforge", kind="undeclared", job_id="x", arn="arn:x", request={})

    assert engine.progress.find("a1") is not None and engine.progress.find("x") is None
    assert engine.progress.find("other", account="000000000000") is None
    assert engine.progress.find("arn:aws:beta:us-east-1:111111111111:job/other") is not None

    def ids(**query: object) -> list[str]:
        return [doc["id"] for doc in engine.progress.list(**query)[0]]  # type: ignore[arg-type]

    assert ids() == ["other", "b0", "a2", "a1", "a0"]
    assert ids(account="000000000000", service="beta") == ["b0"]
    assert ids(status="DONE") == ["b0"] and ids(status="Pending") == ["a2", "a1", "a0"]
    assert ids(status="SUCCEEDED") == ["b0"]  # an engine state, any service
    assert ids(status="PENDING") == ["other", "a2", "a1", "a0"]
    page, token = engine.progress.list(max_results=2)
    assert [doc["id"] for doc in page] == ["other", "b0"] and token
    assert ids(max_results=2, next_token=token) == ["a2", "a1"]
    for query in ({"service": "gamma"}, {"status": "Sleeping"}, {"service": "alpha", "status": "DONE"}):
        with pytest.raises(UnknownFilter):
            engine.progress.list(**query)  # type: ignore[arg-type]
