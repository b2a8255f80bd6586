"""The writer: a few threads that run the write routes' commands and save what they decide together (ADR 0054).

A synchronous write handler used to take a thread of the pool (32 of them, ADR 0040) for the whole
request: its reads, its decision, and the wait for the group commit that saved it. At 32 clients about
eleven writes waited in one group commit; when it committed, the leader woke every waiting thread
(``notify_all``), each took the interpreter lock in turn to finish its request, and each handed its
answer back to the event loop with a wake-up of its own: about 14 context switches and 90 futex calls
per write among 33 threads, a quarter of the server's CPU (docs/benchmarks.md, "where a write's CPU goes").

Here an ``async`` route hands its write (a synchronous function: ``api.writes.write`` and its command)
to the writer and awaits the answer. A writer thread takes every write queued, and runs each in a
greenlet of its own: the write reads, authorizes and decides as before, in its own context (its
``Ledger.reading`` block, its Idempotency-Key's completion), until it saves (``GroupCommit.submit``),
where it *parks* (``domain.group_commit.parking``) and the writer runs the next one. When every queued
write has parked or finished, the writer saves the parked writes in one group commit (with any write
of another thread that is queued), resumes each where it parked (its save done, or refused with its
own error: a conflict refuses only the write in conflict, a failed commit every write of the batch),
lets it finish its request, and answers every write of the round with one ``call_soon_threadsafe``.

Every write is still judged on what it read in its own request; it is answered only after the
transaction holding it committed (or with the error that refused it); its greenlet runs to its end
even when its client has gone (the answer is dropped). Nothing outlives a request: the greenlets and
their contexts end with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import greenlet

from domain.event import Event
from domain.group_commit import GroupCommit, Pending, parking
from domain.ledger_base import LedgerBase, reading_together

T = TypeVar("T")
MAX_ROUND = 64  # writes taken in one round (the group commit's batch is as large)
# Threads of the writer: while one waits for its round's reads or commit, another reads and decides the
# writes that arrived meanwhile; their saves meet in the group commit. Measured at 1, 2, 4 and 8 (ADR 0054):
# the same CPU a write within the noise, and with 8 the open loop at 100/s kept main's latency on a loaded
# machine where 1 and 2 threads doubled its p50
WRITER_THREADS = 8


class _Job:
    """One write: its function, the request's context, where its answer goes, and how it ended."""

    __slots__ = ("context", "error", "fn", "future", "glet", "loop", "parked", "read", "reading", "result")

    def __init__(self, fn: Callable[[], Any], context: contextvars.Context, future: asyncio.Future[Any],
                 loop: asyncio.AbstractEventLoop) -> None:
        self.fn, self.context, self.future, self.loop = fn, context, future, loop
        self.glet: greenlet.greenlet | None = None
        self.parked: Pending | None = None  # parked at its save: the write to save
        self.reading: tuple[LedgerBase, list[UUID]] | None = None  # parked to read: these streams
        self.read: list[tuple[int, Event]] | BaseException | None = None  # what it read (or why not)
        self.result: Any = None
        self.error: BaseException | None = None


