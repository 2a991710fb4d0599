"""What each party's requests cost in the current hour, for the hourly budget.

Revision ID: 0004_usage
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_usage"
down_revision = "0004_edge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage",
        sa.Column("party_id", sa.String(36), primary_key=True),
        sa.Column("hour", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("km2h", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("usage")
