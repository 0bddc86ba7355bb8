"""Indexes of jobs newest first, whatever their service, of one account and of everyone: the
console's job list and ``GET /_jobforge/jobs`` read a page of one instead of sorting every job.

Revision ID: 0005
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_account_recent", "jobs", ["account_id", "created_at", "pk"])
    op.create_index("ix_jobs_recent", "jobs", ["created_at", "pk"])


def downgrade() -> None:
    op.drop_index("ix_jobs_recent", table_name="jobs")
    op.drop_index("ix_jobs_account_recent", table_name="jobs")
