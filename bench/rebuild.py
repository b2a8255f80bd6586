"""Rebuilding every read model from scratch, and the raw log read it is compared with.

Rebuild: ``Runner.rebuild(<every projection, the Merkle log included>)``, what `gakuseki
projections rebuild` runs (without its before/after fingerprints): delete the documents, the tree
and the positions, then apply the whole log again (the tree kept from the same pages, ADR 0039).
Figure: events in the log divided by the wall time of rebuilding them all (events/s).
In the first round each projection is then also rebuilt alone, one after another, for its own
time and events read (a rebuild of one read model after a deploy that changed only it). It runs
in the bench process while no server or projections process is running.

Merkle append: the transparency log's tree (projections/merkle_log.py) cleared and built again from
the whole log as its projection keeps it: pages of 5,000 events read (stored bytes, no decode), a leaf
hashed per event, and each page's tiles, leaf positions and position written in one transaction.
Figure: events in the log / wall time (issue 12: >= 50,000 events/s), beside the same log read.

Baseline ``log_read``: the library alone reading the same log, ``select_notifications`` in pages
of 1,000 from the start to the head, each notification decoded to its event by the ledger's mapper
(perf-baseline.md A5 with decode): what any rebuild has to pay before doing any work.

``python -m bench.rebuild [--scale small] [--rounds 2] [--profile DIR]`` measures this alone, on
both layouts of the dataset (bench/dataset.py: ``by_class`` and ``interleaved``, each in a schema of
its own), in the same run: each round reads and rebuilds one ledger, then the other, each rebuild
beside its own log read. ``--before FILE`` also rebuilds each round with the ``Runner`` of that
file (a ``projections/runner.py`` of an earlier commit: ``git show <commit>:projections/runner.py
> FILE``), for a before and after in the same run. ``--catch-up`` also
clears every read model each round and times ``Runner.catch_up`` bringing them back (what the
projections process's poller does after ``Runner.upgrade``), with ``--before``'s runner too.
``--profile DIR`` records the first round's rebuilds with cProfile
(``DIR/rebuild-<layout>.prof``) and prints the functions where most of the time went.
"""

from __future__ import annotations

import time
from typing import Any

from domain.ledger import Ledger
from domain.storage import events
from projections import runner_for
from projections.merkle_log import MerkleLog

REBUILD_TARGET = 0.5  # issue 12: every projection rebuilt at ≥ 0.5× the decoded log read


def log_size(ledger: Ledger) -> int:
    """Events in the log (positions can have gaps, so count them)."""
    return events.count(ledger.storage)


def log_read(ledger: Ledger) -> dict[str, Any]:
    head = ledger.position()
    start, read = 0, 0
    t0, c0 = time.perf_counter(), time.process_time()
    while True:
        page = ledger.recorder.select_notifications(start=start, limit=1000, stop=head, inclusive_of_start=False)
        for n in page:
            ledger.decode(n)
        read += len(page)
        if len(page) < 1000:
            break
        start = page[-1].id
    wall = time.perf_counter() - t0
    return {"events": read, "seconds": wall, "events_per_s": read / wall, "cpu_seconds": time.process_time() - c0}


def _children_cpu() -> float:
    """CPU seconds of this process's ended child processes (a rebuild's second process, once it ended)."""
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def merkle_append(ledger: Ledger, events: int) -> dict[str, Any]:
    tree = MerkleLog(ledger)
    t0 = time.perf_counter()
    read = tree.rebuild()
    wall = time.perf_counter() - t0
    return {"log_events": events, "events_read": read, "leaves": tree.size(), "seconds": wall,
            "events_per_s": events / wall}


def rebuild(ledger: Ledger, backend: Any, events: int, *, each: bool = False, runner: Any = None) -> dict[str, Any]:
    runner = runner or runner_for(ledger, backend)
    names = runner.names()  # the Merkle log too (issue 12: "every projection, the Merkle log included")
    t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
    read = runner.rebuild(names)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0 + _children_cpu() - k0
    # cpu: this process's own CPU time (every thread) and its rebuild's second process's (ADR 0047), not
    # the database's: steadier than the wall time on a machine shared with other work, for comparing two
    # versions of the runner.
    out: dict[str, Any] = {"log_events": events, "events_read": read, "seconds": wall, "events_per_s": events / wall,
                           "cpu_seconds": cpu}
    if each:
        per: dict[str, dict[str, float]] = {}
        for name in names:
            start = time.perf_counter()
            n = runner.rebuild(name)
            seconds = time.perf_counter() - start
            per[name] = {"seconds": seconds, "events_read": n, "events_read_per_s": n / seconds if seconds else 0.0}
        out["projections"] = per
        out["each_sum_seconds"] = sum(p["seconds"] for p in per.values())
    return out


