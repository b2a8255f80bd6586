"""`python -m bench`: build a dataset on PostgreSQL, measure the product beside the raw library, report.

    python -m bench [--scale tiny|small|full] [--rounds N] [--url postgresql://USER@HOST:PORT/DB]
                    [--json PATH] [--keep] [--profile DIR] [--dataset by_class|interleaved]

The run, in order (each measurement module says what it measures and how):
1. three schemas of its own in the database at ``--url`` (default $GAKUSEKI_BENCH_URL, else
   postgresql://postgres@127.0.0.1:5432/postgres): ``bench_<id>`` (the ledger), ``bench_<id>_import``
   (a second ledger, for packet imports) and ``bench_<id>_raw`` (the raw baselines); both ledgers
   migrated with `gakuseki migrate`;
2. the dataset (bench/dataset.py; ``--dataset``: its layout, class by class or interleaved day by
   day as a real log grows), then VACUUM ANALYZE of the ledger's tables (what autovacuum does
   after a bulk load; the bench does it itself, as the server's autovacuum may be off);
3. rebuild rounds (bench/rebuild.py), each beside the raw log read, with no server running, each
   followed by VACUUM ANALYZE (a rebuild deletes and rewrites every read-model row), then the
   Merkle log built again from the whole log (its append rate);
4. `gakuseki serve` and `gakuseki projections run` on the ledger, `gakuseki serve` on the second;
5. ``--rounds`` interleaved rounds, each one running every baseline beside the figure it is compared
   with: library 30-event save, rolls at 8 clients (half with the Merkle log kept beside them, then
   all with the read models alone projected, then the other half with the Merkle log again: the
   ratio's two sides share any drift, and each phase reports the projections process's CPU per
   roll), raw 30-row insert, rolls at 32 clients, library 1-event save, assessment POSTs at 32
   clients, raw document read, form reads, as_of, packets;
6. the memory reading after a mixed load (bench/memory.py);
7. the table (bench/report.py) on stdout, the results as JSON (``--json``, default
   bench/results/bench-<scale>-<time>.json, and its table as Markdown beside it); every process is
   stopped and the schemas are dropped (unless ``--keep``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench import forms, http_client, http_load, memory, packets, rebuild, report, transparency
from bench.baseline import Raw, pg_read
from bench.config import CONCURRENCY, SCALES, STEADY_WRITES_PER_S, WRITE_CLIENTS
from bench.dataset import LAYOUTS, Dataset, Seeder, seeding_clock, terms_of
from bench.profile import Spy
from bench.server import Deployment, Tokens, remove
from domain.backend import Backend
from domain.ledger import Ledger

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
RESULTS = Path(__file__).parent / "results"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", choices=sorted(SCALES), default="full")
    p.add_argument("--rounds", type=int, help="interleaved rounds (default: 1 tiny, 3 otherwise)")
    p.add_argument("--url", default=os.environ.get("GAKUSEKI_BENCH_URL") or DEFAULT_URL,
                   help="PostgreSQL database to create the bench schemas in (default $GAKUSEKI_BENCH_URL or "
                        f"{DEFAULT_URL})")
    p.add_argument("--json", type=Path, help="where to write the results (default bench/results/…)")
    p.add_argument("--dataset", choices=LAYOUTS, default="by_class",
                   help="the log's layout: each class's year in turn (default), or every class every morning, "
                        "interleaved (bench/dataset.py)")
    p.add_argument("--keep", action="store_true", help="keep the schemas and the working folder")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="record the server with py-spy during each HTTP phase of round 1 (bench/profile.py)")
    return p.parse_args(argv)


def machine(conninfo: str) -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()}
    try:
        cpu = Path("/proc/cpuinfo").read_text().splitlines()
        for key in ("model name", "cpu MHz", "cache size"):
            info[key.replace(" ", "_")] = next((ln.split(":", 1)[1].strip() for ln in cpu if ln.startswith(key)), "")
        mem = Path("/proc/meminfo").read_text().splitlines()
        info["memory_gib"] = round(int(next(ln for ln in mem if ln.startswith("MemTotal")).split()[1]) / 2**20, 1)
    except OSError:
        pass
    with psycopg.connect(conninfo, autocommit=True) as c:
        info["postgresql"] = c.execute("SELECT version()").fetchone()[0]  # type: ignore[index]
        for name in ("shared_buffers", "synchronous_commit", "fsync", "max_connections", "autovacuum", "jit"):
            info[f"pg_{name}"] = c.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]  # type: ignore[index]
    from importlib.metadata import version

    info["versions"] = {p: version(p) for p in ("eventsourcing", "psycopg", "litestar", "uvicorn", "msgspec")}
    return info


def wait_for_projections(deployment: Deployment, timeout: float = 900.0,
                         counted: Callable[[str], bool] = lambda name: True, still: float = 1.0) -> None:
    """Until the server's /health shows every projection of the deployed code (that is ``counted``) with no lag,
    and the log's head has not moved for ``still`` seconds. The bench writes nothing while it waits, so a
    head that moves is the projections process recording events of its own: the alert process's first
    sweep of the year after 30 June raises an alert for every child without a health examination (the
    dataset records none but the six-year child's: about a hundred thousand), a turn at a time (ADR 0051),
    and a phase measured meanwhile would share the machine with it."""
    deadline = time.monotonic() + timeout
    rows: list[dict[str, Any]] = []
    current: tuple[int, float] | None = None  # (head, since when) while every projection is current
    while time.monotonic() < deadline:
        answer = http_client.one(deployment.host, deployment.port, http_client.Call("GET", "/health", "-"))
        health = json.loads(answer.body) if answer.status == 200 else {}
        rows = [row for row in health.get("projections", []) if counted(row["projection"])]
        if rows and all(row["lag"] == 0 for row in rows):
            head = int(health.get("position", 0))
            if current is None or current[0] != head:
                current = (head, time.monotonic())
            elif time.monotonic() - current[1] >= still:
                return
        else:
            current = None
        time.sleep(0.1)
    raise RuntimeError(f"the projections did not catch up within {timeout:.0f} s: {rows}")


def projected(projector: transparency.Projector, deployment: Deployment, phase: Callable[[], dict[str, Any]],
              counted: Callable[[str], bool] = lambda name: True) -> dict[str, Any]:
    """Run a phase of rolls and wait until the projections process has applied them; its figures, with the
    CPU seconds the projections process spent meanwhile (``projections_cpu_s``, from /proc: Linux only)."""
    before = process_cpu(projector.pid)
    figures = phase()
    wait_for_projections(deployment, counted=counted)
    figures["projections_cpu_s"] = process_cpu(projector.pid) - before
    return figures


def process_cpu(pid: int) -> float:
    """CPU seconds (user and system, every thread) a process has used so far; 0.0 where /proc has none."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def commit() -> str:
    """The product's commit, marked when its code (domain, projections, api, migrations) has changes."""
    import subprocess

    git = ["git", "-C", str(Path(__file__).parent.parent)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "domain", "projections", "api", "migrations"],
                           capture_output=True, text=True).stdout.strip()
    return (head or "unknown") + (" + uncommitted changes" if dirty else "")


