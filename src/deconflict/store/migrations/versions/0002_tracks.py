"""Live tracks and the tactical conflicts between them.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracks",
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("aircraft_id", sa.String(length=64), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("alt_m", sa.Float(), nullable=False),
        sa.Column("gs_mps", sa.Float(), nullable=False),
        sa.Column("trk_deg", sa.Float(), nullable=False),
        sa.Column("vs_mps", sa.Float(), nullable=False),
        sa.Column("time", sa.Float(), nullable=False),
        sa.Column("operation_id", sa.String(length=36), nullable=True),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("nonconforming", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("rechecked_at", sa.Float(), nullable=True),
        sa.Column("episode", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"]),
        sa.PrimaryKeyConstraint("party_id", "aircraft_id"),
    )
    op.create_index("ix_tracks_time", "tracks", ["time"], unique=False)
    op.create_table(
        "tactical_conflicts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("party_a", sa.String(length=36), nullable=False),
        sa.Column("aircraft_a", sa.String(length=64), nullable=False),
        sa.Column("party_b", sa.String(length=36), nullable=False),
        sa.Column("aircraft_b", sa.String(length=64), nullable=False),
        sa.Column("alias_a", sa.String(length=40), nullable=False),
        sa.Column("alias_b", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("los", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("alerted_at", sa.Float(), nullable=False),
        sa.Column("cleared_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "party_a", "aircraft_a", "party_b", "aircraft_b", name="uq_tactical_pair"
        ),
    )
    op.create_index("ix_tactical_active", "tactical_conflicts", ["active"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tactical_active", table_name="tactical_conflicts")
    op.drop_table("tactical_conflicts")
    op.drop_index("ix_tracks_time", table_name="tracks")
    op.drop_table("tracks")
