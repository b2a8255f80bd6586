"""The dashboards (issue 14; ADR 0043): each level's read, and the rebuild of their read model.

``python -m bench.dashboards [--scale small|full] [--rounds 3] [--reads 200]`` seeds the bench's dataset
(bench/dataset.py, ``by_class``) in a schema of its own, brings every read model up to the head, then
in each round:

- rebuild: ``Runner.rebuild("dashboards")`` (the school-year summaries, projections/dashboards/summary.py)
  beside the decoded log read (bench/rebuild.py ``log_read``: the library reading and decoding the whole
  log); figure: events in the log / the rebuild's wall time, and its ratio to the log read's events/s
  (issue 14: ≥ 0.5×);
- reads, in process (``Dashboards`` over today's read models, no HTTP, no token, no access log), one at a
  time, ``--reads`` of each: a child's dashboard (children of the rolled classes), a class's (the rolled
  classes), a school's (the schools of the rolled classes), the board's (every school of the dataset: at
  full scale 112); figures: p50 and p99 (issue 14: p99 < 20 ms). Baseline in the same round: the 出席簿 of
  a month of the same classes, read the same way (``Forms.attendance_register``; its HTTP p99 target
  is 10 ms).

"Today" is the last rolled day of the dataset (the reads count every rolled day). The alert process
(projections/alert_raiser.py) is not run: the dataset has no alerts (a health examination is recorded
only for the six-year child, so a raiser run after 30 June would raise one for nearly every child).
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from datetime import time as clock_time
from statistics import median
from typing import Any

from bench.config import SCALES
from bench.dataset import BOARD, Seeder, seeding_clock
from bench.forms import months
from bench.rebuild import log_read, log_size
from bench.stats import latency_ms
from domain.backend import Backend
from domain.ledger import Ledger
from domain.ledger_base import JST
from projections import runner_for
from projections.dashboards.views import Dashboards
from projections.forms import Forms

READ_TARGET_MS = 20.0
REBUILD_TARGET = 0.5


def timed(n: int, read: Callable[[], Any]) -> dict[str, float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        found = read()
        samples.append(time.perf_counter() - start)
        assert found is not None
    return latency_ms(samples)


def main(argv: list[str] | None = None) -> int:
    from bench.__main__ import DEFAULT_URL, drop_schemas, log, vacuum_analyze
    from bench.server import Deployment, Tokens, remove

    p = argparse.ArgumentParser(prog="python -m bench.dashboards", description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", choices=sorted(SCALES), default="small")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--reads", type=int, default=200, help="reads of each level per round")
    p.add_argument("--url", default=os.environ.get("GAKUSEKI_BENCH_URL") or DEFAULT_URL)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args(argv)
    import tempfile
    from pathlib import Path

    scale = SCALES[args.scale]
    base = args.url.split("?")[0]
    conninfo = Backend.from_url(base).psycopg_conninfo()
    schema = f"bench_{uuid.uuid4().hex[:8]}_dash"
    folder = Path(tempfile.mkdtemp(prefix="gakuseki-dashboards-"))
    backend = Backend.from_url(f"{base}?schema={schema}")
    rounds: list[dict[str, Any]] = []
    ledger = None
    try:
        Deployment(backend.url, folder / "ledger", "bench-dashboards", Tokens(folder / "dev-key.pem").path).migrate()
        ledger = Ledger.open(backend, clock=seeding_clock())
        ds = Seeder(ledger, scale, progress=log).seed(schema)
        events = log_size(ledger)
        log(f"{events:,} events; VACUUM ANALYZE {vacuum_analyze(conninfo, schema):.1f} s")
        runner = runner_for(ledger, backend)
        t0 = time.perf_counter()
        runner.catch_up()
        log(f"every read model built in {time.perf_counter() - t0:.1f} s")
        vacuum_analyze(conninfo, schema)
        today = ds.days[scale.roll_days - 1]
        forms = Forms(runner, clock=lambda: datetime.combine(today, clock_time(18), tzinfo=JST))
        dash = Dashboards(forms)
        rolled = ds.rolled
        schools = list(dict.fromkeys(c.code for c in rolled))
        children = itertools.cycle([(c, sid) for c in rolled for sid in c.students])
        classes = itertools.cycle(rolled)
        at = itertools.cycle(schools)
        register_months = [m for m in months(rolled[0].year) if m <= today.isoformat()[:7]]
        registers = itertools.cycle([(c, m) for m in register_months for c in rolled])
        board = dash.board(BOARD, rolled[0].year)
        assert board is not None
        log(f"the board has {len(board['schools'])} schools, {board['children']:,} children; today {today}")
        for r in range(args.rounds):
            read = log_read(ledger)
            t0, c0 = time.perf_counter(), time.process_time()
            applied = runner.rebuild("dashboards")
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            vacuum_analyze(conninfo, schema)
            rebuilt = {"events_read": applied, "seconds": wall, "cpu_seconds": cpu, "events_per_s": events / wall}
            figures: dict[str, Any] = {"log_read": read, "rebuild": rebuilt,
                                       "rebuild_ratio": rebuilt["events_per_s"] / read["events_per_s"]}

            def reg() -> Any:
                c, m = next(registers)
                return forms.attendance_register(c.code, c.year, c.grade, c.name, m)

            def child() -> Any:
                _, sid = next(children)
                return dash.child(sid)

            def klass() -> Any:
                c = next(classes)
                return dash.klass(c.code, c.year, c.grade, c.name)

            figures["register"] = timed(args.reads, reg)
            figures["child"] = timed(args.reads, child)
            figures["class"] = timed(args.reads, klass)
            figures["school"] = timed(args.reads, lambda: dash.school(next(at), rolled[0].year))
            figures["board"] = timed(args.reads, lambda: dash.board(BOARD, rolled[0].year))
            rounds.append(figures)
            log(f"round {r + 1}: rebuild {rebuilt['events_per_s']:,.0f} events/s ({wall:.1f} s, {applied:,} read) "
                f"against the log read {read['events_per_s']:,.0f}/s: {figures['rebuild_ratio']:.2f}×; p99 ms: "
                + ", ".join(f"{k} {figures[k]['p99']:.1f}" for k in ("register", "child", "class", "school", "board")))
    finally:
        if ledger is not None:
            ledger.close()
        if not args.keep:
            drop_schemas(conninfo, [schema])
            remove(folder)
    load = os.getloadavg()
    print()
    print(f"dashboards, scale {scale.name}: {events:,} events, {args.rounds} rounds of {args.reads} reads a level "
          f"(medians of the rounds); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    rb = median(x["rebuild"]["events_per_s"] for x in rounds)
    rd = median(x["log_read"]["events_per_s"] for x in rounds)
    ratios = ", ".join(f"{x['rebuild_ratio']:.2f}" for x in rounds)
    print(f"  rebuild of dashboards {rb:,.0f} events/s, log read {rd:,.0f} events/s: {rb / rd:.2f}× "
          f"(rounds {ratios}; target ≥ {REBUILD_TARGET}×: {'met' if rb / rd >= REBUILD_TARGET else 'MISSED'})")
    base_p99 = median(x["register"]["p99"] for x in rounds)
    for level in ("register", "child", "class", "school", "board"):
        p50 = median(x[level]["p50"] for x in rounds)
        p99 = median(x[level]["p99"] for x in rounds)
        verdict = "" if level == "register" else (
            f"  target p99 < {READ_TARGET_MS:.0f} ms: {'met' if p99 < READ_TARGET_MS else 'MISSED'}")
        print(f"  {level:9} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  ({p99 / base_p99:.2f}× the 出席簿's p99){verdict}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
