"""The read endpoints: a student's summary (with its ETag), their history, the access log that
records reads of it, and the change feed with its pagination."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest

from domain.event import TOPIC_PREFIX
from tests.api.conftest import DENTAL, HEALTH, VIEWPOINTS, A, Api, B, problem_of
from tests.builders import YEAR, identity

# ---------------------------------------------------------------- the summary


def test_the_summary_is_the_register_as_it_stands_with_its_version_as_etag(world: Api) -> None:
    api = world
    klass = api.fresh_class(A, students=2)
    sid = klass.students[1]
    headers = api.auth("registrar")
    response = api.get(f"/v1/students/{sid}", headers)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"1"'
    assert response.json() == {
        "student_id": sid, "version": 1, "status": "enrolled", "custodian": A,
        "name": "佐藤 陽翔2", "name_kana": "さとう はると", "sex": "male", "birth_date": "2019-06-01",
        "enrollments": [{"school_code": A, "began_on": "2026-04-06", "ended_on": None, "ended_because": None}],
        "classes": {"2026": {"school_code": A, "grade": 1, "class_name": klass.name, "number": 2}},
    }
    change = {"identity": identity(2, given_name="結衣"), "reason": "改名"}
    assert api.post(f"/v1/students/{sid}/identity-changes", change, headers).status_code == 201
    after = api.get(f"/v1/students/{sid}", headers)
    assert after.headers["etag"] == '"2"'
    assert (after.json()["version"], after.json()["name"]) == (2, "佐藤 結衣")


def test_a_student_who_left_is_still_read_by_their_last_school(world: Api) -> None:
    api = world
    sid = api.fresh_class(A).students[0]
    assert api.post(f"/v1/students/{sid}/withdrawal", {"on": "2026-06-30", "reason": "海外への転出"},
                    api.auth("registrar")).status_code == 201
    summary = api.get(f"/v1/students/{sid}", api.auth("principal")).json()
    assert (summary["status"], summary["custodian"]) == ("withdrawn", None)
    assert summary["enrollments"][-1]["ended_on"] == "2026-06-30"
    assert summary["enrollments"][-1]["ended_because"] == "withdrawal"
    problem_of(api.get(f"/v1/students/{sid}", api.auth("principal", B, staff="P-0002")), 404)


def test_the_summary_of_no_student_is_404(world: Api) -> None:
    assert problem_of(world.get(f"/v1/students/{uuid.uuid4()}", world.auth("principal")), 404)["rule"] == "not-found"


# ---------------------------------------------------------------- history

def _a_year_of_records(api: Api) -> tuple[str, list[tuple[str, str, str | None]]]:
    """A student with one of nearly everything; the expected (type, recorded_by, reason) in order."""
    klass = api.fresh_class(A, homeroom="T-0001", students=2)
    sid, classmate = klass.students
    ledger = api.ledger
    ledger.record_roll(A, YEAR, 1, klass.name, on=date(2026, 4, 7),
                       marks=[(sid, {"code": "present"}), (classmate, {"code": "present"})], recorded_by="T-0001")
    teacher, principal, nurse = (api.auth("homeroom_teacher"), api.auth("principal"), api.auth("nurse"))
    steps = [
        (f"/v1/students/{sid}/attendance-corrections", {"date": "2026-04-07", "mark": {"code": "absent_illness"},
                                                         "reason": "連絡帳で確認"}, teacher),
        (f"/v1/students/{sid}/health-exams", {"year": YEAR, "examination": HEALTH, "examined_on": "2026-04-20"},
         nurse),
        (f"/v1/students/{sid}/identity-changes", {"identity": identity(1, address="鳥取県鳥取市西町2-1-3"),
                                                   "reason": "転居"}, api.auth("registrar")),
        (f"/v1/students/{sid}/dental-exams", {"year": YEAR, "examination": DENTAL, "examined_on": "2026-05-08"},
         nurse),
        (f"/v1/students/{sid}/leaves", {"on": "2026-05-11", "reason": "病気療養"}, principal),
        (f"/v1/students/{sid}/returns", {"on": "2026-06-01"}, principal),
        (f"/v1/students/{sid}/assessments", {"year": YEAR, "subject": "japanese", "viewpoints": VIEWPOINTS,
                                              "assessed_on": "2026-07-15", "term": 1}, principal),
        (f"/v1/students/{sid}/year-records", {"year": YEAR, "record": {"general_remarks": "意欲的に学習した。"},
                                               "entered_on": "2027-03-15"}, teacher),
        (f"/v1/students/{sid}/corrections", {"record": "assessment", "year": YEAR, "corrects_version": 1,
                                              "reason": "転記誤り", "value": {"viewpoints": {
                                                  "knowledge": "A", "thinking": "A", "attitude": "A"}}}, principal),
    ]
    for path, body, headers in steps:
        response = api.post(path, body, headers)
        assert response.status_code == 201, (path, response.text)
    return sid, [
        ("StudentAdmitted", "R-0001", None),
        ("AttendanceMarked", "T-0001", None),
        ("AttendanceCorrected", "T-0001", "連絡帳で確認"),
        ("HealthExaminationRecorded", "N-0001", None),
        ("IdentityDetailsChanged", "R-0001", "転居"),
        ("DentalExaminationRecorded", "N-0001", None),
        ("LeaveOfAbsenceBegan", "P-0001", "病気療養"),
        ("LeaveOfAbsenceEnded", "P-0001", None),
        ("AssessmentRecorded", "P-0001", None),
        ("YearRecordEntered", "T-0001", None),
        ("AssessmentCorrected", "P-0001", "転記誤り"),
    ]


def test_history_lists_every_event_of_the_student_in_log_order(world: Api) -> None:
    api = world
    sid, expected = _a_year_of_records(api)
    response = api.get(f"/v1/students/{sid}/history", api.auth("principal"))
    assert response.status_code == 200, response.text
    history = response.json()
    assert [(e["type"], e["recorded_by"], e["reason"]) for e in history] == expected
    positions = [e["position"] for e in history]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    effective = {e["type"]: e["effective_on"] for e in history}
    assert effective["StudentAdmitted"] == "2026-04-06"
    assert effective["AttendanceMarked"] == effective["AttendanceCorrected"] == "2026-04-07"
    assert effective["LeaveOfAbsenceBegan"] == "2026-05-11"
    assert effective["YearRecordEntered"] == "2027-03-15"
    recorded = [datetime.fromisoformat(e["recorded_at"]) for e in history]
    assert recorded == sorted(recorded)
    assert all(r.tzinfo is not None for r in recorded)
    corrected = history[-1]
    assert (corrected["corrects_version"], corrected["approved_by"]) == (1, "P-0001")
    assert history[0]["stream_id"] == sid
    # Each entry is the event at that position of the ledger's own log.
    for entry in history:
        n = api.ledger.recorder.select_notifications(start=entry["position"], limit=1)[0]
        assert (n.topic.removeprefix(TOPIC_PREFIX), str(n.originator_id), n.originator_version) == (
            entry["type"], entry["stream_id"], entry["version"])


def test_each_history_entry_carries_what_it_recorded_and_a_correction_what_it_replaced(world: Api) -> None:
    api = world
    klass = api.fresh_class(A, homeroom="T-0001", students=2)
    sid, classmate = klass.students
    api.ledger.record_roll(A, YEAR, 1, klass.name, on=date(2026, 4, 7), recorded_by="T-0001",
                           marks=[(sid, {"code": "late", "reason": "通院"}), (classmate, {"code": "present"})])
    principal, nurse = api.auth("principal"), api.auth("nurse")
    for path, body, headers in [
        ("/attendance-corrections", {"date": "2026-04-07", "mark": {"code": "absent_illness", "reason": "発熱"},
                                     "reason": "連絡帳で確認"}, api.auth("homeroom_teacher")),
        ("/health-exams", {"year": YEAR, "examination": HEALTH, "examined_on": "2026-04-20"}, nurse),
        ("/assessments", {"year": YEAR, "subject": "japanese", "viewpoints": VIEWPOINTS, "assessed_on": "2026-07-15",
                          "term": 1}, principal),
        ("/corrections", {"record": "assessment", "year": YEAR, "corrects_version": 1, "reason": "転記誤り",
                          "value": {"viewpoints": {**VIEWPOINTS, "thinking": "A"}}}, principal),
    ]:
        assert api.post(f"/v1/students/{sid}{path}", body, headers).status_code == 201
    for reader in ("principal", "auditor"):
        history = {e["type"]: e for e in api.get(f"/v1/students/{sid}/history", api.auth(reader)).json()}
        assert history["AttendanceMarked"]["recorded"] == {
            "student_id": sid, "school_code": A, "year": YEAR, "grade": 1, "class_name": klass.name,
            "mark": {"code": "late", "reason": "通院"}}
        assert history["AttendanceMarked"]["replaced"] is None
        corrected = history["AttendanceCorrected"]
        assert corrected["recorded"]["mark"] == {"code": "absent_illness", "reason": "発熱"}
        assert corrected["replaced"] == {"mark": {"code": "late", "reason": "通院"}}
        assert (corrected["reason"], corrected["corrects_version"]) == ("連絡帳で確認", 1)
        assert history["HealthExaminationRecorded"]["recorded"]["examination"]["height_cm"] == HEALTH["height_cm"]
        assert history["AssessmentRecorded"]["recorded"]["viewpoints"] == VIEWPOINTS
        assert history["AssessmentRecorded"]["recorded"]["subject"] == "japanese"
        assert history["AssessmentCorrected"]["recorded"]["viewpoints"] == {**VIEWPOINTS, "thinking": "A"}
        assert history["AssessmentCorrected"]["replaced"] == {"viewpoints": VIEWPOINTS}
        assert history["StudentAdmitted"]["recorded"]["identity"]["family_name"]
        assert set(history["StudentAdmitted"]["recorded"]).isdisjoint({"recorded_at", "recorded_by", "type"})


def test_history_of_a_classmate_holds_none_of_the_students_events(world: Api) -> None:
    api = world
    klass = api.fresh_class(A, students=2)
    sid, classmate = klass.students
    api.ledger.record_health_exam(sid, YEAR, examination=HEALTH, examined_on=date(2026, 4, 20), recorded_by="N-0001")
    history = api.get(f"/v1/students/{classmate}/history", api.auth("principal")).json()
    assert [e["type"] for e in history] == ["StudentAdmitted"]
    assert {e["stream_id"] for e in history} == {classmate}


# ---------------------------------------------------------------- the access log

def _access(api: Api, **query: Any) -> list[dict[str, Any]]:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    response = api.get(f"/v1/access-log?{params}", api.auth("auditor"))
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


def test_a_history_read_is_recorded_in_the_access_log(world: Api) -> None:
    api = world
    sid = api.fresh_class(A).students[0]
    assert api.get(f"/v1/students/{sid}/history", api.auth("principal")).status_code == 200
    [entry] = _access(api, student_id=sid)
    assert {k: entry[k] for k in ("staff_id", "roles", "action", "resource", "student_id", "outcome", "status")} == {
        "staff_id": "P-0001", "roles": "principal", "action": "student.history",
        "resource": f"/v1/students/{sid}/history", "student_id": sid, "outcome": "allowed", "status": 200}
    assert datetime.fromisoformat(entry["at"]).tzinfo is not None


@pytest.mark.parametrize(("who", "outcome", "status"), [
    ("homeroom_teacher", "denied", 403),  # sees the student, may not read the history
    ("principal-of-b", "not-found", 404),  # out of sight
    ("principal-without-mfa", "denied", 401),
    ("auditor", "allowed", 200),
])
def test_every_history_read_is_recorded_whatever_its_outcome(world: Api, who: str, outcome: str, status: int) -> None:
    api = world
    klass = api.fresh_class(A, homeroom="T-0001")
    sid = klass.students[0]
    headers = {
        "homeroom_teacher": api.auth("homeroom_teacher", classes=[klass.key]),
        "principal-of-b": api.auth("principal", B, staff="P-0002"),
        "principal-without-mfa": api.auth("principal", mfa=False),
        "auditor": api.auth("auditor"),
    }[who]
    assert api.get(f"/v1/students/{sid}/history", headers).status_code == status
    [entry] = _access(api, student_id=sid)
    assert (entry["outcome"], entry["status"], entry["action"]) == (outcome, status, "student.history")


def test_a_history_read_of_no_student_is_recorded_as_not_found(world: Api) -> None:
    api = world
    missing = str(uuid.uuid4())
    problem_of(api.get(f"/v1/students/{missing}/history", api.auth("principal")), 404)
    [entry] = _access(api, student_id=missing)
    assert (entry["outcome"], entry["status"]) == ("not-found", 404)


def test_an_unauthenticated_history_read_is_refused_before_anything_is_read(world: Api) -> None:
    api = world
    sid = api.fresh_class(A).students[0]
    problem_of(api.client.get(f"/v1/students/{sid}/history"), 401)
    assert _access(api, student_id=sid) == []


def test_the_access_log_filters_by_staff_and_pages_by_id(world: Api) -> None:
    api = world
    sid = api.fresh_class(A).students[0]
    staff = f"P-{uuid.uuid4().hex[:6]}"
    for _ in range(3):
        api.get(f"/v1/students/{sid}/history", api.auth("principal", staff=staff))
    mine = _access(api, staff_id=staff)
    assert len(mine) == 3
    assert {e["staff_id"] for e in mine} == {staff}
    ids = [e["id"] for e in mine]
    assert ids == sorted(ids)
    assert [e["id"] for e in _access(api, staff_id=staff, after=ids[0], limit=1)] == [ids[1]]


# ---------------------------------------------------------------- the change feed

def _walk(api: Api, first: str) -> list[dict[str, Any]]:
    """Every page from ``first`` on, following ``next`` to the end."""
    pages, url = [], first
    while url:
        response = api.get(url, api.auth("auditor"))
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        url = page["next"]
        assert len(pages) < 1000
    return pages


@pytest.mark.parametrize("limit", [1, 7, 10])
def test_the_log_pages_through_every_event_once_in_order(api: Api, limit: int) -> None:
    end = api.ledger.position()
    pages = _walk(api, f"/v1/log?limit={limit}")
    entries = [e for page in pages for e in page["entries"]]
    assert [e["position"] for e in entries] == list(range(1, end + 1))
    for page in pages[:-1]:  # each page ends on a transaction boundary; a longer one is one transaction
        first, last = page["entries"][0]["position"], page["entries"][-1]["position"]
        assert api.ledger.settled(last) == last
        assert len(page["entries"]) <= limit or api.ledger.boundaries.around(last) == (first, last)
    assert pages[-1]["next"] is None
    everything = api.get("/v1/log?limit=1000", api.auth("auditor")).json()
    assert everything == {"entries": entries, "next": None}
    first = entries[0]
    assert (first["type"], first["version"], first["event"]["school_code"]) == ("SchoolRegistered", 1, A)
    assert first["event"]["type"] == "SchoolRegistered"


def test_a_page_reads_the_same_again_and_new_events_come_after_the_last_page(api: Api) -> None:
    before = _walk(api, "/v1/log?limit=4")
    last = api.ledger.position()
    again = _walk(api, "/v1/log?limit=4")
    assert again == before
    sid = api.schools["A"].students[0]
    api.post(f"/v1/students/{sid}/health-exams", {"year": YEAR, "examination": HEALTH, "examined_on": "2026-04-20"},
             api.auth("nurse"))
    after = _walk(api, "/v1/log?limit=4")
    old_entries = [e for page in before for e in page["entries"]]
    new_entries = [e for page in after for e in page["entries"]]
    assert new_entries[:len(old_entries)] == old_entries
    assert [e["position"] for e in new_entries[len(old_entries):]] == [last + 1]
    tail = api.get(f"/v1/log?after={last}", api.auth("auditor")).json()
    assert [(e["position"], e["type"], e["stream_id"]) for e in tail["entries"]] == [
        (last + 1, "HealthExaminationRecorded", new_entries[-1]["stream_id"])]
    assert tail["next"] is None


def test_a_log_page_never_ends_inside_a_transaction(world: Api) -> None:
    """Two rolls of five marks (each one transaction): a page of seven after the first ends with it,
    the next page holds the second; a page of three holds a whole roll (one transaction longer
    than the page); and every page links to the next until the end."""
    api = world
    klass = api.fresh_class(A, students=5)
    start = api.ledger.position()
    api.roll(klass, date(2026, 4, 8))
    middle = api.ledger.position()
    api.roll(klass, date(2026, 4, 9))
    end = api.ledger.position()
    auditor = api.auth("auditor")
    first = api.get(f"/v1/log?after={start}&limit=7", auditor).json()
    assert [e["position"] for e in first["entries"]] == list(range(start + 1, middle + 1))
    assert first["next"] == f"/v1/log?after={middle}&limit=7"
    second = api.get(first["next"], auditor).json()
    assert [e["position"] for e in second["entries"]] == list(range(middle + 1, end + 1))
    assert second["next"] is None
    longer = api.get(f"/v1/log?after={start}&limit=3", auditor).json()
    assert [e["position"] for e in longer["entries"]] == list(range(start + 1, middle + 1))
    assert longer["next"] == f"/v1/log?after={middle}&limit=3"


def test_after_the_end_of_the_log_the_page_is_empty(world: Api) -> None:
    page = world.get(f"/v1/log?after={world.ledger.position() + 10}", world.auth("auditor")).json()
    assert page == {"entries": [], "next": None}


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "after=-1", "limit=many"])
def test_a_log_query_out_of_range_is_refused(world: Api, query: str) -> None:
    problem = problem_of(world.get(f"/v1/log?{query}", world.auth("auditor")), 400)
    assert problem["field"] == query.split("=")[0]


def test_reading_the_change_feed_is_recorded_in_the_access_log(world: Any) -> None:
    api = world
    auditor = api.auth("auditor", mfa=True)
    assert api.client.get("/v1/log?after=0&limit=5", headers=auditor).status_code == 200
    entries = api.client.get("/v1/access-log", headers=auditor).json()
    assert any(e["action"] == "log.read" and e["resource"] == "/v1/log?after=0&limit=5" for e in entries)
