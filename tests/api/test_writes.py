"""The write endpoints: what each records, what each refuses (and that a refusal records nothing),
Idempotency-Key, If-Match, and corrections to a sealed year."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import jwt
import pytest

from api.app import MAX_BODY
from domain.event import TOPIC_PREFIX
from tests.api.conftest import DENTAL, HEALTH, STAFF, VIEWPOINTS, A, Api, B, Klass, School, calendar_body, problem_of
from tests.api.test_authorization_matrix import ROUTES, scene_of, token_for
from tests.builders import BOARD, YEAR, identity

# The role that does each write in a school, and the events it records (stream of the first one).
WRITES: dict[str, tuple[str, list[str]]] = {
    "put-school": ("board", ["SchoolDetailsChanged"]),
    "put-principal": ("board", ["PrincipalAppointed"]),
    "put-calendar": ("principal", ["SchoolCalendarSet"]),
    "put-class": ("registrar", ["ClassFormed"]),
    "admit": ("registrar", ["StudentAdmitted", "ClassMemberJoined", "AdmissionIndexed"]),
    "identity-change": ("registrar", ["IdentityDetailsChanged"]),
    "leave": ("registrar", ["LeaveOfAbsenceBegan", "ClassMemberLeft"]),
    "return": ("registrar", ["LeaveOfAbsenceEnded", "ClassMemberJoined"]),
    "withdrawal": ("registrar", ["StudentWithdrew", "ClassMemberLeft"]),
    "graduation": ("principal", ["StudentGraduated", "ClassMemberLeft"]),
    "attendance-roll": ("homeroom_teacher", ["AttendanceMarked"]),
    "attendance-correction": ("homeroom_teacher", ["AttendanceCorrected"]),
    "assessment": ("subject_teacher", ["AssessmentRecorded"]),
    "year-record": ("homeroom_teacher", ["YearRecordEntered"]),
    "health-exam": ("nurse", ["HealthExaminationRecorded"]),
    "dental-exam": ("nurse", ["DentalExaminationRecorded"]),
    "correct-assessment": ("subject_teacher", ["AssessmentCorrected"]),
    "correct-year-record": ("homeroom_teacher", ["YearRecordCorrected"]),
    "correct-health-exam": ("nurse", ["HealthExaminationCorrected"]),
    "correct-dental-exam": ("nurse", ["DentalExaminationCorrected"]),
    "seal": ("principal", ["YearSealed"]),
}


def logged(api: Api, after: int, count: int) -> list[tuple[str, str, str]]:
    """(type, stream id, recorded_by) of the events at log positions after+1 .. after+count."""
    page = api.ledger.recorder.select_notifications(start=after, limit=count + 1, inclusive_of_start=False)
    out = []
    for n in page:
        event = api.ledger.mapper.to_domain_event(n)
        out.append((n.topic.removeprefix(TOPIC_PREFIX), str(n.originator_id), event.recorded_by))  # type: ignore[attr-defined]
    return out


@pytest.mark.parametrize("route", sorted(WRITES))
def test_each_write_records_its_events_and_answers_where_they_are(world: Api, route: str) -> None:
    api = world
    role, types = WRITES[route]
    call = ROUTES[route](api, scene_of(role, "own"))
    headers = token_for(api, role, "own", call)
    before = api.ledger.position()
    response = api.call(call.method, call.path, headers, call.body)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"stream_id", "events", "position"}
    assert body["events"] == len(types)
    assert body["position"] == api.ledger.position() == before + len(types)
    recorded = logged(api, before, len(types))
    assert [t for t, _, _ in recorded] == types
    assert recorded[0][1] == body["stream_id"]
    assert {by for _, _, by in recorded} == {_staff_of(headers)}  # the writer is the token's subject


def _staff_of(headers: dict[str, str]) -> str:
    return str(jwt.decode(headers["Authorization"].split()[1], options={"verify_signature": False})["sub"])


def test_admission_answers_the_new_students_id(world: Api) -> None:
    api = world
    klass = api.fresh_class(A, students=0)
    body = {"school_code": A, "year": YEAR, "grade": 1, "class_name": klass.name, "number": 1,
            "identity": identity(4), "admitted_on": "2026-04-06", "admission_kind": "entrance"}
    response = api.post("/v1/students", body, api.auth("registrar"))
    assert response.status_code == 201, response.text
    sid = response.json()["stream_id"]
    summary = api.get(f"/v1/students/{sid}", api.auth("registrar")).json()
    assert summary["classes"]["2026"] == {"school_code": A, "grade": 1, "class_name": klass.name, "number": 1}


def test_a_put_of_a_school_registers_it_then_answers_200_when_nothing_changed(api: Api) -> None:
    headers = api.auth("board")
    body = {"name": "鳥取市立わかば小学校", "board_code": "312011", "address": "鳥取県鳥取市若葉台"}
    first = api.put("/v1/schools/B131220000601", body, headers)
    assert first.status_code == 201, first.text
    assert logged(api, first.json()["position"] - 1, 1)[0][0] == "SchoolRegistered"
    position = api.ledger.position()
    assert first.json()["position"] == position
    again = api.put("/v1/schools/B131220000601", body, headers)
    assert again.status_code == 200
    assert again.json() == {"stream_id": "", "events": 0, "position": position}
    assert api.ledger.position() == position


def _put_twice(api: Api, path: str, body: dict[str, Any], role: str, changed: dict[str, Any]) -> None:
    """The first PUT records (201); the same PUT again is 200 and records nothing; a changed one is judged."""
    headers = api.auth(role)
    first = api.put(path, body, headers)
    assert first.status_code == 201, first.text
    position = api.ledger.position()
    again = api.put(path, body, headers)
    assert (again.status_code, again.json()) == (200, {"stream_id": "", "events": 0, "position": position})
    assert api.ledger.position() == position
    assert api.put(path, {**body, **changed}, headers).status_code in (201, 422)


def test_a_put_of_a_class_exactly_as_it_was_formed_is_200_and_records_nothing(world: Api) -> None:
    api = world
    klass = api.fresh_class(A, students=0)  # two children of the school, not yet in a class of 2030
    year = api.fresh_year(A)
    body = {"homeroom_teacher_id": "T-0007", "homeroom_teacher_name": "山田 花子", "formed_on": f"{year}-04-06",
            "students": [{"student_id": s, "number": n} for n, s in enumerate(api.schools["A"].students[:2], 1)]}
    path = f"/v1/schools/{A}/years/{year}/classes/1/{klass.name}"
    _put_twice(api, path, body, "registrar", {"homeroom_teacher_id": "T-0008"})
    changed = api.put(path, {**body, "students": body["students"][:1]}, api.auth("registrar"))
    assert problem_of(changed, 422)["rule"] == "class-already-formed"


def test_a_put_of_the_calendar_as_it_stands_is_200_and_records_nothing(world: Api) -> None:
    api = world
    year = api.fresh_year(A, calendar=False)
    body = calendar_body(year)
    _put_twice(api, f"/v1/schools/{A}/years/{year}/calendar", body, "principal",
               {"instructional_days": body["instructional_days"][:3]})
    reordered = {**body, "instructional_days": list(reversed(body["instructional_days"]))}
    assert api.put(f"/v1/schools/{A}/years/{year}/calendar", {**body, "instructional_days": body[
        "instructional_days"][:3]}, api.auth("principal")).status_code == 200
    assert api.put(f"/v1/schools/{A}/years/{year}/calendar", reordered, api.auth("principal")).status_code == 201


def test_a_put_of_the_principal_already_appointed_is_200_and_records_nothing(world: Api) -> None:
    api = world
    school = api.fresh_school()
    body = {"staff_id": "P-7777", "name": "佐々木 三郎", "appointed_on": "2026-09-01"}
    _put_twice(api, f"/v1/schools/{school.code}/principal", body, "board", {"name": "佐々木 四郎"})


# ---------------------------------------------------------------- refusals of the request's shape

def _leave_path(api: Api) -> str:
    return f"/v1/students/{api.fresh_class(A).students[0]}/leaves"


def test_an_unknown_field_is_refused_with_400_naming_it(world: Api) -> None:
    api = world
    path = _leave_path(api)
    before = api.ledger.position()
    response = api.post(path, {"on": "2026-05-11", "reason": "療養", "bogus": 1}, api.auth("registrar"))
    body = problem_of(response, 400)
    assert body["rule"] == "invalid-request"
    assert any("`bogus`" in e["message"] for e in body["errors"])
    assert api.ledger.position() == before


@pytest.mark.parametrize(("suffix", "body", "field"), [
    ("/leaves", {"on": "2026-05-11", "reason": "療養", "bogus": 1}, "bogus"),
    ("/leaves", {"on": "2026-05-11"}, "reason"),
    ("/identity-changes", {"identity": {**identity(1), "foo": 1}, "reason": "転居"}, "identity.foo"),
])
def test_the_field_of_an_unknown_or_missing_field_is_the_field_itself(
        sqlite_world: Api, suffix: str, body: Any, field: str) -> None:
    api = sqlite_world
    path = f"/v1/students/{api.schools['A'].students[0]}{suffix}"
    assert problem_of(api.post(path, body, api.auth("registrar")), 400)["field"] == field


@pytest.mark.parametrize(("suffix", "body", "field"), [
    ("/leaves", {"on": 20260511, "reason": "療養"}, "on"),
    ("/leaves", {"on": "2026-13-01", "reason": "療養"}, "on"),
    ("/leaves", {"on": "2026-05-11", "reason": ["療養"]}, "reason"),
    ("/leaves", {"on": "2026-05-11", "reason": "療" * 201}, "reason"),
    ("/assessments", {"year": "twenty", "subject": "japanese", "viewpoints": VIEWPOINTS,
                      "assessed_on": "2026-07-15", "term": 1}, "year"),
    ("/returns", {"on": "2026-06-01", "number": "one"}, "number"),
    ("/health-exams", {"year": YEAR, "examination": {**HEALTH, "height_cm": "tall"}, "examined_on": "2026-05-01"},
     "examination.height_cm"),
])
def test_a_value_of_the_wrong_type_is_refused_with_400_naming_its_field(
        world: Api, suffix: str, body: Any, field: str) -> None:
    api = world
    path = f"/v1/students/{api.fresh_class(A).students[0]}{suffix}"
    before = api.ledger.position()
    problem = problem_of(api.post(path, body, api.auth("principal")), 400)
    assert problem["rule"] == "invalid-request"
    assert problem["field"] == field
    assert api.ledger.position() == before


def test_a_body_that_is_not_json_is_refused_with_400(world: Api) -> None:
    api = world
    path = _leave_path(api)
    before = api.ledger.position()
    response = api.client.post(path, content=b'{"on": "2026-05-11",',
                               headers={**api.auth("registrar"), "content-type": "application/json"})
    problem_of(response, 400)
    assert api.ledger.position() == before


def test_a_body_over_256_kib_is_refused_with_413(world: Api) -> None:
    api = world
    path = _leave_path(api)
    before = api.ledger.position()
    response = api.post(path, {"on": "2026-05-11", "reason": "x" * MAX_BODY}, api.auth("registrar"))
    assert problem_of(response, 413)["rule"] == "request-too-large"
    assert api.ledger.position() == before


# ---------------------------------------------------------------- refusals by the register's rules

def _roll_body(klass: Klass, day: str, **mark: Any) -> dict[str, Any]:
    return {"school_code": klass.school, "year": YEAR, "grade": klass.grade, "class_name": klass.name, "date": day,
            "marks": [{"student_id": s, "code": "present", **(mark if i == 0 else {})}
                      for i, s in enumerate(klass.students)]}


def _assessment(**overrides: Any) -> dict[str, Any]:
    return {"year": YEAR, "subject": "japanese", "viewpoints": VIEWPOINTS, "assessed_on": "2026-07-15", "term": 1,
            **overrides}


# name: (method, path, body, rule, field, status). In paths, {s} is a fresh student of a fresh class {c}
# of school A; {year} a fresh sealed year of school A. A body "roll:DAY[:CODE]" is that class's roll.
REFUSALS: dict[str, tuple[str, str, Any, str, str, int]] = {
    "mark-on-a-weekend": ("POST", "/v1/attendance-rolls", "roll:2026-04-11", "not-an-instructional-day", "date", 422),
    "mark-in-the-holidays": ("POST", "/v1/attendance-rolls", "roll:2026-08-03", "not-an-instructional-day", "date",
                             422),
    "mark-outside-the-year": ("POST", "/v1/attendance-rolls", "roll:2027-04-07", "date-outside-school-year", "date",
                              422),
    "unknown-mark-code": ("POST", "/v1/attendance-rolls", "roll:2026-04-08:truant", "unknown-mark-code",
                          "marks[0].code", 422),
    "suspension-without-authority": ("POST", "/v1/attendance-rolls", "roll:2026-04-08:suspended",
                                     "mark-needs-authority", "marks[0].authority", 422),
    "viewpoint-d": ("POST", "/v1/students/{s}/assessments", _assessment(viewpoints={**VIEWPOINTS, "knowledge": "D"}),
                    "invalid-viewpoint", "viewpoints.knowledge", 422),
    "rating-in-grade-1": ("POST", "/v1/students/{s}/assessments", _assessment(rating=3), "rating-not-allowed",
                          "rating", 422),
    "unknown-subject": ("POST", "/v1/students/{s}/assessments", _assessment(subject="latin"), "unknown-subject",
                        "subject", 422),
    "subject-not-in-grade": ("POST", "/v1/students/{s}/assessments", _assessment(subject="science"),
                             "subject-not-taught-in-grade", "subject", 422),
    # No school has a fourth term: out of the field's bounds (ADR 0023), before any rule of the register.
    "term-4": ("POST", "/v1/students/{s}/assessments", _assessment(term=4), "out-of-range", "term", 400),
    "unknown-behaviour-item": ("POST", "/v1/students/{s}/year-records", {
        "year": YEAR, "record": {"behaviour": ["flying"]}, "entered_on": "2027-03-15"},
        "unknown-behaviour-item", "record.behaviour[0]", 422),
    "height-out-of-range": ("POST", "/v1/students/{s}/health-exams", {
        "year": YEAR, "examination": {**HEALTH, "height_cm": "300.0"}, "examined_on": "2026-05-01"},
        "measurement-out-of-range", "examination.height_cm", 422),
    "ecg-missing-in-grade-1": ("POST", "/v1/students/{s}/health-exams", {
        "year": YEAR, "examination": {k: v for k, v in HEALTH.items() if k != "heart_ecg"},
        "examined_on": "2026-05-01"}, "examination-required-in-grade", "examination.heart_ecg", 422),
    "unknown-tooth": ("POST", "/v1/students/{s}/dental-exams", {
        "year": YEAR, "examination": {**DENTAL, "teeth": {"UR9": "/"}}, "examined_on": "2026-05-01"},
        "unknown-tooth", "examination.teeth.UR9", 422),
    "kana-not-kana": ("POST", "/v1/students/{s}/identity-changes", {
        "identity": identity(1, family_name_kana="Sato"), "reason": "転居"}, "kana-not-kana",
        "identity.family_name_kana", 422),
    "identity-unchanged": ("POST", "/v1/students/{s}/identity-changes", {"identity": identity(1), "reason": "確認"},
                           "nothing-changed", "identity", 422),
    "leave-before-enrollment": ("POST", "/v1/students/{s}/leaves", {"on": "2026-04-01", "reason": "療養"},
                                "date-before-enrollment", "on", 422),
    "return-without-leave": ("POST", "/v1/students/{s}/returns", {"on": "2026-06-01"}, "student-not-on-leave",
                             "student_id", 422),
    "graduation-from-grade-1": ("POST", "/v1/students/{s}/graduation", {"on": "2027-03-19"}, "grade-out-of-range",
                                "student_id", 422),
    "correction-of-nothing": ("POST", "/v1/students/{s}/corrections", {
        "record": "year-record", "year": YEAR, "corrects_version": 7, "reason": "訂正", "value": {}},
        "unknown-event-to-correct", "corrects_version", 404),
    "mark-correction-without-a-mark": ("POST", "/v1/students/{s}/attendance-corrections", {
        "date": "2026-04-08", "mark": {"code": "late"}, "reason": "記入漏れ"}, "no-mark-to-correct", "date", 404),
    "unknown-record-kind": ("POST", "/v1/students/{s}/corrections", {
        "record": "report-card", "year": YEAR, "corrects_version": 1, "reason": "訂正", "value": {}},
        "unknown-record", "record", 422),
    "one-term-calendar": ("PUT", "/v1/schools/" + A + "/years/2099/calendar", {
        "terms": [{"number": 1, "starts_on": "2099-04-07", "ends_on": "2100-03-24"}],
        "instructional_days": ["2099-04-07"]}, "invalid-term-structure", "terms", 422),
    "calendar-day-outside-the-year": ("PUT", "/v1/schools/" + A + "/years/2099/calendar", {
        **calendar_body(2099), "instructional_days": ["2100-04-05"]}, "date-outside-school-year",
        "instructional_days[0]", 422),
    "class-formed-twice": ("PUT", "/v1/schools/" + A + "/years/2026/classes/1/{c}", {
        "homeroom_teacher_id": "T-0001", "homeroom_teacher_name": "山田 花子", "formed_on": "2026-04-06"},
        "class-already-formed", "name", 422),
    "grade-7": ("PUT", "/v1/schools/" + A + "/years/2026/classes/7/1", {
        "homeroom_teacher_id": "T-0001", "homeroom_teacher_name": "山田 花子", "formed_on": "2026-04-06"},
        "grade-out-of-range", "grade", 422),
    "admission-number-taken": ("POST", "/v1/students", {
        "school_code": A, "year": YEAR, "grade": 1, "class_name": "{c}", "number": 1, "identity": identity(5),
        "admitted_on": "2026-04-06", "admission_kind": "entrance"}, "duplicate-attendance-number", "number", 422),
    "admission-of-a-toddler": ("POST", "/v1/students", {
        "school_code": A, "year": YEAR, "grade": 1, "class_name": "{c}", "number": 2,
        "identity": identity(5, birth_date="2023-01-01"), "admitted_on": "2026-04-06", "admission_kind": "entrance"},
        "implausible-birth-date", "identity.birth_date", 422),
    "school-code-of-a-high-school": ("PUT", "/v1/schools/D131220000708", {"name": "新しい高校", "board_code": BOARD},
                                     "invalid-school-kind", "school_code", 422),
    "sealing-twice": ("POST", "/v1/schools/" + A + "/years/{year}/seal", {}, "year-already-sealed", "year", 422),
}


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for k, v in names.items():
            value = value.replace("{" + k + "}", v)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_a_rule_of_the_register_refuses_with_its_rule_and_field_and_records_nothing(world: Api, name: str) -> None:
    api = world
    method, path, body, rule, field, status = REFUSALS[name]
    klass = api.fresh_class(A)
    names = {"s": klass.students[0], "c": klass.name}
    if "{year}" in path:
        year = api.fresh_year(A)
        api.ledger.seal_year(A, year, recorded_by="P-0001")
        names["year"] = str(year)
    if isinstance(body, str) and body.startswith("roll:"):
        _, day, *code = body.split(":")
        body = _roll_body(klass, day, **({"code": code[0]} if code else {}))
    path, body = _fill(path, names), _fill(body, names)
    before = api.ledger.position()
    headers = api.auth("board") if path.startswith("/v1/schools/D1") else api.auth("principal")
    problem = problem_of(api.call(method, path, headers, body), status)
    assert (problem["rule"], problem["field"]) == (rule, field), problem
    assert problem["detail"]
    assert api.ledger.position() == before


def test_a_rating_outside_the_scale_of_the_grade_is_refused(world: Api) -> None:
    api = world
    sid = api.fresh_class(A, grade=3).students[0]
    before = api.ledger.position()
    problem = problem_of(api.post(f"/v1/students/{sid}/assessments", _assessment(rating=4), api.auth("principal")),
                         422)
    assert (problem["rule"], problem["field"]) == ("rating-out-of-scale", "rating")
    assert api.ledger.position() == before
    assert api.post(f"/v1/students/{sid}/assessments", _assessment(rating=3), api.auth("principal")).status_code == 201


def test_a_sealed_year_refuses_new_records(world: Api) -> None:
    api = world
    school = api.fresh_school()
    api.ledger.seal_year(school.code, YEAR, recorded_by=school.principal)
    before = api.ledger.position()
    headers = api.auth("principal", school.code, staff=school.principal)
    for suffix, body in [("/assessments", _assessment()),
                         ("/health-exams", {"year": YEAR, "examination": HEALTH, "examined_on": "2026-05-01"}),
                         ("/year-records", {"year": YEAR, "record": {}, "entered_on": "2027-03-15"}),
                         ("/leaves", {"on": "2026-05-11", "reason": "療養"})]:
        problem = problem_of(api.post(f"/v1/students/{school.students[0]}{suffix}", body, headers), 422)
        assert (problem["rule"], problem["field"]) == ("year-is-sealed", "year"), suffix
    roll = {"school_code": school.code, "year": YEAR, "grade": 1, "class_name": "1", "date": "2026-04-07",
            "marks": [{"student_id": s, "code": "present"} for s in school.students]}
    assert problem_of(api.post("/v1/attendance-rolls", roll, headers), 422)["rule"] == "year-is-sealed"
    assert api.ledger.position() == before


# ---------------------------------------------------------------- Idempotency-Key

def _roll(api: Api, day: str = "2026-04-09") -> tuple[str, Klass, dict[str, str]]:
    klass = api.fresh_class(A, homeroom="T-0001", students=2)
    return "/v1/attendance-rolls", klass, api.auth("homeroom_teacher")


def test_the_same_key_and_body_answers_the_first_response_and_records_once(world: Api) -> None:
    api = world
    path, klass, headers = _roll(api)
    body = _roll_body(klass, "2026-04-09")
    keyed = {**headers, "Idempotency-Key": f"roll-{klass.key}-2026-04-09"}
    before = api.ledger.position()
    first = api.post(path, body, keyed)
    assert first.status_code == 201, first.text
    assert api.ledger.position() == before + 2
    again = api.post(path, body, keyed)
    assert again.status_code == 201
    assert again.content == first.content
    assert api.post(path + "/", body, keyed).content == first.content  # the same route
    assert api.ledger.position() == before + 2
    # Without the key the same roll is a second roll of the day, which the register refuses.
    assert problem_of(api.post(path, body, headers), 422)["rule"] == "attendance-already-marked"


def test_the_same_key_for_a_put_that_changed_nothing_records_nothing(world: Api) -> None:
    api = world
    school = api.fresh_school(students=0)
    headers = {**api.auth("board"), "Idempotency-Key": f"school-{uuid.uuid4()}"}
    body = {"name": api.ledger.school(school.code).name, "board_code": "312011", "address": "鳥取県鳥取市"}
    before = api.ledger.position()
    assert api.put(f"/v1/schools/{school.code}", body, headers).status_code == 200
    assert api.put(f"/v1/schools/{school.code}", body, headers).status_code == 200
    assert api.ledger.position() == before
    # The key was not kept for a request that recorded nothing: a real change may still use it.
    changed = api.put(f"/v1/schools/{school.code}", {**body, "address": "鳥取県鳥取市東町"}, headers)
    assert changed.status_code == 201, changed.text


def test_the_same_key_with_another_body_is_refused(world: Api) -> None:
    api = world
    path, klass, headers = _roll(api)
    keyed = {**headers, "Idempotency-Key": f"k-{klass.key}"}
    assert api.post(path, _roll_body(klass, "2026-04-10"), keyed).status_code == 201
    before = api.ledger.position()
    problem = problem_of(api.post(path, _roll_body(klass, "2026-04-13"), keyed), 422)
    assert (problem["rule"], problem["field"]) == ("idempotency-key-reused", "Idempotency-Key")
    other_route = f"/v1/students/{klass.students[0]}/leaves"
    problem = problem_of(api.post(other_route, {"on": "2026-05-11", "reason": "療養"},
                                  {**api.auth("principal", staff="T-0001"), "Idempotency-Key": keyed[
                                      "Idempotency-Key"]}), 422)
    assert problem["rule"] == "idempotency-key-reused"
    assert api.ledger.position() == before


def test_a_key_is_the_callers_own(world: Api) -> None:
    """Two staff members may use the same key for different requests."""
    api = world
    path, klass, headers = _roll(api)
    key = f"shared-{klass.key}"
    assert api.post(path, _roll_body(klass, "2026-04-14"), {**headers, "Idempotency-Key": key}).status_code == 201
    principal = {**api.auth("principal"), "Idempotency-Key": key}
    assert api.post(path, _roll_body(klass, "2026-04-15"), principal).status_code == 201


def test_a_refused_request_does_not_use_up_its_key(world: Api) -> None:
    api = world
    path, klass, headers = _roll(api)
    keyed = {**headers, "Idempotency-Key": f"first-try-{klass.key}"}
    before = api.ledger.position()
    problem = problem_of(api.post(path, _roll_body(klass, "2026-04-18"), keyed), 422)
    assert problem["rule"] == "not-an-instructional-day"
    assert api.ledger.position() == before
    assert api.post(path, _roll_body(klass, "2026-04-16"), keyed).status_code == 201


def test_a_refusal_by_policy_does_not_claim_the_key(world: Api) -> None:
    api = world
    path, klass, _ = _roll(api)
    body = _roll_body(klass, "2026-04-17")
    key = f"k-{klass.key}"
    assert problem_of(api.post(path, body, {**api.auth("nurse"), "Idempotency-Key": key}), 403)["rule"] == "forbidden"
    # The same person, now with a role that may: the key was never claimed.
    allowed = api.key.token(STAFF["nurse"], [{"role": "principal", "school": A}])
    assert api.post(path, body, {**api.bearer(allowed), "Idempotency-Key": key}).status_code == 201


@pytest.mark.parametrize("key", ["x" * 201, "tab\there"])
def test_a_malformed_key_is_refused(world: Api, key: str) -> None:
    api = world
    path, klass, headers = _roll(api)
    before = api.ledger.position()
    problem = problem_of(api.post(path, _roll_body(klass, "2026-04-20"), {**headers, "Idempotency-Key": key}), 400)
    assert (problem["rule"], problem["field"]) == ("invalid-idempotency-key", "Idempotency-Key")
    assert api.ledger.position() == before


# ---------------------------------------------------------------- If-Match

def test_if_match_with_the_current_version_is_accepted_and_a_stale_one_is_409(world: Api) -> None:
    api = world
    sid = api.fresh_class(A).students[0]
    headers = api.auth("registrar")
    etag = api.get(f"/v1/students/{sid}", headers).headers["etag"]
    assert etag == '"1"'
    change = {"identity": identity(1, address="鳥取県鳥取市西町2-1-3"), "reason": "転居"}
    first = api.post(f"/v1/students/{sid}/identity-changes", change, {**headers, "If-Match": etag})
    assert first.status_code == 201, first.text
    before = api.ledger.position()
    again = {"identity": identity(1, address="鳥取県鳥取市南町5"), "reason": "転居"}
    problem = problem_of(api.post(f"/v1/students/{sid}/identity-changes", again, {**headers, "If-Match": etag}), 409)
    assert problem["rule"] == "concurrency-conflict"
    assert api.ledger.position() == before
    current = api.get(f"/v1/students/{sid}", headers).headers["etag"]
    assert current == '"2"'
    assert api.post(f"/v1/students/{sid}/identity-changes", again, {**headers, "If-Match": current}).status_code == 201


@pytest.mark.parametrize("value", ['"abc"', "*x", "W/abc"])
def test_a_malformed_if_match_is_refused(world: Api, value: str) -> None:
    api = world
    path = _leave_path(api)
    before = api.ledger.position()
    response = api.post(path, {"on": "2026-05-11", "reason": "療養"}, {**api.auth("registrar"), "If-Match": value})
    problem = problem_of(response, 400)
    assert (problem["rule"], problem["field"]) == ("invalid-if-match", "If-Match")
    assert api.ledger.position() == before


@pytest.mark.parametrize("value", ['"1"', '"abc"'])
def test_a_child_of_another_school_answers_404_as_a_missing_one_whatever_the_if_match(world: Api, value: str) -> None:
    """The header is read only once the caller may write to the child: a malformed one must not
    tell another school's registrar (400) that the child exists (404 otherwise)."""
    api = world
    path = _leave_path(api)
    missing = path.replace(path.split("/")[3], "00000000-0000-4000-8000-000000000000")
    other = {**api.auth("registrar", B), "If-Match": value}
    body = {"on": "2026-05-11", "reason": "療養"}
    before = api.ledger.position()
    hidden, absent = problem_of(api.post(path, body, other), 404), problem_of(api.post(missing, body, other), 404)
    assert {**hidden, "instance": ""} == {**absent, "instance": ""}
    assert api.ledger.position() == before


