"""The forms over HTTP: read-your-writes with wait_for, and as_of reproducing an earlier state."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.api.conftest import YEAR, A, Api, school_day_has_come
from tests.builders import identity


def test_a_roll_shows_in_the_register_read_with_its_position_and_not_as_of_before(world: Api) -> None:
    api = world
    school_day_has_come(api, date(2026, 4, 7))  # a day not yet come is in no total (ADR 0024)
    klass = api.fresh_class(A, students=2)
    principal = api.auth("principal")
    base = f"/v1/schools/{A}/years/{YEAR}/classes/1/{klass.name}"
    before = api.ledger.position()
    marks = [{"student_id": klass.students[0], "code": "late", "reason": "通院"},
             {"student_id": klass.students[1], "code": "present"}]
    written = api.post("/v1/attendance-rolls", {"school_code": A, "year": YEAR, "grade": 1,
                                                "class_name": klass.name, "date": "2026-04-07", "marks": marks},
                       principal)
    assert written.status_code == 201
    position = written.json()["position"]

    register = api.get(f"{base}/attendance-register?month=2026-04&wait_for={position}", principal)
    assert register.status_code == 200
    first = register.json()["students"][0]
    assert first["days"]["2026-04-07"]["code"] == "late"
    assert (first["month"]["late"], first["month"]["present"]) == (1, 1)

    then = api.get(f"{base}/attendance-register?month=2026-04&as_of={before}&wait_for={position}", principal)
    assert then.json()["students"][0]["days"]["2026-04-07"] is None  # not yet marked at that position

    roster = api.get(f"{base}/roster?wait_for={position}", principal).json()
    assert [s["student_id"] for s in roster["students"]] == list(klass.students)


def test_waiting_for_a_position_the_log_does_not_have_is_refused(world: Api) -> None:
    api = world
    klass = api.fresh_class(A)
    far = api.ledger.position() + 1000
    response = api.get(f"/v1/schools/{A}/years/{YEAR}/classes/1/{klass.name}/roster?wait_for={far}",
                       api.auth("principal"))
    assert response.status_code == 422
    assert response.json()["rule"] == "position-not-recorded"


def test_the_roster_as_of_a_position_before_an_admission_does_not_list_the_child(world: Api) -> None:
    api = world
    klass = api.fresh_class(A, students=2)
    before = api.ledger.position()
    late = api.ledger.admit_student(A, YEAR, 1, klass.name, 3, identity(3), admitted_on=date(2026, 6, 1),
                                    recorded_by="R-0001", different_child=True)
    principal = api.auth("principal")
    base = f"/v1/schools/{A}/years/{YEAR}/classes/1/{klass.name}/roster"
    now = api.get(f"{base}?wait_for={late.position}", principal).json()
    then = api.get(f"{base}?as_of={before}", principal).json()
    assert [s["student_id"] for s in now["students"]] == [*klass.students, str(late.stream_id)]
    assert [s["student_id"] for s in then["students"]] == list(klass.students)


def test_a_form_as_of_a_position_inside_a_roll_shows_the_state_before_the_roll(world: Api) -> None:
    """A 30-mark roll is one transaction: at the position of its 15th mark nobody could ever read half
    of it, so the forms read as of that position show the state before the roll, and as of the
    position the write answered with, the whole roll."""
    api = world
    school_day_has_come(api, date(2026, 4, 7))
    klass = api.fresh_class(A, students=30)
    principal = api.auth("principal")
    base = f"/v1/schools/{A}/years/{YEAR}/classes/1/{klass.name}"
    before = api.ledger.position()
    roll = {"school_code": A, "year": YEAR, "grade": 1, "class_name": klass.name, "date": "2026-04-07",
            "marks": [{"student_id": s, "code": "present"} for s in klass.students]}
    written = api.post("/v1/attendance-rolls", roll, principal)
    assert written.status_code == 201
    position = written.json()["position"]
    marks = api.ledger.recorder.select_notifications(start=before, limit=100, stop=position, inclusive_of_start=False)
    assert len(marks) == 30
    middle = marks[14].id
    first = str(api.ledger.decode(marks[0]).student_id)  # type: ignore[attr-defined]

    def register(as_of: int) -> list[Any]:
        response = api.get(f"{base}/attendance-register?month=2026-04&as_of={as_of}&wait_for={position}", principal)
        assert response.status_code == 200, response.text
        return [s["days"]["2026-04-07"] for s in response.json()["students"]]

    def present(as_of: int) -> int:
        response = api.get(f"/v1/students/{first}/forms/report-card?year={YEAR}&term=1&as_of={as_of}"
                           f"&wait_for={position}", principal)
        assert response.status_code == 200, response.text
        return int(response.json()["attendance"]["present"])

    assert register(middle) == [None] * 30
    assert present(middle) == 0
    assert [day["code"] for day in register(position)] == ["present"] * 30
    assert present(position) == 1
    assert register(marks[-1].id - 1) == [None] * 30  # up to the last mark: still before the roll
