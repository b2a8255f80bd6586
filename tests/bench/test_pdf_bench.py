"""`python -m bench.pdf` at a small size, so that it keeps running: it prints every figure.

No timing is asserted (the figures of a small run on a busy test machine mean nothing)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.pdf import main


def test_the_pdf_bench_prints_the_register_and_record_figures(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--children", "40", "--reads", "3"])
    out = capsys.readouterr().out
    assert "出席簿 of 40 children × 22 days" in out
    figures = r"p50 [\d.]+ ms, p99 [\d.]+ ms, CPU p50 [\d.]+ ms, p99 [\d.]+ ms \([\d.]+ ms/page; 1 page, "
    assert re.search(rf"in process, 出席簿 PDF: {figures}", out), out
    assert "in process, 指導要録 PDF" in out
    assert "over HTTP, 出席簿 PDF" in out
    # what the tail was made of: the collector's passes during the reads, and the time a read waited
    assert re.search(r"waited p50 -?[\d.]+ ms; collector: \d+ passes \(\d+ of generation 2\), [\d.]+ ms in all, "
                     r"in \d+ of the \d+ slowest reads", out), out


def test_the_pdf_bench_runs_an_earlier_tree_beside_this_one(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    tree = Path(__file__).resolve().parents[2]  # this tree stands in for the earlier one
    main(["--children", "4", "--records", "2", "--reads", "2", "--rounds", "1", "--before", str(tree),
          "--json", str(tmp_path / "pdf.json")])
    out = capsys.readouterr().out
    assert re.search(r"over HTTP, 指導要録 PDF .*:\n    before p50 [\d.]+ ms, .* CPU after/before [\d.]+", out), out
    figures = json.loads((tmp_path / "pdf.json").read_text())
    assert len(figures["runs"]["before"]) == len(figures["runs"]["after"]) == 1
    assert {"p50_ms", "p99_ms", "cpu_p50_ms"} <= set(figures["runs"]["after"][0]["in process, 出席簿 PDF"])
    assert figures["summary"]["in process, 出席簿 PDF"]["cpu_ratio"] > 0
