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
        return self.decode_state(stored_event.topic, stored_event.originator_id, stored_event.originator_version,
                                 stored_event.state)

    def decode_state(self, topic: str, originator_id: Any, originator_version: int, state: bytes) -> Event:
        """The event of one stored row (its columns as they are stored), checked against them."""
        decoder = self._decoders.get(topic)
        if decoder is None:
            raise MapperDeserialisationError(f"unknown event type {topic!r}")
        try:
            if self.cipher:
                state = self.cipher.decrypt(state)
            if self.compressor:
                state = self.compressor.decompress(state)
            event: Event = decoder.decode(state)
        except Exception as e:
            raise MapperDeserialisationError(
                f"cannot decode {topic} {originator_id} v{originator_version}: {e}"
            ) from e
        # The payload repeats the stream position; a row whose columns disagree is not ours.
        # (Compared by their 128-bit values: formatting both as strings was ~4 % of a rebuild, and
        # UUID.__eq__ is a Python call.)
        stored_id = originator_id if type(originator_id) is UUID else UUID(str(originator_id))
        if event.originator_version != originator_version or event.originator_id.int != stored_id.int:
            raise MapperDeserialisationError(
                f"stored event {originator_id} v{originator_version} does not match its payload"
            )
        return event
