"""Several nodes starting at once on one fresh PostgreSQL database: each brings the schema to the
newest revision, and none fails because another is creating the same tables."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.support import fresh_postgres_database

POSTGRES_URL = os.environ.get("JOBFORGE_TEST_POSTGRES_URL")
MIGRATE = (
    "import sys; from sqlalchemy import create_engine; from jobforge.engine.db import run_migrations; "
    "run_migrations(create_engine(sys.argv[1]))"
)


@pytest.mark.skipif(not POSTGRES_URL, reason="JOBFORGE_TEST_POSTGRES_URL is not set (scripts/test sets it)")
def test_nodes_migrating_one_database_at_once_all_succeed() -> None:
    assert POSTGRES_URL is not None
    with fresh_postgres_database(POSTGRES_URL) as url:
        nodes = [
            subprocess.Popen([sys.executable, "-c", MIGRATE, url], stderr=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        errors = [node.communicate(timeout=120)[1] for node in nodes]
        assert [node.returncode for node in nodes] == [0] * len(nodes), "\n".join(errors)[-3000:]
        engine = create_engine(url)
        try:
            assert {"jobs", "resources", "alembic_version"} <= set(inspect(engine).get_table_names())
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        finally:
            engine.dispose()
