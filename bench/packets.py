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
from domain.ledger import Ledger
from domain.signing import canonical, verify
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
        first.key.sign(canonical(msgspec.to_builtins(content)))
        export.append(time.perf_counter() - start)
    for token in packets:
        start = time.perf_counter()
        verified = verify(token, trust)
        packet = msgspec.json.decode(verified.payload, type=TransferPacket, strict=True)
        verify_proof(packet, trust[packet.issuer].values())  # its events' multiproof (ADR 0041)
        check.append(time.perf_counter() - start)
    return {"export_sign_in_process_ms": latency_ms(export)["p50"], "verify_in_process_ms": latency_ms(check)["p50"]}
