"""What each party was last told of a live tactical conflict or a straying aircraft, so its
current alerts can be listed (GET /v1/tracks/alerts) exactly as they were disclosed.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tactical_conflicts") as batch:
        batch.add_column(sa.Column("told_a", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("told_b", sa.JSON(), nullable=True))
    with op.batch_alter_table("tracks") as batch:
        batch.add_column(sa.Column("hits_told", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracks") as batch:
        batch.drop_column("hits_told")
    with op.batch_alter_table("tactical_conflicts") as batch:
        batch.drop_column("told_b")
        batch.drop_column("told_a")