def vacuum_analyze(conninfo: str, schema: str) -> float:
    """VACUUM ANALYZE every table of the schema: what autovacuum does after a bulk load or a rebuild (this
    bench must not depend on the server's autovacuum setting, which is off on the project's machines)."""
    start = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as c:
        tables = [r[0] for r in c.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                                          "AND table_type = 'BASE TABLE'", (schema,)).fetchall()]
        for t in tables:
            c.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(schema, t)))
    return time.perf_counter() - start


def drop_schemas(conninfo: str, schemas: list[str]) -> None:
    with psycopg.connect(conninfo, autocommit=True) as c:
        for s in schemas:
            c.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(s)))


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    scale = SCALES[args.scale]
    rounds = args.rounds or (1 if scale.name == "tiny" else 3)
    run_id = uuid.uuid4().hex[:8]
    schema = f"bench_{run_id}"
    schemas = [schema, f"{schema}_import", f"{schema}_raw"]
    base = args.url.split("?")[0]
    server = Backend.from_url(base)
    conninfo = server.psycopg_conninfo()
    folder = Path(tempfile.mkdtemp(prefix=f"gakuseki-bench-{run_id}-"))
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "meta": {"scale": scale.__dict__, "rounds": rounds, "schemas": schemas, "started": started.isoformat(),
                 "database": f"{server.user}@{server.host}:{server.port}/{server.dbname}",
                 "command": "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv),
                 "machine": machine(conninfo), "commit": commit()}}
    log(f"bench {run_id}: scale {scale.name}, {rounds} rounds, schemas {', '.join(schemas)} "
        f"in {results['meta']['database']}")
    records: list[dict[str, Any]] = [{} for _ in range(max(rounds, scale.rebuild_rounds))]
    first = second = raw = None
    try:
        backend = Backend.from_url(f"{base}?schema={schemas[0]}")
        tokens = Tokens(folder / "dev-key.pem")
        first = Deployment(backend.url, folder / "a", "bench-a", tokens.path)
        second = Deployment(f"{base}?schema={schemas[1]}", folder / "b", "bench-b", tokens.path,
                            trust=[first.key.trust_entry()])
        first.migrate()
        second.migrate()
        with Ledger.open(backend, clock=seeding_clock()) as ledger:
            ds = Seeder(ledger, scale, progress=log, layout=args.dataset).seed(schema)
            events = rebuild.log_size(ledger)
            packet_child = len(ledger.history(ds.rolled[-1].students[-1]))
            results["dataset"] = {"layout": ds.layout, "log_events": events, "schools": len(ds.schools),
                                  "classes": len(ds.classes),
                                  "students": scale.students, "rolled_classes": len(ds.rolled),
                                  "rolls_seeded": len(ds.rolled) * scale.roll_days,
                                  "six_year_child_events": ds.six_year.events, "packet_child_events": packet_child,
                                  "seed_seconds": ds.seconds}
            log(f"dataset: {events} events in the log; VACUUM ANALYZE {vacuum_analyze(conninfo, schema):.1f} s")
            for r in range(scale.rebuild_rounds):
                records[r]["log_read"] = rebuild.log_read(ledger)
                records[r]["rebuild"] = rebuild.rebuild(ledger, backend, events, each=r == 0)
                records[r]["rebuild"]["vacuum_analyze_s"] = vacuum_analyze(conninfo, schema)
                records[r]["merkle_append"] = rebuild.merkle_append(ledger, events)
                records[r]["verify"] = transparency.verify(ledger, backend, first, events)
                eps = records[r]["log_read"]["events_per_s"]
                records[r]["derived"] = {"log_read_six_year_ms": ds.six_year.events / eps * 1e3,
                                         "log_read_packet_child_ms": packet_child / eps * 1e3}
                log(f"rebuild round {r + 1}: {records[r]['rebuild']['events_per_s']:,.0f} events/s "
                    f"({records[r]['rebuild']['seconds']:.1f} s); log read {eps:,.0f} events/s; Merkle log "
                    f"{records[r]['merkle_append']['events_per_s']:,.0f} events/s; verify "
                    f"{records[r]['verify']['events_per_s']:,.0f} events/s")
            with Ledger.open(Backend.from_url(second.url)) as other:
                packets.receiving_school(other, 2026, terms_of(2026), ds.days)

            serve = first.serve()
            start_rss = memory.rss_mb(serve.pid)["rss_mb"]
            projector = transparency.Projector(first)
            second.serve()
            raw = Raw(server, schemas[2]).open()
            t0, events_then = time.monotonic(), rebuild.log_size(ledger)
            wait_for_projections(first)
            results["projections_settled"] = {"seconds": time.monotonic() - t0,
                                              "events_recorded": rebuild.log_size(ledger) - events_then}
            log(f"servers up: ledger at :{first.port} (pid {serve.pid}), import ledger at :{second.port}; the "
                f"projections process current and still after {results['projections_settled']['seconds']:.0f} s, "
                f"having recorded {results['projections_settled']['events_recorded']:,} events of its own "
                "(the alert process's first sweep of the year)")
            spy = Spy(args.profile, serve.pid)
            measure(scale, rounds, records, ds, ledger, backend, first, second, raw, tokens, spy, projector)
            mix = memory.mixed_load(first.host, first.port, ds, tokens, forms.FormCalls(ds, tokens),
                                    records[0]["_pools"]["rolls"], scale.memory_requests)
            records[rounds - 1]["memory"] = {
                "server_peak_mb": memory.rss_mb(serve.pid)["peak_mb"], "server_start_mb": start_rss,
                "server_rss_mb": memory.rss_mb(serve.pid)["rss_mb"],
                "projections_peak_mb": memory.rss_mb(projector.pid)["peak_mb"], "mix": mix}
            log(f"memory: server peak {records[rounds - 1]['memory']['server_peak_mb']:.0f} MB")
            results["log_events_at_end"] = rebuild.log_size(ledger)
    finally:
        for d in (first, second):
            if d is not None:
                d.stop()
        if raw is not None:
            raw.close()
        if not args.keep:
            drop_schemas(conninfo, schemas)
            remove(folder)
        else:
            log(f"kept the schemas {', '.join(schemas)} and {folder}")
    for record in records:
        record.pop("_pools", None)
    results["rounds"] = records
    results["figures"] = report.figures(records)
    results["meta"]["seconds"] = (datetime.now(UTC) - started).total_seconds()
    results["meta"]["commit_at_end"] = commit()
    if results["meta"]["commit_at_end"] != results["meta"]["commit"]:
        log(f"WARNING: the product code changed during the run ({results['meta']['commit']} -> "
            f"{results['meta']['commit_at_end']}): the servers and this process may have run different code")
    results["meta"]["dropped"] = not args.keep
    path = args.json or RESULTS / f"bench-{scale.name}-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    report.write_json(path, results)
    path.with_suffix(".md").write_text(report.table(results["figures"], markdown=True) + "\n\n"
                                       + report.details(results) + "\n")
    print()
    print(report.table(results["figures"]))
    print(report.details(results))
    print(f"\nresults: {path} (table as Markdown: {path.with_suffix('.md')}); "
          f"{results['meta']['seconds']:.0f} s in all")
    return 0


