"""Idempotency-Key for writes: a retry returns the first response and records nothing.

1. Before the command runs, the key is *claimed* (a row in_flight, with the request's hash) in a
   short transaction of its own. A second request with the key finds the row: the same body gets
   the stored response once it is done, 409 while it is still in flight; another body gets 422.
2. The events are saved with a Completion: the recorder marks the row done with the receipt in
   the events' own transaction (domain/storage/recorders.py).
3. A command refused by a rule releases its claim, so nothing of it stays.
A claim left in flight by a crashed process is taken over after STALE_AFTER.
4. A key is kept for ``retention`` (RETENTION, 24 hours, unless GAKUSEKI_IDEMPOTENCY_HOURS says
   otherwise), then dropped by the server's sweep (``sweep_in_background``): a retry after that
   is a new request, judged and recorded again (ADR 0022). Deleting these rows is allowed: they
   are not the record, only the memory of answers given.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from api.problems import ApiProblem
from domain.ledger import Ledger
from domain.storage import idempotency_keys
from domain.storage.recorders import Completion, current_completion

STALE_AFTER = timedelta(seconds=60)
RETENTION = timedelta(hours=24)
log = logging.getLogger("gakuseki.idempotency")


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def in_flight() -> ApiProblem:
    return ApiProblem(409, "request-in-flight",
                      "a request with this Idempotency-Key is still being processed; retry later",
                      field="Idempotency-Key", headers={"Retry-After": "1"})  # a write takes well under a second


class Keys:
    """The idempotency keys of one ledger (their table: domain/storage/idempotency_keys.py)."""

    def __init__(self, ledger: Ledger, retention: timedelta = RETENTION) -> None:
        self.retention = retention
        self.storage = ledger.storage

    def claim(self, staff_id: str, key: str, digest: str) -> tuple[int, dict[str, Any]] | None:
        """None when this request now owns the key; the stored (status, body) when it was done."""
        with self.storage.writing() as tx:
            if idempotency_keys.claim(tx, staff_id, key, digest, self.storage.now()):
                return None
            found = idempotency_keys.find(tx, staff_id, key)
            if found is None:  # released between our insert and select: try once more
                if idempotency_keys.claim(tx, staff_id, key, digest, self.storage.now()):
                    return None
                raise in_flight()  # and claimed again by another request meanwhile
            if found.request_hash != digest:
                raise ApiProblem(422, "idempotency-key-reused",
                                 "this Idempotency-Key was used for a different request", field="Idempotency-Key")
            if found.state == "done":
                return int(found.status or 0), json.loads(found.response or "null")
            now = self.storage.now()
            if now - found.claimed_at > STALE_AFTER and \
                    idempotency_keys.take_over(tx, staff_id, key, digest, now, found.claimed_at):
                return None
            raise in_flight()

    def purge(self, now: datetime | None = None) -> int:
        """Drop the keys claimed more than ``retention`` before ``now``; returns how many."""
        now = now or self.storage.now()
        with self.storage.writing() as tx:
            return idempotency_keys.purge(tx, now - self.retention, now - max(self.retention, STALE_AFTER))

    def sweep_in_background(self, every: float | None = None) -> tuple[threading.Event, threading.Thread]:
        """Purge now and then every ``every`` seconds (an hour, or sooner for a short retention) in a
        thread, until the returned event is set. A failed sweep is logged and tried at the next turn."""
        every = every or max(1.0, min(3600.0, self.retention.total_seconds() / 4))
        stop = threading.Event()

        def sweep() -> None:
            while not stop.is_set():
                try:
                    dropped = self.purge()
                    if dropped:
                        log.info("dropped %d idempotency keys older than %s", dropped, self.retention)
                except Exception as e:  # the database is away: the next turn tries again
                    log.warning("idempotency keys not swept (%s: %s)", type(e).__name__, e)
                stop.wait(every)

        thread = threading.Thread(target=sweep, name="gakuseki-idempotency-sweep", daemon=True)
        thread.start()
        return stop, thread

    def release(self, staff_id: str, key: str) -> None:
        with self.storage.writing() as tx:
            idempotency_keys.release(tx, staff_id, key)

    @contextmanager
    def completing(self, staff_id: str, key: str, status: int) -> Iterator[None]:
        """Run a command whose events complete the claimed key; release the claim if it fails."""
        token = current_completion.set(Completion(staff_id, key, status))
        try:
            yield
        except BaseException:
            self.release(staff_id, key)
            raise
        finally:
            current_completion.reset(token)
