"""The control API's settings in the database, so that a control call reaching one API node acts on
the jobs of every node and Celery worker: the pace set, forced failures, step credits.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "control_pace",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pace", sa.String(16), nullable=False),
        sa.Column("step_delay", sa.Float(), nullable=False),
    )
    op.create_table(
        "forced_failures",
        sa.Column("target", sa.String(256), primary_key=True),
        sa.Column("failure_code", sa.String(256), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_table(
        "step_credits",
        sa.Column("job_id", sa.String(256), primary_key=True),
        sa.Column("credits", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("step_credits")
    op.drop_table("forced_failures")
    op.drop_table("control_pace")
