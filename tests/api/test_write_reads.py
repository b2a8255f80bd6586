"""How much a write reads: every stream once, the known ones together, no log position when a receipt
answers (issue 6). Counted at the recorder: each ``select_events`` (one stream), each
``events_in_streams`` query (several) and each ``max_notification_id`` is one SELECT of its own.

Before issue 6 an assessment POST made 8 of them (the student twice, the school twice, the class,
the school year, the assessment stream, the log position) and a class roll 5 (the school, the
class twice, the school year, the log position)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain import streams
from tests.api.conftest import VIEWPOINTS, A, Api, problem_of
from tests.api.test_authorization_matrix import ROUTES, SUBJECT, scene_of, token_for
from tests.api.test_writes import WRITES
from tests.builders import YEAR


@dataclass
class Reads:
    queries: int = 0  # SELECTs of events, one stream or several
    positions: int = 0  # SELECTs of the log's head
    streams: Counter[UUID] = field(default_factory=Counter)  # how often each stream was read


@contextmanager
def counting(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[Reads]:
    """Count what the request threads read (the projection poller's own reads are left out)."""
    ledger, reads = api.ledger, Reads()

    def ours() -> bool:
        return threading.current_thread().name != "gakuseki-projections"

    select_events, read_streams = ledger.recorder.select_events, ledger.read_streams
    max_notification_id = ledger.recorder.max_notification_id

    def selecting(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        if ours():
            reads.queries += 1
            reads.streams[UUID(str(originator_id))] += 1
        return select_events(originator_id, *args, **kwargs)

    def in_streams(stream_ids: Any) -> Any:
        if ours():
            reads.queries += 1
            reads.streams.update(stream_ids)
        return read_streams(stream_ids)

    def head() -> Any:
        if ours():
            reads.positions += 1
        return max_notification_id()

    with monkeypatch.context() as m:
        m.setattr(ledger.recorder, "select_events", selecting)
        m.setattr(ledger, "read_streams", in_streams)
        m.setattr(ledger.recorder, "max_notification_id", head)
        yield reads


def _assess(api: Api, sid: str, klass: str, term: int = 1) -> Any:
    headers = api.auth("subject_teacher", classes=[klass], subjects=[SUBJECT])
    return api.post(f"/v1/students/{sid}/assessments", {
        "year": YEAR, "subject": SUBJECT, "viewpoints": VIEWPOINTS, "assessed_on": "2026-07-15", "term": term},
        headers)


def test_an_assessment_reads_each_stream_once_in_two_queries(world: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api = world
    klass, sid = api.fresh_student(A)
    with counting(api, monkeypatch) as reads:
        response = _assess(api, sid, klass.key)
    assert response.status_code == 201, response.text
    student = UUID(sid)
    assert reads.streams == Counter({  # each once: the student with its assessments, then school, class and year
        student: 1, streams.assessments(student, YEAR): 1, streams.school(A): 1,
        streams.school_class(A, YEAR, 1, klass.name): 1, streams.school_year(A, YEAR): 1})
    assert reads.queries == 2  # was 7
    assert reads.positions == 0  # was 1: the receipt carries the position


def test_a_roll_reads_school_year_and_class_in_one_query_and_no_student(world: Api,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    api = world
    klass = api.fresh_class(A, homeroom="T-0001", students=3)
    body = {"school_code": A, "year": YEAR, "grade": 1, "class_name": klass.name, "date": "2026-04-08",
            "marks": [{"student_id": s, "code": "present"} for s in klass.students]}
    with counting(api, monkeypatch) as reads:
        response = api.post("/v1/attendance-rolls", body, api.auth("homeroom_teacher", classes=[klass.key]))
    assert response.status_code == 201, response.text
    assert reads.streams == Counter({streams.school(A): 1, streams.school_year(A, YEAR): 1,
                                     streams.school_class(A, YEAR, 1, klass.name): 1})
    assert reads.queries == 1  # was 4
    assert reads.positions == 0


# The SELECTs of events each write makes now; in brackets before issue 6 (each also read the log position).
QUERIES = {
    "put-school": 1,  # [2] the school
    "put-principal": 1,  # [2]
    "put-calendar": 1,  # [3] the school and the year together
    "put-class": 1,  # [5] school, year and class together (and the members named, in one more)
    "admit": 2,  # [6] school, year and class; the new student's id and its identity key (no child alike)
    "identity-change": 2,  # [4] the student; the school, class and year
    "leave": 2,  # [7]
    "return": 2,  # [7]
    "withdrawal": 2,  # [7]
    "graduation": 2,  # [7]
    "attendance-roll": 1,  # [4] school, year and class together
    "attendance-correction": 2,  # [8] the student and the day's stream; school, class and year
    "assessment": 2,  # [7] the student and the assessments; school, class and year
    "year-record": 2,  # [7]
    "health-exam": 2,  # [7]
    "dental-exam": 2,  # [7]
    "correct-assessment": 2,  # [8]
    "correct-year-record": 2,  # [7]
    "correct-health-exam": 2,  # [7]
    "correct-dental-exam": 2,  # [7]
    "seal": 1,  # [3]
}


@pytest.mark.parametrize("route", sorted(WRITES))
def test_every_write_reads_each_stream_once(world: Api, route: str, monkeypatch: pytest.MonkeyPatch) -> None:
    api = world
    role, _ = WRITES[route]
    call = ROUTES[route](api, scene_of(role, "own"))
    headers = token_for(api, role, "own", call)
    with counting(api, monkeypatch) as reads:
        response = api.call(call.method, call.path, headers, call.body)
    assert response.status_code == 201, response.text
    assert reads.positions == 0
    assert max(reads.streams.values()) == 1, reads.streams
    assert reads.queries == QUERIES[route], reads


def test_a_write_that_records_nothing_answers_the_log_position(world: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api = world
    code = f"B13122000{7000 + int(api.fresh_name()[1:]):04d}"
    body = {"name": "鳥取市立わかば小学校", "board_code": "312011", "address": "鳥取県鳥取市若葉台"}
    assert api.put(f"/v1/schools/{code}", body, api.auth("board")).status_code == 201
    with counting(api, monkeypatch) as reads:
        again = api.put(f"/v1/schools/{code}", body, api.auth("board"))
    assert again.status_code == 200
    assert again.json()["position"] == api.ledger.position()
    assert reads.positions == 1


def test_nothing_read_outlives_its_request(world: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second request reads again, and judges by what was saved in between by another writer."""
    api = world
    klass, sid = api.fresh_student(A)
    assert _assess(api, sid, klass.key, term=1).status_code == 201
    api.ledger.record_assessment(sid, YEAR, subject=SUBJECT, viewpoints=VIEWPOINTS, term=2, on=date(2026, 12, 1),
                                 recorded_by="admin")  # outside any request
    with counting(api, monkeypatch) as reads:
        third = _assess(api, sid, klass.key, term=3)
    assert third.status_code == 201, third.text  # version 3: it saw the second one
    assert reads.queries == 1  # what the first request read after the student, read with it (stream ids only)
    assert len(api.ledger.stream(streams.assessments(UUID(sid), YEAR))) == 3
    assert api.ledger._reads() is None


def test_a_save_in_the_way_after_the_reads_is_still_a_conflict(world: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command judges by the reads of the target; another writer who saves between those reads
    and the save makes the save fail on the stream's version: 409, nothing of the request recorded."""
    api = world
    klass, sid = api.fresh_student(A)
    record = api.ledger.record
    other: list[Any] = []

    def another_writer_first(events: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name != "another-writer" and not other:
            # in a thread of its own, so it sees none of this request's reads
            thread = threading.Thread(name="another-writer", target=lambda: other.append(
                api.ledger.record_assessment(sid, YEAR, subject="arithmetic", viewpoints=VIEWPOINTS, term=1,
                                             on=date(2026, 7, 14), recorded_by="another")))
            thread.start()
            thread.join()
            assert other, "the other writer saved nothing"
        return record(events, **kwargs)

    monkeypatch.setattr(api.ledger, "record", another_writer_first)
    response = _assess(api, sid, klass.key)
    problem = problem_of(response, 409)
    assert problem["type"] == "/problems/concurrency-conflict", problem
    history = api.ledger.stream(streams.assessments(UUID(sid), YEAR))
    assert [e.recorded_by for e in history] == ["another"]


def test_an_idempotent_write_reads_the_same_and_its_retry_records_nothing(
        world: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api = world
    klass, sid = api.fresh_student(A)
    headers = {**api.auth("subject_teacher", classes=[klass.key], subjects=[SUBJECT]),
               "Idempotency-Key": f"assess-{sid}"}
    body = {"year": YEAR, "subject": SUBJECT, "viewpoints": VIEWPOINTS, "assessed_on": "2026-07-15", "term": 1}
    with counting(api, monkeypatch) as reads:
        first = api.post(f"/v1/students/{sid}/assessments", body, headers)
    assert first.status_code == 201, first.text
    assert (reads.queries, reads.positions) == (2, 0)
    before = api.ledger.position()
    again = api.post(f"/v1/students/{sid}/assessments", body, headers)
    assert (again.status_code, again.json()) == (201, first.json())
    assert api.ledger.position() == before


def test_the_summary_reads_the_student_once_and_its_school_and_class_together(world: Api,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    api = world
    _, sid = api.fresh_student(A)
    with counting(api, monkeypatch) as reads:
        response = api.get(f"/v1/students/{sid}", api.auth("principal"))
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"1"'
    assert max(reads.streams.values()) == 1  # was: the student twice, once for the policy, once for the summary
    assert reads.queries == 2  # was 4
    assert reads.positions == 0


def test_a_second_write_about_a_child_reads_everything_in_one_query(world: Api,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The first request learns which streams come after the student (school, class, year); the next
    one about the same child reads them with the student, in one query, each once (ADR 0040)."""
    api = world
    klass, sid = api.fresh_student(A)
    assert _assess(api, sid, klass.key, term=1).status_code == 201
    with counting(api, monkeypatch) as reads:
        response = _assess(api, sid, klass.key, term=2)
    assert response.status_code == 201, response.text
    student = UUID(sid)
    assert reads.streams == Counter({
        student: 1, streams.assessments(student, YEAR): 1, streams.school(A): 1,
        streams.school_class(A, YEAR, 1, klass.name): 1, streams.school_year(A, YEAR): 1})
    assert reads.queries == 1
    assert [e.term for e in api.ledger.stream(streams.assessments(student, YEAR))] == [1, 2]


def test_the_streams_remembered_for_a_child_are_only_a_hint(world: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Remembered streams that the child's record no longer names are read for nothing; those it names
    and that were not remembered are read in a second query: the write is judged as without the hint."""
    api = world
    klass, sid = api.fresh_student(A)
    elsewhere = api.fresh_class(A, homeroom="T-0002")
    unrelated = streams.school_class(A, YEAR, 1, elsewhere.name)
    api.ledger.read_together.remember(UUID(sid), [unrelated, streams.school(A)])
    with counting(api, monkeypatch) as reads:
        response = _assess(api, sid, klass.key)
    assert response.status_code == 201, response.text
    assert reads.queries == 2
    assert reads.streams[unrelated] == 1
    assert max(reads.streams.values()) == 1
    assert api.ledger.read_together(UUID(sid)) == (
        streams.school(A), streams.school_class(A, YEAR, 1, klass.name), streams.school_year(A, YEAR))
    # A teacher of the remembered class is not the child's teacher: refused as before (404, out of scope)
    other = api.post(f"/v1/students/{sid}/assessments", {
        "year": YEAR, "subject": SUBJECT, "viewpoints": VIEWPOINTS, "assessed_on": "2026-07-15", "term": 2},
        api.auth("subject_teacher", classes=[elsewhere.key], subjects=[SUBJECT]))
    assert problem_of(other, 404)["status"] == 404
