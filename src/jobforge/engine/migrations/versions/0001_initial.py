"""Initial schema: resources, jobs, tags, idempotency tokens, settings.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from jobforge.engine.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resources",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(255), nullable=False),
        sa.Column("arn", sa.String(1224), nullable=False),
        sa.Column("parent_id", sa.String(255), nullable=True),
        sa.Column("name", sa.String(1024), nullable=True),
        sa.Column("status", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.UniqueConstraint("arn", name="uq_resources_arn"),
        sa.UniqueConstraint(
            "service", "kind", "account_id", "region", "resource_id", name="uq_resources_identity"
        ),
    )
    op.create_index(
        "ix_resources_listing", "resources", ["service", "kind", "account_id", "region", "created_at", "pk"]
    )
    op.create_index(
        "ix_resources_parent", "resources", ["service", "kind", "account_id", "region", "parent_id"]
    )
    op.create_table(
        "jobs",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(128), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("arn", sa.String(1224), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("parent_id", sa.String(255), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("failure_code", sa.String(128), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
        sa.Column("timeout_seconds", sa.Integer(), nullable=True),
        sa.UniqueConstraint("arn", name="uq_jobs_arn"),
        sa.UniqueConstraint("service", "account_id", "region", "job_id", name="uq_jobs_identity"),
    )
    op.create_index(
        "ix_jobs_listing", "jobs", ["service", "kind", "account_id", "region", "created_at", "pk"]
    )
    op.create_index("ix_jobs_state", "jobs", ["state", "created_at"])
    op.create_table(
        "tags",
        sa.Column("arn", sa.String(1224), primary_key=True),
        sa.Column("tag_key", sa.String(128), primary_key=True),
        sa.Column("tag_value", sa.String(256), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
    )
    op.create_table(
        "idempotency_tokens",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("scope", sa.String(128), primary_key=True),
        sa.Column("token", sa.String(128), primary_key=True),
        sa.Column("params_hash", sa.String(64), nullable=False),
        sa.Column("target_arn", sa.String(1224), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for table in ("settings", "idempotency_tokens", "tags", "jobs", "resources"):
        op.drop_table(table)
