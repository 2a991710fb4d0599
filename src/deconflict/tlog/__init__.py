"""The audit log as a transparency log: RFC 9162 Merkle trees, proofs, C2SP signed checkpoints
and the canonical bytes of an entry. Pure: no I/O, no clock."""
