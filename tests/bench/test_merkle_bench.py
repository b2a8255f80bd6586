"""`python -m bench.merkle` at a small size, so that it keeps running: it prints every figure.

No timing is asserted (the figures of a small run on a busy test machine mean nothing); the proofs
it computes from tiles are verified by the bench itself, which raises if one does not verify.
"""

from __future__ import annotations

import pytest

from bench.merkle import main


def test_the_merkle_bench_prints_the_append_rate_and_the_tiles_a_proof_reads(
        capsys: pytest.CaptureFixture[str]) -> None:
    main(["--leaves", "3000", "--proof-size", "70000"])
    out = capsys.readouterr().out
    assert "leaf bytes + hash + tiles: 3,000 leaves" in out
    assert "tree only" in out
    assert "inclusion proof at 70,000 leaves from tiles: at most" in out
    assert "consistency proof to 70,000 leaves from tiles: at most" in out
