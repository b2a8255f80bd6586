"""`python -m bench.inclusion`: inclusion proofs over HTTP at the bench log's size, this code beside an earlier one's.

    python -m bench.inclusion [--events N] [--requests N] [--rounds N] [--before DIR] [--url URL] [--profile DIR]

Issue 12 asks ``GET /v1/transparency/inclusion`` for p99 < 10 ms at 1.3M leaves. This seeds a log of N
events (default 1,300,000) raw, in a schema of its own, as `python -m bench.verify` does; the Merkle
projection builds the tree and the ledger's key signs a checkpoint of it. Then `gakuseki serve` of
this tree, and with ``--before DIR`` of the code tree in DIR (``git archive main | tar -x -C DIR``),
serve it side by side, and each round asks each server, one client, for the proofs of the same
``--requests`` events spread over the whole log (an auditor's token), in turn. Per server and round:
p50 and p99 client-side, and the server's CPU per request (all its threads). ``--profile DIR`` records
each server's first round with py-spy ``--gil``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bench import http_client
from bench.server import Deployment, Tokens
from bench.stats import latency_ms
from bench.verify import seed
from bench.writes import gil_profile, serve, tree_cpu
from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import merkle_log

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def prepare(deployment: Deployment, events: int) -> tuple[int, list[int]]:
    """Seed the log, build its tree, sign a checkpoint of it; the tree size and every leaf's position."""
    from projections.checkpoints import CheckpointPublisher
    from projections.merkle_log import MerkleLog

    deployment.migrate()
    with Ledger.open(Backend.from_url(deployment.url)) as ledger:
        seed(ledger, events)
        MerkleLog(ledger).catch_up()
        CheckpointPublisher(ledger, deployment.key.checkpoint_signer(), every=1e-9).publish()
        latest = merkle_log.latest_checkpoint(ledger.storage)
        if latest is None or latest.tree_size != events:
            raise RuntimeError(f"no checkpoint of the whole log ({events} events) was signed: {latest}")
        positions = [p for i in range((events + 255) // 256) for p in merkle_log.tile_positions(ledger.storage, i)]
    return latest.tree_size, positions


def measure(port: int, pid: int, calls: list[http_client.Call], size: int) -> dict[str, Any]:
    cpu = tree_cpu(pid)
    load = http_client.run("127.0.0.1", port, calls, concurrency=1)
    spent = tree_cpu(pid) - cpu
    ok = load.ok(200)
    if len(ok) != len(calls) or json.loads(ok[0].body)["tree_size"] != size:
        raise RuntimeError(f"{len(calls) - len(ok)} of {len(calls)} proofs refused: {load.refused()}")
    lat = latency_ms([a.seconds for a in ok])
    return {"p50_ms": lat["p50"], "p99_ms": lat["p99"], "mean_ms": lat["mean"],
            "server_cpu_ms": spent / len(ok) * 1e3, "hashes": len(json.loads(ok[0].body)["hashes"])}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.inclusion", description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=1_300_000)
    p.add_argument("--requests", type=int, default=500, help="proofs asked of each server per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--before", type=Path, metavar="DIR", help="also serve the code tree in DIR, in the same rounds")
    p.add_argument("--url", default=DEFAULT_URL)
    p.add_argument("--profile", type=Path, metavar="DIR")
    args = p.parse_args(argv)
    here = Path(__file__).resolve().parent.parent
    trees = {"this": here, **({"before": args.before.resolve()} if args.before else {})}
    run = uuid.uuid4().hex[:8]
    schema = f"bench_inclusion_{run}"
    base = args.url.split("?")[0]
    folder = Path(tempfile.mkdtemp(prefix=f"gakuseki-bench-inclusion-{run}-"))
    import psycopg

    conninfo = Backend.from_url(base).psycopg_conninfo()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    servers: dict[str, Any] = {}
    try:
        tokens = Tokens(folder / "dev-key.pem")
        deployment = Deployment(f"{base}?schema={schema}", folder / "ledger", "bench-inclusion", tokens.path)
        size, positions = prepare(deployment, args.events)
        print(f"{args.events:,} events seeded, the tree built and a checkpoint of {size:,} leaves signed", flush=True)
        for name, tree in trees.items():
            servers[name] = serve(deployment, tree, folder)
        token = tokens.token("A-0001", "auditor")
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
        for r in range(args.rounds):
            rng = random.Random(r)
            calls = [http_client.Call("GET", f"/v1/transparency/inclusion?position={rng.choice(positions)}"
                                             f"&tree_size={size}", token) for _ in range(args.requests)]
            order = list(trees) if r % 2 == 0 else list(reversed(trees))
            for name in order:
                process, port = servers[name]
                measure(port, process.pid, calls[:20], size)  # warm-up, not counted
                with gil_profile(args.profile if r == 0 else None, process.pid, f"inclusion-{name}"):
                    result = measure(port, process.pid, calls, size)
                rounds[name].append(result)
                print(f"  round {r + 1}, {name}: p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, "
                      f"server CPU {result['server_cpu_ms']:.2f} ms a proof ({result['hashes']} hashes)", flush=True)
        for name, results in rounds.items():
            med = {k: statistics.median(x[k] for x in results) for k in ("p50_ms", "p99_ms", "server_cpu_ms")}
            print(f"{name} (median of {args.rounds}): p50 {med['p50_ms']:.2f} ms, p99 {med['p99_ms']:.2f} ms, "
                  f"server CPU {med['server_cpu_ms']:.2f} ms a proof")
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(30)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
