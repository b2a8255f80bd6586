"""`python -m bench.pdf` at a small size, so that it keeps running: it prints every figure.

No timing is asserted (the figures of a small run on a busy test machine mean nothing)."""

from __future__ import annotations

import re

import pytest

from bench.pdf import main


def test_the_pdf_bench_prints_the_register_and_record_figures(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--children", "40", "--reads", "3"])
    out = capsys.readouterr().out
    assert "出席簿 of 40 children × 22 days" in out
    figures = r"p50 [\d.]+ ms, p99 [\d.]+ ms, CPU p50 [\d.]+ ms \([\d.]+ ms/page; 1 page, "
    assert re.search(rf"in process, 出席簿 PDF: {figures}", out), out
    assert "in process, 指導要録 PDF" in out
    assert "over HTTP, 出席簿 PDF" in out