@pytest.mark.parametrize("suffix", ["/leaves", "/withdrawal"])
def test_if_match_guards_every_student_write(world: Api, suffix: str) -> None:
    api = world
    sid = api.fresh_class(A).students[0]
    stale = {**api.auth("registrar"), "If-Match": '"99"'}
    body = {"on": "2026-05-11", "reason": "療養"}
    assert problem_of(api.post(f"/v1/students/{sid}{suffix}", body, stale), 409)["rule"] == "concurrency-conflict"
    fresh = {**api.auth("registrar"), "If-Match": '"1"'}
    assert api.post(f"/v1/students/{sid}{suffix}", body, fresh).status_code == 201


# ---------------------------------------------------------------- corrections to a sealed year

@dataclass
class Sealed:
    school: School
    sid: str
    principal: dict[str, str]
    homeroom: dict[str, str]


@pytest.fixture
def sealed(world: Api) -> Sealed:
    """A school's 2026 with an assessment, a year record and a roll of student 1, then sealed."""
    api = world
    school = api.fresh_school()
    sid = school.students[0]
    api.ledger.record_assessment(sid, YEAR, subject="japanese", viewpoints=VIEWPOINTS, term=1,
                                 on=date(2026, 7, 15), recorded_by=school.homeroom)
    api.ledger.enter_year_record(sid, YEAR, record={"general_remarks": "意欲的に学習した。"}, on=date(2027, 3, 15),
                                 recorded_by=school.homeroom)
    api.ledger.record_roll(school.code, YEAR, 1, "1", on=date(2026, 4, 7),
                           marks=[(s, {"code": "present"}) for s in school.students], recorded_by=school.homeroom)
    api.ledger.seal_year(school.code, YEAR, recorded_by=school.principal)
    return Sealed(school, sid, api.auth("principal", school.code, staff=school.principal),
                  api.auth("homeroom_teacher", school.code, staff=school.homeroom, classes=["2026/1/1"]))


