"""What a projection is: a name, the event types it reads, which documents an event touches, and
a pure function that applies one event to one document.

Because a document is only ever ``apply``-ed event by event, the read model built incrementally,
the one rebuilt from scratch, and a replay up to any past point are the same function of the
same events, and give the same bytes (documents are stored as canonical JSON).

A projection may also say which streams can touch a document (``sources``): a point-in-time
replay then reads those few streams instead of scanning the log for the projection's types.

Each projection declares the shape of its documents as TypedDicts (roster.RosterClass,
enrollment_record.StudentRecord, …): what ``apply`` builds and what the forms read. Whatever
path built a document, it leaves this layer in one member order, the stored one (``settled``),
and a composed form leaves the API through one encoder (api/forms.encode): ADR 0020.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

import msgspec

from domain.event import Event

# A document of some projection as the store and the runner move it, without reading its members
# (they are said by that projection's TypedDicts).
Stored = Mapping[str, Any]
# A composed form (名簿, 出席簿, 指導要録 …): a JSON object, encoded for a response by api/forms.encode.
Form = dict[str, Any]
D = TypeVar("D")  # a projection's documents: a TypedDict, or a union of its TypedDicts


class Projection(Protocol[D]):
    name: str
    topics: tuple[str, ...]  # stable event type names it reads
    # What its documents hold: raised by a release that changes them, so that read models built by
    # the older code are cleared and rebuilt (Runner.upgrade; ADR 0015).
    version: int

    def keys(self, event: Event) -> Iterable[str]:
        """The documents this event changes."""
        ...

    def apply(self, document: D | None, event: Event) -> D:
        """The document after the event. It may update the given document in place and return it:
        the runner owns every document it passes (freshly decoded, or built by earlier applies), and
        copying a growing document on every event made rebuilds quadratic."""
        ...


def sources(projection: Projection[Any], key: str) -> list[UUID] | None:
    """The streams whose events can change ``key``, when the projection knows them (else None)."""
    find = getattr(projection, "sources", None)
    return find(key) if find is not None else None


@dataclass(frozen=True)
class Cutoff:
    """Which events a point-in-time replay admits.

    ``position``: recorded at or before this log position (as known then).
    ``at``: recorded at or before this moment (as known then, by the recorded time).
    ``on``: about a day on or before this date (as it stood then, by the effective date).
    ``exact``: the position is taken as it is, even inside a transaction. Only for points the ledger
    itself works out (where custody passed, ADR 0019), never for a reader's ``as_of``, which stands
    on whole transactions (ADR 0021).
    """

    position: int | None = None
    at: datetime | None = None
    on: date | None = None
    exact: bool = False

    @property
    def today(self) -> bool:
        """No cutoff: today's read model answers."""
        return self.position is None and self.at is None and self.on is None

    def admits(self, position: int, event: Event) -> bool:
        return ((self.position is None or position <= self.position)
                and (self.at is None or event.recorded_at <= self.at)
                and (self.on is None or event.effective_on <= self.on))


NOW = Cutoff()


_encode_json = msgspec.json.Encoder().encode


def uuid_text(value: UUID) -> str:
    """``str(value)``: the same canonical text (lowercase, hyphenated), written by msgspec, which
    takes a quarter of the time of ``UUID.__str__`` (three were made for each mark of a rebuild)."""
    return _encode_json(value)[1:-1].decode()


# The text of ids that recur from event to event (a child's, in every mark of theirs), by the id's 128-bit
# value (a slot of ``UUID``: no Python call, and an int's hash is the interpreter's): a rebuild asked for
# each child's id as text three times a mark (the register, the code index, the dashboards). Bounded: a
# process keeps at most ``_TEXTS_KEPT`` of them (about 100 bytes each), then starts again.
_TEXTS: dict[int, str] = {}
_TEXTS_KEPT = 1 << 18


def id_text(value: UUID) -> str:
    """``uuid_text`` of an id met again and again (a child's): the same text, kept from the last time."""
    found = _TEXTS.get(value.int)
    if found is None:
        if len(_TEXTS) >= _TEXTS_KEPT:
            _TEXTS.clear()
        found = _TEXTS[value.int] = uuid_text(value)
    return found


# The ISO text of days met again and again (a roll's day, in every mark of it): ``date.isoformat`` took
# about 0.3 µs, two of them a mark in a rebuild. Bounded as the ids' texts are.
_DAYS: dict[date, str] = {}


def day_text(day: date) -> str:
    """``day.isoformat()``, kept from the last time."""
    found = _DAYS.get(day)
    if found is None:
        if len(_DAYS) >= _TEXTS_KEPT:
            _DAYS.clear()
        found = _DAYS[day] = day.isoformat()
    return found


def canonical(document: Stored) -> str:
    """The stored form: sorted keys, no spaces, UTF-8 text (the bytes of ``json.dumps(document,
    sort_keys=True, ensure_ascii=False, separators=(",", ":"))``, written by msgspec, several times faster)."""
    return msgspec.json.encode(document, order="sorted").decode()


def decode(text: str | bytes) -> dict[str, Any]:
    """A stored document, read back (its projection's TypedDicts say what it holds)."""
    document: dict[str, Any] = msgspec.json.decode(text)
    return document


def settled(document: Stored) -> dict[str, Any]:
    """A document as it leaves the projection layer: exactly as the store would give it back.

    ``apply`` builds a document with its members in the order its code happened to set them; the
    store holds it as canonical JSON (sorted members), so one read back has them sorted. Every
    document a form is composed from passes through here or through ``decode``, whichever path
    built it (today's read model, one reused from it, or one replayed from the events), so the
    forms, their JSON and their printed pages are the same bytes whatever the path (ADR 0020).
    """
    return decode(canonical(document))
