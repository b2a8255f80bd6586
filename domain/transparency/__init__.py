"""The register's transparency log: pure, database-free code (ADR 0030).

- ``merkle``: RFC 6962/9162 hashing, roots, inclusion and consistency proofs and their verification,
  and the compact range that appends leaves keeping only the right edge.
- ``tiles``: the C2SP tlog-tiles layout (tiles of 256 hashes): which tile holds a node, the tiles a
  builder completes, and proofs computed from stored tiles.
- ``leaf``: the bytes of one leaf, committing to an event exactly as stored.
- ``note``: C2SP signed notes with Ed25519, tlog-checkpoint bodies, tlog-cosignature/v1
  cosignatures, and the fork rule (never sign or accept a checkpoint inconsistent with an earlier one).
"""