def _approved_by(api: Api, position: int) -> Any:
    n = api.ledger.recorder.select_notifications(start=position, limit=1)[0]
    return api.ledger.mapper.to_domain_event(n).approved_by  # type: ignore[attr-defined]


YEAR_RECORD_CORRECTION = {"record": "year-record", "year": YEAR, "corrects_version": 1, "reason": "誤記の訂正",
                          "value": {"general_remarks": "粘り強く学習した。"}}


@pytest.mark.parametrize(("suffix", "body"), [
    ("/corrections", YEAR_RECORD_CORRECTION),
    ("/corrections", {"record": "assessment", "year": YEAR, "corrects_version": 1, "reason": "転記誤り",
                      "value": {"viewpoints": {"knowledge": "A", "thinking": "A", "attitude": "B"}}}),
    ("/attendance-corrections", {"date": "2026-04-07", "mark": {"code": "absent_illness"}, "reason": "連絡帳で確認"}),
], ids=["year-record", "assessment", "attendance"])
def test_a_correction_to_a_sealed_year_by_the_principal_carries_their_approval(
        world: Api, sealed: Sealed, suffix: str, body: dict[str, Any]) -> None:
    response = world.post(f"/v1/students/{sealed.sid}{suffix}", body, sealed.principal)
    assert response.status_code == 201, response.text
    assert _approved_by(world, response.json()["position"]) == sealed.school.principal


