"""Abuse limits and retention: the probe budget's hits, and indexes to prune events and
idempotency keys by age.

Revision ID: 0004_edge
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_edge"
down_revision = "0004_audit_tlog"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "probe_hits",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("party_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_probe_hits_party", "probe_hits", ["party_id", "created_at"])
    op.create_index("ix_events_created", "events", ["created_at"])
    op.create_index("ix_idempotency_created", "idempotency", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_created", "idempotency")
    op.drop_index("ix_events_created", "events")
    op.drop_index("ix_probe_hits_party", "probe_hits")
    op.drop_table("probe_hits")
