"""The ledger application's base: storage, loading state, saving events in one transaction.

Commands take primitives (and plain value records, as dicts or Structs), load the few small
streams their rules need, decide, and save every resulting event in one transaction. They
return a Receipt of primitives. Time and new ids come from the injected clock and id source.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, NamedTuple, TypeVar
from uuid import UUID, uuid4

import msgspec
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper, Notification, StoredEvent

from domain import errors, streams
from domain.backend import Backend
from domain.event import Event
from domain.group_commit import GroupCommit, Pending, completions, flat, recorded_at, slices, unchanged
from domain.mapper import EventMapper
from domain.school import School, SchoolClass, SchoolYear, evolve_class, evolve_school, evolve_year
from domain.storage import Storage
from domain.storage import events as stored_events
from domain.storage.recorders import current_completion
from domain.stream_cache import StreamCache, is_whole
from domain.student import Student, evolve_student
from domain.transactions import Boundaries

JST = timezone(timedelta(hours=9), "JST")
S = TypeVar("S")
V = TypeVar("V")
T = TypeVar("T")


class Receipt(NamedTuple):
    """What a command recorded: the stream it is about, how many events, and the last log position of
    the transaction that saved them (under group commit, other writes' events may follow its own in
    that transaction; as of this position the write is wholly there: ADR 0021)."""

    stream_id: UUID
    events: int
    position: int


class _Reads:
    """What one request has read from one ledger: each stream's events and the states folded from them.

    Made by ``LedgerBase.reading`` and dropped when it ends and after every save (``LedgerBase.record``);
    it lives in a context variable, so only the thread (and context) of that one request ever sees it.
    """

    __slots__ = ("events", "ledger", "states")

    def __init__(self, ledger: LedgerBase) -> None:
        self.ledger = ledger
        self.events: dict[UUID, list[Event]] = {}
        self.states: dict[tuple[UUID, Callable[..., Any]], Any] = {}

    def clear(self) -> None:
        self.events.clear()
        self.states.clear()


class ReadTogether:
    """Which streams were read after a stream, last time, in the same request: a hint of what to read
    with it in one query next time (a student's school, class and school year are known only once the
    student's own stream is read). Only stream ids are kept, never what the streams hold: every read is
    still from the store, in the request. Bounded: the least recently used are forgotten (at the
    default size, about 2 MB: the ids are kept as bytes)."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._hints: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, stream_id: UUID) -> tuple[UUID, ...]:
        with self._lock:
            hint = self._hints.get(stream_id.bytes)
            if hint is None:
                return ()
            self._hints.move_to_end(stream_id.bytes)
        return tuple(UUID(bytes=hint[i:i + 16]) for i in range(0, len(hint), 16))

    def remember(self, stream_id: UUID, streams: Iterable[UUID]) -> None:
        hint = b"".join(s.bytes for s in streams)
        with self._lock:
            self._hints[stream_id.bytes] = hint
            self._hints.move_to_end(stream_id.bytes)
            while len(self._hints) > self._size:
                self._hints.popitem(last=False)


# Set by LedgerBase.reading() for the length of one request, in the request's own context.
_current_reads: ContextVar[_Reads | None] = ContextVar("gakuseki_current_reads", default=None)
# Set by the API's writer (api/writer.py, ADR 0054) in the context of each write it runs: ``prefetch`` asks it
# for the streams (it reads those of every write of its round in one query, and resumes each with its own).
reading_together: ContextVar[Callable[[LedgerBase, list[UUID]], list[tuple[int, Event]]] | None] = ContextVar(
    "gakuseki_reading_together", default=None)


def as_value(value: Any, kind: type[V], field: str) -> V:
    """A value record from a dict (or the Struct itself), refused with its field on bad input."""
    if isinstance(value, kind):
        return value
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as e:
        message = str(e)
        path = message.rpartition("at `$")[2].rstrip("`") if "at `$" in message else ""
        raise errors.InvalidValue(f"{field}: {message}", field=field + path) from None


class LedgerBase(Application[UUID]):
    """Storage, loading and saving; the commands are in the mixins of domain/ledger.py."""

    def __init__(self, env: dict[str, str] | None = None, *, clock: Callable[[], datetime] | None = None,
                 new_id: Callable[[], UUID] = uuid4) -> None:
        super().__init__(env=env)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.new_id = new_id
        self.group_commit = GroupCommit(self._save_batch)
        self.storage = Storage.of(self.recorder)  # the database, for everything the library does not do
        self.boundaries = Boundaries(self.storage)
        self.read_together = ReadTogether()  # stream ids only: see ``prefetch``
        self.stream_cache = StreamCache()  # streams as read, to read only what follows (``read_streams``)

    @classmethod
    def open(cls, backend: Backend, **kwargs: Any) -> Any:
        return cls(env=backend.eventsourcing_env(), **kwargs)

    def construct_mapper(self) -> Mapper[UUID]:
        return EventMapper(transcoder=JSONTranscoder(), compressor=self.factory.compressor(),
                           cipher=self.factory.cipher())

    # ------------------------------------------------------------ plumbing

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """The day in Japan, for events whose effective day is the day they are recorded."""
        return self.now().astimezone(JST).date()

    # ------------------------------------------------------------ one request's reads

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Within this block (one request), each stream is read from the store at most once and each
        state folded once; ``prefetch`` reads several streams in one query. Everything read is dropped
        when the block ends and after every save, so nothing outlives the request, and a command that
        saves (or fails to save) reads afresh. Nested blocks share the outer one's reads."""
        if self._reads() is not None:
            yield
            return
        token = _current_reads.set(_Reads(self))
        try:
            yield
        finally:
            _current_reads.reset(token)

    def _reads(self) -> _Reads | None:
        reads = _current_reads.get()
        return reads if reads is not None and reads.ledger is self else None

    def prefetch(self, stream_ids: Iterable[UUID]) -> None:
        """Read these streams (those not read yet) in one query, for the rest of the ``reading`` block.
        Outside one it does nothing: each stream is then read when it is needed, as always."""
        reads = self._reads()
        if reads is None:
            return
        missing = list(dict.fromkeys(s for s in stream_ids if s not in reads.events))
        if missing:
            found: dict[UUID, list[Event]] = {s: [] for s in missing}
            together = reading_together.get()
            for _, event in together(self, missing) if together is not None and len(missing) > 1 \
                    else self.read_streams(missing):
                found[event.originator_id].append(event)
            for events in found.values():
                events.sort(key=lambda e: e.originator_version)
            reads.events.update(found)

    def _stream_events(self, stream_id: UUID, reads: _Reads | None) -> Iterable[Event]:
        if reads is None:
            return self.events.get(stream_id)  # type: ignore[return-value]
        if stream_id not in reads.events:
            self.prefetch([stream_id])
        return reads.events[stream_id]

    def stream(self, stream_id: UUID) -> list[Event]:
        return list(self._stream_events(stream_id, self._reads()))

    def _fold(self, stream_id: UUID, evolve: Callable[[S | None, Event], S]) -> S | None:
        reads = self._reads()
        if reads is not None and (stream_id, evolve) in reads.states:
            return reads.states[(stream_id, evolve)]
        state: S | None = None
        for event in self._stream_events(stream_id, reads):
            state = evolve(state, event)
        if reads is not None:
            reads.states[(stream_id, evolve)] = state
        return state

    def record(self, events: Sequence[Event], *, unchanged: Sequence[tuple[UUID, int]] = ()) -> Receipt:
        """Save events in one transaction; another writer's event in the way is a conflict.

        ``unchanged``: streams the decision was judged on without writing to them (a school year's
        calendar and seal), with the version read; if one has moved on when the events are saved,
        nothing is saved (``JudgedOnChanged``), so a write decided before a year seal committed
        cannot land after it."""
        if not events:
            raise errors.NothingChanged("nothing to record")
        pending = Pending([self.mapper.to_stored_event(e) for e in events], current_completion.get(), unchanged,
                          max(e.recorded_at for e in events))
        try:
            self.group_commit.submit(pending)  # with the writes that arrive meanwhile, in one transaction
        except IntegrityError as e:
            if any(self.recorder.select_events(stream, gt=version, limit=1) for stream, version in unchanged):
                raise errors.JudgedOnChanged(
                    "the school year changed (its calendar or its seal) while this write was being decided; "
                    "nothing was recorded: send it again", field="year") from e
            raise errors.ConcurrencyConflict(
                "another change to the same record was saved first; reload and try again") from e
        finally:
            if (reads := self._reads()) is not None:
                reads.clear()  # what was read before this save is no longer the state after it
        return Receipt(events[0].originator_id, len(events), pending.position)

    def _save_batch(self, batch: list[Pending]) -> None:
        """Save the writes of a group commit in one transaction; if one is in conflict, each alone."""
        try:
            ids = self.recorder.insert_events(flat(batch), completions=completions(batch), unchanged=unchanged(batch),
                                              recorded_at=recorded_at(batch))
        except IntegrityError as e:
            if len(batch) == 1:
                batch[0].error = e
                return
            for item in batch:  # the transaction was rolled back whole: each write on its own
                self._save_batch([item])
            return
        slices(batch, ids or ())

    def decode(self, stored: StoredEvent) -> Event:
        """A stored event (or notification) as the ledger event it records."""
        return self.mapper.to_domain_event(stored)  # type: ignore[return-value]

    def position(self) -> int:
        """The log position of the last recorded event (0 for an empty ledger)."""
        return self.recorder.max_notification_id() or 0

    # ------------------------------------------------------------ whole transactions (ADR 0021)

    def settled(self, position: int) -> int:
        """``position``, or the one before the transaction it falls inside: as of a position, only
        transactions committed wholly at or before it count."""
        return self.boundaries.settled(position)

    def transaction_end(self, position: int) -> int:
        """The last position of the transaction that holds ``position`` (the state just after it)."""
        around = self.boundaries.around(position)
        return position if around is None else around[1]

    def known_time(self, position: int) -> datetime | None:
        """When the log up to ``position`` was known (the recorded time of its last whole transaction;
        None for a log recorded before transactions had boundaries)."""
        return self.boundaries.known_time(position)

    def known_at(self, at: datetime) -> int | None:
        """The last position of the transactions known at or before a recorded time (None when the
        log records no transaction boundaries: every event then counts by its own recorded time)."""
        return self.boundaries.known_at(at)

    def notifications(self, start: int, limit: int, stop: int | None = None,
                      topics: Sequence[str] = ()) -> list[Notification]:
        """Up to ``limit`` events after ``start`` (of ``topics``, up to ``stop``), ending on a
        transaction boundary: a page that would end inside a transaction ends before it, or, when
        that transaction is the whole page, takes all of it (such a page holds more than ``limit``)."""
        def read(after: int, limit: int, stop: int | None) -> list[Notification]:
            return list(self.recorder.select_notifications(start=after, limit=limit, stop=stop, topics=topics,
                                                           inclusive_of_start=False))
        return self._whole(read, lambda n: n.id, start, limit, stop)

    def rows(self, start: int, limit: int, stop: int | None = None,
             topics: Sequence[str] = ()) -> list[stored_events.Row]:
        """``notifications`` as the event table stores them: (position, stream, version, topic, state)
        tuples read in one statement of our own (a rebuild's pages; ``decode_row`` decodes one)."""
        def read(after: int, limit: int, stop: int | None) -> list[stored_events.Row]:
            return stored_events.after(self.storage, after, limit, stop, topics)
        return self._whole(read, lambda row: row[0], start, limit, stop)

    def _whole(self, read: Callable[[int, int, int | None], list[T]], position: Callable[[T], int], start: int,
               limit: int, stop: int | None) -> list[T]:
        """A page of ``read`` ending on a transaction boundary (see ``notifications``)."""
        page = read(start, limit, stop)
        if len(page) < limit:  # up to the head (whole transactions commit whole) or to ``stop``
            return page
        around = self.boundaries.around(position(page[-1]))
        if around is None or around[1] == position(page[-1]):
            return page
        first, last = around
        kept = [n for n in page if position(n) < first]
        if kept:
            return kept
        return read(start, last - start, last)

    def decode_row(self, row: stored_events.Row) -> Event:
        """A row of ``rows`` as the ledger event it records (``decode`` without the library's objects)."""
        return self.mapper.decode_state(row[3], row[1], row[2], row[4])  # type: ignore[attr-defined]

    def has_stream(self, stream_id: UUID) -> bool:
        return bool(self.recorder.select_events(stream_id, limit=1))

    # ------------------------------------------------------------ loading state

    def school(self, code: str) -> School:
        state = self._fold(streams.school(code), evolve_school)
        if state is None:
            raise errors.UnknownSchool(f"school {code} is not registered", field="school_code")
        return state

    def find_school(self, code: str) -> School | None:
        return self._fold(streams.school(code), evolve_school)

    def school_year(self, code: str, year: int) -> SchoolYear:
        return self._fold(streams.school_year(code, year), evolve_year) or SchoolYear()

    @staticmethod
    def judged_on(code: str, year: int, state: SchoolYear) -> tuple[UUID, int]:
        """The school-year stream at the version a decision read (for ``record(unchanged=...)``)."""
        return streams.school_year(code, year), state.version

    def school_class(self, code: str, year: int, grade: int, name: str) -> SchoolClass:
        state = self._fold(streams.school_class(code, year, grade, name), evolve_class)
        if state is None:
            raise errors.UnknownClass(f"class {grade}-{name} of {code} in {year} is not formed", field="class_name")
        return state

    def find_class(self, code: str, year: int, grade: int, name: str) -> SchoolClass | None:
        return self._fold(streams.school_class(code, year, grade, name), evolve_class)

    def student(self, student_id: UUID | str, *, expected_version: int | None = None) -> Student:
        sid = student_uuid(student_id)
        state = self._fold(sid, evolve_student)
        if state is None:
            raise errors.UnknownStudent(f"student {student_id} is not in the register", field="student_id")
        if expected_version is not None and expected_version != state.version:
            raise errors.ConcurrencyConflict(
                f"student {sid} is at version {state.version}, not {expected_version}", field="expected_version")
        return state

    def find_student(self, student_id: UUID) -> Student | None:
        return self._fold(student_id, evolve_student)

    def events_in_streams(self, stream_ids: Sequence[UUID]) -> list[tuple[int, Event]]:
        """Every event of the given streams with its log position, in log order (one indexed query)."""
        out = [(position, self.decode(StoredEvent(originator_id=stream, originator_version=version, topic=topic,
                                                  state=state)))
               for position, stream, version, topic, state in stored_events.in_streams(self.storage, stream_ids)]
        out.sort(key=lambda pair: pair[0])
        return out

    def read_streams(self, stream_ids: Sequence[UUID]) -> list[tuple[int, Event]]:
        """``events_in_streams`` for a request's reads: of each stream this process holds as read before
        (``stream_cache``, ADR 0062) only the events after the version held are read and decoded. The
        same events, positions and order as ``events_in_streams`` (tests/domain/test_stream_cache.py)."""
        wanted = list(dict.fromkeys(stream_ids))
        held = self.stream_cache.held(wanted)
        fresh: dict[UUID, list[tuple[int, Event]]] = {}
        for position, stream, version, topic, state in stored_events.in_streams_after(
                self.storage, [(s, len(held[s]) if s in held else 0) for s in wanted]):
            fresh.setdefault(stream, []).append((position, self.decode(StoredEvent(
                originator_id=stream, originator_version=version, topic=topic, state=state))))
        out: list[tuple[int, Event]] = []
        for stream in wanted:
            before, after = held.get(stream, ()), sorted(fresh.get(stream, ()), key=lambda p: p[1].originator_version)
            if not before:
                self.stream_cache.keep(stream, tuple(after))  # kept only when its versions are 1..n
                out += after
            elif is_whole(after, len(before)):
                if after:
                    self.stream_cache.keep(stream, before + tuple(after))
                out += before
                out += after
            else:  # not what follows the versions held: nothing held of it is trusted, it is read whole
                self.stream_cache.forget(stream)
                out += self.events_in_streams([stream])
        out.sort(key=lambda pair: pair[0])
        return out

    def student_ids(self) -> Iterable[UUID]:
        """Every admitted student, in admission order (a scan of the log; for tools, not hot paths)."""
        position = 0
        while True:
            page = self.recorder.select_notifications(
                start=position, limit=1000, topics=["gakuseki:StudentAdmitted"], inclusive_of_start=False)
            if not page:
                return
            for n in page:
                yield n.originator_id if isinstance(n.originator_id, UUID) else UUID(str(n.originator_id))
            position = page[-1].id


def student_uuid(value: UUID | str, field: str = "student_id") -> UUID:
    """A student id as given; one that is not even a UUID names no student of the register."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise errors.UnknownStudent(f"student {value!r} is not in the register", field=field) from None

