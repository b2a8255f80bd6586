"""`python -m bench.writes` keeps running: one short round reports every figure and drops its schemas.

No timing is asserted (the figures of a test run on a busy machine mean nothing); docs/benchmarks.md
has the measured ones."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from bench.writes import FIELDS, main
from domain.backend import Backend


@pytest.mark.postgres
def test_the_write_bench_reports_each_phase_and_drops_what_it_built(postgres_database: Backend, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "writes.json"
    assert main(["--rounds", "1", "--writes", "40", "--steady", "20", "--saves", "5", "--url", postgres_database.url,
                 "--json", str(out)]) == 0
    [round_] = json.loads(out.read_text())["rounds"]
    for phase, key, _ in FIELDS:
        if key not in ("ratio", "projections_cpu_ms"):
            assert isinstance(round_[f"this_{phase}"][key], float | int), (phase, key)
    assert "projections_cpu_ms" not in round_["this_steady"]  # no projections process without --projections
    assert round_["this_c32"]["ok"] == 40
    assert round_["this_c32"]["transactions"] >= 1
    assert "| writes per transaction |" in capsys.readouterr().out
    with psycopg.connect(postgres_database.psycopg_conninfo()) as conn:
        left = conn.execute("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE "
                            "'bench_writes_%%'").fetchall()
    assert left == []


@pytest.mark.postgres
def test_the_write_bench_serves_another_tree_with_its_own_arguments_beside_the_projections_process(
        postgres_database: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "writes.json"
    root = Path(__file__).resolve().parents[2]
    assert main(["--rounds", "1", "--writes", "40", "--steady", "20", "--saves", "5", "--url", postgres_database.url,
                 "--json", str(out), "--projections", "--also", f"two={root}@--workers,2"]) == 0
    [round_] = json.loads(out.read_text())["rounds"]
    for name in ("this", "two"):
        assert round_[f"{name}_c32"]["ok"] == 40
        assert isinstance(round_[f"{name}_steady"]["projections_cpu_ms"], float)
    assert "| figure | this | two |" in capsys.readouterr().out
