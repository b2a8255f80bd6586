"""Streams as this process last read them from the store, so that the next read asks only for what follows.

A write reads and decodes every event of the streams it is judged on (ADR 0054): at 100 writes a second most
of a one-write round's reads were the 31 events of the student's class, decoded again for every write
(docs/benchmarks.md, "The write tail at 100/s"). Here each stream read by a request (``LedgerBase.read_streams``)
is kept, decoded, with the positions of its events; the next read of it asks the store only for the events
after the version held (``events.in_streams_after``) and appends them. Nothing else is trusted:

- Only what a read returned is kept, never what a write of this process saved (its transaction might yet
  roll back, and a conflict refuses it): a stream is held exactly as committed and read.
- A stream's events are never changed or removed once committed (the log is append-only; events are a
  stored contract), so the first ``n`` versions of a stream read once are its first ``n`` versions for good,
  and a held stream followed by what the store holds after it is the whole stream, as a read of all of it
  would return. Another process's writes are among what follows.
- A stream is kept only when its versions are exactly 1, 2, ... n, and what a later read returns after
  version ``n`` must be ``n + 1``, ``n + 2``...; otherwise the stream is dropped and read whole.
- Events are frozen (msgspec ``frozen=True``, their collections tuples); the states folded from them are
  not kept here (folds mutate their state), each request folds its own.
- Bounded: at most ``max_events`` events in all (the least recently read streams are dropped first) and no
  stream of more than ``max_stream`` events.

The save is still checked against what its write was judged on (the stream versions, ``unchanged``), so a
stream held here cannot let a wrong decision commit either way; this only spares decoding again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from uuid import UUID

from domain.event import Event

Held = tuple[tuple[int, Event], ...]  # (position, event) of versions 1..n, in version order


class StreamCache:
    # 5,000 events: the streams every write of a school reads (its classes, about 30 events each; the school,
    # the year) stay, the children's own are the least recently read. A full collection of the cycle
    # collector walks what is held (about four tracked objects an event: 20,000 events held cost 7-8 ms a
    # full collection on the project machine, 5,000 about 2): the bound keeps it short (ADR 0046)
    def __init__(self, max_events: int = 5_000, max_stream: int = 1_000) -> None:
        self.max_events, self.max_stream = max_events, max_stream
        self._streams: OrderedDict[UUID, Held] = OrderedDict()
        self._events = 0
        self._lock = threading.Lock()

    def held(self, stream_ids: Iterable[UUID]) -> dict[UUID, Held]:
        """The streams held among these (each as last kept), now the most recently used."""
        out = {}
        with self._lock:
            for stream in stream_ids:
                events = self._streams.get(stream)
                if events is not None:
                    self._streams.move_to_end(stream)
                    out[stream] = events
        return out

    def keep(self, stream: UUID, events: Held) -> None:
        """Keep a stream as read (versions 1..n, checked): unless a longer read of it is kept already."""
        if not events or len(events) > self.max_stream or not is_whole(events):
            self.forget(stream)
            return
        with self._lock:
            kept = self._streams.get(stream)
            if kept is not None and len(kept) >= len(events):
                return  # another thread kept as much or more of the same stream
            self._events += len(events) - (len(kept) if kept is not None else 0)
            self._streams[stream] = events
            self._streams.move_to_end(stream)
            while self._events > self.max_events and self._streams:
                _, dropped = self._streams.popitem(last=False)
                self._events -= len(dropped)

    def forget(self, stream: UUID) -> None:
        with self._lock:
            dropped = self._streams.pop(stream, None)
            if dropped is not None:
                self._events -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._streams.clear()
            self._events = 0

    @property
    def events(self) -> int:
        """How many events are held in all."""
        with self._lock:
            return self._events

    def __len__(self) -> int:
        with self._lock:
            return len(self._streams)


def is_whole(events: Sequence[tuple[int, Event]], after: int = 0) -> bool:
    """Whether these are versions ``after + 1``, ``after + 2``... of one stream, in order."""
    return all(event.originator_version == after + i for i, (_, event) in enumerate(events, 1))


__all__ = ["Held", "StreamCache", "is_whole"]