def test_a_correction_to_a_sealed_year_by_a_teacher_needs_the_principals_approval(
        world: Api, sealed: Sealed) -> None:
    api = world
    before = api.ledger.position()
    problem = problem_of(api.post(f"/v1/students/{sealed.sid}/corrections", YEAR_RECORD_CORRECTION, sealed.homeroom),
                         422)
    assert (problem["rule"], problem["field"]) == ("correction-needs-approval", "approved_by")
    mark = {"date": "2026-04-07", "mark": {"code": "late"}, "reason": "遅刻の記入漏れ"}
    problem = problem_of(api.post(f"/v1/students/{sealed.sid}/attendance-corrections", mark, sealed.homeroom), 422)
    assert problem["rule"] == "correction-needs-approval"
    assert api.ledger.position() == before


def test_only_the_appointed_principal_approves(world: Api, sealed: Sealed) -> None:
    """A principal-role token of someone the ledger does not know as the school's principal is no approval."""
    api = world
    acting = api.auth("principal", sealed.school.code, staff="P-0999")
    problem = problem_of(api.post(f"/v1/students/{sealed.sid}/corrections", YEAR_RECORD_CORRECTION, acting), 422)
    assert (problem["rule"], problem["field"]) == ("correction-needs-approval", "approved_by")
    # ...nor is the principal of another school (who does not even see the student).
    other = api.auth("principal", A, staff=api.schools["A"].principal)
    problem_of(api.post(f"/v1/students/{sealed.sid}/corrections", YEAR_RECORD_CORRECTION, other), 404)


