"""`python -m bench.pdf [--children N] [--reads N]`: the forms' PDFs (ADR 0035), warm, on SQLite.

A class of ``--children`` (default 40, the most a 出席簿 sheet holds) with every school day of June
2026 marked (a mix of 出, 遅刻, 早退, 病, 事, 忌 and one correction), then ``--reads`` reads of each:

1. in process, the typesetting alone: ``projections.forms.pdf.render`` of the month's 出席簿 document (one A4
   landscape page), and of one child's 指導要録 (typeset from its HTML view); ms per page;
2. over HTTP (Litestar's test client, no network): ``GET …/attendance-register?month=2026-06&format=pdf``
   with a principal's token: auth, the read, the JSON document, the PDF.

The first render of the process (fonts loaded into the compiler, ~30 ms) is left out of the figures.
p50 and p99 are over every read; no assertion is made on them (tests/bench only checks it runs).
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from projections.forms import pdf

SCHOOL, YEAR, BOARD = "B131220000013", 2026, "312011"
CODES = ["present"] * 12 + ["late", "left_early", "absent_illness", "absent_other", "mourning"]


def _timed(n: int, call: Callable[[], Any]) -> tuple[list[float], Any]:
    out = call()  # warm: the first of this shape
    times = []
    for _ in range(n):
        started = time.perf_counter()
        out = call()
        times.append((time.perf_counter() - started) * 1000)
    return times, out


def _line(label: str, times: list[float], pages: int, size: int) -> str:
    q = statistics.quantiles(times, n=100, method="inclusive")
    return (f"{label}: p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms ({q[49] / pages:.1f} ms/page; "
            f"{pages} page{'s' if pages > 1 else ''}, {size / 1024:.0f} KiB)")


def main(argv: list[str] | None = None) -> None:
    import pypdf
    from litestar.testing import TestClient

    from api.app import create_app
    from api.auth import Verifier
    from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey
    from domain.backend import Backend
    from domain.ledger import Ledger
    from migrations.apply import apply
    from projections import runner_for
    from projections.forms import Forms
    from tests import builders as b

    args = argparse.ArgumentParser(prog="python -m bench.pdf")
    args.add_argument("--children", type=int, default=40)
    args.add_argument("--reads", type=int, default=200)
    opts = args.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        backend = Backend.from_url(f"sqlite:///{folder}/ledger.sqlite3")
        apply(backend)
        ledger = Ledger.open(backend)  # June 2026 has passed: its rolls are taken
        b.school_with_calendar(ledger)
        children = [str(c) for c in b.class_with_students(ledger, count=opts.children)]
        june = [d for d in b.SCHOOL_DAYS if d.year == 2026 and d.month == 6]
        for i, day in enumerate(june):
            marks = [(c, {"code": CODES[(i + n) % len(CODES)]}) for n, c in enumerate(children)]
            ledger.record_roll(SCHOOL, YEAR, 1, "1", on=day, marks=marks, recorded_by="admin")
        runner = runner_for(ledger, backend)
        runner.catch_up()
        forms = Forms(runner)
        register = forms.attendance_register(SCHOOL, YEAR, 1, "1", "2026-06")
        record = forms.cumulative_record(children[0], board=BOARD)
        assert register is not None
        assert record is not None
        print(f"出席簿 of {len(register['students'])} children × {len(register['instructional_days'])} days "
              f"(June 2026); typst {pdf.typst.__version__}")

        times, body = _timed(opts.reads, lambda: pdf.render("attendance_register", register))
        pages = len(pypdf.PdfReader(io.BytesIO(body)).pages)
        print(_line("in process, 出席簿 PDF", times, pages, len(body)))
        times, body = _timed(opts.reads, lambda: pdf.render("cumulative_record", record))
        pages = len(pypdf.PdfReader(io.BytesIO(body)).pages)
        print(_line("in process, 指導要録 PDF (from its HTML view)", times, pages, len(body)))

        key = DevKey.load_or_create(Path(folder) / "dev.pem")
        app = create_app(ledger, backend, Verifier(key.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE),
                         run_projections=False)
        token = key.token(b.PRINCIPAL, [{"role": "principal", "school": SCHOOL}], mfa=True,
                          ttl=int(timedelta(hours=1).total_seconds()))
        path = f"/v1/schools/{SCHOOL}/years/{YEAR}/classes/1/1/attendance-register?month=2026-06&format=pdf"
        with TestClient(app=app) as client:
            def read() -> bytes:
                response = client.get(path, headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, response.text
                return response.content
            times, body = _timed(opts.reads, read)
        print(_line("over HTTP, 出席簿 PDF (auth, read, JSON, PDF)", times, 1, len(body)))
        ledger.close()


if __name__ == "__main__":
    main()
