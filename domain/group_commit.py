"""Group commit: the events of writes that arrive together are saved in one transaction.

The library's PostgreSQL recorder takes a table lock for every save and each save commits on its
own, so concurrent writers queue behind one another's commits (reference/perf-baseline.md). Here a
writer that finds no save running saves, in one transaction, its own events and those of every
writer that queued meanwhile (the leader); the others wait until the leader says how theirs went.
A lone writer saves at once: nothing waits for company.

Each write keeps its own atomicity (its events are all in the transaction, or none) and its own
outcome: when the batch hits a uniqueness conflict (another writer's event at the same stream
version), the batch is rolled back whole and each write is saved again alone, so only the write in
conflict is refused. A write is answered only after the transaction holding it has committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.storage.recorders import Completion

# Set by the API's writer (api/writer.py) in the context of each write it runs: ``submit`` hands the write to
# it (it saves the writes it ran together, then resumes each one) instead of saving it in this thread.
parking: ContextVar[Callable[[Pending], None] | None] = ContextVar("gakuseki_parking", default=None)


class Pending:
    """One write waiting to be saved: its stored events, the key it completes, and its outcome."""

    __slots__ = ("completion", "done", "error", "ids", "position", "recorded_at", "stored", "unchanged")

    def __init__(self, stored: Sequence[StoredEvent], completion: Completion | None,
                 unchanged: Sequence[tuple[UUID, int]] = (), recorded_at: datetime | None = None) -> None:
        self.stored, self.completion = stored, completion
        self.unchanged = unchanged  # streams it was judged on, at the versions read (must still be so)
        self.recorded_at = recorded_at  # the latest recorded time of its events
        self.ids: Sequence[int] = ()
        self.position = 0  # the last position of the transaction that saved it (its receipt's)
        self.error: BaseException | None = None
        self.done = False


class GroupCommit:
    def __init__(self, save_batch: Callable[[list[Pending]], None], max_batch: int = 64) -> None:
        """``save_batch`` saves the writes of a batch and sets each one's ``ids`` or ``error``."""
        self._save_batch, self._max = save_batch, max_batch
        self._cond = threading.Condition()
        self._queue: list[Pending] = []
        self._leading = False
        self.batches = 0  # how many transactions, and how many writes they held (for the tests)
        self.writes = 0

    def submit(self, item: Pending) -> None:
        """Save the write (leading a batch, or waiting for the leader); raises what refused it.

        A write run by the API's writer (api/writer.py: ``parking`` is set in its context) hands its
        write to the writer instead, which saves it with the others it ran meanwhile and comes back here."""
        park = parking.get()
        if park is not None:
            park(item)
        else:
            self.save([item])
        if item.error is not None:
            raise item.error

    def save(self, items: Sequence[Pending]) -> None:
        """Save these writes, with whatever else is queued (leading batches, or waiting for the leader)
        until each one is done; what refused a write is left in its ``error``."""
        with self._cond:
            self._queue.extend(items)
        while True:
            with self._cond:
                while self._leading and not all(item.done for item in items):
                    self._cond.wait()
                if all(item.done for item in items):
                    break
                self._leading = True
                batch = self._queue[:self._max]
                del self._queue[:self._max]
            try:
                self._run(batch)
            finally:
                with self._cond:
                    self._leading = False
                    self._cond.notify_all()

    def _run(self, batch: list[Pending]) -> None:
        try:
            self._save_batch(batch)
        except BaseException as e:  # every write of the batch learns what stopped it
            for item in batch:
                if item.error is None and not item.ids:
                    item.error = e
        finally:
            self.batches += 1
            self.writes += len(batch)
            for item in batch:
                item.done = True


def slices(batch: Sequence[Pending], ids: Sequence[int]) -> None:
    """Give each write of a saved batch its own notification ids (they come back in order)."""
    start = 0
    for item in batch:
        item.ids = ids[start:start + len(item.stored)]
        item.position = max(ids)  # as of its own last position the write would still be half saved
        start += len(item.stored)
    assert start == len(ids), "one notification id per stored event"


def completions(batch: Sequence[Pending]) -> list[tuple[Completion, int, int]]:
    """The idempotency keys a batch completes, each with its write's slice of the stored events."""
    out, start = [], 0
    for item in batch:
        if item.completion is not None:
            out.append((item.completion, start, start + len(item.stored)))
        start += len(item.stored)
    return out


def flat(batch: Sequence[Pending]) -> list[StoredEvent]:
    return [s for item in batch for s in item.stored]


def recorded_at(batch: Sequence[Pending]) -> datetime | None:
    """The latest recorded time of a batch's events (the writes' clocks are read apart)."""
    return max((item.recorded_at for item in batch if item.recorded_at is not None), default=None)


def unchanged(batch: Sequence[Pending]) -> list[tuple[UUID, int]]:
    """What every write of a batch was judged on (a stream read at two versions keeps the older)."""
    judged: dict[UUID, int] = {}
    for item in batch:
        for stream, version in item.unchanged:
            judged[stream] = min(version, judged.get(stream, version))
    return sorted(judged.items())


__all__ = ["GroupCommit", "Pending", "completions", "flat", "parking", "recorded_at", "slices", "unchanged"]
