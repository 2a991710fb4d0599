"""Private matching: the relay's opaque blobs (keys, blinded sets, refinements, conflicts).

Revision ID: 0004_private
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_private"
down_revision = "0004_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "private_keys",
        sa.Column("party_id", sa.String(36), sa.ForeignKey("parties.id"), primary_key=True),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "private_sets",
        sa.Column("owner", sa.String(36), sa.ForeignKey("parties.id"), primary_key=True),
        sa.Column("counterpart", sa.String(36), sa.ForeignKey("parties.id"), primary_key=True),
        sa.Column("round", sa.BigInteger(), nullable=False),
        sa.Column("blinded", sa.LargeBinary(), nullable=False),
        sa.Column("reblinded_round", sa.BigInteger(), nullable=True),
        sa.Column("reblinded", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "private_refinements",
        sa.Column("sender", sa.String(36), sa.ForeignKey("parties.id"), primary_key=True),
        sa.Column("recipient", sa.String(36), sa.ForeignKey("parties.id"), primary_key=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "private_conflicts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("party_a", sa.String(36), nullable=False),
        sa.Column("party_b", sa.String(36), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_a", sa.String(16), nullable=False),
        sa.Column("status_b", sa.String(16), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("resolved_at", sa.Float(), nullable=True),
        sa.UniqueConstraint("party_a", "party_b", "ref", name="uq_private_conflicts_ref"),
    )
    op.create_index("ix_private_conflicts_party_b", "private_conflicts", ["party_b"])


def downgrade() -> None:
    op.drop_index("ix_private_conflicts_party_b", table_name="private_conflicts")
    for table in ("private_conflicts", "private_refinements", "private_sets", "private_keys"):
        op.drop_table(table)
