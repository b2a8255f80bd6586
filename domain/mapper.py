"""Stores msgspec events in the eventsourcing library's tables.

eventsourcing 9.5's own Mapper calls ``vars()`` on events, which msgspec Structs do not have.
This mapper encodes with msgspec JSON instead, stores the stable type name as the topic, and
is the single place where payload bytes are made: compression, encryption and (later)
per-student keys for retention belong here and nowhere else.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent

from domain.event import TOPIC_PREFIX, Event, all_event_classes, type_name


class EventMapper(Mapper[UUID]):
    """msgspec JSON in, msgspec JSON out; topics are ``gakuseki:<stable name>``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decoders = {
            TOPIC_PREFIX + name: msgspec.json.Decoder(cls) for name, cls in all_event_classes().items()
        }
        self._encoder = msgspec.json.Encoder()

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        if not isinstance(domain_event, Event):
            raise TypeError(f"not a ledger event: {domain_event!r}")
        state = self._encoder.encode(domain_event)
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=TOPIC_PREFIX + type_name(type(domain_event)),
            state=state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        try:
            decoder = self._decoders[stored_event.topic]
        except KeyError:
            raise MapperDeserialisationError(f"unknown event type {stored_event.topic!r}") from None
        state = stored_event.state
        try:
            if self.cipher:
                state = self.cipher.decrypt(state)
            if self.compressor:
                state = self.compressor.decompress(state)
            event: Event = decoder.decode(state)
        except Exception as e:
            raise MapperDeserialisationError(
                f"cannot decode {stored_event.topic} {stored_event.originator_id}"
                f" v{stored_event.originator_version}: {e}"
            ) from e
        # The payload repeats the stream position; a row whose columns disagree is not ours.
        # (Compared as UUIDs: formatting both as strings was ~4 % of a rebuild.)
        stored_id = stored_event.originator_id
        if not isinstance(stored_id, UUID):
            stored_id = UUID(str(stored_id))
        if event.originator_id != stored_id or event.originator_version != stored_event.originator_version:
            raise MapperDeserialisationError(
                f"stored event {stored_event.originator_id} v{stored_event.originator_version}"
                " does not match its payload"
            )
        return event
