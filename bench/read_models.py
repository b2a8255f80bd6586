"""`python -m bench.read_models`: the read models alone, polled as `gakuseki projections run` polls them,
without the Merkle log and without signing checkpoints (bench/transparency.py ``Projector``); the alert
process runs as in the product's poller (ADR 0042), so the two sides differ by the tree alone.

The baseline of issue 12's "class rolls through the API with the Merkle log running beside them
≥ 0.95× without": the same runner and read models, on the database of $GAKUSEKI_DATABASE_URL. Not a
way to run the product (a ledger without its Merkle log has nothing to sign): a bench process only.
SIGINT or SIGTERM stops it after the page it is applying.
"""

from __future__ import annotations

import os
import signal
import threading

from domain.backend import Backend
from domain.ledger import Ledger
from projections import all_projections
from projections.alert_raiser import AlertRaiser
from projections.runner import Runner
from projections.store import DocumentStore


def main() -> int:
    backend = Backend.from_url(os.environ["GAKUSEKI_DATABASE_URL"])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with Ledger.open(backend) as ledger:
        runner = Runner(ledger, DocumentStore(ledger.storage), all_projections())
        runner.raiser = AlertRaiser(runner)  # the poller's whole work but the tree: alerts are judged too
        print(f"bench.read_models: projecting {backend.describe()} without the Merkle log", flush=True)
        runner.poll(stop, 0.5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
