"""The tables, as SQLAlchemy Core metadata. Times are epoch seconds (float, UTC)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

parties = sa.Table(
    "parties",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_event_seq", sa.BigInteger, nullable=False, server_default="0"),
)

operations = sa.Table(
    "operations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("party_id", sa.String(36), sa.ForeignKey("parties.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("label", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Index("ix_operations_party", "party_id", "created_at", "id"),
)

volumes = sa.Table(
    "volumes",
    metadata,
    sa.Column(
        "operation_id",
        sa.String(36),
        sa.ForeignKey("operations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("idx", sa.Integer, primary_key=True),
    sa.Column("json", sa.JSON, nullable=False),
    sa.Column("t0", sa.Float, nullable=False),
    sa.Column("t1", sa.Float, nullable=False),
    sa.Column("alt_lower", sa.Float, nullable=False),
    sa.Column("alt_upper", sa.Float, nullable=False),
    sa.Column("cell_key", sa.BigInteger, nullable=False),
    sa.Index("ix_volumes_cell_key", "cell_key"),
)

# What each party's requests cost in the current hour (km² x h of their volumes; see
# service.budget): rows of earlier hours are dropped as a party's next request is charged.
usage = sa.Table(
    "usage",
    metadata,
    sa.Column("party_id", sa.String(36), primary_key=True),
    sa.Column("hour", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("km2h", sa.Float, nullable=False),
)

# The (space, time) levels any stored key uses, so queries enumerate only occupied levels.
index_levels = sa.Table(
    "index_levels",
    metadata,
    sa.Column("ls", sa.Integer, primary_key=True),
    sa.Column("lt", sa.Integer, primary_key=True),
)

conflicts = sa.Table(
    "conflicts",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("op_a", sa.String(36), nullable=False),
    sa.Column("op_b", sa.String(36), nullable=False),
    sa.Column("party_a", sa.String(36), nullable=False),
    sa.Column("party_b", sa.String(36), nullable=False),
    sa.Column("kind_a", sa.String(16), nullable=False),
    sa.Column("kind_b", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("status_a", sa.String(16), nullable=False),
    sa.Column("status_b", sa.String(16), nullable=False),
    sa.Column("region", sa.JSON, nullable=False),
    sa.Column("opened_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("resolved_at", sa.Float),
    sa.Column("escalate_at", sa.Float, nullable=False),
    sa.Column("escalated_at", sa.Float),
    sa.UniqueConstraint("op_a", "op_b", name="uq_conflicts_pair"),
    sa.Index("ix_conflicts_op_b", "op_b"),
    sa.Index("ix_conflicts_party_a", "party_a", "opened_at"),
    sa.Index("ix_conflicts_party_b", "party_b", "opened_at"),
    sa.Index("ix_conflicts_escalation", "status", "escalated_at", "escalate_at"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conflict_id", sa.String(36), sa.ForeignKey("conflicts.id"), nullable=False),
    sa.Column("party_id", sa.String(36), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_messages_conflict", "conflict_id", "id"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("party_id", sa.String(36), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_events_created", "created_at"),  # retention prunes by age
)

# The audit log, a transparency log (RFC 9162). A write transaction inserts its entries at its
# end with the next leaf indices (`position`, from `audit_head`, so they are the order of
# commits); the sequencer later stores each entry's leaf hash (`hash`, hex), the tree's complete
# subtree hashes (`audit_nodes`) and a signed checkpoint (`audit_checkpoints`), off the write path.
audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("party_id", sa.String(36)),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("subject", sa.String(80), nullable=False, server_default=""),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("position", sa.BigInteger, unique=True),
    sa.Column("hash", sa.String(64)),
    sa.Column("nonce", sa.String(32)),  # random, hashed with the entry (none before 0004)
    sa.Index("ix_audit_party", "party_id", "id"),
)

# How many leaf indices have been handed out (the next entry's index): on SQLite the one row
# (id 1) of `audit_head`, on PostgreSQL the sequence `audit_index` (a row would make concurrent
# serializable writers abort each other; a sequence does not, see `store.log`).
audit_index = sa.Sequence("audit_index", start=0, minvalue=0, metadata=metadata)
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("size", sa.BigInteger, nullable=False),
)

# Complete subtrees of the Merkle tree above the leaves: the node hashing leaves
# [idx * 2**level, (idx + 1) * 2**level) (hex), keyed by its in-order number in the tree
# (`tlog.merkle.flat`). A proof reads O(log n) of them in one primary-key look-up.
audit_nodes = sa.Table(
    "audit_nodes",
    metadata,
    sa.Column("node", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Every signed checkpoint (C2SP tlog-checkpoint note), one per tree size the log was signed at.
audit_checkpoints = sa.Table(
    "audit_checkpoints",
    metadata,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root", sa.String(64), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

idempotency = sa.Table(
    "idempotency",
    metadata,
    sa.Column("party_id", sa.String(36), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_idempotency_created", "created_at"),  # retention prunes by age
)

# One row per check (or refused activation) that hit another party: the probe budget counts
# a party's rows of the last hour, in the database so that it holds across workers.
probe_hits = sa.Table(
    "probe_hits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("party_id", sa.String(36), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_probe_hits_party", "party_id", "created_at"),
)

# The latest state of each party's aircraft (one row per aircraft), for tactical detection.
tracks = sa.Table(
    "tracks",
    metadata,
    sa.Column("party_id", sa.String(36), sa.ForeignKey("parties.id"), primary_key=True),
    sa.Column("aircraft_id", sa.String(64), primary_key=True),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lng", sa.Float, nullable=False),
    sa.Column("alt_m", sa.Float, nullable=False),
    sa.Column("gs_mps", sa.Float, nullable=False),
    sa.Column("trk_deg", sa.Float, nullable=False),
    sa.Column("vs_mps", sa.Float, nullable=False),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("operation_id", sa.String(36)),
    sa.Column("received_at", sa.Float, nullable=False),
    # Nonconformance episode: set when the track left its operation, cleared when back.
    sa.Column("nonconforming", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("rechecked_at", sa.Float),
    sa.Column("episode", sa.String(32)),  # random; seeds the aliases others see it under
    # What the episode's latest re-check told the parties it hit: {party id: [tactical.alert
    # payloads]}, so a party that asks for its current alerts is shown exactly that again.
    sa.Column("hits_told", sa.JSON),
    sa.Index("ix_tracks_time", "time"),
)

# Tactical conflicts between two tracks of different parties, remembered to avoid flooding.
# Side a is the smaller (party, aircraft); alias_a is the opaque id side b is shown for a's
# aircraft, and alias_b the one a is shown for b's.
tactical_conflicts = sa.Table(
    "tactical_conflicts",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("party_a", sa.String(36), nullable=False),
    sa.Column("aircraft_a", sa.String(64), nullable=False),
    sa.Column("party_b", sa.String(36), nullable=False),
    sa.Column("aircraft_b", sa.String(64), nullable=False),
    sa.Column("alias_a", sa.String(40), nullable=False),
    sa.Column("alias_b", sa.String(40), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("los", sa.Boolean, nullable=False),
    sa.Column("opened_at", sa.Float, nullable=False),
    sa.Column("alerted_at", sa.Float, nullable=False),
    sa.Column("cleared_at", sa.Float),
    # The latest `tactical.alert` payload each side was told (a's and b's), shown again as is
    # to a party that asks for its current alerts (GET /v1/tracks/alerts).
    sa.Column("told_a", sa.JSON),
    sa.Column("told_b", sa.JSON),
    sa.UniqueConstraint("party_a", "aircraft_a", "party_b", "aircraft_b", name="uq_tactical_pair"),
    sa.Index("ix_tactical_active", "active"),
)

# Private matching (no trusted host): the service only stores and forwards opaque blobs. A
# party's X25519 public key; its blinded cells for one counterpart (per round) and, once that
# counterpart re-blinded them, the re-blinded cells addressed back to it; refinements sealed
# from one party to another; and private conflicts encrypted for their two parties only, with
# just the clear metadata the workflow needs (the parties, statuses, times).
private_keys = sa.Table(
    "private_keys",
    metadata,
    sa.Column("party_id", sa.String(36), sa.ForeignKey("parties.id"), primary_key=True),
    sa.Column("public_key", sa.LargeBinary, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

private_sets = sa.Table(
    "private_sets",
    metadata,
    sa.Column("owner", sa.String(36), sa.ForeignKey("parties.id"), primary_key=True),
    sa.Column("counterpart", sa.String(36), sa.ForeignKey("parties.id"), primary_key=True),
    sa.Column("round", sa.BigInteger, nullable=False),
    sa.Column("blinded", sa.LargeBinary, nullable=False),
    sa.Column("reblinded_round", sa.BigInteger),
    sa.Column("reblinded", sa.LargeBinary),
    sa.Column("updated_at", sa.Float, nullable=False),
)

private_refinements = sa.Table(
    "private_refinements",
    metadata,
    sa.Column("sender", sa.String(36), sa.ForeignKey("parties.id"), primary_key=True),
    sa.Column("recipient", sa.String(36), sa.ForeignKey("parties.id"), primary_key=True),
    sa.Column("sealed", sa.LargeBinary, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# Side a is the party with the smaller id; `ref` is an opaque digest both parties derive.
private_conflicts = sa.Table(
    "private_conflicts",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("party_a", sa.String(36), nullable=False),
    sa.Column("party_b", sa.String(36), nullable=False),
    sa.Column("ref", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("status_a", sa.String(16), nullable=False),
    sa.Column("status_b", sa.String(16), nullable=False),
    sa.Column("sealed", sa.LargeBinary, nullable=False),
    sa.Column("opened_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("resolved_at", sa.Float),
    sa.UniqueConstraint("party_a", "party_b", "ref", name="uq_private_conflicts_ref"),
    sa.Index("ix_private_conflicts_party_b", "party_b"),
)
