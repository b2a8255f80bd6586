"""The server's heap once it has started: out of the cycle collector's way (ADR 0046).

Python's cycle collector walks every container object of a generation when it collects it. The
server's start-up (Litestar, its routes and OpenAPI document, eventsourcing, psycopg, the keys)
leaves a few hundred thousand such objects that live as long as the process; each full collection
walked all of them again, 70–90 ms of CPU on the project machine, a few times a minute under writes:
the writes waiting behind one were the p99 at 100 writes/s (docs/benchmarks.md, "The write tail and
the server's CPU per write"). After start-up they are frozen (``gc.freeze``: kept, never walked
again), and the youngest generation is collected after 10,000 allocations instead of 700, so a
request's short-lived objects are mostly freed by their reference counts before a collection looks
at them. Cycles are still collected, only less often: the most garbage left waiting is what 10,000
allocations make.
"""

from __future__ import annotations

import gc

YOUNG = 10_000  # allocations of container objects between two collections of the youngest generation (Python: 700)
OLDER = 20  # collections of a generation between two of the next (Python: 10)


def settle() -> None:
    """Collect what start-up left, freeze the rest, and collect the young less often. Called once, by
    ``gakuseki serve``, when the app is built and before it serves (never in a test's process)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, OLDER, OLDER)
