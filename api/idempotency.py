"""Idempotency-Key for writes: a retry returns the first response and records nothing.

1. Before the command runs, the key is *claimed* (a row in_flight, with the request's hash) in a
   short transaction of its own. A second request with the key finds the row: the same body gets
   the stored response once it is done, 409 while it is still in flight; another body gets 422.
2. The events are saved with a Completion: the recorder marks the row done with the receipt in
   the events' own transaction (domain/storage/recorders.py).
3. A command refused by a rule releases its claim, so nothing of it stays.
A claim left in flight by a crashed process is taken over by the client's retry as soon as that
   process is known gone (ADR 0061): each serving process has an ``instance`` id, written in its
   claims, and a heartbeat row it writes when it starts and every BEAT seconds (and deletes when it
   stops); a claim whose process has no row, or has not beaten for GONE_AFTER, is taken over at once.
   Any claim still in flight after STALE_AFTER is taken over too (a process alive but stuck, or a
   claim made before the instance was recorded).
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
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from api.problems import ApiProblem
from domain.ledger import Ledger
from domain.storage import Tx, idempotency_keys, server_instances
from domain.storage.recorders import Completion, current_completion

STALE_AFTER = timedelta(seconds=60)
BEAT = 2.0  # seconds between two heartbeats of a serving process
# A process not seen for this long is gone: five beats missed. Servers on several hosts compare their
# own clocks with the rows, so those clocks must agree within a few seconds (NTP).
GONE_AFTER = timedelta(seconds=10)
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
        self.instance = uuid.uuid4().hex  # this process, as its claims and heartbeat name it
        self._beaten = False  # its heartbeat row written at least once (by the heartbeat or a claim)

    def claim(self, staff_id: str, key: str, digest: str) -> tuple[int, dict[str, Any]] | None:
        """None when this request now owns the key; the stored (status, body) when it was done."""
        with self.storage.writing() as tx:
            stored = self._claim(tx, staff_id, key, digest)
        self._beaten = True  # committed, and with this process's row if it was its first
        return stored

    def _claim(self, tx: Tx, staff_id: str, key: str, digest: str) -> tuple[int, dict[str, Any]] | None:
        if not self._beaten:  # a claim never names a process without a row (it would look gone)
            server_instances.beat(tx, self.instance, self.storage.now())
        if idempotency_keys.claim(tx, staff_id, key, digest, self.storage.now(), self.instance):
            return None
        found = idempotency_keys.find(tx, staff_id, key)
        if found is None:  # released between our insert and select: try once more
            if idempotency_keys.claim(tx, staff_id, key, digest, self.storage.now(), self.instance):
                return None
            raise in_flight()  # and claimed again by another request meanwhile
        if found.request_hash != digest:
            raise ApiProblem(422, "idempotency-key-reused",
                             "this Idempotency-Key was used for a different request", field="Idempotency-Key")
        if found.state == "done":
            return int(found.status or 0), json.loads(found.response or "null")
        now = self.storage.now()
        if (now - found.claimed_at > STALE_AFTER or self._gone(tx, found.instance, now)) and \
                idempotency_keys.take_over(tx, staff_id, key, digest, now, found.claimed_at, self.instance):
            if found.instance != self.instance:
                log.info("took over the Idempotency-Key %r of %s claimed at %s by server %s, no longer running",
                         key, staff_id, found.claimed_at.isoformat(), found.instance)
            return None
        raise in_flight()

    def _gone(self, tx: Tx, instance: str | None, now: datetime) -> bool:
        """Whether the process that made a claim is known to have ended: no heartbeat row (it stopped, or
        the row was swept), or none for GONE_AFTER. A claim of this process, or one that names none, is
        judged by its age alone."""
        if instance is None or instance == self.instance:
            return False
        seen = server_instances.seen(tx, instance)
        return seen is None or now - seen > GONE_AFTER

    def beat(self) -> None:
        """This process is alive (its heartbeat row written now)."""
        with self.storage.writing() as tx:
            server_instances.beat(tx, self.instance, self.storage.now())
        self._beaten = True

    def heartbeat_in_background(self, every: float = BEAT) -> tuple[threading.Event, threading.Thread]:
        """Beat now (before the server takes a request: a claim of this process must never look like a
        dead one's), then every ``every`` seconds in a thread, until the returned event is set; then
        delete the row (stopped: what this process claimed has been answered). A failed beat is logged
        and tried again at the next turn (the database away: nobody's claims are taken over meanwhile;
        a claim of this process writes the row first if no beat has yet)."""
        stop = threading.Event()
        failing = False

        def beat() -> None:  # a failure is logged once, until a beat is written again
            nonlocal failing
            try:
                self.beat()
                if failing:
                    log.info("heartbeat of server %s written again", self.instance)
                failing = False
            except Exception as e:  # the database is away (at start too: the server starts all the same)
                if not failing:
                    log.warning("heartbeat of server %s not written (%s: %s)", self.instance, type(e).__name__, e)
                failing = True

        def heartbeat() -> None:
            while not stop.wait(every):
                beat()
            try:
                with self.storage.writing() as tx:
                    server_instances.forget(tx, self.instance)
            except Exception as e:  # its row ages out: its claims are taken over after GONE_AFTER instead
                log.warning("heartbeat row of server %s not deleted (%s: %s)", self.instance, type(e).__name__, e)

        beat()
        thread = threading.Thread(target=heartbeat, name="gakuseki-heartbeat", daemon=True)
        thread.start()
        return stop, thread

    def purge(self, now: datetime | None = None) -> int:
        """Drop the keys claimed more than ``retention`` before ``now``; returns how many."""
        now = now or self.storage.now()
        stale = now - max(self.retention, STALE_AFTER)
        with self.storage.writing() as tx:
            server_instances.purge(tx, stale)  # the rows of processes killed long ago
            return idempotency_keys.purge(tx, now - self.retention, stale)

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