def test_a_correction_in_an_open_year_is_approved_only_when_the_principal_makes_it(world: Api) -> None:
    api = world
    klass = api.fresh_class(A, homeroom="T-0001")
    sid = klass.students[0]
    api.ledger.enter_year_record(sid, YEAR, record={"general_remarks": "意欲的。"}, on=date(2027, 3, 15),
                                 recorded_by="T-0001")
    by_teacher = api.post(f"/v1/students/{sid}/corrections", YEAR_RECORD_CORRECTION, api.auth("homeroom_teacher"))
    assert by_teacher.status_code == 201, by_teacher.text
    assert _approved_by(api, by_teacher.json()["position"]) is None
    by_principal = api.post(f"/v1/students/{sid}/corrections", {**YEAR_RECORD_CORRECTION, "corrects_version": 2},
                            api.auth("principal"))
    assert by_principal.status_code == 201, by_principal.text
    assert _approved_by(api, by_principal.json()["position"]) == "P-0001"


def test_a_roll_decided_while_the_year_was_sealed_answers_409_and_a_retry_422(world: Api,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """ADR 0018 over HTTP: the principal's seal commits between the roll's reading of the year and
    its save (another request, here run inside the first one's read)."""
    from tests import builders as b

    api = world
    code = f"B13122{uuid.uuid4().int % 10**7:07d}"
    b.school_with_calendar(api.ledger, code)
    ids = b.class_with_students(api.ledger, code, count=2)
    real, sealed = api.ledger.school_year, []

    def read_then_sealed(school: str, year: int) -> Any:
        state = real(school, year)
        if not sealed:
            sealed.append(True)
            api.ledger.seal_year(school, year, recorded_by=b.PRINCIPAL)
        return state

    monkeypatch.setattr(api.ledger, "school_year", read_then_sealed)
    body = {"school_code": code, "year": YEAR, "grade": 1, "class_name": "1", "date": "2026-04-08",
            "marks": [{"student_id": str(s), "code": "present"} for s in ids]}
    principal = api.auth("principal", code)
    before = api.ledger.position()
    problem = problem_of(api.post("/v1/attendance-rolls", body, principal), 409)
    assert (problem["rule"], problem["field"]) == ("judged-on-changed", "year"), problem
    assert api.ledger.position() == before + 1  # the seal, and nothing of the roll
    again = problem_of(api.post("/v1/attendance-rolls", body, principal), 422)
    assert again["rule"] == "year-is-sealed"


# ---------------------------------------------------------------- days that have not come

def test_a_roll_or_mark_correction_of_a_day_after_the_schools_today_is_refused_and_records_nothing(api: Api) -> None:
    """The ledger's clock says when a write is recorded; a roll of a later day (in Japan) is refused, a calendar
    may still plan one."""
    klass = api.fresh_class(A, students=2)
    teacher = api.auth("homeroom_teacher", classes=[klass.key], staff=klass.homeroom)
    api.ledger.clock.current = datetime(2026, 4, 7, 14, 0, tzinfo=UTC)  # type: ignore[attr-defined]  # 23:00 JST
    before = api.ledger.position()
    problem = problem_of(api.post("/v1/attendance-rolls", _roll_body(klass, "2026-04-08"), teacher), 422)
    assert (problem["rule"], problem["field"]) == ("date-in-the-future", "date")
    assert api.ledger.position() == before
    assert api.post("/v1/attendance-rolls", _roll_body(klass, "2026-04-07"), teacher).status_code == 201
    # A mark that stands on a later day (recorded when the clock said so) cannot be corrected before the day.
    api.ledger.clock.current = datetime(2026, 4, 8, 1, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    assert api.post("/v1/attendance-rolls", _roll_body(klass, "2026-04-08"), teacher).status_code == 201
    api.ledger.clock.current = datetime(2026, 4, 7, 14, 30, tzinfo=UTC)  # type: ignore[attr-defined]
    before = api.ledger.position()
    correction = {"date": "2026-04-08", "mark": {"code": "late"}, "reason": "記入誤り"}
    problem = problem_of(api.post(f"/v1/students/{klass.students[0]}/attendance-corrections", correction, teacher),
                         422)
    assert (problem["rule"], problem["field"]) == ("date-in-the-future", "date")
    assert api.ledger.position() == before
    calendar = calendar_body(2031)
    assert api.put(f"/v1/schools/{A}/years/2031/calendar", calendar, api.auth("principal")).status_code == 201


# ---------------------------------------------------------------- possible duplicates

def test_admitting_a_child_of_the_same_identity_as_one_enrolled_is_409_unless_said_to_be_another(
        world: Api) -> None:
    api = world
    klass = api.fresh_class(A, students=0)
    registrar = api.auth("registrar")
    child = identity(61)
    body = {"school_code": A, "year": YEAR, "grade": 1, "class_name": klass.name, "number": 1, "identity": child,
            "admitted_on": "2026-04-06", "admission_kind": "entrance"}
    first = api.post("/v1/students", body, registrar)
    assert first.status_code == 201, first.text
    before = api.ledger.position()
    # The same child again, spaced and written differently, into another number: refused, nothing recorded.
    respaced = {**child, "family_name": f" {child['family_name']} ",
                "guardian": {**child["guardian"], "name": child["guardian"]["name"].replace(" ", "\u3000")}}
    again = api.post("/v1/students", {**body, "number": 2, "identity": respaced}, registrar)
    problem = problem_of(again, 409)
    assert (problem["rule"], problem["field"]) == ("possible-duplicate", "identity")
    assert first.json()["stream_id"] in problem["detail"]
    assert api.ledger.position() == before
    # Another guardian, or another birth date, is another child.
    other = {**child, "guardian": {**child["guardian"], "name": "佐藤 花子", "name_kana": "さとう はなこ"}}
    assert api.post("/v1/students", {**body, "number": 3, "identity": other}, registrar).status_code == 201
    # Said to be a different child (the field defaults to false): admitted.
    said = api.post("/v1/students", {**body, "number": 4, "different_child": True}, registrar)
    assert said.status_code == 201, said.text
    # A child of the same identity at another school is no duplicate here.
    elsewhere = api.fresh_class(B, students=0)
    assert api.post("/v1/students", {**body, "school_code": B, "class_name": elsewhere.name},
                    api.auth("registrar", B)).status_code == 201


def test_a_child_who_left_the_school_is_no_duplicate_of_a_new_admission(world: Api) -> None:
    api = world
    klass = api.fresh_class(A, students=0)
    body = {"school_code": A, "year": YEAR, "grade": 1, "class_name": klass.name, "number": 1,
            "identity": identity(62), "admitted_on": "2026-04-06", "admission_kind": "entrance"}
    sid = api.post("/v1/students", body, api.auth("registrar")).json()["stream_id"]
    api.ledger.withdraw(sid, on=date(2026, 5, 1), reason="転出", recorded_by="R-0001")
    again = api.post("/v1/students", {**body, "number": 2, "admitted_on": "2026-06-01"}, api.auth("registrar"))
    assert again.status_code == 201, again.text