def measure(scale: Any, rounds: int, records: list[dict[str, Any]], ds: Dataset, ledger: Ledger, backend: Backend,
            first: Deployment, second: Deployment, raw: Raw, tokens: Tokens, spy: Spy,
            projector: transparency.Projector) -> None:
    host, port = first.host, first.port
    roll_pool = http_load.RollPool(ds, tokens)
    assess_pool = http_load.AssessmentPool(ds, tokens)
    form_calls = forms.FormCalls(ds, tokens)
    leavers = packets.Leavers(ds)
    records[0]["_pools"] = {"rolls": roll_pool}
    # Warm-up (not measured): each path once or twice, so imports and caches are not in round 1.
    http_load.rolls(host, port, roll_pool, 4, 2)
    http_load.assessments(host, port, assess_pool, 8, 4)
    http_load.summaries(host, port, ds, tokens, 8, 4)
    forms.read(host, port, form_calls.cumulative_records(4) + form_calls.registers(4))
    raw.lib_save(5, 30)
    for r in range(rounds):
        rec = records[r]
        on = spy.phase if r == 0 else (lambda name: contextlib.nullcontext())
        c8, c32 = CONCURRENCY
        rec["lib_save30"] = raw.lib_save(scale.baseline_saves, 30)
        # The rolls with the Merkle log beside them, in two halves around its baseline (the same rolls with
        # the read models alone projected: no Merkle log, no signing), so that a drift of the machine or
        # of the database over the three phases weighs on both sides alike (A B A). Each phase starts
        # with its projections process current and ends once it has applied the phase's rolls: its CPU
        # time over the phase is the projections' cost of those rolls. Twice the level's rolls a side: a
        # phase of one level's rolls lasts about a second, too short for a ratio of 5 % on a shared machine.
        n8, plain = 2 * scale.rolls_per_level, transparency.not_merkle
        wait_for_projections(first)  # the Merkle log beside the rolls starts from where the read models are
        with on(f"roll_c{c8}"):
            halves = [projected(projector, first, partial(http_load.rolls, host, port, roll_pool, n8 // 2, c8))]
        projector.swap(merkle=False)
        wait_for_projections(first, counted=plain)
        rec[f"roll_c{c8}_no_merkle"] = http_load.rolls_together([projected(
            projector, first, partial(http_load.rolls, host, port, roll_pool, n8, c8), counted=plain)])
        projector.swap(merkle=True)
        wait_for_projections(first)
        halves.append(projected(projector, first, partial(http_load.rolls, host, port, roll_pool, n8 - n8 // 2, c8)))
        rec[f"roll_c{c8}"] = http_load.rolls_together(halves)
        rec["pg_insert30"] = raw.pg_insert30(scale.baseline_saves)
        with on(f"roll_c{c32}"):
            rec[f"roll_c{c32}"] = http_load.rolls_together([http_load.rolls(host, port, roll_pool,
                                                                             scale.rolls_per_level, c32)])
        rec["lib_save1"] = raw.lib_save(scale.baseline_saves, 1)
        with on(f"summary_c{WRITE_CLIENTS}"):
            rec[f"summary_c{WRITE_CLIENTS}"] = http_load.summaries(host, port, ds, tokens, scale.assessments,
                                                                    WRITE_CLIENTS)
        with on(f"assess_c{WRITE_CLIENTS}"):
            closed = rec[f"assess_c{WRITE_CLIENTS}"] = http_load.assessments(
                host, port, assess_pool, scale.assessments, WRITE_CLIENTS)
        with on(f"assess_open_c{WRITE_CLIENTS}"):
            rec[f"assess_open_c{WRITE_CLIENTS}"] = http_load.assessments(
                host, port, assess_pool, max(10, scale.assessments // 2), WRITE_CLIENTS, rate=closed["per_s"] / 2)
        # The open loop at the stated rate starts with the projections process current, as in `bench.writes`:
        # it would otherwise apply the writes of the two phases before (1,500 at the full scale, a second or
        # two of its CPU) during this one, on the same two cores (docs/benchmarks.md, "The write tail at 100/s").
        wait_for_projections(first)
        # 600 writes at the full scale (6 s at 100/s), as `bench.writes` takes a round: with 250 the p99 was the
        # third-slowest write, and one stall of the shared machine touching three writes decided it (11 and 29 ms
        # in two quiet runs of the same code, docs/benchmarks.md, "Quiet reruns at the end of the fifth session").
        rec["assess_steady"] = http_load.assessments(
            host, port, assess_pool, max(10, scale.assessments * 3 // 5), WRITE_CLIENTS, rate=STEADY_WRITES_PER_S)
        wait_for_projections(first)
        rec["pg_read"] = pg_read(raw.conn, backend.schema, scale.form_reads)
        with on("form_cumulative_record"):
            rec["form_cumulative_record"] = forms.read(host, port, form_calls.cumulative_records(scale.form_reads))
        with on("form_attendance_register"):
            rec["form_attendance_register"] = forms.read(host, port, form_calls.registers(scale.form_reads))
        with on("inclusion_http"):
            rec["inclusion_http"] = transparency.inclusion_http(host, port, ledger, tokens, scale.form_reads, seed=r)
        head = ledger.position()
        with on("as_of_http"):
            rec["as_of_http"] = forms.as_of_http(host, port, ds, tokens, head, scale.as_of_reads)
        rec["as_of_in_process"] = forms.as_of_in_process(ledger, backend, ds, head, scale.as_of_reads)
        rec["as_of_replay"] = forms.as_of_in_process(ledger, backend, ds, head, scale.as_of_reads, reuse=False)
        with on("packets"):
            rec["packets"] = packets.round_trip(first, second, ledger, backend, tokens, leavers, scale.packets,
                                                lambda: wait_for_projections(first))
        a, b = rec[f"roll_c{c8}"], rec[f"roll_c{c32}"]
        log(f"round {r + 1}/{rounds}: lib save30 {rec['lib_save30']['events_per_s']:,.0f} ev/s; rolls "
            f"c{c8} {a['events_per_s']:,.0f} ev/s p99 {a['p99_ms']:.0f} ms, c{c32} {b['events_per_s']:,.0f} ev/s "
            f"p99 {b['p99_ms']:.0f} ms; assessments p99 {rec['assess_c32']['p99_ms']:.1f} ms; forms p99 "
            f"{rec['form_cumulative_record']['p99_ms']:.1f}/{rec['form_attendance_register']['p99_ms']:.1f} ms; "
            f"rolls c{c8} without the Merkle log {rec[f'roll_c{c8}_no_merkle']['events_per_s']:,.0f} ev/s; "
            f"inclusion proof p99 {rec['inclusion_http']['p99_ms']:.1f} ms; "
            f"as_of {rec['as_of_http']['median_ms']:.0f} ms; packets {rec['packets']['export_ms']:.0f}/"
            f"{rec['packets']['import_ms']:.0f} ms")


if __name__ == "__main__":
    sys.exit(main())
