"""``Ledger.reading``: one request's reads. Each stream is read once within the block and several in one
query (``prefetch``); nothing of it is seen by another thread, by another ledger, after a save or
after the block."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain import errors, streams
from domain.backend import Backend
from domain.ledger import Ledger
from domain.ledger_base import ReadTogether
from tests import builders as b

SCHOOL, YEAR = b.ELEMENTARY, b.YEAR
DAY = date(2026, 4, 7)


@pytest.fixture
def three(ledger: Ledger) -> list[UUID]:
    b.school_with_calendar(ledger)
    return b.class_with_students(ledger, count=3)


def counted(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> list[list[UUID]]:
    """The stream ids of every query of events the ledger makes, one list per query."""
    queries: list[list[UUID]] = []
    select_events, read_streams = ledger.recorder.select_events, ledger.read_streams

    def selecting(originator_id: Any, *args: Any, **kwargs: Any) -> Any:
        queries.append([UUID(str(originator_id))])
        return select_events(originator_id, *args, **kwargs)

    def in_streams(stream_ids: Any) -> Any:
        queries.append(list(stream_ids))
        return read_streams(stream_ids)

    monkeypatch.setattr(ledger.recorder, "select_events", selecting)
    monkeypatch.setattr(ledger, "read_streams", in_streams)
    return queries


def test_within_a_block_each_stream_is_read_once_and_prefetched_ones_together(
        ledger: Ledger, three: list[UUID], monkeypatch: pytest.MonkeyPatch) -> None:
    queries = counted(ledger, monkeypatch)
    school, year = streams.school(SCHOOL), streams.school_year(SCHOOL, YEAR)
    klass = streams.school_class(SCHOOL, YEAR, 1, "1")
    with ledger.reading():
        ledger.prefetch([school, year, klass])
        first = ledger.school(SCHOOL), ledger.school_year(SCHOOL, YEAR), ledger.school_class(SCHOOL, YEAR, 1, "1")
        again = ledger.school(SCHOOL), ledger.school_year(SCHOOL, YEAR), ledger.find_class(SCHOOL, YEAR, 1, "1")
        ledger.student(three[0])
        ledger.student(three[0])
        assert ledger.stream(streams.attendance(three[0], DAY)) == []
        assert ledger.stream(streams.attendance(three[0], DAY)) == []
    assert queries == [[school, year, klass], [three[0]], [streams.attendance(three[0], DAY)]]
    assert all(x is y for x, y in zip(first, again, strict=True))
    assert first[2].placements.keys() == set(three)  # the same state as read without the block
    assert ledger.school_class(SCHOOL, YEAR, 1, "1") == first[2]


def test_outside_a_block_nothing_is_kept_and_prefetch_reads_nothing(
        ledger: Ledger, three: list[UUID], monkeypatch: pytest.MonkeyPatch) -> None:
    queries = counted(ledger, monkeypatch)
    ledger.prefetch([streams.school(SCHOOL), three[0]])
    ledger.student(three[0])
    ledger.student(three[0])
    assert queries == [[three[0]], [three[0]]]
    with ledger.reading():
        ledger.student(three[0])
    ledger.student(three[0])
    assert queries[2:] == [[three[0]], [three[0]]]
    assert ledger._reads() is None


def test_a_save_drops_what_the_block_read(ledger: Ledger, three: list[UUID]) -> None:
    with ledger.reading():
        before = ledger.student(three[0])
        ledger.begin_leave(three[0], on=date(2026, 5, 11), reason="療養", recorded_by=b.STAFF)
        after = ledger.student(three[0])
        assert (before.status, after.status) == ("enrolled", "on_leave")
        assert after.version == before.version + 1


def test_a_save_decided_on_the_blocks_reads_is_refused_when_another_writer_came_first(
        ledger: Ledger, three: list[UUID], backend: Backend, open_ledger: Callable[[Backend], Ledger]) -> None:
    other = open_ledger(backend)  # another process on the same store
    with ledger.reading():
        version = ledger.student(three[0]).version
        other.change_identity(three[0], b.identity(1, address="鳥取県鳥取市西町1-1"), reason="転居",
                              recorded_by=b.STAFF)
        assert ledger.student(three[0]).version == version  # the block still has what it read
        with pytest.raises(errors.ConcurrencyConflict):  # decided on that: the store refuses the save
            ledger.change_identity(three[0], b.identity(2), reason="転居", recorded_by=b.STAFF)
        assert ledger.student(three[0]).version == version + 1  # the failed save dropped the reads


def test_another_thread_and_another_ledger_see_none_of_a_blocks_reads(
        ledger: Ledger, three: list[UUID], backend: Backend, open_ledger: Callable[[Backend], Ledger]) -> None:
    other = open_ledger(backend)
    seen: list[Any] = []
    with ledger.reading():
        ledger.student(three[0])
        assert ledger._reads() is not None
        assert other._reads() is None  # another Ledger object, even on the same store, reads for itself
        thread = threading.Thread(target=lambda: seen.append(ledger._reads()))
        thread.start()
        thread.join()
        outer = ledger._reads()
        with ledger.reading():  # nested: the same reads
            assert ledger._reads() is outer
        assert ledger._reads() is outer
    assert seen == [None]
    assert ledger._reads() is None


def test_the_streams_read_together_are_remembered_by_stream_and_the_least_recently_used_are_forgotten() -> None:
    hints = ReadTogether(size=2)
    a, b, c, x, y = (uuid4() for _ in range(5))
    assert hints(a) == ()
    hints.remember(a, [x])
    hints.remember(b, [y, x])
    assert hints(a) == (x,)  # a is now the most recently used
    hints.remember(c, [y])
    assert (hints(a), hints(b), hints(c)) == ((x,), (), (y,))  # b was the least recently used
    hints.remember(a, [y])  # the last request's streams replace the earlier ones
    assert hints(a) == (y,)
