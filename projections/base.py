"""What a projection is: a name, the event types it reads, which documents an event touches, and
a pure function that applies one event to one document.

Because a document is only ever ``apply``-ed event by event, the read model built incrementally,
the one rebuilt from scratch, and a replay up to any past position are the same function of the
same events, and give the same bytes (documents are stored as canonical JSON).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from domain.event import Event

Document = dict[str, Any]


class Projection(Protocol):
    name: str
    topics: tuple[str, ...]  # stable event type names it reads

    def keys(self, event: Event) -> Iterable[str]:
        """The documents this event changes."""
        ...

    def apply(self, document: Document | None, event: Event) -> Document:
        """The document after the event (a new dict; never mutate the argument)."""
        ...


def canonical(document: Document) -> str:
    """The stored form: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
