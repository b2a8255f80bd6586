"""`python -m bench.verify` at a small size on both backends, so that it keeps running: it prints every
figure. No timing is asserted; the bench itself raises unless both audits verify."""

from __future__ import annotations

import pytest

from bench.verify import main
from domain.backend import Backend


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_verify_bench_prints_the_audits_rates(kind: str, request: pytest.FixtureRequest,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--events", "3000"]
    if kind == "postgres":
        database: Backend = request.getfixturevalue("postgres_database")
        argv += ["--url", database.url]
    main(argv)
    out = capsys.readouterr().out
    assert "Merkle projection: 3,000 events" in out
    assert "verify, the database read-only: 3,000 events" in out
    assert "verify, the exported file: 3,000 events" in out
