"""Rebuilding every read model from scratch, and the raw log read it is compared with.

Rebuild: ``Runner.rebuild(<every projection>)``, what `gakuseki projections rebuild` runs
(without its before/after fingerprints): delete the documents and positions, then apply the whole
log again. Figure: events in the log divided by the wall time of rebuilding them all (events/s).
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
"""

from __future__ import annotations

import time
from typing import Any

from domain.ledger import Ledger
from domain.storage import events
from projections import runner_for
from projections.merkle_log import MerkleLog


def log_size(ledger: Ledger) -> int:
    """Events in the log (positions can have gaps, so count them)."""
    return events.count(ledger.storage)


def log_read(ledger: Ledger) -> dict[str, Any]:
    head = ledger.position()
    start, read = 0, 0
    t0 = time.perf_counter()
    while True:
        page = ledger.recorder.select_notifications(start=start, limit=1000, stop=head, inclusive_of_start=False)
        for n in page:
            ledger.decode(n)
        read += len(page)
        if len(page) < 1000:
            break
        start = page[-1].id
    wall = time.perf_counter() - t0
    return {"events": read, "seconds": wall, "events_per_s": read / wall}


def merkle_append(ledger: Ledger, events: int) -> dict[str, Any]:
    tree = MerkleLog(ledger)
    t0 = time.perf_counter()
    read = tree.rebuild()
    wall = time.perf_counter() - t0
    return {"log_events": events, "events_read": read, "leaves": tree.size(), "seconds": wall,
            "events_per_s": events / wall}


def rebuild(ledger: Ledger, backend: Any, events: int, *, each: bool = False) -> dict[str, Any]:
    runner = runner_for(ledger, backend)
    names = list(runner.projections)
    t0 = time.perf_counter()
    read = runner.rebuild(names)
    wall = time.perf_counter() - t0
    out: dict[str, Any] = {"log_events": events, "events_read": read, "seconds": wall, "events_per_s": events / wall}
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
