"""A student's forms over HTTP: 指導要録, 通知表, health cards, long absence; as_of, on, logged reads."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain import streams
from tests.api.conftest import DENTAL, HEALTH, VIEWPOINTS, YEAR, A, Api, problem_of, school_day_has_come

YEAR_END = {"year": YEAR, "subject": "japanese", "viewpoints": VIEWPOINTS, "assessed_on": "2027-03-15"}


def _record(api: Api, path: str, body: dict[str, Any], headers: dict[str, str]) -> int:
    response = api.post(path, body, headers)
    assert response.status_code == 201, response.text
    return int(response.json()["position"])


def _japanese(form: dict[str, Any], year: int = YEAR) -> dict[str, Any]:
    row = next(y for y in form["form2"] if y["year"] == year)
    return next(s for s in row["subjects"] if s["subject"] == "japanese")


def test_the_cumulative_record_shows_a_correction_beside_the_original_and_as_of_before_it_the_original(
        world: Api) -> None:
    api = world
    _, sid = api.fresh_student(A, grade=1)
    principal = api.auth("principal")
    first = _record(api, f"/v1/students/{sid}/assessments", YEAR_END, principal)
    corrected = {"record": "assessment", "year": YEAR, "corrects_version": 1, "reason": "観点の転記誤り",
                 "value": {"viewpoints": {"knowledge": "A", "thinking": "A", "attitude": "A"}}}
    last = _record(api, f"/v1/students/{sid}/corrections", corrected, principal)
    path = f"/v1/students/{sid}/forms/cumulative-record"

    now = api.get(f"{path}?wait_for={last}", principal)
    assert now.status_code == 200, now.text
    japanese = _japanese(now.json())
    assert japanese["viewpoints"] == {"knowledge": "A", "thinking": "A", "attitude": "A"}
    assert [t["why"] for t in japanese["trail"]] == ["観点の転記誤り"]
    assert japanese["trail"][0]["viewpoints"] == VIEWPOINTS

    then = _japanese(api.get(f"{path}?as_of={first}", principal).json())
    assert then["viewpoints"] == VIEWPOINTS
    assert then["trail"] == []
    # The same by recorded time: just before the correction was recorded.
    correction = api.ledger.stream(streams.assessments(UUID(sid), YEAR))[-1]
    moment = (correction.recorded_at - timedelta(microseconds=1)).isoformat()
    by_time = api.client.get(path, params={"as_of": moment}, headers=principal)
    assert by_time.status_code == 200, by_time.text
    assert _japanese(by_time.json())["trail"] == []


def test_as_of_on_the_cumulative_record_leaves_out_what_happened_after_the_day(world: Api) -> None:
    api = world
    _, sid = api.fresh_student(A)
    principal = api.auth("principal")
    last = _record(api, f"/v1/students/{sid}/withdrawal", {"on": "2026-09-30", "reason": "海外への転出"}, principal)
    path = f"/v1/students/{sid}/forms/cumulative-record"
    assert api.get(f"{path}?wait_for={last}", principal).json()["form1"]["withdrawal"] == {
        "on": "2026-09-30", "reason": "海外への転出"}
    before = api.get(f"{path}?on=2026-09-29", principal).json()
    assert before["form1"]["withdrawal"] is None
    assert "ended_on" not in before["form1"]["enrollments"][0]


def test_the_report_card_follows_the_term_asked_for(world: Api) -> None:
    api = world
    klass, sid = api.fresh_student(A)
    principal = api.auth("principal")
    school_day_has_come(api, date(2026, 4, 7))  # a day not yet come is in no total (ADR 0024)
    api.roll(klass, date(2026, 4, 7))
    term1 = {**YEAR_END, "term": 1, "assessed_on": "2026-07-15"}
    last = _record(api, f"/v1/students/{sid}/assessments", term1, principal)
    card = api.get(f"/v1/students/{sid}/forms/report-card?year={YEAR}&term=1&wait_for={last}", principal)
    assert card.status_code == 200, card.text
    body = card.json()
    assert body["term"]["number"] == 1
    assert body["attendance"]["present"] == 1
    assert next(s for s in body["subjects"] if s["subject"] == "japanese")["viewpoints"] == VIEWPOINTS
    second = api.get(f"/v1/students/{sid}/forms/report-card?year={YEAR}&term=2", principal).json()
    assert next(s for s in second["subjects"] if s["subject"] == "japanese")["viewpoints"] is None
    assert second["attendance"]["present"] == 0


def test_a_term_outside_the_range_or_a_malformed_as_of_is_refused_with_the_field(world: Api) -> None:
    api = world
    _, sid = api.fresh_student(A)
    principal = api.auth("principal")
    assert problem_of(api.get(f"/v1/students/{sid}/forms/report-card?year={YEAR}&term=4", principal),
                      400)["field"] == "term"
    body = problem_of(api.client.get(f"/v1/students/{sid}/forms/cumulative-record", params={"as_of": "yesterday"},
                                     headers=principal), 400)
    assert body["field"] == "as_of", body
    no_such_time = problem_of(api.client.get(f"/v1/students/{sid}/forms/cumulative-record",
                                             params={"as_of": "2026-13-45T99:00:00"}, headers=principal), 422)
    assert (no_such_time["rule"], no_such_time["field"]) == ("invalid-time", "as_of")
    ahead = problem_of(api.get(f"/v1/students/{sid}/forms/cumulative-record?as_of={api.ledger.position() + 99}",
                               principal), 422)
    assert (ahead["rule"], ahead["field"]) == ("position-not-recorded", "as_of")


def test_every_read_of_a_student_form_is_in_the_access_log_with_its_outcome(world: Api) -> None:
    api = world
    _, sid = api.fresh_student(A)
    nurse, teacher = api.auth("nurse"), api.auth("homeroom_teacher")
    position = api.ledger.position()
    assert api.get(f"/v1/students/{sid}/forms/health-card?wait_for={position}", nurse).status_code == 200
    assert api.get(f"/v1/students/{sid}/forms/cumulative-record", teacher).status_code == 404  # not their class
    entries = api.get(f"/v1/access-log?student_id={sid}", api.auth("auditor")).json()
    assert [(e["action"], e["outcome"], e["status"]) for e in entries] == [
        ("health.read", "allowed", 200), ("record.read", "not-found", 404)]


def test_the_health_and_dental_cards_show_each_years_examination(world: Api) -> None:
    api = world
    _, sid = api.fresh_student(A)
    nurse = api.auth("nurse")
    _record(api, f"/v1/students/{sid}/health-exams", {"year": YEAR, "examination": HEALTH,
                                                       "examined_on": "2026-05-01"}, nurse)
    last = _record(api, f"/v1/students/{sid}/dental-exams", {"year": YEAR, "examination": DENTAL,
                                                              "examined_on": "2026-05-01"}, nurse)
    health = api.get(f"/v1/students/{sid}/forms/health-card?wait_for={last}", nurse).json()
    assert [(c["year"], c["grade"], c["items"]["height_cm"]) for c in health["columns"]] == [
        (YEAR, 1, HEALTH["height_cm"])]
    dental = api.get(f"/v1/students/{sid}/forms/dental-card?wait_for={last}", nurse).json()
    assert [c["year"] for c in dental["columns"]] == [YEAR]


def test_the_long_absence_list_names_a_child_absent_thirty_days(world: Api) -> None:
    api = world
    school = api.fresh_school(students=2)
    away, here = school.students
    days = [d for d in (date(2026, 4, 6) + timedelta(n) for n in range(80)) if d.weekday() < 5][:30]
    school_day_has_come(api, days[-1])
    for day in days:
        api.ledger.record_roll(school.code, YEAR, 1, "1", on=day, recorded_by="admin",
                               marks=[(away, {"code": "absent_other", "reason": "登校しぶり"}),
                                      (here, {"code": "present"})])
    board = api.auth("board")
    body = api.get(f"/v1/schools/{school.code}/years/{YEAR}/long-absence?wait_for={api.ledger.position()}",
                   board).json()
    assert [(s["student_id"], s["absent"], s["long_absence"], s["notice_due"]) for s in body["students"]] == [
        (away, 30, True, True)]
    assert body["long_absence_count"] == 1


def test_a_browser_gets_the_printable_page_and_a_program_the_json(world: Api) -> None:
    api = world
    klass, sid = api.fresh_student(A)
    principal = api.auth("principal")
    position = api.ledger.position()
    page = api.client.get(f"/v1/students/{sid}/forms/cumulative-record?wait_for={position}",
                          headers={**principal, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "児童指導要録" in page.text
    assert "行動の記録" in page.text
    register = api.client.get(f"/v1/schools/{A}/years/{YEAR}/classes/1/{klass.name}/attendance-register",
                              params={"month": "2026-04"}, headers={**principal, "Accept": "text/html"})
    assert register.headers["content-type"].startswith("text/html")
    assert "出席停止・忌引等の日数" in register.text
    data = api.get(f"/v1/students/{sid}/forms/cumulative-record", principal)
    assert data.headers["content-type"].startswith("application/json")


def test_the_added_record_items_are_taken_in_the_body_and_shown_on_the_forms(world: Api) -> None:
    api = world
    _, third = api.fresh_student(A, grade=3)
    _, first = api.fresh_student(A, grade=1)
    principal = api.auth("principal")
    text = "英語の歌や挨拶に親しみ、友達と進んで自己紹介をした。"
    body = {"year": YEAR, "record": {"foreign_language_activities": text}, "entered_on": "2027-03-15"}
    _record(api, f"/v1/students/{third}/year-records", body, principal)
    refused = problem_of(api.post(f"/v1/students/{first}/year-records", body, principal), 422)
    assert (refused["rule"], refused["field"]) == ("foreign-language-activities-not-in-grade",
                                                    "record.foreign_language_activities")
    exam = {**HEALTH, "urine_other": "潜血 -", "remarks": "眼鏡使用"}
    last = _record(api, f"/v1/students/{first}/health-exams", {"year": YEAR, "examination": exam,
                                                                "examined_on": "2026-05-01"}, api.auth("nurse"))
    record = api.get(f"/v1/students/{third}/forms/cumulative-record?wait_for={last}", principal).json()
    assert record["form2"][0]["foreign_language_activities"] == text
    card = api.get(f"/v1/students/{first}/forms/health-card?wait_for={last}", api.auth("nurse")).json()
    items = card["columns"][0]["items"]
    assert (items["urine_other"], items["remarks"]) == ("潜血 -", "眼鏡使用")
    assert (card["school_kind"], card["earlier_cards"]) == ("elementary", [])
