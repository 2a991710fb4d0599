"""The audit log as an RFC 9162 transparency log: leaf indices from 0 handed out at commit
(`audit_head`), leaf hashes instead of a hash chain, the tree's complete subtrees
(`audit_nodes`) and signed checkpoints (`audit_checkpoints`). Existing entries keep their order;
the sequencer hashes them again as leaves and signs the first checkpoint.

Revision ID: 0004_audit_tlog
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_audit_tlog"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_nodes",
        sa.Column("node", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("node"),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("size"),
    )
    conn = op.get_bind()
    # Chain positions 1.. become leaf indices 0.. (through negatives: unique at every row).
    conn.execute(sa.text("UPDATE audit SET position = -position WHERE position IS NOT NULL"))
    conn.execute(sa.text("UPDATE audit SET position = -position - 1 WHERE position IS NOT NULL"))
    conn.execute(sa.text("UPDATE audit SET hash = NULL"))
    size = conn.execute(sa.text("SELECT COUNT(position) FROM audit")).scalar_one()
    pending = conn.execute(sa.text("SELECT id FROM audit WHERE position IS NULL ORDER BY id"))
    rows = [{"i": r.id, "p": size + n} for n, r in enumerate(pending)]
    if rows:
        conn.execute(sa.text("UPDATE audit SET position = :p WHERE id = :i"), rows)
    head = {"n": size + len(rows)}
    conn.execute(sa.text("INSERT INTO audit_head (id, size) VALUES (1, :n)"), head)
    if conn.dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(sa.Sequence("audit_index", start=0, minvalue=0)))
        conn.execute(sa.text("SELECT setval('audit_index', :n, false)"), head)
    with op.batch_alter_table("audit") as batch:
        batch.drop_column("prev_hash")
        batch.add_column(sa.Column("nonce", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.drop_column("nonce")
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
    # The hash chain is built again from scratch by the old sequencer.
    op.execute("UPDATE audit SET position = NULL, hash = NULL")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_nodes")
    op.drop_table("audit_head")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence("audit_index")))
