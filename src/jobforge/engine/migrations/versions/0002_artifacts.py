"""Artifacts: binary outputs owned by a resource.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

from jobforge.engine.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "artifacts",
        sa.Column("owner_arn", sa.String(1224), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("content_type", sa.String(128), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("artifacts")
