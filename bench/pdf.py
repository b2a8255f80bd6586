"""`python -m bench.pdf [--children N] [--records N] [--reads N] [--before DIR [--rounds N]] [--json FILE]`: the forms'
PDFs (ADR 0035, 0038, 0044, 0048), warm, on SQLite.

A class of ``--children`` (default 40, the most a 出席簿 sheet holds) from 小1 (2026) to 小6 (2031): every
school day of 2026 marked (a mix of 出, 遅刻, 早退, 病, 事, 忌), ten days of each later year; the first
``--records`` children (default 12) with every subject's year-end assessment and a year record in
each of the six years. Then ``--reads`` reads of each, **over distinct forms**: the
出席簿 cycles through the class-months of 2026 (April to March), the 指導要録 through the children, so no
two reads in a row are of the same form:

1. in process, the typesetting alone: ``projections.forms.pdf.render`` of a composed document (the 出席簿,
   one A4 landscape page; the six-year 指導要録, three A4 pages typeset from its HTML view);
2. in process, the read and the typesetting: ``Forms`` composing the form from the read models, then the PDF;
3. over HTTP (Litestar's test client, no network): ``GET …?format=pdf`` with a principal's token: auth,
   the access log, the read, the JSON document, the PDF; the app's heap settled first as ``gakuseki serve``
   settles it (api/heap.py, ADR 0046).

The first render of the process (fonts loaded into the compiler, ~30 ms) is left out of the figures.
p50 and p99 are over every read (wall time), beside the median CPU time of the process (``time.process_time``:
every thread's, the test client's and Typst's included; on a shared machine the steadier figure); no
assertion is made on them (tests/bench only checks it runs). Each line also says what the tail was made of:
the cycle collector's passes during the reads (how many, of the oldest generation, their time) and how
many of the slowest 1 % of reads had one; and the median of wall less CPU time (the time a read waited: for
a CPU on a shared machine, or, over HTTP, for the hand-offs between the client's, the event loop's and
the handler's threads). The compile lock is never contended here: one read at a time.

``--before DIR`` runs this bench, in turn, on the code tree in DIR (e.g. ``git archive <commit> | tar -x -C
DIR``; this bench file and this venv) and on this tree, each in a process of its own, ``--rounds`` times
(the order alternating), and prints both with the ratio of their CPU medians: a before and after measured
in the same run. ``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from projections.forms import pdf

SCHOOL, YEAR, BOARD = "B131220000013", 2026, "312011"
CODES = ["present"] * 12 + ["late", "left_early", "absent_illness", "absent_other", "mourning"]
YEARS = range(YEAR, YEAR + 6)
MONTHS = [f"{y}-{m:02d}" for y, m in [*((YEAR, m) for m in range(4, 13)), *((YEAR + 1, m) for m in range(1, 4))]]


_cpu: list[float] = []  # the process's CPU time of each read of the last _timed (all its threads)
_gc: list[tuple[int, float]] = []  # the cycle collector's passes during each read: (oldest generation, ms)
_collecting: list[float] = []
_results: dict[str, dict[str, float]] = {}  # a line's figures, for --json


def _gc_pass(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _collecting[:] = [time.perf_counter()]
    elif _collecting:
        _gc.append((info["generation"], (time.perf_counter() - _collecting[0]) * 1000))


def _timed(n: int, call: Callable[[int], Any]) -> tuple[list[float], Any]:
    out = call(0)  # warm: the first of this shape
    times = []
    _cpu.clear()
    _passes.clear()
    gc.callbacks.append(_gc_pass)
    try:
        for i in range(n):
            _gc.clear()
            started, cpu = time.perf_counter(), time.process_time()
            out = call(i)
            times.append((time.perf_counter() - started) * 1000)
            _cpu.append((time.process_time() - cpu) * 1000)
            _passes.append(list(_gc))
    finally:
        gc.callbacks.remove(_gc_pass)
    return times, out


_passes: list[list[tuple[int, float]]] = []  # each read's collector passes


def _line(label: str, times: list[float], pages: int, size: int) -> str:
    q = statistics.quantiles(times, n=100, method="inclusive")
    passes = [p for read in _passes for p in read]
    slowest = sorted(range(len(times)), key=times.__getitem__)[-max(1, len(times) // 100):]
    waited = statistics.median(t - c for t, c in zip(times, _cpu, strict=True))
    _results[label] = {"p50_ms": round(q[49], 2), "p99_ms": round(q[98], 2),
                       "cpu_p50_ms": round(statistics.median(_cpu), 2), "cpu_p99_ms": round(q99(_cpu), 2),
                       "waited_p50_ms": round(waited, 2), "gc_passes": len(passes),
                       "gc_ms": round(sum(ms for _, ms in passes), 2), "pages": pages, "bytes": size}
    return (f"{label}: p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, CPU p50 {statistics.median(_cpu):.1f} ms, "
            f"p99 {q99(_cpu):.1f} ms ({q[49] / pages:.1f} ms/page; {pages} page{'s' if pages > 1 else ''}, "
            f"{size / 1024:.0f} KiB)\n    waited p50 {waited:.1f} ms; collector: {len(passes)} passes "
            f"({sum(1 for g, _ in passes if g == 2)} of generation 2), {sum(ms for _, ms in passes):.1f} ms in all, "
            f"in {sum(1 for i in slowest if _passes[i])} of the {len(slowest)} slowest reads")


def q99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def _seed(ledger: Any, children: int, records: int) -> list[str]:
    """The class of ``children`` through six grades; the first ``records`` with six years of records."""
    from domain import curriculum
    from tests import builders as b

    b.school_with_calendar(ledger)
    kids = [str(c) for c in b.class_with_students(ledger, count=children)]
    for grade, year in enumerate(YEARS, start=1):
        shift = year - YEAR
        days = [d.replace(year=d.year + shift) for d in b.SCHOOL_DAYS if not (d.month == 2 and d.day == 29)]
        if year != YEAR:
            def moved(day: str, by: int = shift) -> date:
                return date.fromisoformat(day).replace(year=int(day[:4]) + by)
            terms = [{**t, "starts_on": moved(t["starts_on"]), "ends_on": moved(t["ends_on"])} for t in b.TERMS]
            ledger.set_calendar(SCHOOL, year, terms=terms, instructional_days=days, recorded_by="admin")
            ledger.form_class(SCHOOL, year, grade, "1", homeroom_teacher_id=f"T-000{grade}",
                              homeroom_teacher_name=f"担任 {grade}郎", students=[(k, n) for n, k in enumerate(kids, 1)],
                              on=date(year, 4, 6), recorded_by="admin")
        for i, day in enumerate(days if year == YEAR else days[:10]):
            marks = [(c, {"code": CODES[(i + n) % len(CODES)]}) for n, c in enumerate(kids)]
            ledger.record_roll(SCHOOL, year, grade, "1", on=day, marks=marks, recorded_by="admin")
        subjects = [s for s, (_, grades) in curriculum.SUBJECTS["elementary"].items() if grade in grades]
        for n, kid in enumerate(kids[:records]):
            for s, subject in enumerate(subjects):
                ledger.record_assessment(kid, year, subject=subject, rating=(1 + (n + s) % 3) if grade >= 3 else None,
                                         viewpoints={"knowledge": "ABC"[(n + s) % 3], "thinking": "B",
                                                     "attitude": "A"},
                                         on=date(year + 1, 3, 19), recorded_by=b.STAFF)
            ledger.enter_year_record(kid, year, on=date(year + 1, 3, 19), recorded_by=b.STAFF,
                                     record={"behaviour": ["fairness", "responsibility"],
                                             "general_remarks": f"第{grade}学年。学習に意欲的に取り組んだ。"})
    return kids


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
    from tests.conftest import Clock

    args = argparse.ArgumentParser(prog="python -m bench.pdf")
    args.add_argument("--children", type=int, default=40)
    args.add_argument("--records", type=int, default=12, help="children with six years of records")
    args.add_argument("--reads", type=int, default=200)
    args.add_argument("--before", type=Path, metavar="DIR", help="also run on the code tree in DIR, in the same run")
    args.add_argument("--rounds", type=int, default=2, help="with --before: runs of each tree, in alternating order")
    args.add_argument("--json", type=Path, metavar="FILE", help="write the figures")
    opts = args.parse_args(argv)
    if opts.before:
        return _before_and_after(opts)

    with tempfile.TemporaryDirectory() as folder:
        backend = Backend.from_url(f"sqlite:///{folder}/ledger.sqlite3")
        apply(backend)
        # the end of the sixth school year: every day of the six has come
        ledger = Ledger.open(backend, clock=Clock(datetime(2032, 3, 30, 15, 0, tzinfo=UTC)))
        started = time.perf_counter()
        kids = _seed(ledger, opts.children, min(opts.records, opts.children))
        records = kids[:min(opts.records, opts.children)]
        runner = runner_for(ledger, backend)
        runner.catch_up()
        forms = Forms(runner)
        june = forms.attendance_register(SCHOOL, YEAR, 1, "1", "2026-06")
        assert june is not None
        registers = [forms.attendance_register(SCHOOL, YEAR, 1, "1", m) for m in MONTHS]
        cumulative = [forms.cumulative_record(k, board=BOARD) for k in records]
        print(f"出席簿 of {len(june['students'])} children × {len(june['instructional_days'])} days "
              f"(June 2026); 指導要録 of {len(records)} children × 6 years; seeded in "
              f"{time.perf_counter() - started:.0f} s; typst {pdf.typst.__version__}; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        pages_of = {}
        times, body = _timed(opts.reads, lambda i: pdf.render("attendance_register", registers[i % len(MONTHS)]))
        pages_of["register"] = len(pypdf.PdfReader(io.BytesIO(body)).pages)
        print(_line("in process, 出席簿 PDF", times, pages_of["register"], len(body)))
        times, body = _timed(opts.reads, lambda i: pdf.render("cumulative_record", cumulative[i % len(records)]))
        pages_of["record"] = len(pypdf.PdfReader(io.BytesIO(body)).pages)
        print(_line("in process, 指導要録 PDF (six years, from its HTML view)", times, pages_of["record"], len(body)))

        def register_read(i: int) -> bytes:
            doc = forms.attendance_register(SCHOOL, YEAR, 1, "1", MONTHS[i % len(MONTHS)])
            assert doc is not None
            return pdf.render("attendance_register", doc)

        def record_read(i: int) -> bytes:
            doc = forms.cumulative_record(records[i % len(records)], board=BOARD)
            assert doc is not None
            return pdf.render("cumulative_record", doc)
        times, body = _timed(opts.reads, register_read)
        print(_line("in process, 出席簿 read + PDF", times, pages_of["register"], len(body)))
        times, body = _timed(opts.reads, record_read)
        print(_line("in process, 指導要録 read + PDF", times, pages_of["record"], len(body)))

        key = DevKey.load_or_create(Path(folder) / "dev.pem")
        app = create_app(ledger, backend, Verifier(key.jwks(), issuer=DEV_ISSUER, audience=AUDIENCE),
                         run_projections=False)
        # As `gakuseki serve` does once its app is built (api/heap.py, ADR 0046): the start-up heap frozen
        # out of the cycle collector's way. The test client's own request lines are not the product's.
        from api.heap import settle

        settle()
        logging.getLogger("httpx").setLevel(logging.WARNING)
        token = key.token(b.PRINCIPAL, [{"role": "principal", "school": SCHOOL}], mfa=True,
                          ttl=int(timedelta(hours=1).total_seconds()))
        with TestClient(app=app) as client:
            def get(path: str) -> bytes:
                response = client.get(path, headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, response.text
                return response.content
            times, body = _timed(opts.reads, lambda i: get(
                f"/v1/schools/{SCHOOL}/years/{YEAR}/classes/1/1/attendance-register?month={MONTHS[i % len(MONTHS)]}"
                "&format=pdf"))
            print(_line("over HTTP, 出席簿 PDF (auth, read, JSON, PDF)", times, 1, len(body)))
            times, body = _timed(opts.reads, lambda i: get(
                f"/v1/students/{records[i % len(records)]}/forms/cumulative-record?format=pdf"))
            print(_line("over HTTP, 指導要録 PDF (six years; auth, read, JSON, PDF)", times, pages_of["record"],
                        len(body)))
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        ledger.close()
    if opts.json:
        opts.json.write_text(json.dumps(_results, ensure_ascii=False, indent=1))


def _before_and_after(opts: argparse.Namespace) -> None:
    """This bench on the tree in ``--before`` and on this one, each run in a process of its own (its code on
    PYTHONPATH), in alternating order; then each line's figures side by side and the ratio of CPU medians."""
    here = Path(__file__).resolve()
    trees = {"before": opts.before.resolve(), "after": here.parents[1]}
    runs: dict[str, list[dict[str, dict[str, float]]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as folder:
        for r in range(opts.rounds):
            for name in (("before", "after") if r % 2 == 0 else ("after", "before")):
                out = Path(folder) / f"{name}-{r}.json"
                argv = ["--children", str(opts.children), "--records", str(opts.records), "--reads", str(opts.reads),
                        "--json", str(out)]
                code = (f"import runpy, sys; sys.argv = ['bench.pdf', *{argv!r}]; "
                        f"runpy.run_path({str(here)!r}, run_name='__main__')")
                print(f"round {r + 1}, {name} ({trees[name]}):", flush=True)
                subprocess.run([sys.executable, "-c", code], check=True, cwd=folder,
                               env={**os.environ, "PYTHONPATH": str(trees[name])})
                runs[name].append(json.loads(out.read_text()))
    print(f"\nbefore ({trees['before']}) and after ({trees['after']}), {opts.rounds} rounds each, medians of the "
          f"rounds; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    summary: dict[str, dict[str, Any]] = {}
    for label in runs["after"][0]:
        row = {name: {k: statistics.median(run[label][k] for run in runs[name] if label in run)
                      for k in ("p50_ms", "p99_ms", "cpu_p50_ms")} for name in runs}
        ratio = row["after"]["cpu_p50_ms"] / row["before"]["cpu_p50_ms"]
        summary[label] = {**row, "cpu_ratio": round(ratio, 2)}
        before, after = row["before"], row["after"]
        print(f"{label}:\n    before p50 {before['p50_ms']:.1f} ms, p99 {before['p99_ms']:.1f} ms, CPU p50 "
              f"{before['cpu_p50_ms']:.1f} ms; after p50 {after['p50_ms']:.1f} ms, p99 {after['p99_ms']:.1f} ms, "
              f"CPU p50 {after['cpu_p50_ms']:.1f} ms; CPU after/before {ratio:.2f}")
    if opts.json:
        opts.json.write_text(json.dumps({"runs": runs, "summary": summary}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
