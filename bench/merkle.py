"""`python -m bench.merkle [--leaves N] [--proof-size N]`: the transparency log's pure-Python core, in process.

No database: this measures the CPU cost the Merkle projection adds per event (issue 12 asks for
>= 50,000 leaves/s), before any storage is wired in.

1. append: for N events (default 1,000,000), ``leaf_bytes`` (with SHA-256 of a 400-byte state) +
   ``leaf_hash`` + ``TileBuilder.append``, taking the tiles to write every 1,000 leaves as a
   projection page would; leaves/s;
2. the same with the leaf hashes computed beforehand: the tree alone (compact range + tiles);
3. proofs at ``--proof-size`` leaves (default 1,300,000, the bench log) read from tiles held in a
   dict: tiles read per inclusion and consistency proof (most and mean over 1,000 random ones) and
   microseconds per proof, each proof verified.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid

from domain.transparency.leaf import leaf_bytes
from domain.transparency.merkle import leaf_hash, verify_consistency, verify_inclusion
from domain.transparency.tiles import TileBuilder, TileReader, consistency_proof_from_tiles, inclusion_proof_from_tiles

TOPIC = "domain.attendance:AttendanceMarked"


def _append(n: int, store: dict[tuple[int, int], bytes]) -> tuple[float, TileBuilder]:
    builder = TileBuilder()
    stream = uuid.uuid4()
    state = bytes(range(256)) + bytes(144)  # 400 bytes, a typical stored event
    started = time.perf_counter()
    for i in range(n):
        builder.append(leaf_hash(leaf_bytes(i + 1, stream, i + 1, TOPIC, state)))
        if i % 1000 == 999:
            for tile in builder.take():
                store[(tile.level, tile.index)] = tile.hashes
    for tile in builder.take():
        store[(tile.level, tile.index)] = tile.hashes
    return time.perf_counter() - started, builder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proof-size", type=int, default=1_300_000)
    args = parser.parse_args(argv)

    store: dict[tuple[int, int], bytes] = {}
    seconds, _ = _append(args.leaves, store)
    print(f"append, leaf bytes + hash + tiles: {args.leaves:,} leaves in {seconds:.2f} s "
          f"= {args.leaves / seconds:,.0f} leaves/s")

    hashes = [leaf_hash(i.to_bytes(8, "big")) for i in range(args.leaves)]
    builder = TileBuilder()
    started = time.perf_counter()
    for i, h in enumerate(hashes):
        builder.append(h)
        if i % 1000 == 999:
            builder.take()
    seconds = time.perf_counter() - started
    print(f"append, tree only (compact range + tiles): {args.leaves / seconds:,.0f} leaves/s")
    del hashes

    store = {}
    _, builder = _append(args.proof_size, store)
    size = args.proof_size
    root = builder.root()

    def read(level: int, index: int, width: int) -> bytes:
        return store[(level, index)]

    rng = random.Random(12)
    inclusion_reads: list[int] = []
    started = time.perf_counter()
    for _ in range(1000):
        index = rng.randrange(size)
        proof, reads = inclusion_proof_from_tiles(index, size, read)
        leaf = TileReader(size, read).node(0, index)
        assert verify_inclusion(index, size, leaf, proof, root)
        inclusion_reads.append(len(reads))
    inclusion_us = (time.perf_counter() - started) * 1000
    consistency_reads: list[int] = []
    started = time.perf_counter()
    for _ in range(1000):
        old = rng.randrange(1, size)
        proof, reads = consistency_proof_from_tiles(old, size, read)
        assert verify_consistency(old, size, TileReader(old, read).root(), root, proof)
        consistency_reads.append(len(reads))
    consistency_us = (time.perf_counter() - started) * 1000
    print(f"inclusion proof at {size:,} leaves from tiles: at most {max(inclusion_reads)} tiles, "
          f"mean {sum(inclusion_reads) / 1000:.1f}; {inclusion_us:.0f} µs each with verification")
    print(f"consistency proof to {size:,} leaves from tiles: at most {max(consistency_reads)} tiles, "
          f"mean {sum(consistency_reads) / 1000:.1f}; {consistency_us:.0f} µs each with both roots and verification")


if __name__ == "__main__":
    main()
