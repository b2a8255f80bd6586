"""The bench at tiny scale, so that it keeps running: every figure is reported, and it cleans up.

No timing is asserted here: the figures of a tiny run on a busy test machine mean nothing. The
bench itself (bench/) is documented in README.md "Benchmarks" and docs/benchmarks.md.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import psycopg
import pytest

from bench.__main__ import main
from bench.report import FIGURES
from domain.backend import Backend


@pytest.mark.postgres
def test_the_bench_reports_every_figure_and_drops_what_it_built(postgres_database: Backend, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    assert main(["--scale", "tiny", "--rounds", "1", "--url", postgres_database.url, "--json", str(out)]) == 0

    results = json.loads(out.read_text())
    figures = results["figures"]
    missing = [f.name for f in FIGURES if not isinstance(figures.get(f.name, {}).get("median"), int | float)
               or math.isnan(figures[f.name]["median"])]
    assert missing == [], f"figures without a number: {missing}"
    for f in FIGURES:
        if f.baseline:
            assert isinstance(figures[f.name]["ratio"], float), f.name
    assert out.with_suffix(".md").exists()

    schemas = results["meta"]["schemas"]
    assert len(schemas) == 3
    with psycopg.connect(postgres_database.psycopg_conninfo()) as conn:
        left = conn.execute("SELECT table_schema, table_name FROM information_schema.tables "
                            "WHERE table_schema = ANY(%s)", (schemas,)).fetchall()
        left += conn.execute("SELECT schema_name, '' FROM information_schema.schemata WHERE schema_name = ANY(%s)",
                             (schemas,)).fetchall()
    assert left == []
