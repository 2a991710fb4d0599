"""The initial schema.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("party_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=80), server_default="", nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("position"),
    )
    op.create_index("ix_audit_party", "audit", ["party_id", "id"], unique=False)
    op.create_table(
        "conflicts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("op_a", sa.String(length=36), nullable=False),
        sa.Column("op_b", sa.String(length=36), nullable=False),
        sa.Column("party_a", sa.String(length=36), nullable=False),
        sa.Column("party_b", sa.String(length=36), nullable=False),
        sa.Column("kind_a", sa.String(length=16), nullable=False),
        sa.Column("kind_b", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_a", sa.String(length=16), nullable=False),
        sa.Column("status_b", sa.String(length=16), nullable=False),
        sa.Column("region", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("resolved_at", sa.Float(), nullable=True),
        sa.Column("escalate_at", sa.Float(), nullable=False),
        sa.Column("escalated_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("op_a", "op_b", name="uq_conflicts_pair"),
    )
    op.create_index(
        "ix_conflicts_escalation",
        "conflicts",
        ["status", "escalated_at", "escalate_at"],
        unique=False,
    )
    op.create_index("ix_conflicts_op_b", "conflicts", ["op_b"], unique=False)
    op.create_index("ix_conflicts_party_a", "conflicts", ["party_a", "opened_at"], unique=False)
    op.create_index("ix_conflicts_party_b", "conflicts", ["party_b", "opened_at"], unique=False)
    op.create_table(
        "events",
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("party_id", "seq"),
    )
    op.create_table(
        "idempotency",
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("party_id", "key"),
    )
    op.create_table(
        "index_levels",
        sa.Column("ls", sa.Integer(), nullable=False),
        sa.Column("lt", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ls", "lt"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "parties",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_event_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conflict_id", sa.String(length=36), nullable=False),
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conflict_id"],
            ["conflicts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_messages_conflict", "messages", ["conflict_id", "id"], unique=False)
    op.create_table(
        "operations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("party_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), server_default="", nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_operations_party", "operations", ["party_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "volumes",
        sa.Column("operation_id", sa.String(length=36), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("json", sa.JSON(), nullable=False),
        sa.Column("t0", sa.Float(), nullable=False),
        sa.Column("t1", sa.Float(), nullable=False),
        sa.Column("alt_lower", sa.Float(), nullable=False),
        sa.Column("alt_upper", sa.Float(), nullable=False),
        sa.Column("cell_key", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["operation_id"], ["operations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("operation_id", "idx"),
    )
    op.create_index("ix_volumes_cell_key", "volumes", ["cell_key"], unique=False)


def downgrade() -> None:
    for table in (
        "volumes",
        "operations",
        "messages",
        "parties",
        "meta",
        "index_levels",
        "idempotency",
        "events",
        "conflicts",
        "audit",
    ):
        op.drop_table(table)
