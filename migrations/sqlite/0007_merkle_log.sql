-- The transparency log of issue 12 (ADR 0030): a Merkle tree whose leaves are the events of the
-- log, kept by a projection (projections/merkle_log.py), and the checkpoints the ledger signs of it.
-- The SQL that reads and writes these tables is domain/storage/merkle_log.py.
--
-- merkle_tiles: the tree as C2SP tlog-tiles (domain/transparency/tiles.py). Tile (level, tile_index)
--   holds `width` hashes of 32 bytes. A full tile (width 256) never changes again; the partial
--   right-edge tile of each level is replaced as it grows. Written with the projection's position
--   in one transaction; a rebuild clears it and reaches the same bytes.
CREATE TABLE merkle_tiles (
    level INTEGER NOT NULL,
    tile_index INTEGER NOT NULL,
    width INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
    hashes BLOB NOT NULL,
    PRIMARY KEY (level, tile_index),
    CHECK (length(hashes) = width * 32)
);

-- merkle_leaf_positions: the log positions of the leaves of level-0 tile `tile_index` (leaves
--   256 * tile_index onwards), packed as unsigned 64-bit big-endian integers, 8 bytes a leaf. Leaf
--   indexes are dense where positions have gaps; this maps one to the other without a row per event.
CREATE TABLE merkle_leaf_positions (
    tile_index INTEGER PRIMARY KEY,
    first_position INTEGER NOT NULL,
    positions BLOB NOT NULL,
    CHECK (length(positions) BETWEEN 8 AND 2048 AND length(positions) % 8 = 0)
);

CREATE INDEX merkle_leaf_positions_first ON merkle_leaf_positions (first_position);

-- merkle_checkpoints: every checkpoint the ledger signed (C2SP tlog-checkpoint in a signed note),
--   by tree size. Part of the record: never changed, never removed.
CREATE TABLE merkle_checkpoints (
    tree_size INTEGER PRIMARY KEY CHECK (tree_size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32),
    note TEXT NOT NULL,
    signed_at TEXT NOT NULL
);

CREATE TRIGGER merkle_checkpoints_never_updated BEFORE UPDATE ON merkle_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'the register is append-only: a signed checkpoint is never changed');
END;

CREATE TRIGGER merkle_checkpoints_never_deleted BEFORE DELETE ON merkle_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'the register is append-only: a signed checkpoint is never deleted');
END;

-- merkle_refusals: when the ledger refused to sign a checkpoint (the fork rule of ADR 0030: the tree
--   it holds does not extend the last checkpoint it signed, or that checkpoint does not open with its
--   key). One row per last checkpoint (checkpoint_size: its tree size); signing stays stopped while
--   a refusal names the last checkpoint, and /health says so (503). Tiles and checkpoints are left
--   as they are, as evidence; an operator who has investigated deletes the row to let signing resume.
CREATE TABLE merkle_refusals (
    checkpoint_size INTEGER PRIMARY KEY,
    tree_size INTEGER NOT NULL,
    refused_at TEXT NOT NULL,
    reason TEXT NOT NULL
);

-- merkle_cosignatures: a witness's cosignature of a checkpoint, as the witness sent it.
--   key_id: the witness key's 4-byte id (C2SP signed-note), as an unsigned integer;
--   cosigned_at: the cosignature's own timestamp (seconds since 1970-01-01 UTC);
--   line: the whole signature line ("— <name> <base64>"), so the note can be shown cosigned.
CREATE TABLE merkle_cosignatures (
    tree_size INTEGER NOT NULL REFERENCES merkle_checkpoints (tree_size),
    key_id INTEGER NOT NULL,
    witness TEXT NOT NULL,
    cosigned_at INTEGER NOT NULL,
    line TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (tree_size, key_id)
);

CREATE TRIGGER merkle_cosignatures_never_updated BEFORE UPDATE ON merkle_cosignatures
BEGIN
    SELECT RAISE(ABORT, 'the register is append-only: a cosignature is never changed');
END;

CREATE TRIGGER merkle_cosignatures_never_deleted BEFORE DELETE ON merkle_cosignatures
BEGIN
    SELECT RAISE(ABORT, 'the register is append-only: a cosignature is never deleted');
END;
