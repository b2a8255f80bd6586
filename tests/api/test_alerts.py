"""Alerts over HTTP (ADR 0042): the list of a school year's alerts as each role may see it, the
acknowledgement by the class's homeroom teacher, and the alert in the child's history, on SQLite and
PostgreSQL. The world (tests/api/conftest.py): board 312011 with schools A and B; the clock stands on
30 March 2027, so every child on a roll on 30 June 2026 without a health examination has its alert too.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain import streams
from tests.api.conftest import YEAR, A, Api, Klass, problem_of

ILL = {"code": "absent_illness", "reason": "発熱"}


def three_days_absent(api: Api) -> tuple[Klass, str]:
    """A fresh class 3-k of school A (homeroom T-0009) whose first child is absent 7–9 April (Tue–Thu):
    an absence-run of 3 days, raised by the alert process."""
    klass = api.fresh_class(A, grade=3, homeroom="T-0009", students=2)
    sid, other = klass.students
    for day in (date(2026, 4, 7), date(2026, 4, 8), date(2026, 4, 9)):
        api.ledger.record_roll(A, YEAR, 3, klass.name, on=day, marks=[(sid, ILL), (other, {"code": "present"})],
                               recorded_by="T-0009")
    judge(api)
    return klass, sid


def judge(api: Api) -> None:
    """The poller's round, run now: the read models, the alert process, the read models again."""
    runner = api.services.forms.runner
    runner.catch_up()
    runner.raiser.catch_up()
    runner.catch_up()