def catch_up(ledger: Ledger, backend: Any, events: int, *, runner: Any = None) -> dict[str, Any]:
    """Every read model cleared (as ``Runner.upgrade`` clears one of another version) and caught up by
    ``Runner.catch_up``, what the projections process's poller runs: the Merkle log is left as it is."""
    runner = runner or runner_for(ledger, backend)
    names = list(runner.projections)
    for name in names:
        runner.store.clear(name)
    t0, c0 = time.perf_counter(), time.process_time()
    read = runner.catch_up(names)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"log_events": events, "events_read": read, "seconds": wall, "events_per_s": events / wall,
            "cpu_seconds": cpu}


def compare(argv: list[str] | None = None) -> int:
    """Seed both layouts, then rebuild each beside its log read, round after round; print the ratios."""
    import argparse
    import cProfile
    import os
    import pstats
    import uuid
    from pathlib import Path

    from bench.__main__ import DEFAULT_URL, drop_schemas, log, vacuum_analyze
    from bench.config import SCALES
    from bench.dataset import LAYOUTS, Seeder, seeding_clock
    from bench.server import Deployment, Tokens, remove
    from domain.backend import Backend

    p = argparse.ArgumentParser(prog="python -m bench.rebuild", description=compare.__doc__)
    p.add_argument("--scale", choices=sorted(SCALES), default="small")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--layouts", default=",".join(LAYOUTS), help="comma-separated (default: both)")
    p.add_argument("--url", default=os.environ.get("GAKUSEKI_BENCH_URL") or DEFAULT_URL)
    p.add_argument("--profile", type=Path, metavar="DIR", help="cProfile the first round's rebuilds into DIR")
    p.add_argument("--before", type=Path, metavar="FILE", help="also rebuild with the Runner of this runner.py")
    p.add_argument("--catch-up", action="store_true",
                   help="also clear every read model and catch it up (the poller after an upgrade), each round")
    p.add_argument("--keep", action="store_true")
    args = p.parse_args(argv)
    before = None
    if args.before:
        import importlib
        import sys

        if args.before.suffix != ".py" or not args.before.is_file():
            raise SystemExit(f"--before {args.before}: not a Python file")
        # imported by its name from its folder, so that a rebuild's second process (spawned: it imports the
        # module of the function it runs, with this process's sys.path) finds it too
        sys.path.insert(0, str(args.before.resolve().parent))
        before = importlib.import_module(args.before.stem)
    scale, layouts = SCALES[args.scale], args.layouts.split(",")
    base = args.url.split("?")[0]
    conninfo = Backend.from_url(base).psycopg_conninfo()
    run_id = uuid.uuid4().hex[:8]
    schemas = {layout: f"bench_{run_id}_{layout}" for layout in layouts}
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix=f"gakuseki-rebuild-{run_id}-"))
    results: dict[str, list[dict[str, Any]]] = {layout: [] for layout in layouts}
    ledgers: dict[str, tuple[Ledger, Any]] = {}
    try:
        tokens = Tokens(folder / "dev-key.pem")
        for layout, schema in schemas.items():
            backend = Backend.from_url(f"{base}?schema={schema}")
            Deployment(backend.url, folder / layout, f"bench-{layout}", tokens.path).migrate()
            ledger = Ledger.open(backend, clock=seeding_clock())
            Seeder(ledger, scale, progress=log, layout=layout).seed(schema)
            log(f"{layout}: {log_size(ledger):,} events; VACUUM ANALYZE {vacuum_analyze(conninfo, schema):.1f} s")
            ledgers[layout] = (ledger, backend)
        for r in range(args.rounds):
            for layout, (ledger, backend) in ledgers.items():
                read = log_read(ledger)
                profiler = cProfile.Profile() if args.profile and r == 0 else None
                if profiler:
                    profiler.enable()
                built = rebuild(ledger, backend, log_size(ledger))
                if profiler:
                    profiler.disable()
                    args.profile.mkdir(parents=True, exist_ok=True)
                    out = args.profile / f"rebuild-{layout}.prof"
                    profiler.dump_stats(out)
                    pstats.Stats(str(out)).sort_stats("cumulative").print_stats(30)
                vacuum_analyze(conninfo, schemas[layout])
                ratio = built["events_per_s"] / read["events_per_s"]
                results[layout].append({"log_read": read, "rebuild": built, "ratio": ratio})
                if before is not None:
                    from projections import all_projections
                    from projections.store import DocumentStore

                    old = rebuild(ledger, backend, log_size(ledger),
                                  runner=before.Runner(ledger, DocumentStore(ledger.storage), all_projections(),
                                                       merkle_log=MerkleLog(ledger)))
                    vacuum_analyze(conninfo, schemas[layout])
                    results[layout][-1]["before"] = old
                    log(f"round {r + 1} {layout}: the runner of {args.before.name}: "
                        f"{old['events_per_s']:,.0f} events/s ({old['seconds']:.1f} s): "
                        f"{old['events_per_s'] / read['events_per_s']:.2f}×")
                if args.catch_up:
                    runners: list[tuple[str, Any]] = [("after", None)]
                    if before is not None:
                        from projections import all_projections
                        from projections.store import DocumentStore

                        runners.append(("before", before.Runner(ledger, DocumentStore(ledger.storage),
                                                                all_projections(), merkle_log=MerkleLog(ledger))))
                    for label, chosen in runners:
                        caught = catch_up(ledger, backend, log_size(ledger), runner=chosen)
                        vacuum_analyze(conninfo, schemas[layout])
                        results[layout][-1][f"catch_up_{label}"] = caught
                        log(f"round {r + 1} {layout}: catch-up from empty ({label}) {caught['events_per_s']:,.0f} "
                            f"events/s ({caught['seconds']:.1f} s, CPU {caught['cpu_seconds']:.1f} s): "
                            f"{caught['events_per_s'] / read['events_per_s']:.2f}× the log read")
                log(f"round {r + 1} {layout}: rebuild {built['events_per_s']:,.0f} events/s "
                    f"({built['seconds']:.1f} s), "
                    f"log read {read['events_per_s']:,.0f} events/s: {ratio:.2f}×")
    finally:
        for ledger, _ in ledgers.values():
            ledger.close()
        if not args.keep:
            drop_schemas(conninfo, list(schemas.values()))
            remove(folder)
    print()
    print(f"rebuild of every projection against the decoded log read, scale {scale.name}, {args.rounds} rounds "
          f"(medians; target ≥ {REBUILD_TARGET}×)")
    for layout, rows in results.items():
        from statistics import median

        rb = median(x["rebuild"]["events_per_s"] for x in rows)
        rd = median(x["log_read"]["events_per_s"] for x in rows)
        ratios = ", ".join(f"{x['ratio']:.2f}" for x in rows)
        cpu = median(x["rebuild"]["cpu_seconds"] for x in rows)
        cpu_read = median(x["log_read"]["cpu_seconds"] for x in rows)
        print(f"  {layout:12} {rows[0]['rebuild']['log_events']:>9,} events  rebuild {rb:>9,.0f}/s  "
              f"log read {rd:>9,.0f}/s  ratio of medians {rb / rd:.2f}× (rounds {ratios})"
              f"  {'met' if rb / rd >= REBUILD_TARGET else 'MISSED'}")
        print(f"  {'':12} {'':>9}         CPU (this process and its second): "
              f"rebuild {cpu:.1f} s, log read {cpu_read:.1f} s "
              f"({cpu_read / cpu:.2f}×)")
        for label in ("after", "before"):
            if f"catch_up_{label}" in rows[0]:
                cu = median(x[f"catch_up_{label}"]["events_per_s"] for x in rows)
                ccpu = median(x[f"catch_up_{label}"]["cpu_seconds"] for x in rows)
                print(f"  {'':12} {'':>9}         catch-up from empty ({label}) {cu:>9,.0f}/s: {cu / rd:.2f}× the "
                      f"log read; CPU {ccpu:.1f} s")
        if before is not None:
            ob = median(x["before"]["events_per_s"] for x in rows)
            ocpu = median(x["before"]["cpu_seconds"] for x in rows)
            print(f"  {'':12} {'':>9}         before {ob:>9,.0f}/s  ({args.before.name}) ratio of medians "
                  f"{ob / rd:.2f}×; after/before {rb / ob:.2f}×; CPU {ocpu:.1f} s, after/before {cpu / ocpu:.2f}×")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(compare())
