"""Transfer packets between two ledgers, per packet: export with signature, import with verification.

Each round hands ``packets`` children (with a school year of marks and three terms of assessments)
over to a school outside the ledger (``POST /v1/students/{id}/handovers``, ``external: true``,
by the school's registrar), waits until the read models have applied the hand-overs, then:

- export: ``GET /v1/students/{id}/transfer-packet`` on the first ledger's server (the record
  replayed as it stood at the hand-over, RFC 8785 canonical JSON, Ed25519 JWS);
- import: ``POST /v1/transfer-packets`` of that packet on a second ledger's server (its own
  schema and key; it trusts the first ledger's key through GAKUSEKI_TRUST_LIST), which verifies
  it, decodes it strictly and admits the child at the receiving school (one event).

Both are timed client-side per packet. In process, the same work without HTTP is timed too:
``projections.forms.transfer_packet.content`` + ``LedgerKey.sign`` (export: not the proof) and
``domain.signing.verify`` + the strict msgspec decode + the proof's check (import's check, not its write).

``python -m bench.packets [--scale full] [--before DIR] [--rounds N] [--packets N] [--keep | --reuse FOLDER]``
measures packets alone (``main``): the dataset seeded once in a schema of its own, the read models and the
Merkle log brought to the head in this process (no alert process), children handed over, then per round and
code tree the exports and the imports over HTTP with the server's and PostgreSQL's CPU a packet; both trees'
packets of the same children compared byte for byte (ADR 0053).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import msgspec

from bench import http_client
from bench.dataset import Dataset, Klass, school_code
from bench.server import Deployment, Tokens
from bench.stats import latency_ms
from domain.backend import Backend
from domain.ledger import Ledger
from domain.signing import verify
from domain.student import StudentHandedOver
from domain.transfer_packet import TransferPacket, verify_proof
from projections import runner_for
from projections.forms import Forms
from projections.forms import transfer_packet as packet_content

RECEIVING = school_code(1, prefecture="12")  # a school of the second ledger (千葉)
RECEIVING_NAME = "千葉市立ベンチ小学校"


def receiving_school(ledger: Ledger, year: int, terms: Any, days: Any) -> None:
    ledger.register_school(RECEIVING, RECEIVING_NAME, "121002", "千葉県千葉市中央区1-1", recorded_by="bench-seed")
    ledger.set_calendar(RECEIVING, year, terms=terms, instructional_days=days, recorded_by="bench-seed")


class Leavers:
    """Children of the rolled classes not read by the form bench (the second half of each class)."""

    def __init__(self, ds: Dataset) -> None:
        self._next: Iterator[tuple[Klass, Any]] = (
            (c, sid) for i in range(max(len(c.students) for c in ds.rolled)) for c in ds.rolled
            if len(c.students) // 2 <= i < len(c.students) for sid in [c.students[i]])
        self.left_on = ds.days[-1]

    def take(self, n: int) -> list[tuple[Klass, Any]]:
        out = [x for _, x in zip(range(n), self._next, strict=False)]
        if len(out) < n:
            raise RuntimeError("no children left to hand over: add rolled classes to the scale")
        return out


def round_trip(first: Deployment, second: Deployment, ledger: Ledger, backend: Any, tokens: Tokens,
               leavers: Leavers, n: int, wait: Any) -> dict[str, Any]:
    children = leavers.take(n)
    move = {"kind": "transfer", "to_school": RECEIVING, "external": True, "to_school_name": RECEIVING_NAME,
            "to_school_address": "千葉県千葉市中央区1-1", "left_on": leavers.left_on.isoformat(),
            "accepted_on": (leavers.left_on + timedelta(days=1)).isoformat(), "year": 2026,
            "reason": "保護者の転勤に伴う転居"}
    handovers = [http_client.Call("POST", f"/v1/students/{sid}/handovers",
                                  tokens.token(f"R-{c.code[5:12]}", "registrar", c.code),
                                  json.dumps({**move, "grade": c.grade}).encode()) for c, sid in children]
    handed = http_client.run(first.host, first.port, handovers)
    wait()  # the read models have applied the hand-overs: export then measures itself, not the lag
    exports = [http_client.Call("GET", f"/v1/students/{sid}/transfer-packet",
                                tokens.token(f"R-{c.code[5:12]}", "registrar", c.code)) for c, sid in children]
    exported = http_client.run(first.host, first.port, exports)
    packets = [json.loads(a.body)["packet"] for a in exported.ok(200)]
    registrar = tokens.token("R-0500", "registrar", RECEIVING)
    imports = [http_client.Call("POST", "/v1/transfer-packets", registrar,
                                json.dumps({"school_code": RECEIVING, "packet": p}).encode()) for p in packets]
    imported = http_client.run(second.host, second.port, imports)
    export_ms = latency_ms([a.seconds for a in exported.ok(200)])
    import_ms = latency_ms([a.seconds for a in imported.ok(201)])
    handover_ms = latency_ms([a.seconds for a in handed.ok(201)])
    inproc = in_process(ledger, backend, first, [sid for _, sid in children], packets)
    return {"export_ms": export_ms["p50"], "export_p99_ms": export_ms["p99"], "import_ms": import_ms["p50"],
            "import_p99_ms": import_ms["p99"], "handover_ms": handover_ms["p50"], "exported": len(packets),
            "imported": len(imported.ok(201)),
            "refused": {"handover": handed.refused(), "export": exported.refused(), "import": imported.refused()},
            "packet_bytes": sum(len(p) for p in packets) / max(1, len(packets)), **inproc}


def in_process(ledger: Ledger, backend: Any, first: Deployment, students: list[Any],
               packets: list[str]) -> dict[str, Any]:
    forms = Forms(runner_for(ledger, backend))
    trust = first.key.trust()
    export, check = [], []
    for sid in students:
        moves = [(pos, e) for pos, e in ledger.events_in_streams([sid])
                 if isinstance(e, StudentHandedOver) and e.external]
        position, move = moves[-1]
        start = time.perf_counter()
        content = packet_content.content(forms, move, position, issuer=first.key.ledger_id, board="312011")
        assert content is not None
        first.key.sign_document(msgspec.to_builtins(content))
        export.append(time.perf_counter() - start)
    for token in packets:
        start = time.perf_counter()
        verified = verify(token, trust)
        packet = msgspec.json.decode(verified.payload, type=TransferPacket, strict=True)
        verify_proof(packet, trust[packet.issuer].values())  # its events' multiproof (ADR 0041)
        check.append(time.perf_counter() - start)
    return {"export_sign_in_process_ms": latency_ms(export)["p50"], "verify_in_process_ms": latency_ms(check)["p50"]}


# ---------------------------------------------------------------- `python -m bench.packets`: packets alone

STATE = "packets-state.json"  # in the kept folder: the seeded schema's children handed over, for --reuse


def serve(deployment: Deployment, tree: Any, folder: Any) -> tuple[Any, int]:
    """`gakuseki serve` of the code tree, once it answers /health at all: without the alert process, which
    this bench does not run, /health says 503 "stalled" (the alert process's position stays behind)."""
    import contextlib
    import subprocess
    import sys

    from bench.server import free_port

    port = free_port()
    env = {**deployment.env(), "GAKUSEKI_PORT": str(port), "PYTHONPATH": str(tree)}
    with open(folder / f"serve-{port}.log", "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)], env=env,
                                   cwd=deployment.folder, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError):
            if http_client.one("127.0.0.1", port, http_client.Call("GET", "/health", "-")).status in (200, 503):
                return process, port
        time.sleep(0.2)
    raise RuntimeError(f"the server of {tree} did not start (its log: {folder})")


def _meter(pid: int) -> tuple[float, dict[str, tuple[float, float]]]:
    from bench.writes import postgres_pids, scheduled, tree_cpu

    return tree_cpu(pid), scheduled(postgres_pids())


def _spent(pid: int, before: tuple[float, dict[str, tuple[float, float]]], n: int) -> dict[str, float]:
    from bench.writes import postgres_pids, scheduled, spent, tree_cpu

    return {"server_cpu_ms": (tree_cpu(pid) - before[0]) / max(1, n) * 1e3,
            "postgres_cpu_ms": spent(before[1], scheduled(postgres_pids()))[0] / max(1, n) * 1e3}


def project(deployment: Deployment) -> None:
    """The read models and the Merkle log brought to the head in this process, and a checkpoint of the
    whole tree signed: what `gakuseki projections run` does, without the alert process (the seeded
    absences would have it record tens of thousands of alerts first, which no export waits for)."""
    from projections import all_projections
    from projections.checkpoints import CheckpointPublisher
    from projections.merkle_log import MerkleLog
    from projections.runner import Runner
    from projections.store import DocumentStore

    with Ledger.open(Backend.from_url(deployment.url)) as ledger:
        Runner(ledger, DocumentStore(ledger.storage), all_projections()).catch_up()
        MerkleLog(ledger).catch_up()
        CheckpointPublisher(ledger, deployment.key.checkpoint_signer(), every=1e-9).publish()


def main(argv: list[str] | None = None) -> int:
    """Export and import, over HTTP and in process, on a log of the bench's full scale (or ``--scale``)."""
    import argparse
    import os
    import statistics
    import tempfile
    import uuid
    from pathlib import Path

    from api.keys import LedgerKey
    from bench.__main__ import DEFAULT_URL, drop_schemas, log, vacuum_analyze
    from bench.config import SCALES
    from bench.dataset import Seeder, seeding_clock, terms_of
    from bench.server import Tokens, remove
    from bench.writes import gil_profile

    p = argparse.ArgumentParser(prog="python -m bench.packets", description=(
        "Transfer packets alone at the bench's scale: export (GET /v1/students/{id}/transfer-packet) and import "
        "(POST /v1/transfer-packets on a second ledger), over HTTP (one client) with the server's CPU a packet, "
        "this code tree beside --before DIR's in the same rounds; and the export's parts in process."))
    p.add_argument("--scale", choices=sorted(SCALES), default="full", help="the dataset seeded (bench/config.py)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--packets", type=int, default=20, help="packets exported and imported per server per round")
    p.add_argument("--before", type=Path, metavar="DIR", help="also serve the code tree in DIR, in the same rounds")
    p.add_argument("--url", default=os.environ.get("GAKUSEKI_BENCH_URL") or DEFAULT_URL)
    p.add_argument("--keep", action="store_true", help="keep the seeded schema and its folder (for --reuse)")
    p.add_argument("--reuse", type=Path, metavar="FOLDER", help="the folder --keep left: its schema, not a new seed")
    p.add_argument("--profile", type=Path, metavar="DIR", help="py-spy --gil of each server's first round")
    args = p.parse_args(argv)
    here = Path(__file__).resolve().parent.parent
    trees = {"this": here, **({"before": args.before.resolve()} if args.before else {})}
    run = uuid.uuid4().hex[:8]
    base = args.url.split("?")[0]
    conninfo = Backend.from_url(base).psycopg_conninfo()
    need = args.rounds * len(trees) * args.packets
    if args.reuse:
        folder = args.reuse.resolve()
        state = json.loads((folder / STATE).read_text())
        schema = state["schema"]
        pem = (folder / "a" / "signing-key.pem").read_bytes()
    else:
        schema = f"bench_packets_{run}"
        folder = Path(tempfile.mkdtemp(prefix=f"gakuseki-bench-packets-{run}-"))
    imports = f"{schema}_import_{run}"
    tokens = Tokens(folder / "dev-key.pem")
    first = Deployment(f"{base}?schema={schema}", folder / "a", "bench-a", tokens.path)
    if args.reuse:  # the key the kept log's checkpoints are signed with
        (folder / "a" / "signing-key.pem").write_bytes(pem)
        first.key = LedgerKey.load(folder / "a" / "signing-key.pem", "bench-a")
    second = Deployment(f"{base}?schema={imports}", folder / f"b-{run}", "bench-b", tokens.path,
                        trust=[first.key.trust_entry()])
    servers: dict[str, Any] = {}
    importers: dict[str, Any] = {}
    rounds: list[dict[str, Any]] = []
    try:
        first.migrate()
        scale = SCALES[args.scale]
        if not args.reuse:
            with Ledger.open(Backend.from_url(first.url), clock=seeding_clock()) as ledger:
                ds = Seeder(ledger, scale, progress=log).seed(schema)
            log(f"seeded {ds.events:,} events; VACUUM ANALYZE {vacuum_analyze(conninfo, schema):.1f} s")
        project(first)
        for name, tree in trees.items():
            servers[name] = serve(first, tree, folder)
        port = servers["this"][1]
        if not args.reuse:
            leavers = Leavers(ds)
            room = sum(len(c.students) - len(c.students) // 2 for c in ds.rolled)
            children = leavers.take(max(need, min(160, room)))  # room for --reuse runs
            move = {"kind": "transfer", "to_school": RECEIVING, "external": True, "to_school_name": RECEIVING_NAME,
                    "to_school_address": "千葉県千葉市中央区1-1", "left_on": leavers.left_on.isoformat(),
                    "accepted_on": (leavers.left_on + timedelta(days=1)).isoformat(), "year": 2026,
                    "reason": "保護者の転勤に伴う転居"}
            handed = http_client.run("127.0.0.1", port, [http_client.Call(
                "POST", f"/v1/students/{sid}/handovers", tokens.token(f"R-{c.code[5:12]}", "registrar", c.code),
                json.dumps({**move, "grade": c.grade}).encode()) for c, sid in children])
            if len(handed.ok(201)) != len(children):
                raise RuntimeError(f"hand-overs refused: {handed.refused()}")
            state = {"schema": schema, "events": ds.events, "days": [d.isoformat() for d in ds.days],
                     "children": [[c.code, str(sid)] for c, sid in children]}
            (folder / STATE).write_text(json.dumps(state))
            project(first)
            log(f"{len(children)} children handed over; the read models and the tree caught up, a checkpoint signed")
        pool = [(code, sid) for code, sid in state["children"]]
        if len(pool) < need:
            raise RuntimeError(f"{len(pool)} children handed over, {need} needed: seed anew")
        from datetime import date

        second.migrate()
        with Ledger.open(Backend.from_url(second.url)) as other:
            receiving_school(other, 2026, terms_of(2026), [date.fromisoformat(d) for d in state["days"]])
        importers = {name: serve(second, tree, folder) for name, tree in trees.items()}
        registrar = tokens.token("R-0500", "registrar", RECEIVING)

        def exports(batch: list[tuple[str, str]]) -> list[http_client.Call]:
            return [http_client.Call("GET", f"/v1/students/{sid}/transfer-packet",
                                     tokens.token(f"R-{code[5:12]}", "registrar", code)) for code, sid in batch]

        # warm-up (not counted): the last children of the pool, exported by each server; not imported
        for name in trees:
            http_client.run("127.0.0.1", servers[name][1], exports(pool[-3:]))
        # the same packet from each tree: byte-identical (the format is a contract)
        tokens_by_tree = {name: [json.loads(a.body)["packet"] for a in http_client.run(
            "127.0.0.1", servers[name][1], exports(pool[-3:])).ok(200)] for name in trees}
        identical = all(v == tokens_by_tree["this"] for v in tokens_by_tree.values())
        log(f"packets of the same children from each tree byte-identical: {identical}")
        for r in range(args.rounds):
            rec: dict[str, Any] = {"load_average": os.getloadavg()[0]}
            order = list(trees) if r % 2 == 0 else list(reversed(trees))
            for name in order:
                i = (r * len(trees) + list(trees).index(name)) * args.packets
                batch = pool[i:i + args.packets]
                process, sport = servers[name]
                with gil_profile(args.profile if r == 0 else None, process.pid, f"export-{name}"):
                    meter = _meter(process.pid)
                    out = http_client.run("127.0.0.1", sport, exports(batch))
                    exp = _spent(process.pid, meter, len(out.ok(200)))
                packets = [json.loads(a.body)["packet"] for a in out.ok(200)]
                iprocess, iport = importers[name]
                calls = [http_client.Call("POST", "/v1/transfer-packets", registrar,
                                          json.dumps({"school_code": RECEIVING, "packet": t}).encode())
                         for t in packets]
                with gil_profile(args.profile if r == 0 else None, iprocess.pid, f"import-{name}"):
                    meter = _meter(iprocess.pid)
                    into = http_client.run("127.0.0.1", iport, calls)
                    imp = _spent(iprocess.pid, meter, len(into.ok(201)))
                if len(out.ok(200)) != len(batch) or len(into.ok(201)) != len(packets):
                    raise RuntimeError(f"{name}: export refused {out.refused()}, import refused {into.refused()}")
                e, m = latency_ms([a.seconds for a in out.ok(200)]), latency_ms([a.seconds for a in into.ok(201)])
                rec[name] = {"export_p50_ms": e["p50"], "export_p99_ms": e["p99"], "import_p50_ms": m["p50"],
                             "import_p99_ms": m["p99"], "export_server_cpu_ms": exp["server_cpu_ms"],
                             "export_postgres_cpu_ms": exp["postgres_cpu_ms"],
                             "import_server_cpu_ms": imp["server_cpu_ms"],
                             "import_postgres_cpu_ms": imp["postgres_cpu_ms"],
                             "packet_kb": sum(len(t) for t in packets) / len(packets) / 1024}
            rounds.append(rec)
            log(f"round {r + 1} (load {rec['load_average']:.1f}): " + "; ".join(
                f"{name}: export {rec[name]['export_p50_ms']:.1f} ms ({rec[name]['export_server_cpu_ms']:.1f} ms CPU, "
                f"PostgreSQL {rec[name]['export_postgres_cpu_ms']:.1f}), import {rec[name]['import_p50_ms']:.1f} ms "
                f"({rec[name]['import_server_cpu_ms']:.1f} ms CPU, "
                f"PostgreSQL {rec[name]['import_postgres_cpu_ms']:.1f})"
                for name in trees))
    finally:
        for process, _ in [*servers.values(), *importers.values()]:
            process.terminate()
            process.wait(30)
        drop_schemas(conninfo, [imports])
        if args.keep or args.reuse:
            log(f"kept the schema {schema} and {folder} (--reuse {folder}; drop the schema when done)")
        else:
            drop_schemas(conninfo, [schema])
            remove(folder)
    if rounds:
        keys = ("export_p50_ms", "export_server_cpu_ms", "export_postgres_cpu_ms", "import_p50_ms",
                "import_server_cpu_ms", "import_postgres_cpu_ms", "packet_kb")
        print("| figure | " + " | ".join(trees) + (" | this / before |" if "before" in trees else " |"))
        print("|---|" + "---:|" * (len(trees) + ("before" in trees)))
        for k in keys:
            med = {n: statistics.median(r[n][k] for r in rounds) for n in trees}
            cells = [f"{med[n]:.2f} ({', '.join(f'{r[n][k]:.1f}' for r in rounds)})" for n in trees]
            if "before" in trees:
                cells.append(f"{med['this'] / med['before']:.2f}×" if med["before"] else "")
            print(f"| {k} | " + " | ".join(cells) + " |")
        print("load average (1 min) at each round's start: " + ", ".join(f"{r['load_average']:.1f}" for r in rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
