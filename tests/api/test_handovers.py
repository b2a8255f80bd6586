"""Hand-overs over HTTP: one child's transfer, and a board's 進学 of a whole grade 6 class."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.api.conftest import YEAR, A, Api, B, C, problem_of
from tests.conftest import Clock

JUNIOR_HIGH = "C131220000015"


def _junior_high(api: Api) -> None:
    if api.ledger.find_school(JUNIOR_HIGH) is None:
        api.ledger.register_school(JUNIOR_HIGH, "鳥取市立みどり中学校", "312011", "鳥取県鳥取市", recorded_by="admin")


def test_a_board_advances_a_whole_grade_six_class_in_one_request_and_a_repeat_changes_nothing(world: Api) -> None:
    api = world
    _junior_high(api)
    klass = api.fresh_class(A, grade=6, students=31)
    *graduates, lagging = klass.students
    for sid in graduates:
        api.ledger.graduate(sid, on=date(2027, 3, 19), recorded_by="P-0001")
    board = api.auth("board")
    body = {"accepted_on": "2027-04-07", "to_school": JUNIOR_HIGH, "classes": [klass.name]}
    first = api.post(f"/v1/schools/{A}/years/{YEAR}/advancements", body, board)
    assert first.status_code == 200, first.text
    result = first.json()
    assert (result["advanced"], result["already_advanced"], result["refused"]) == (30, 0, 1)
    [refused] = [r for r in result["results"] if r["outcome"] == "refused"]
    assert (refused["student_id"], refused["rule"], refused["field"]) == (lagging, "student-not-graduated",
                                                                          "student_id")
    assert {api.ledger.student(s).custodian for s in graduates} == {JUNIOR_HIGH}
    assert api.ledger.student(lagging).custodian == A

    position = api.ledger.position()
    again = api.post(f"/v1/schools/{A}/years/{YEAR}/advancements", body, board).json()
    assert (again["advanced"], again["already_advanced"], again["refused"]) == (0, 30, 1)
    assert api.ledger.position() == position


def test_an_unknown_class_in_a_bulk_advancement_is_refused_with_its_field(world: Api) -> None:
    api = world
    body = {"accepted_on": "2027-04-07", "to_school": JUNIOR_HIGH, "classes": ["nope"]}
    problem = problem_of(api.post(f"/v1/schools/{A}/years/{YEAR}/advancements", body, api.auth("board")), 404)
    assert problem["field"] == "classes[0]"


def test_after_a_transfer_the_sending_school_reads_its_own_period_and_writes_nothing(world: Api) -> None:
    api = world
    _, sid = api.fresh_student(A)
    move = {"kind": "transfer", "to_school": B, "left_on": "2026-06-05", "accepted_on": "2026-06-08",
            "year": YEAR, "grade": 1, "reason": "保護者の転勤に伴う転居", "class_name": "1", "number": 20}
    moved = api.post(f"/v1/students/{sid}/handovers", move, api.auth("registrar"))
    assert moved.status_code == 201, moved.text
    assert moved.json()["events"] == 3  # the hand-over, off the sending class, onto the receiving class
    wait = f"wait_for={moved.json()['position']}"
    sending, receiving = api.auth("principal"), api.auth("principal", B, staff="P-0002")

    assert api.get(f"/v1/students/{sid}", sending).status_code == 200
    mine = api.get(f"/v1/students/{sid}/forms/cumulative-record?{wait}", sending).json()
    assert [(r["school_code"], r["source"]) for r in mine["form2"]] == [(A, "original")]
    theirs = api.get(f"/v1/students/{sid}/forms/cumulative-record?{wait}", receiving).json()
    assert [(r["school_code"], r["source"]) for r in theirs["form2"]] == [(A, "copy"), (B, "original")]

    change = {"identity": {"family_name": "佐藤", "given_name": "陽翔", "family_name_kana": "さとう",
                           "given_name_kana": "はると", "sex": "female", "birth_date": "2019-06-01",
                           "address": "鳥取県鳥取市西町2-1-3",
                           "guardian": {"name": "佐藤 健", "name_kana": "さとう けん", "relation": "父"}},
              "reason": "転居"}
    assert problem_of(api.post(f"/v1/students/{sid}/identity-changes", change, sending), 403)["rule"] == \
        "outside-custody"
    assert problem_of(api.post(f"/v1/students/{sid}/handovers", move, api.auth("registrar")), 403)["rule"] == \
        "outside-custody"
    # A school that never held the child still sees nothing.
    assert api.get(f"/v1/students/{sid}", api.auth("principal", "B132220000010", staff="P-0003")).status_code == 404


def test_a_transfer_out_of_the_ledger_leaves_the_child_with_no_school_here(world: Api) -> None:
    api = world
    _, sid = api.fresh_student(A)
    move = {"kind": "transfer", "to_school": "B127210000017", "external": True,
            "to_school_name": "千葉市立あおば小学校", "to_school_address": "千葉県千葉市中央区1-1",
            "left_on": "2026-06-05", "accepted_on": "2026-06-08",
            "year": YEAR, "grade": 1, "reason": "保護者の転勤に伴う転居"}
    assert api.post(f"/v1/students/{sid}/handovers", move, api.auth("registrar")).status_code == 201
    summary = api.get(f"/v1/students/{sid}", api.auth("principal")).json()
    assert summary["status"] == "left"


def test_the_printed_record_shows_the_move_and_marks_the_copy(world: Api) -> None:
    api = world
    _, sid = api.fresh_student(A)
    move = {"kind": "transfer", "to_school": B, "left_on": "2026-06-05", "accepted_on": "2026-06-08",
            "year": YEAR, "grade": 1, "reason": "保護者の転勤に伴う転居", "class_name": "1", "number": 21}
    moved = api.post(f"/v1/students/{sid}/handovers", move, api.auth("registrar"))
    receiving = {**api.auth("principal", B, staff="P-0002"), "Accept": "text/html"}
    page = api.client.get(f"/v1/students/{sid}/forms/cumulative-record?wait_for={moved.json()['position']}",
                          headers=receiving)
    assert page.status_code == 200
    assert "転学・退学等" in page.text
    assert "保護者の転勤に伴う転居" in page.text
    assert "(写し)" in page.text


def test_a_bulk_advancement_takes_only_the_schools_own_graduates(world: Api) -> None:
    api = world
    _junior_high(api)
    elsewhere = api.fresh_class(B, grade=6, students=1)  # a graduate of another school of the same board
    other_board = api.fresh_class(C, grade=6, students=1)  # and one of another board's school
    moved = api.fresh_class(A, grade=6, students=1)  # one who moved on from this school and graduated there
    api.ledger.hand_over(moved.students[0], kind="transfer", to_school=B, left_on=date(2026, 10, 2),
                         accepted_on=date(2026, 10, 5), year=YEAR, grade=6, reason="転居", class_name=elsewhere.name,
                         number=2, recorded_by="R-0001")
    for klass in (elsewhere, other_board, moved):
        api.ledger.graduate(klass.students[0], on=date(2027, 3, 19), recorded_by="P-0002")
    children = [k.students[0] for k in (elsewhere, other_board, moved)]
    body = {"accepted_on": "2027-04-07", "to_school": JUNIOR_HIGH, "students": [{"student_id": s} for s in children]}
    position = api.ledger.position()
    result = api.post(f"/v1/schools/{A}/years/{YEAR}/advancements", body, api.auth("board")).json()
    assert (result["advanced"], result["refused"]) == (0, 3), result
    by_id = {r["student_id"]: r for r in result["results"]}
    assert (by_id[moved.students[0]]["rule"], by_id[moved.students[0]]["field"]) == (
        "student-not-enrolled-at-school", "student_id")
    # A child who was never at the school reads exactly as a child who does not exist.
    missing = "00000000-0000-4000-8000-000000000000"
    unknown = api.post(f"/v1/schools/{A}/years/{YEAR}/advancements",
                       {**body, "students": [{"student_id": missing}]}, api.auth("board")).json()["results"][0]
    assert (unknown["rule"], unknown["field"]) == ("unknown-student", "student_id")
    for sid in children[:2]:
        assert (by_id[sid]["rule"], by_id[sid]["field"]) == (unknown["rule"], unknown["field"])
        assert by_id[sid]["detail"].replace(sid, missing) == unknown["detail"]
    assert api.ledger.position() == position
    assert {api.ledger.student(s).status for s in children} == {"graduated"}


ASSESSMENT = {"year": YEAR, "subject": "japanese", "term": 1, "assessed_on": "2026-05-20",
              "viewpoints": {"knowledge": "A", "thinking": "B", "attitude": "B"}}
IDENTITY = {"identity": {"family_name": "佐藤", "given_name": "陽翔", "family_name_kana": "さとう",
                         "given_name_kana": "はると", "sex": "female", "birth_date": "2019-06-01",
                         "address": "鳥取県鳥取市西町2-1-3",
                         "guardian": {"name": "佐藤 健", "name_kana": "さとう けん", "relation": "父"}},
            "reason": "転居"}


def test_after_a_move_out_of_the_ledger_the_last_school_reads_and_writes_nothing(world: Api) -> None:
    api = world
    _, sid = api.fresh_student(A)
    move = {"kind": "transfer", "to_school": "B127210000017", "external": True,
            "to_school_name": "千葉市立あおば小学校", "to_school_address": "千葉県千葉市中央区1-1",
            "left_on": "2026-06-05", "accepted_on": "2026-06-08", "year": YEAR, "grade": 1, "reason": "転居"}
    assert api.post(f"/v1/students/{sid}/handovers", move, api.auth("registrar")).status_code == 201
    principal, before = api.auth("principal"), api.ledger.position()
    assert api.get(f"/v1/students/{sid}", principal).status_code == 200  # its original, read-only
    assert problem_of(api.post(f"/v1/students/{sid}/assessments", ASSESSMENT, principal), 403)["rule"] == \
        "outside-custody"
    assert problem_of(api.post(f"/v1/students/{sid}/identity-changes", IDENTITY, principal), 403)["rule"] == \
        "outside-custody"
    assert api.ledger.position() == before
    assert api.get(f"/v1/students/{sid}/transfer-packet", api.auth("registrar")).status_code == 200


def test_a_year_spent_at_the_sending_school_is_not_written_by_it_after_a_transfer_into_no_named_class(
        world: Api) -> None:
    api = world
    _, sid = api.fresh_student(A)
    move = {"kind": "transfer", "to_school": B, "left_on": "2026-06-05", "accepted_on": "2026-06-08",
            "year": YEAR, "grade": 1, "reason": "転居"}  # no class named at the receiving school yet
    assert api.post(f"/v1/students/{sid}/handovers", move, api.auth("registrar")).status_code == 201
    before = api.ledger.position()
    sending = api.auth("principal")
    assert problem_of(api.post(f"/v1/students/{sid}/assessments", ASSESSMENT, sending), 403)["rule"] == \
        "outside-custody"
    assert api.ledger.position() == before
    assert api.get(f"/v1/students/{sid}", api.auth("principal", B, staff="P-0002")).status_code == 200


def test_a_schools_principal_reads_the_history_of_its_own_custody_and_an_auditor_all_of_it(world: Api) -> None:
    api = world
    klass, sid = api.fresh_student(A)
    api.roll(klass, date(2026, 6, 1))
    move = {"kind": "transfer", "to_school": B, "left_on": "2026-06-05", "accepted_on": "2026-06-08",
            "year": YEAR, "grade": 1, "reason": "転居", "class_name": "1", "number": 22}
    assert api.post(f"/v1/students/{sid}/handovers", move, api.auth("registrar")).status_code == 201

    def types(headers: dict[str, str]) -> list[str]:
        response = api.get(f"/v1/students/{sid}/history", headers)
        assert response.status_code == 200, response.text
        return [e["type"] for e in response.json()]

    everything = types(api.auth("auditor", None))
    sending = types(api.auth("principal"))
    receiving = types(api.auth("principal", B, staff="P-0002"))
    assert "AttendanceMarked" in everything
    assert "AttendanceMarked" in sending  # its own register
    assert "AttendanceMarked" not in receiving  # the register never travels with the child
    assert "StudentHandedOver" in sending
    assert "StudentHandedOver" in receiving
    assert "StudentAdmitted" not in receiving  # the sending school's admission: in the copy, not its trail


def test_a_spring_break_transfer_after_the_seal_goes_through_and_leaves_next_years_roll(world: Api) -> None:
    """転学 in spring break (§2.4): the sending school sealed 2026 after its last school day (Wed 24 March)
    and had already placed both children of its 1-1 in 2027's 2-1."""
    api = world
    clock = api.ledger.clock
    if isinstance(clock, Clock) and clock.current < datetime(2027, 3, 26, tzinfo=UTC):
        clock.current = datetime(2027, 3, 26, tzinfo=UTC)
    school = api.fresh_school(students=2)
    moving, staying = school.students
    api.ledger.form_class(school.code, 2027, 2, "1", homeroom_teacher_id=school.homeroom,
                          homeroom_teacher_name="山田 花子", students=[(moving, 1), (staying, 2)],
                          on=date(2027, 4, 1), recorded_by="admin")
    receiving_class = api.fresh_name()
    api.ledger.form_class(B, 2027, 2, receiving_class, homeroom_teacher_id="T-0003", homeroom_teacher_name="岡 正子",
                          on=date(2027, 4, 1), recorded_by="admin")
    principal = api.auth("principal", school.code, staff=school.principal)
    assert api.post(f"/v1/schools/{school.code}/years/{YEAR}/seal", {}, principal).status_code in (200, 201)
    registrar = api.auth("registrar", school.code)
    move = {"kind": "transfer", "to_school": B, "left_on": "2027-03-10", "accepted_on": "2027-04-01",
            "year": 2027, "grade": 2, "reason": "保護者の転勤に伴う転居", "class_name": receiving_class, "number": 1}

    # Leaving on 10 March would take the child off the sealed year's roll on counted days: refused, nothing kept.
    before = api.ledger.position()
    problem = problem_of(api.post(f"/v1/students/{moving}/handovers", move, registrar), 422)
    assert (problem["rule"], problem["field"]) == ("year-is-sealed", "left_on")
    assert api.ledger.position() == before

    # Leaving on Fri 26 March changes no counted day: the move is recorded after the seal.
    moved = api.post(f"/v1/students/{moving}/handovers", {**move, "left_on": "2027-03-26"}, registrar)
    assert moved.status_code == 201, moved.text
    assert moved.json()["events"] == 4  # the hand-over; off 2026's 1-1 and 2027's 2-1; onto B's 2-1
    wait = f"wait_for={moved.json()['position']}"

    def roll(headers: dict[str, str], code: str, year: int, grade: int, name: str, on: str) -> list[tuple[str, int]]:
        got = api.get(f"/v1/schools/{code}/years/{year}/classes/{grade}/{name}/roster?on={on}&{wait}", headers)
        assert got.status_code == 200, got.text
        return [(r["student_id"], r["number"]) for r in got.json()["students"]]

    # 2027's first school day: the sending 2-1 holds only the child who stayed (番号 2), B's 2-1 the newcomer.
    assert roll(principal, school.code, 2027, 2, "1", "2027-04-06") == [(staying, 2)]
    assert roll(api.auth("principal", B, staff="P-0002"), B, 2027, 2, receiving_class, "2027-04-06") == [
        (moving, 1)]
    # The sealed year's roll on its last school day is as it was: both children.
    assert roll(principal, school.code, YEAR, 1, "1", "2027-03-24") == [(moving, 1), (staying, 2)]