def listed(api: Api, headers: dict[str, str], query: str = "") -> dict[str, Any]:
    response = api.get(f"/v1/schools/{A}/years/{YEAR}/alerts{query}", headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_homeroom_teacher_lists_the_class_alerts_and_records_what_was_done(api: Api) -> None:
    klass, sid = three_days_absent(api)
    teacher = api.auth("homeroom_teacher", staff="T-0009")
    mine = listed(api, teacher, f"?grade=3&class_name={klass.name}")
    (run,) = [a for a in mine["alerts"] if a["rule"] == "absence-run"]
    assert (run["student_id"], run["name"], run["first_day"], run["last_day"], run["days"], run["threshold"]) == (
        sid, "佐藤 陽翔1", "2026-04-07", "2026-04-09", 3, 3)
    assert mine["counts"]["absence-run"] == {"raised": 1, "acknowledged": 0}
    path = f"/v1/alerts/{run['alert_id']}/acknowledgements"
    headers = {**teacher, "Idempotency-Key": f"ack-{run['alert_id']}"}
    done = api.post(path, {"action": "家庭に電話連絡", "note": "発熱が続いているとのこと"}, headers)
    assert done.status_code == 201, done.text
    again = api.post(path, {"action": "家庭に電話連絡", "note": "発熱が続いているとのこと"}, headers)
    assert again.json() == done.json()  # a retry records nothing
    assert len(api.ledger.stream(UUID(run["alert_id"]))) == 2
    after = listed(api, teacher, f"?grade=3&class_name={klass.name}&wait_for={done.json()['position']}")
    (run,) = [a for a in after["alerts"] if a["rule"] == "absence-run"]
    assert [(x["staff_id"], x["action"], x["note"]) for x in run["acknowledgements"]] == [
        ("T-0009", "家庭に電話連絡", "発熱が続いているとのこと")]
    assert after["counts"]["absence-run"] == {"raised": 1, "acknowledged": 1}


def test_another_class_teacher_may_not_acknowledge_and_reads_it_as_missing(api: Api) -> None:
    klass, sid = three_days_absent(api)
    alert_id = streams.alert(UUID(sid), "absence-run", YEAR, "2026-04-07")
    body = {"action": "面談"}
    other = api.auth("homeroom_teacher", staff="T-0001")  # homeroom teacher of class 1-1, not of this class
    refused = problem_of(api.post(f"/v1/alerts/{alert_id}/acknowledgements", body, other), 404)
    missing = problem_of(api.post(f"/v1/alerts/{streams.alert(UUID(sid), 'absence-run', YEAR, '2026-05-01')}"
                                  "/acknowledgements", body, other), 404)
    assert {k: v for k, v in refused.items() if k != "instance"} == {k: v for k, v in missing.items()
                                                                      if k != "instance"}
    assert problem_of(api.get(f"/v1/schools/{A}/years/{YEAR}/alerts?grade=3&class_name={klass.name}", other),
                      404)["rule"] == "not-found"
    assert len(api.ledger.stream(alert_id)) == 1  # nothing recorded


def test_a_bad_acknowledgement_is_refused_naming_the_field_and_records_nothing(api: Api) -> None:
    _, sid = three_days_absent(api)
    alert_id = streams.alert(UUID(sid), "absence-run", YEAR, "2026-04-07")
    principal = api.auth("principal")
    path = f"/v1/alerts/{alert_id}/acknowledgements"
    blank = problem_of(api.post(path, {"action": "  "}, principal), 422)
    assert (blank["rule"], blank["field"]) == ("blank-text", "action")
    unknown = problem_of(api.post(path, {"action": "面談", "done": True}, principal), 400)
    assert unknown["field"] == "done"
    long = problem_of(api.post(path, {"action": "面談", "note": "あ" * 2001}, principal), 400)
    assert long["field"] == "note"
    assert len(api.ledger.stream(alert_id)) == 1


def test_each_role_sees_the_alerts_its_duty_covers_and_the_board_only_counts(api: Api) -> None:
    """The principal: every alert of the school (the run, the health examinations). The nurse: the health
    examinations' alone. The board: the counts, no child named."""
    three_days_absent(api)
    everything = listed(api, api.auth("principal"))
    rules = {a["rule"] for a in everything["alerts"]}
    assert rules == {"absence-run", "health-exam-overdue"}
    health = [a for a in everything["alerts"] if a["rule"] == "health-exam-overdue"]
    assert health
    assert all(a["done_on"] is None and a["last_day"] == "2026-06-30" for a in health)
    nurse = listed(api, api.auth("nurse"))
    assert [a["alert_id"] for a in nurse["alerts"]] == [a["alert_id"] for a in health]
    assert nurse["counts"]["absence-run"] == {"raised": 0, "acknowledged": 0}
    board = listed(api, api.auth("board"))
    assert board["alerts"] == []
    assert board["counts"] == everything["counts"]
    assert board["counts"]["absence-run"]["raised"] == 1
    assert "佐藤" not in str(board)
    half = problem_of(api.get(f"/v1/schools/{A}/years/{YEAR}/alerts?class_name=1", api.auth("principal")), 422)
    assert (half["rule"], half["field"]) == ("class-needs-grade-and-name", "grade")


def test_the_alert_and_its_follow_up_are_in_the_childs_history(api: Api) -> None:
    _, sid = three_days_absent(api)
    alert_id = streams.alert(UUID(sid), "absence-run", YEAR, "2026-04-07")
    principal = api.auth("principal")
    done = api.post(f"/v1/alerts/{alert_id}/acknowledgements", {"action": "面談", "note": "保護者と"}, principal)
    assert done.status_code == 201, done.text
    history = api.get(f"/v1/students/{sid}/history", principal)
    assert history.status_code == 200, history.text
    entries = [e for e in history.json() if e["type"].startswith("Alert")]
    runs = [e for e in entries if e["stream_id"] == str(alert_id)]
    assert [(e["type"], e["recorded_by"]) for e in runs] == [("AlertRaised", "gakuseki-alerts"),
                                                             ("AlertAcknowledged", "P-0001")]
    assert runs[0]["recorded"]["rule"] == "absence-run"
    assert (runs[1]["recorded"]["action"], runs[1]["recorded"]["note"]) == ("面談", "保護者と")
