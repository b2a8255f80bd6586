"""The streams a process holds as it read them (domain/stream_cache.py, ADR 0062): a read through them
(``LedgerBase.read_streams``) returns exactly what a read of the whole streams from the store returns, after
this process's own writes, after a write refused in conflict, and after another process wrote the streams;
it asks the store only for the events after the versions held; and it is bounded."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain import errors, streams
from domain.backend import Backend
from domain.event import Event
from domain.ledger import Ledger
from domain.school import evolve_class
from domain.storage import events as stored_events
from domain.stream_cache import StreamCache, is_whole
from tests import builders as b

SCHOOL, YEAR = b.ELEMENTARY, b.YEAR
VIEWPOINTS = {"knowledge": "A", "thinking": "B", "attitude": "B"}
KLASS = streams.school_class(SCHOOL, YEAR, 1, "1")


@pytest.fixture
def children(ledger: Ledger) -> list[UUID]:
    b.school_with_calendar(ledger)
    return b.class_with_students(ledger, count=3)


def asked(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[UUID, int]]]:
    """What each read through the held streams asked the store for: (stream, after version) pairs."""
    calls: list[list[tuple[UUID, int]]] = []
    real = stored_events.in_streams_after

    def spy(storage: Any, after: Sequence[tuple[UUID, int]]) -> Any:
        calls.append(list(after))
        return real(storage, after)
    monkeypatch.setattr(stored_events, "in_streams_after", spy)
    return calls


def same_as_the_store(ledger: Ledger, ids: list[UUID]) -> list[tuple[int, Event]]:
    """A read through the held streams, checked against a read of the whole streams from the store."""
    got = ledger.read_streams(ids)
    assert got == ledger.events_in_streams(ids)
    return got


def assess(ledger: Ledger, sid: UUID, subject: str = "japanese") -> Any:
    return ledger.record_assessment(sid, YEAR, subject=subject, viewpoints=VIEWPOINTS, term=1,
                                    on=date(2026, 7, 17), recorded_by=b.STAFF)


def test_a_read_returns_what_the_store_holds_and_asks_only_for_what_follows(
        ledger: Ledger, children: list[UUID], monkeypatch: pytest.MonkeyPatch) -> None:
    calls = asked(ledger, monkeypatch)
    record = streams.assessments(children[0], YEAR)
    wanted = [KLASS, children[0], record, streams.school(SCHOOL)]
    first = same_as_the_store(ledger, wanted)
    assert calls[-1] == [(s, 0) for s in wanted]
    assert len(ledger.stream_cache) == 3  # the record stream is empty: nothing to hold
    again = same_as_the_store(ledger, wanted)
    assert again == first
    assert all(x[1] is y[1] for x, y in zip(first, again, strict=True))  # not decoded again
    assert calls[-1] == [(KLASS, 4), (children[0], 1), (record, 0), (streams.school(SCHOOL), 2)]
    assess(ledger, children[0])
    assert ledger.stream_cache.held([record]) == {}  # its own save is not held: only what a read returned
    after = same_as_the_store(ledger, wanted)
    assert [e.originator_id for _, e in after if e.originator_id == record] == [record]
    assert calls[-1][2] == (record, 0)
    assert same_as_the_store(ledger, wanted) == after
    assert calls[-1][2] == (record, 1)


def test_a_fold_through_held_streams_is_the_fold_of_the_stored_events(
        ledger: Ledger, children: list[UUID]) -> None:
    for _ in range(2):
        with ledger.reading():
            ledger.prefetch([KLASS, streams.school(SCHOOL)])
            klass = ledger.school_class(SCHOOL, YEAR, 1, "1")
        whole = None
        for event in ledger.events.get(KLASS):
            whole = evolve_class(whole, event)  # type: ignore[arg-type]
        assert klass == whole
        assert klass is not whole


def test_after_a_write_refused_in_conflict_the_stream_is_read_as_committed(
        backend: Backend, open_ledger: Callable[[Backend], Ledger], ledger: Ledger, children: list[UUID]) -> None:
    other = open_ledger(backend)  # another process's ledger on the same store
    sid, record = children[0], streams.assessments(children[0], YEAR)
    same_as_the_store(ledger, [sid, record, KLASS])
    assess(ledger, sid, "arithmetic")
    same_as_the_store(ledger, [sid, record, KLASS])  # the record's first version now held
    with ledger.reading():
        ledger.prefetch([sid, record, KLASS])  # decided on the record at version 1...
        assess(other, sid, "music")  # ...while the other process saved version 2
        with pytest.raises(errors.ConcurrencyConflict):
            assess(ledger, sid, "japanese")
    got = same_as_the_store(ledger, [sid, record, KLASS])
    assert [e.subject for _, e in got if e.originator_id == record] == ["arithmetic", "music"]  # type: ignore[attr-defined]
    assess(ledger, sid, "japanese")  # sent again, decided on what is stored: saved
    got = same_as_the_store(ledger, [sid, record, KLASS])
    assert [e.subject for _, e in got if e.originator_id == record] == [  # type: ignore[attr-defined]
        "arithmetic", "music", "japanese"]


def test_what_another_process_wrote_is_read(backend: Backend, open_ledger: Callable[[Backend], Ledger],
                                            ledger: Ledger, children: list[UUID]) -> None:
    other = open_ledger(backend)
    wanted = [KLASS, *children]
    before = same_as_the_store(ledger, wanted)
    more = b.class_with_students(other, name="2", count=1)  # another class: ours is unchanged
    other.admit_student(SCHOOL, YEAR, 1, "1", 4, b.identity(4), admitted_on=date(2026, 4, 7),
                        admission_kind="entrance", reason="", recorded_by="registrar", different_child=True)
    after = same_as_the_store(ledger, [*wanted, *more])
    assert len([e for _, e in after if e.originator_id == KLASS]) == len(
        [e for _, e in before if e.originator_id == KLASS]) + 1
    with ledger.reading():
        ledger.prefetch([KLASS, children[0]])
        assert len(ledger.school_class(SCHOOL, YEAR, 1, "1").placements) == 4


def test_a_stream_whose_next_versions_do_not_follow_those_held_is_read_whole(
        ledger: Ledger, children: list[UUID]) -> None:
    whole = ledger.events_in_streams([KLASS])
    ledger.stream_cache.keep(KLASS, (whole[0], whole[2]))  # not versions 1..n: not held
    assert ledger.stream_cache.held([KLASS]) == {}
    # versions 1 and 2 held, and the store answering with version 4 where 3 must come next (a log that is
    # not what was held: it never is, events are never changed or removed): nothing held is trusted
    ledger.stream_cache.keep(KLASS, tuple(whole[:2]))
    rows = sorted(stored_events.in_streams(ledger.storage, [KLASS]), key=lambda row: row[2])

    def read(storage: Any, after: Sequence[tuple[UUID, int]]) -> Any:
        assert after == [(KLASS, 2)]
        return rows[3:]
    with pytest.MonkeyPatch.context() as m:
        m.setattr(stored_events, "in_streams_after", read)
        assert ledger.read_streams([KLASS]) == whole
    assert ledger.stream_cache.held([KLASS]) == {}


def test_held_streams_are_bounded_least_recently_read_first() -> None:
    def stream(n: int) -> tuple[UUID, tuple[tuple[int, Any], ...]]:
        sid = uuid4()

        class E:
            def __init__(self, v: int) -> None:
                self.originator_version = v
        return sid, tuple((i, E(i)) for i in range(1, n + 1))

    cache = StreamCache(max_events=10, max_stream=5)
    a, b_, c, big = stream(4), stream(4), stream(3), stream(6)
    cache.keep(*a)
    cache.keep(*b_)
    assert cache.events == 8
    cache.held([a[0]])  # a read last
    cache.keep(*c)
    assert cache.events == 7
    assert len(cache) == 2
    assert set(cache.held([a[0], b_[0], c[0]])) == {a[0], c[0]}  # b dropped
    cache.keep(*big)  # longer than a stream may be: not held
    assert cache.held([big[0]]) == {}
    cache.keep(a[0], a[1][:2])  # a shorter read of a stream held does not replace it
    assert cache.held([a[0]])[a[0]] == a[1]
    cache.forget(a[0])
    assert cache.events == 3
    assert is_whole(a[1])
    assert not is_whole(a[1][1:])
    assert is_whole(a[1][1:], 1)


def test_threads_reading_the_same_streams_read_what_the_store_holds(ledger: Ledger, children: list[UUID]) -> None:
    wanted = [KLASS, *children]
    expected = ledger.events_in_streams(wanted)
    seen: list[bool] = []

    def reader() -> None:
        for _ in range(20):
            seen.append(ledger.read_streams(wanted) == expected)
    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 80
    assert all(seen)
