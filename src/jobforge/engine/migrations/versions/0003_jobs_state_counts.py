"""An index covering (service, kind, state) of jobs: the metrics' jobs-by-state count reads it
alone instead of every job row (10,000 jobs on SQLite: tens of milliseconds down to a few).

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_state_counts", "jobs", ["service", "kind", "state"])


def downgrade() -> None:
    op.drop_index("ix_jobs_state_counts", table_name="jobs")
