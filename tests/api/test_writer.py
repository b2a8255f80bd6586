"""The writer (api/writer.py, ADR 0054): the writes of a round are read together, decided one by one, saved in
one transaction and answered together, on both backends, with every guarantee of a write saved alone.

Each test holds the writer (one thread) with a first write that waits until the writes under test are queued
behind it, so that those are one round: read in one query, saved in one group commit.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from api.writer import Writer
from domain import errors, streams
from domain.ledger import Ledger, Receipt
from tests.builders import ELEMENTARY, YEAR, class_with_students, school_with_calendar

VIEWPOINTS = {"knowledge": "A", "thinking": "B", "attitude": "B"}


def assess(ledger: Ledger, sid: UUID, subject: str) -> Callable[[], Receipt]:
    """A write as the assessment route runs it: its reads in one request, the child's streams prefetched."""
    def write() -> Receipt:
        with ledger.reading():
            ledger.prefetch([sid, streams.assessments(sid, YEAR), *ledger.read_together(sid)])
            return ledger.record_assessment(sid, YEAR, subject=subject, viewpoints=VIEWPOINTS, term=1,
                                            on=date(2026, 7, 17), recorded_by="T-0001")
    return write


def one_round(writer: Writer, writes: list[Callable[[], Any]],
              meanwhile: Callable[[list[asyncio.Task[Any]]], Coroutine[Any, Any, None]] | None = None
              ) -> list[Any]:
    """Run ``writes`` as one round of the writer: a first write holds it until they are all queued. Each
    write's answer, or the exception it was answered with."""
    async def main() -> list[Any]:
        started, release = threading.Event(), threading.Event()

        def hold() -> None:
            started.set()
            release.wait(30)

        holding = asyncio.ensure_future(writer.run(hold))
        while not started.is_set():  # the holder runs in the writer's thread: the writes queue behind it
            await asyncio.sleep(0.001)
        tasks = [asyncio.ensure_future(writer.run(w)) for w in writes]
        deadline = time.monotonic() + 30
        while writer.queued < len(writes) and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        if meanwhile is not None:
            await meanwhile(tasks)
        release.set()
        await holding
        return list(await asyncio.gather(*tasks, return_exceptions=True))
    return asyncio.run(main())


@pytest.fixture
def children(ledger: Ledger) -> list[UUID]:
    school_with_calendar(ledger, ELEMENTARY)
    return class_with_students(ledger, ELEMENTARY, count=4)


@pytest.fixture
def writer(ledger: Ledger) -> Any:
    writer = Writer(ledger.group_commit, threads=1)
    yield writer
    writer.stop()


def test_a_round_is_read_in_one_query_and_saved_in_one_transaction(ledger: Ledger, children: list[UUID],
                                                                   writer: Writer,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    queries: list[list[UUID]] = []
    read = ledger.read_streams

    def counted(stream_ids: Any) -> Any:
        queries.append(list(stream_ids))
        return read(stream_ids)

    monkeypatch.setattr(ledger, "read_streams", counted)
    batches, before = ledger.group_commit.batches, ledger.position()
    answers = one_round(writer, [assess(ledger, sid, "japanese") for sid in children])
    assert all(isinstance(a, Receipt) for a in answers), answers
    # the four children's streams, read together; the school and year each write then reads alone (this
    # write does not prefetch them) are single-stream reads, as they were through the library's ``events.get``
    assert [len(q) > 1 for q in queries] == [True] + [False] * (len(queries) - 1)
    assert {streams.assessments(sid, YEAR) for sid in children} <= set(queries[0])
    assert ledger.group_commit.batches - batches == 1
    assert {a.position for a in answers} == {ledger.position()} == {before + 4}  # one transaction's end
    for sid, answer in zip(children, answers, strict=True):
        assert answer.stream_id == streams.assessments(sid, YEAR)
        assert [e.subject for e in ledger.stream(streams.assessments(sid, YEAR))] == ["japanese"]


def test_a_conflict_in_a_round_refuses_only_the_write_in_conflict(ledger: Ledger, children: list[UUID],
                                                                  writer: Writer) -> None:
    """Two writes to one child's assessments, decided on the same version in one round: one is saved, the
    other refused (409 over HTTP); the other children's writes of the round are saved."""
    first, *others = children
    answers = one_round(writer, [assess(ledger, first, "japanese"), assess(ledger, first, "music"),
                                 *(assess(ledger, sid, "japanese") for sid in others)])
    assert isinstance(answers[0], Receipt)
    assert isinstance(answers[1], errors.ConcurrencyConflict)
    assert all(isinstance(a, Receipt) for a in answers[2:]), answers
    assert [e.subject for e in ledger.stream(streams.assessments(first, YEAR))] == ["japanese"]
    for sid in others:
        assert [e.subject for e in ledger.stream(streams.assessments(sid, YEAR))] == ["japanese"]


def test_a_failed_commit_answers_every_write_of_the_round_with_its_error(ledger: Ledger, children: list[UUID],
                                                                         writer: Writer,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    before = ledger.position()
    insert = ledger.recorder.insert_events

    def away(*args: Any, **kwargs: Any) -> Any:
        raise OSError("the database went away")

    monkeypatch.setattr(ledger.recorder, "insert_events", away)
    answers = one_round(writer, [assess(ledger, sid, "japanese") for sid in children])
    assert [type(a) for a in answers] == [OSError] * len(children), answers
    assert ledger.position() == before  # nothing saved, nothing acknowledged
    monkeypatch.setattr(ledger.recorder, "insert_events", insert)
    again = one_round(writer, [assess(ledger, sid, "japanese") for sid in children])  # the writer goes on
    assert all(isinstance(a, Receipt) for a in again), again


def test_a_refusal_by_a_rule_is_that_writes_own(ledger: Ledger, children: list[UUID], writer: Writer) -> None:
    """A write refused while deciding (an unknown subject) does not stop the others of its round."""
    answers = one_round(writer, [assess(ledger, children[0], "latin"), assess(ledger, children[1], "japanese")])
    assert isinstance(answers[0], errors.LedgerError)
    assert isinstance(answers[1], Receipt)


def test_a_write_whose_client_went_away_is_still_saved(ledger: Ledger, children: list[UUID],
                                                       writer: Writer) -> None:
    """The request awaiting a write is cancelled (its client disconnected) while the write waits in the round:
    the write runs to its end and is saved, its answer dropped; the others are answered."""
    async def cancel_first(tasks: list[asyncio.Task[Any]]) -> None:
        tasks[0].cancel()

    answers = one_round(writer, [assess(ledger, sid, "japanese") for sid in children], meanwhile=cancel_first)
    assert isinstance(answers[0], asyncio.CancelledError)
    assert all(isinstance(a, Receipt) for a in answers[1:]), answers
    deadline = time.monotonic() + 30
    while writer.writes < len(children) + 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [e.subject for e in ledger.stream(streams.assessments(children[0], YEAR))] == ["japanese"]


def test_stop_runs_what_is_queued_and_a_later_write_starts_it_again(ledger: Ledger, children: list[UUID]) -> None:
    writer = Writer(ledger.group_commit, threads=2)

    async def main() -> tuple[Any, Any]:
        task = asyncio.ensure_future(writer.run(assess(ledger, children[0], "japanese")))
        await asyncio.sleep(0)
        await asyncio.get_running_loop().run_in_executor(None, writer.stop)
        return await task, await writer.run(assess(ledger, children[1], "japanese"))

    try:
        first, later = asyncio.run(main())
    finally:
        writer.stop()
    assert isinstance(first, Receipt)
    assert isinstance(later, Receipt)
