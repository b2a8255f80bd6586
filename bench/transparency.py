"""The transparency log at the bench's own scale (issue 12; ADR 0030–0033, 0041), beside its baselines.

- ``verify``: `gakuseki verify` of the whole bench log, read-only, on a connection of its own
  (domain/transparency/audit.py: every leaf and the tree recomputed, every tile compared, every
  checkpoint checked), after the ledger's key signed a checkpoint of the whole tree; events/s, beside
  the library's decoded log read of the same round;
- ``inclusion_http``: ``GET /v1/transparency/inclusion?position=`` for events spread over the whole
  log, against the latest signed checkpoint (auditor token, one client); p50 and p99, beside the raw
  document read;
- ``Projector``: the projections process, swapped for the read models alone (``python -m
  bench.read_models``, no Merkle log, no checkpoints) for the class-roll figure's baseline, so the
  rolls are measured with the Merkle log running beside them and without it in the same round.
"""

from __future__ import annotations

import json
import random
import sys
import time
from typing import Any

from bench import http_client
from bench.server import Deployment, Process, Tokens
from bench.stats import latency_ms
from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import merkle_log
from domain.storage.audit_reads import AuditDatabase
from domain.transparency.audit import audit
from domain.transparency.audit_checkpoints import AuditKeys
from projections.checkpoints import CheckpointPublisher
from projections.merkle_log import NAME as MERKLE_LOG


def verify(ledger: Ledger, backend: Backend, deployment: Deployment, events: int) -> dict[str, Any]:
    """Sign a checkpoint of the whole tree (the Merkle log was just built), then audit the database."""
    signer = deployment.key.checkpoint_signer()
    CheckpointPublisher(ledger, signer, every=1e-9).publish()
    latest = merkle_log.latest_checkpoint(ledger.storage)
    if latest is None or latest.tree_size != events:
        raise RuntimeError(f"no checkpoint of the whole bench log ({events} events) was signed: {latest}")
    t0, c0 = time.perf_counter(), time.process_time()
    with AuditDatabase.open(backend) as db:
        report = audit(db, AuditKeys(signer.key))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if report.status != 0:
        raise RuntimeError(f"gakuseki verify of the bench log failed: {report.summary()}")
    return {"events": report.events, "seconds": wall, "cpu_seconds": cpu, "events_per_s": report.events / wall,
            "checkpoint_size": latest.tree_size}


def inclusion_http(host: str, port: int, ledger: Ledger, tokens: Tokens, n: int, seed: int) -> dict[str, Any]:
    latest = merkle_log.latest_checkpoint(ledger.storage)
    assert latest is not None
    rng = random.Random(seed)
    positions = [merkle_log.position_of(ledger.storage, rng.randrange(latest.tree_size)) for _ in range(n)]
    token = tokens.token("A-0001", "auditor")
    calls = [http_client.Call("GET", f"/v1/transparency/inclusion?position={p}&tree_size={latest.tree_size}",
                              token) for p in positions]
    load = http_client.run(host, port, calls, concurrency=1)
    ok = load.ok(200)
    assert all(json.loads(a.body)["tree_size"] == latest.tree_size for a in ok[:3])
    lat = latency_ms([a.seconds for a in ok])
    return {"p50_ms": lat["p50"], "p99_ms": lat["p99"], "mean_ms": lat["mean"], "ok": len(ok),
            "refused": load.refused(), "tree_size": latest.tree_size,
            "proof_hashes": len(json.loads(ok[0].body)["hashes"]) if ok else 0}


class Projector:
    """The first ledger's projections process: `gakuseki projections run` (read models, Merkle log,
    checkpoints), or for a baseline phase the read models alone."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.process: Process = deployment.project()
        self.merkle = True

    def swap(self, *, merkle: bool) -> None:
        if merkle == self.merkle:
            return
        self.process.stop()
        self.deployment.processes.remove(self.process)
        self.process = (self.deployment.project() if merkle else
                        self.deployment.start("read-models", sys.executable, "-m", "bench.read_models"))
        self.merkle = merkle

    @property
    def pid(self) -> int:
        return self.process.pid


def not_merkle(name: str) -> bool:
    return name != MERKLE_LOG
