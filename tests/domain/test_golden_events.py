"""Stored events are a contract for twenty years: the committed golden records must still decode.

tests/golden/events.jsonl holds events as the mapper stored them once (made by
tests/golden/regenerate.py, then frozen). These tests read that file and never regenerate it:
a renamed tag, a removed or retyped field, or a new event type without a golden record fails here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import JSONTranscoder, MapperDeserialisationError, StoredEvent

from domain.event import TOPIC_PREFIX, Event, all_event_classes, type_name
from domain.ledger import Ledger
from domain.mapper import EventMapper

GOLDEN = Path(__file__).parents[1] / "golden" / "events.jsonl"

# The stable type names, frozen: renaming a tag (or dropping a class) must fail this list.
STABLE_NAMES = frozenset({
    "SchoolRegistered",
    "SchoolDetailsChanged",
    "PrincipalAppointed",
    "SchoolCalendarSet",
    "YearSealed",
    "ClassFormed",
    "HomeroomTeacherChanged",
    "ClassMemberJoined",
    "ClassMemberLeft",
    "StudentAdmitted",
    "AdmissionIndexed",
    "IdentityDetailsChanged",
    "StudentPlacedInClass",
    "LeaveOfAbsenceBegan",
    "LeaveOfAbsenceEnded",
    "StudentWithdrew",
    "StudentGraduated",
    "StudentHandedOver",
    "StudentTransferredIn",
    "AttendanceMarked",
    "AttendanceCorrected",
    "AssessmentRecorded",
    "AssessmentCorrected",
    "YearRecordEntered",
    "YearRecordCorrected",
    "HealthExaminationRecorded",
    "HealthExaminationCorrected",
    "DentalExaminationRecorded",
    "DentalExaminationCorrected",
    "BoardSettingsChanged",
    "AlertRaised",
    "AlertAcknowledged",
})


def load_golden() -> list[StoredEvent]:
    records = []
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r: dict[str, Any] = json.loads(line)
            records.append(StoredEvent(originator_id=UUID(r["originator_id"]),
                                       originator_version=r["originator_version"], topic=r["topic"],
                                       state=r["state"].encode("utf-8")))
    return records


GOLDEN_RECORDS = load_golden()


def mapper() -> EventMapper:
    return EventMapper(transcoder=JSONTranscoder())


def label(record: StoredEvent) -> str:
    return f"{record.topic.removeprefix(TOPIC_PREFIX)}-v{record.originator_version}"


@pytest.mark.parametrize("record", [pytest.param(r, id=label(r)) for r in GOLDEN_RECORDS])
def test_a_golden_record_decodes_to_its_class_and_encodes_to_the_same_bytes(record: StoredEvent) -> None:
    name = record.topic.removeprefix(TOPIC_PREFIX)

    event = mapper().to_domain_event(record)

    assert type(event) is all_event_classes()[name]
    assert (event.originator_id, event.originator_version) == (record.originator_id, record.originator_version)
    again = mapper().to_stored_event(event)
    assert again == record
    assert again.state == record.state  # byte for byte


def test_every_event_type_has_a_golden_record() -> None:
    golden_names = {r.topic.removeprefix(TOPIC_PREFIX) for r in GOLDEN_RECORDS}
    missing = set(all_event_classes()) - golden_names
    assert not missing, f"add golden records (tests/golden/regenerate.py --missing) for: {sorted(missing)}"
    assert golden_names <= set(all_event_classes()), "a golden record names an event type that no longer exists"


def test_the_stable_type_names_are_the_frozen_list() -> None:
    assert set(all_event_classes()) == STABLE_NAMES
    assert all(type_name(cls) == name for name, cls in all_event_classes().items())


def test_the_golden_records_are_what_the_file_says_they_are() -> None:
    assert len(GOLDEN_RECORDS) >= len(STABLE_NAMES)
    assert all(r.topic.startswith(TOPIC_PREFIX) for r in GOLDEN_RECORDS)
    for r in GOLDEN_RECORDS:
        payload = json.loads(r.state)
        assert payload["type"] == r.topic.removeprefix(TOPIC_PREFIX)
        assert (payload["originator_id"], payload["originator_version"]) == (str(r.originator_id),
                                                                             r.originator_version)
    keys = [(r.originator_id, r.originator_version) for r in GOLDEN_RECORDS]
    assert len(set(keys)) == len(keys)


def test_a_record_whose_columns_disagree_with_its_payload_is_refused() -> None:
    record = GOLDEN_RECORDS[0]
    moved = StoredEvent(originator_id=record.originator_id, originator_version=record.originator_version + 1,
                        topic=record.topic, state=record.state)
    with pytest.raises(MapperDeserialisationError, match="does not match its payload"):
        mapper().to_domain_event(moved)


def test_a_record_of_an_unknown_type_is_refused() -> None:
    record = GOLDEN_RECORDS[0]
    renamed = StoredEvent(originator_id=record.originator_id, originator_version=record.originator_version,
                          topic=TOPIC_PREFIX + "SchoolOpened", state=record.state)
    with pytest.raises(MapperDeserialisationError, match="unknown event type"):
        mapper().to_domain_event(renamed)


def test_a_record_with_a_field_the_class_does_not_have_is_refused() -> None:
    record = GOLDEN_RECORDS[0]
    payload = json.loads(record.state)
    payload["motto"] = "なかよく"
    extra = StoredEvent(originator_id=record.originator_id, originator_version=record.originator_version,
                        topic=record.topic, state=json.dumps(payload, ensure_ascii=False).encode())
    with pytest.raises(MapperDeserialisationError, match="motto"):
        mapper().to_domain_event(extra)


def test_the_golden_records_load_from_the_store(ledger: Ledger) -> None:
    """Written as raw rows (as an old ledger would hold them), they read back through the ledger."""
    ledger.recorder.insert_events(GOLDEN_RECORDS)

    by_stream: dict[UUID, list[Event]] = defaultdict(list)
    for r in GOLDEN_RECORDS:
        by_stream[UUID(str(r.originator_id))].append(mapper().to_domain_event(r))
    for stream_id, events in by_stream.items():
        assert ledger.stream(stream_id) == sorted(events, key=lambda e: e.originator_version)
    assert ledger.position() == len(GOLDEN_RECORDS)
