"""`python -m bench.writes`: the write path alone, this code beside an earlier commit's, in the same rounds.

    python -m bench.writes [--before DIR] [--also NAME=DIR ...] [--rounds N] [--writes N] [--steady N]
                           [--url URL] [--profile DIR] [--projections]

A small interleaved log (1,500 children, 30 classes kept for the load) is seeded in a schema of its
own; `gakuseki serve` of this tree, and with ``--before DIR`` of the code tree in DIR (e.g. ``git
archive <commit> | tar -x -C DIR``, run on this venv), serve it side by side. Each round measures, in
turn: the library's one-event save (bench/baseline.py ``lib_save1``), then for each server the
assessment POSTs at 32 closed-loop clients and at 100 writes/s offered open loop (bench/http_load.py),
then the library's save again (the ratio uses the mean of the two, so a change of load within the
round weighs on both sides alike).

Beside throughput and latency, each phase reports what the figures alone cannot say on a shared
machine: the server's CPU time per write (all its threads), PostgreSQL's (every backend), the
writes per transaction of the group commit (from ``log_transactions``: each transaction's first and
last position), and the time the server's and PostgreSQL's threads spent runnable but waiting for a
CPU (``/proc/*/task/*/schedstat``), per write. Linux only. ``--profile DIR`` records the first
round's closed-loop and open-loop phases of each server (and, in the open-loop phase, the projections
process when it runs) with py-spy ``--gil`` (only the thread holding the
interpreter lock: where the Python time goes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import http_client, http_load
from bench.__main__ import DEFAULT_URL, drop_schemas, log, vacuum_analyze
from bench.baseline import Raw
from bench.config import SCALES, STEADY_WRITES_PER_S, WRITE_CLIENTS
from bench.dataset import Seeder, seeding_clock
from bench.profile import summary
from bench.server import Deployment, Tokens, free_port, remove
from domain.backend import Backend
from domain.ledger import Ledger

SCALE = replace(SCALES["small"], name="writes", students=1_500, rolled_classes=2, roll_days=20, hot_classes=30,
                six_year_days=5)
TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    """The live child processes of a process (`serve --workers N`'s workers)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its live child processes."""
    total = 0.0
    for p in [pid, *children(pid)]:
        with contextlib.suppress(OSError):
            s = _stat(p)
            total += (int(s[11]) + int(s[12])) / TICK
    return total


def postgres_pids() -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{d}/comm") as f:
                if f.read().strip() == "postgres":
                    out.append(int(d))
    return out


def scheduled(pids: list[int]) -> dict[str, tuple[float, float]]:
    """For every thread of these processes: (seconds on a CPU, seconds runnable but waiting for one)."""
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{pid}/task"):
                with contextlib.suppress(OSError, ValueError), open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    on, waiting, _ = f.read().split()
                    out[f"{pid}/{task}"] = (int(on) / 1e9, int(waiting) / 1e9)
    return out


def spent(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """CPU and waiting seconds between two readings, of the threads alive at both (a thread that ended
    meanwhile takes its counters with it)."""
    common = before.keys() & after.keys()
    return (sum(after[t][0] - before[t][0] for t in common), sum(after[t][1] - before[t][1] for t in common))


class Meter:
    """What one phase cost, per write answered."""

    def __init__(self, raw: Raw, schema: str, server: int, projector: int | None = None) -> None:
        self.raw, self.schema, self.server, self.projector = raw, schema, server, projector

    def head(self) -> int:
        row = self.raw.conn.execute(f'SELECT coalesce(max(last_position), 0) FROM "{self.schema}".log_transactions'
                                    ).fetchone()
        return int(row[0])

    @contextlib.contextmanager
    def phase(self, out: dict[str, Any]) -> Iterator[None]:
        pg, server = postgres_pids(), [self.server, *children(self.server)]  # its workers, when it has any
        head, cpu, sched, pg_sched = self.head(), tree_cpu(self.server), scheduled(server), scheduled(pg)
        projected = tree_cpu(self.projector) if self.projector else 0.0
        yield
        ok = max(1, out["ok"])
        sizes = [int(r[0]) for r in self.raw.conn.execute(
            f'SELECT last_position - first_position + 1 FROM "{self.schema}".log_transactions '
            "WHERE first_position > %s", (head,)).fetchall()]
        served, postgres = spent(sched, scheduled(server)), spent(pg_sched, scheduled(pg))
        out.update({
            "server_cpu_ms": (tree_cpu(self.server) - cpu) / ok * 1e3,
            "postgres_cpu_ms": postgres[0] / ok * 1e3,
            "server_wait_ms": served[1] / ok * 1e3,
            "postgres_wait_ms": postgres[1] / ok * 1e3,
            "writes_per_transaction": statistics.mean(sizes) if sizes else 0.0,
            "largest_transaction": max(sizes, default=0), "transactions": len(sizes)})
        if self.projector:
            out["projections_cpu_ms"] = (tree_cpu(self.projector) - projected) / ok * 1e3


def caught_up(port: int, timeout: float = 120.0) -> None:
    """Wait until every projection has applied the whole log (the server's /health says so)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = json.loads(http_client.one("127.0.0.1", port, http_client.Call("GET", "/health", "-")).body)
        if health["projections"] and all(p["lag"] == 0 for p in health["projections"]):
            return
        time.sleep(0.2)
    raise RuntimeError("the projections process did not catch up with the log")


@contextlib.contextmanager
def gil_profile(folder: Path | None, pid: int, name: str) -> Iterator[None]:
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{name}.txt"
    spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid), "--format",
                            "raw", "--rate", "500", "--gil", "--subprocesses", "--output", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
        if out.exists():
            print(summary(out, top=30), flush=True)


def serve(deployment: Deployment, tree: Path, folder: Path, extra: tuple[str, ...] = ()
          ) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**deployment.env(), "GAKUSEKI_PORT": str(port), "PYTHONPATH": str(tree)}
    with open(folder / f"serve-{port}.log", "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port), *extra], env=env,
                                   cwd=deployment.folder, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if http_client.one("127.0.0.1", port, http_client.Call("GET", "/health", "-")).status == 200:
                return process, port
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"the server of {tree} did not start (its log: {folder})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.writes", description=__doc__.split("\n\n")[0])
    p.add_argument("--before", type=Path, metavar="DIR", help="also serve the code tree in DIR, in the same rounds")
    p.add_argument("--also", action="append", default=[], metavar="NAME=DIR[@ARG,...]",
                   help="another code tree to serve in the same rounds (repeatable), reported as NAME; after @, "
                        "arguments of its `serve` separated by commas (e.g. two=.@--workers,2)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--writes", type=int, default=600, help="closed-loop writes per server per round")
    p.add_argument("--steady", type=int, default=300, help="open-loop writes per server per round")
    p.add_argument("--saves", type=int, default=200, help="library one-event saves, before and after, per round")
    p.add_argument("--url", default=os.environ.get("GAKUSEKI_BENCH_URL") or DEFAULT_URL)
    p.add_argument("--json", type=Path)
    p.add_argument("--profile", type=Path, metavar="DIR")
    p.add_argument("--projections", action="store_true",
                   help="run `gakuseki projections run` beside the servers, as deployed (its CPU per write is "
                        "reported; each phase starts once it has caught up)")
    args = p.parse_args(argv)
    here = Path(__file__).resolve().parent.parent
    trees = {"this": here, **({"before": args.before.resolve()} if args.before else {})}
    extras: dict[str, tuple[str, ...]] = {}
    for also in args.also:
        name, _, tree = also.partition("=")
        tree, _, extra = tree.partition("@")
        if not name or not tree or name in trees:
            p.error(f"--also takes NAME=DIR[@ARG,...] with a NAME of its own, not {also!r}")
        trees[name] = Path(tree).resolve()
        extras[name] = tuple(a for a in extra.split(",") if a)
    run = uuid.uuid4().hex[:8]
    schema = f"bench_writes_{run}"
    base = args.url.split("?")[0]
    conninfo = Backend.from_url(base).psycopg_conninfo()
    folder = Path(tempfile.mkdtemp(prefix=f"gakuseki-bench-writes-{run}-"))
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    raw = None
    deployment: Deployment | None = None
    rounds: list[dict[str, Any]] = []
    try:
        tokens = Tokens(folder / "dev-key.pem")
        deployment = Deployment(f"{base}?schema={schema}", folder / "ledger", "bench-writes", tokens.path)
        deployment.migrate()
        with Ledger.open(Backend.from_url(deployment.url), clock=seeding_clock()) as ledger:
            ds = Seeder(ledger, SCALE, progress=log, layout="interleaved").seed(schema)
        vacuum_analyze(conninfo, schema)
        projector = deployment.project().pid if args.projections else None
        for name, tree in trees.items():
            servers[name] = serve(deployment, tree, folder, extras.get(name, ()))
        raw = Raw(Backend.from_url(base), f"{schema}_raw").open()
        pool = http_load.AssessmentPool(ds, tokens)
        for _, port in servers.values():  # warm-up, not measured
            http_load.assessments("127.0.0.1", port, pool, 40, 8)
        raw.lib_save(20, 1)
        for r in range(args.rounds):
            rec: dict[str, Any] = {"load_average": os.getloadavg()[0], "lib_save1": raw.lib_save(args.saves, 1)}
            for name, (process, port) in servers.items():
                meter = Meter(raw, schema, process.pid, projector)
                if projector:
                    caught_up(port)
                closed: dict[str, Any] = {}
                with gil_profile(args.profile if r == 0 else None, process.pid, f"{name}_c{WRITE_CLIENTS}"), \
                        meter.phase(closed):
                    closed.update(http_load.assessments("127.0.0.1", port, pool, args.writes, WRITE_CLIENTS))
                rec[f"{name}_c{WRITE_CLIENTS}"] = closed
                steady: dict[str, Any] = {}
                if projector:
                    caught_up(port)
                with gil_profile(args.profile if r == 0 else None, process.pid, f"{name}_steady"), \
                        gil_profile(args.profile if r == 0 and projector else None, projector or 0,
                                    f"{name}_steady_projections"), meter.phase(steady):
                    steady.update(http_load.assessments("127.0.0.1", port, pool, args.steady, WRITE_CLIENTS,
                                                        rate=STEADY_WRITES_PER_S))
                rec[f"{name}_steady"] = steady
            rec["lib_save1_after"] = raw.lib_save(args.saves, 1)
            lib = (rec["lib_save1"]["events_per_s"] + rec["lib_save1_after"]["events_per_s"]) / 2
            rec["lib_save1_events_per_s"] = lib
            rounds.append(rec)
            log(f"round {r + 1}: load {rec['load_average']:.1f}, library one-event save {lib:,.0f}/s; " + "; ".join(
                f"{name}: {rec[f'{name}_c32']['per_s']:,.0f} writes/s ({rec[f'{name}_c32']['per_s'] / lib:.2f}x), "
                f"{rec[f'{name}_c32']['writes_per_transaction']:.1f} per transaction, steady p99 "
                f"{rec[f'{name}_steady']['p99_ms']:.0f} ms" for name in servers))
    finally:
        if deployment is not None:
            deployment.stop()  # the projections process, when it runs
        for process, _ in servers.values():
            process.send_signal(signal.SIGINT)
        for process, _ in servers.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        if raw is not None:
            raw.close()
        drop_schemas(conninfo, [schema, f"{schema}_raw"])
        remove(folder)
    print(report(rounds, list(trees)))
    if args.json:
        args.json.write_text(json.dumps({"trees": {k: str(v) for k, v in trees.items()}, "rounds": rounds}, indent=1))
    return 0


FIELDS = (("c32", "per_s", "writes/s at 32 clients"), ("c32", "ratio", "× library one-event save"),
          ("c32", "p99_ms", "p99 ms at 32 clients"), ("c32", "writes_per_transaction", "writes per transaction"),
          ("c32", "server_cpu_ms", "server CPU ms/write"), ("c32", "postgres_cpu_ms", "PostgreSQL CPU ms/write"),
          ("steady", "p50_ms", "p50 ms at 100/s"), ("steady", "p99_ms", "p99 ms at 100/s"),
          ("steady", "server_cpu_ms", "server CPU ms/write at 100/s"),
          ("steady", "projections_cpu_ms", "projections process CPU ms/write at 100/s"),
          ("steady", "server_wait_ms", "server waiting for a CPU, ms/write at 100/s"),
          ("steady", "postgres_wait_ms", "PostgreSQL waiting for a CPU, ms/write at 100/s"))


def report(rounds: list[dict[str, Any]], names: list[str]) -> str:
    """Medians over the rounds (each round's values in brackets), one column per server."""
    if not rounds:
        return "no round was measured"
    lines = [f"| figure | {' | '.join(names)} |", "|---|" + "---:|" * len(names)]
    lib = [r["lib_save1_events_per_s"] for r in rounds]
    lines.append(f"| library one-event saves/s | {statistics.median(lib):,.0f} ({', '.join(f'{v:,.0f}' for v in lib)})"
                 + " |" * len(names))
    for phase, key, label in FIELDS:
        cells = []
        if key not in rounds[0][f"{names[0]}_{phase}"] and key != "ratio":
            continue  # the projections process's CPU, when it did not run
        for name in names:
            values = [r[f"{name}_{phase}"]["per_s"] / r["lib_save1_events_per_s"] if key == "ratio"
                      else r[f"{name}_{phase}"][key] for r in rounds]
            cells.append(f"{statistics.median(values):,.2f} ({', '.join(f'{v:,.2f}' for v in values)})")
        lines.append(f"| {label} | {' | '.join(cells)} |")
    loads = ", ".join(f"{r['load_average']:.1f}" for r in rounds)
    return "\n".join(lines) + f"\n\nload average (1 min) at the start of each round: {loads}"


if __name__ == "__main__":
    sys.exit(main())
