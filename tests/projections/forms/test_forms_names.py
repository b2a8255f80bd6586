"""Names, not codes: the forms print the school's name, the principal's name, and name the staff
member of a correction as the school knows them (the name recorded when the principal was appointed
or the class formed, with the id); a member of staff with no recorded name is shown by the id."""

from __future__ import annotations

from datetime import date, timedelta

from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.forms import Forms, html
from tests import builders as b
from tests.projections.forms.test_html import page

SCHOOL_NAME = "鳥取市立みどり小学校"  # builders.school_with_calendar
PRINCIPAL_NAME, TEACHER_NAME = "田中 一郎", "山田 花子"  # P-0001 appointed, T-0001 forming the class
VIEWPOINTS = {"knowledge": "A", "thinking": "B", "attitude": "B"}


def _forms(backend: Backend, ledger: Ledger) -> Forms:
    runner = runner_for(ledger, backend)
    runner.catch_up()
    return Forms(runner)


def test_the_roster_and_the_long_absence_list_print_the_schools_name(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    away, here = b.class_with_students(ledger, count=2)
    for day in b.SCHOOL_DAYS[:30]:
        ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=day, recorded_by=b.STAFF,
                           marks=[(away, {"code": "absent_other"}), (here, {"code": "present"})])
    forms = _forms(backend, ledger)

    roster = forms.roster(b.ELEMENTARY, b.YEAR, 1, "1")
    listed = forms.long_absence(b.ELEMENTARY, b.YEAR)

    assert roster is not None
    assert (roster["school_code"], roster["school_name"]) == (b.ELEMENTARY, SCHOOL_NAME)
    assert (listed["school_code"], listed["school_name"]) == (b.ELEMENTARY, SCHOOL_NAME)
    assert [s["student_id"] for s in listed["students"]] == [str(away)]
    for form, doc in (("roster", roster), ("long_absence", listed)):
        head = page(html.render(form, doc)).tables["table1"]  # the head of the form
        assert SCHOOL_NAME in [cell for row in head for cell in row], form
    assert forms.long_absence(b.ELEMENTARY, 2030)["school_name"] == SCHOOL_NAME  # a year with no child listed


def test_the_report_card_prints_the_principal_in_office_at_the_end_of_the_term(backend: Backend,
                                                                            ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    (child,) = b.class_with_students(ledger, count=1)
    term_1, term_2 = b.TERMS[0], b.TERMS[1]
    successor = date.fromisoformat(str(term_1["ends_on"])) + timedelta(days=1)  # takes office after term 1
    ledger.appoint_principal(b.ELEMENTARY, "P-0002", "佐々木 二郎", on=successor, recorded_by="admin")
    forms = _forms(backend, ledger)

    first, second = forms.report_card(child, b.YEAR, 1), forms.report_card(child, b.YEAR, 2)

    assert first is not None
    assert second is not None
    assert (first["principal"], second["principal"]) == (PRINCIPAL_NAME, "佐々木 二郎")
    assert term_2["number"] == 2
    signed = page(html.render("report_card", first)).tables
    assert any(PRINCIPAL_NAME in cell for rows in signed.values() for row in rows for cell in row)


def test_a_correction_trail_names_the_staff_member_as_the_school_knows_them(backend: Backend,
                                                                           ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    (child,) = b.class_with_students(ledger, grade=3, count=1)
    ledger.record_assessment(child, b.YEAR, subject="japanese", term=1, viewpoints=VIEWPOINTS, on=date(2026, 7, 17),
                             recorded_by=b.STAFF)
    ledger.correct_assessment(child, b.YEAR, corrects_version=1, reason="観点の転記誤り", approved_by=b.PRINCIPAL,
                              viewpoints={**VIEWPOINTS, "thinking": "A"}, recorded_by=b.STAFF)
    exam = {"height_cm": "128.4", "weight_kg": "26.1", "nutrition": "normal", "vision": {"right_naked": "A"},
            "urine_protein": "-", "urine_sugar": "-", "hearing_right": "normal", "hearing_left": "normal"}
    ledger.record_health_exam(child, b.YEAR, examination=exam, examined_on=date(2026, 4, 20), recorded_by="N-0001")
    ledger.correct_examination(child, b.YEAR, corrects_version=1, examination={**exam, "height_cm": "129.4"},
                               reason="身長の転記誤り", recorded_by="N-0001")  # the nurse: no name recorded
    ledger.enter_year_record(child, b.YEAR, record={"general_remarks": "よく発言した。"}, on=date(2027, 3, 19),
                             recorded_by=b.STAFF)
    ledger.correct_year_record(child, b.YEAR, corrects_version=1, reason="記入誤り", recorded_by=b.STAFF,
                               record={"general_remarks": "粘り強く取り組んだ。"})
    forms = _forms(backend, ledger)

    record, card = forms.cumulative_record(child), forms.report_card(child, b.YEAR, 1)
    health = forms.health_card(child)

    assert record is not None
    assert card is not None
    assert health is not None
    expected = {"corrected_by": b.STAFF, "corrected_by_name": TEACHER_NAME,
                "approved_by": b.PRINCIPAL, "approved_by_name": PRINCIPAL_NAME}
    [entry] = next(s for s in card["subjects"] if s["subject"] == "japanese")["trail"]
    assert {k: entry[k] for k in expected} == expected
    [trail] = health["columns"][0]["trail"]
    assert (trail["corrected_by"], trail["corrected_by_name"]) == ("N-0001", None)
    assert (trail["recorded_by"], trail["recorded_by_name"]) == ("N-0001", None)
    text = html.render("report_card", card)
    assert f"{TEACHER_NAME}(T-0001)" in text
    assert f"承認 {PRINCIPAL_NAME}(P-0001)" in text
    health_text = html.render("health_card", health)
    assert "N-0001" in health_text
    assert "None" not in health_text
    [remarks] = record["form2"][0]["year_record_trail"]
    assert (remarks["corrected_by"], remarks["corrected_by_name"]) == (b.STAFF, TEACHER_NAME)
    assert f"{TEACHER_NAME}(T-0001)" in html.render("cumulative_record", record)


def test_the_attendance_registers_corrections_name_the_homeroom_teacher(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    (child,) = b.class_with_students(ledger, count=1)
    day = b.SCHOOL_DAYS[0]
    ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=day, marks=[(child, {"code": "present"})], recorded_by="admin")
    ledger.correct_mark(child, on=day, mark={"code": "absent_illness"}, reason="記入誤り", recorded_by=b.STAFF)
    forms = _forms(backend, ledger)

    register = forms.attendance_register(b.ELEMENTARY, b.YEAR, 1, "1", day.isoformat()[:7])

    assert register is not None
    assert register["school_name"] == SCHOOL_NAME
    [entry] = register["students"][0]["days"][day.isoformat()]["trail"]
    assert (entry["corrected_by"], entry["corrected_by_name"]) == (b.STAFF, TEACHER_NAME)
    assert f"{TEACHER_NAME}(T-0001)" in page(html.render("attendance_register", register)).items[0]