class Writer:
    """Runs writes in a few threads of its own (started at the first write), saving them together."""

    def __init__(self, group_commit: GroupCommit, threads: int = WRITER_THREADS, name: str = "gakuseki-writer") -> None:
        self._commit, self._name, self._size = group_commit, name, max(1, threads)
        self._cond = threading.Condition()
        self._queue: deque[_Job] = deque()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self.received = 0  # writes handed to it, rounds run and the writes they ran (for the tests)
        self.rounds = 0
        self.writes = 0

    async def run(self, fn: Callable[[], T]) -> T:
        """``fn()`` run by the writer, in a copy of the caller's context; its result or its exception."""
        loop = asyncio.get_running_loop()
        job = _Job(fn, contextvars.copy_context(), loop.create_future(), loop)
        with self._cond:
            if not self._threads:
                self._start()
            self._queue.append(job)
            self.received += 1
            if len(self._queue) == 1:
                self._cond.notify()
        result: T = await job.future
        return result

    @property
    def queued(self) -> int:
        """Writes waiting for the writer's next round."""
        with self._cond:
            return len(self._queue)

    def stop(self) -> None:
        """Run what is queued, then end the threads (before the ledger closes); a later write starts them
        again (an app served again after its shutdown, as a test client does)."""
        with self._cond:
            self._stopping = True
            threads = self._threads
            self._cond.notify_all()
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()
        with self._cond:
            if self._threads is threads:
                self._threads, self._stopping = [], False
                if self._queue:  # handed over while the threads were ending
                    self._start()

    def _start(self) -> None:
        self._threads = [threading.Thread(target=self._work, name=f"{self._name}-{i}", daemon=True)
                         for i in range(self._size)]
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------ the writer's thread

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
                jobs = [self._queue.popleft() for _ in range(min(MAX_ROUND, len(self._queue)))]
            try:
                self._round(jobs)
            except BaseException as e:  # the writer's own failure: no write of the round goes unanswered
                for job in jobs:
                    if job.error is None and (job.glet is None or not job.glet.dead):
                        job.error = e
            with self._cond:
                self.rounds += 1
                self.writes += len(jobs)
            for job in jobs:
                job.glet = None  # ended (its frames gone): nothing of the request stays with the writer
            self._answer(jobs)

    def _round(self, jobs: list[_Job]) -> None:
        """Run each write until it parks (to read, or at its save) or ends. Then, while any is parked: read
        what those parked to read asked for, in one query, and resume them; once none waits for a read,
        save those parked at their save together and resume them."""
        for job in jobs:
            job.glet = greenlet.greenlet(self._body(job))
            job.glet.gr_context = job.context
            job.glet.switch()
        while True:
            if reading := [job for job in jobs if job.reading is not None]:
                self._read(reading)
            elif saving := [job for job in jobs if job.parked is not None]:
                self._commit.save([job.parked for job in saving if job.parked is not None])
                for job in saving:
                    job.parked = None
                    self._resume(job)
            else:
                return

    def _read(self, jobs: list[_Job]) -> None:
        """The streams the parked writes asked for, in one query per ledger; each write resumed with its own."""
        by_ledger: dict[int, list[_Job]] = {}
        for job in jobs:
            assert job.reading is not None
            by_ledger.setdefault(id(job.reading[0]), []).append(job)
        for asking in by_ledger.values():
            ledger = asking[0].reading[0]  # type: ignore[index]
            wanted = list(dict.fromkeys(s for job in asking for s in job.reading[1]))  # type: ignore[index]
            try:
                rows: list[tuple[int, Event]] | BaseException = ledger.read_streams(wanted)
            except Exception as e:  # each write that asked learns it, as its own read would have raised it
                rows = e
            for job in asking:
                assert job.reading is not None
                if isinstance(rows, BaseException) or len(asking) == 1:  # (alone, every row read is its own)
                    job.read = rows
                else:
                    own = set(job.reading[1])
                    job.read = [(position, event) for position, event in rows if event.originator_id in own]
                job.reading = None
                self._resume(job)

    def _body(self, job: _Job) -> Callable[[], None]:
        hub = greenlet.getcurrent()

        def park(item: Pending) -> None:
            job.parked = item
            hub.switch()  # back to the writer; it resumes this write once the item is saved (or refused)

        def read(ledger: LedgerBase, stream_ids: list[UUID]) -> list[tuple[int, Event]]:
            job.reading = (ledger, stream_ids)
            hub.switch()  # back to the writer; it resumes this write with what it read with the others
            read, job.read = job.read, None
            if isinstance(read, BaseException):
                raise read
            assert read is not None
            return read

        def body() -> None:
            parking.set(park)
            reading_together.set(read)
            try:
                job.result = job.fn()
            except Exception as e:  # the request's own refusal or failure, answered as a handler's would be
                job.error = e
            finally:  # the context would otherwise hold these closures, and they the job: a cycle per write
                parking.set(None)
                reading_together.set(None)
        return body

    @staticmethod
    def _resume(job: _Job) -> None:
        assert job.glet is not None
        job.glet.switch()

    @staticmethod
    def _answer(jobs: list[_Job]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in jobs:
            by_loop.setdefault(job.loop, []).append(job)
        for loop, answered in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits for these answers
                loop.call_soon_threadsafe(_settle, answered)


def _settle(jobs: list[_Job]) -> None:
    """On the event loop: each write's answer to the request awaiting it (unless it has gone)."""
    for job in jobs:
        if job.future.done():  # cancelled: the client went away; the write itself ran to its end
            continue
        if job.error is not None:
            job.future.set_exception(job.error)
        else:
            job.future.set_result(job.result)


__all__ = ["MAX_ROUND", "Writer"]
