"""A school year from registration to seal, on SQLite and on PostgreSQL, and what a roll is.

One class of 30 third-graders (so 評定 exist), twenty days of rolls, assessments, a health and
a dental examination, a correction, the seal; then a plain write is refused while a correction
the principal approved is accepted.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain import errors, streams
from domain.assessment import AssessmentCorrected, AssessmentRecorded
from domain.attendance import AttendanceCorrected, AttendanceMarked, Mark
from domain.health import DentalExaminationRecorded, HealthExaminationRecorded
from domain.ledger import Ledger, Receipt
from domain.school import (
    ClassFormed,
    ClassMemberJoined,
    PrincipalAppointed,
    SchoolCalendarSet,
    SchoolRegistered,
    YearSealed,
)
from domain.student import StudentAdmitted
from tests import builders as b

SCHOOL = b.ELEMENTARY
YEAR = b.YEAR
GRADE = 3
DAYS = b.SCHOOL_DAYS[:20]
PRINCIPAL = "P-0001"
SUBJECTS = ("japanese", "arithmetic", "science")
FACILITY = "鳥取市教育支援センター"


def mark_for(d: int, i: int) -> dict[str, Any]:
    """The plan of the twenty days: one late and one ill a day, a mourning every fifth day,
    and student 30 spends every day at the support centre (出席扱い)."""
    if i == 29:
        return {"code": "deemed_present", "facility": FACILITY}
    if i == d % 29:
        return {"code": "late", "reason": "通院"}
    if i == (d + 10) % 29:
        return {"code": "absent_illness", "reason": "発熱"}
    if d % 5 == 0 and i == (d + 20) % 29:
        return {"code": "mourning", "reason": "祖父の葬儀"}
    return {"code": "present"}


def viewpoints(i: int) -> dict[str, str]:
    return {"knowledge": "ABC"[i % 3], "thinking": "ABC"[(i + 1) % 3], "attitude": "A"}


HEALTH = {
    "height_cm": "128.4", "weight_kg": "26.1", "nutrition": "normal",
    "vision": {"right_naked": "A", "left_naked": "B"}, "urine_protein": "-", "urine_sugar": "-",
    "hearing_right": "normal", "hearing_left": "normal",
}
DENTAL = {"jaw": 0, "bite": 0, "plaque": 1, "gums": 0, "teeth": {"UR6": "/", "UL6": "C", "LLE": "×", "LRD": "CO"}}


def roll(ledger: Ledger, day: date, marks: list[tuple[UUID, Any]], grade: int = GRADE) -> Receipt:
    return ledger.record_roll(SCHOOL, YEAR, grade, "1", on=day, marks=marks, recorded_by=b.STAFF)


def test_a_school_year_from_registration_to_seal(ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, grade=GRADE, count=30)
    assert ledger.position() == 1 + 1 + 1 + 1 + 30 * 3  # each admission: student, class member, identity key

    # Twenty days of rolls: each one decision, thirty first events, consecutive in the log.
    for d, day in enumerate(DAYS):
        before = ledger.position()
        receipt = roll(ledger, day, [(sid, mark_for(d, i)) for i, sid in enumerate(ids)])
        assert receipt == Receipt(streams.attendance(ids[0], day), 30, before + 30)
        logged = ledger.recorder.select_notifications(start=before + 1, limit=100)
        assert [n.id for n in logged] == list(range(before + 1, before + 31))
        assert [(n.originator_id, n.originator_version, n.topic) for n in logged] == [
            (streams.attendance(sid, day), 1, "gakuseki:AttendanceMarked") for sid in ids
        ]
    assert ledger.position() == 94 + 600

    # Term-1 and year-end assessments of three subjects, with 評定 on the 3-point scale.
    for i, sid in enumerate(ids):
        for subject in SUBJECTS:
            assess = ledger.record_assessment(sid, YEAR, subject=subject, term=1, viewpoints=viewpoints(i),
                                              on=date(2026, 7, 17), recorded_by=b.STAFF)
            assert assess.stream_id == streams.assessments(sid, YEAR)
        for subject in SUBJECTS:
            ledger.record_assessment(sid, YEAR, subject=subject, term=None, viewpoints=viewpoints(i),
                                     rating=1 + i % 3, on=date(2027, 3, 19), recorded_by=b.STAFF)
    ledger.record_health_exam(ids[0], YEAR, examination=HEALTH, examined_on=date(2026, 4, 20), recorded_by="nurse")
    ledger.record_dental_exam(ids[0], YEAR, examination=DENTAL, examined_on=date(2026, 5, 11),
                              recorded_by="dentist")

    # A mark corrected before the seal (the late arrival was an absence): a reason, no approval needed.
    corrected = ledger.correct_mark(ids[3], on=DAYS[3], mark={"code": "absent_illness", "reason": "発熱"},
                                    reason="欠席の連絡が後から届いた", recorded_by=b.STAFF)
    assert corrected == Receipt(streams.attendance(ids[3], DAYS[3]), 1, 694 + 180 + 2 + 1)

    sealed = ledger.seal_year(SCHOOL, YEAR, recorded_by=PRINCIPAL)
    assert sealed.stream_id == streams.school_year(SCHOOL, YEAR)
    at_seal = ledger.position()
    assert at_seal == 694 + 180 + 2 + 1 + 1

    # The sealed year refuses plain writes and unapproved corrections...
    with pytest.raises(errors.YearIsSealed):
        roll(ledger, b.SCHOOL_DAYS[20], [(sid, {"code": "present"}) for sid in ids])
    with pytest.raises(errors.YearIsSealed):
        ledger.record_assessment(ids[1], YEAR, subject="music", term=2, viewpoints=viewpoints(1),
                                 on=date(2026, 12, 18), recorded_by=b.STAFF)
    with pytest.raises(errors.CorrectionNeedsApproval):
        ledger.correct_mark(ids[1], on=DAYS[5], mark={"code": "present"}, reason="記入誤り", recorded_by=b.STAFF)
    assert ledger.position() == at_seal

    # ...and accepts a correction with a reason that the principal approved.
    approved = ledger.correct_mark(
        ids[1], on=DAYS[5], mark={"code": "suspended", "authority": "infection", "reason": "インフルエンザ"},
        reason="出席停止の報告漏れ", approved_by=PRINCIPAL, recorded_by=b.STAFF)
    assert approved == Receipt(streams.attendance(ids[1], DAYS[5]), 1, at_seal + 1)
    ledger.correct_assessment(ids[2], YEAR, corrects_version=4, viewpoints={**viewpoints(2), "knowledge": "A"},
                              rating=3, reason="評定の転記誤り", approved_by=PRINCIPAL, recorded_by=b.STAFF)
    assert ledger.position() == at_seal + 2

    # The school, its year and its class.
    school = ledger.stream(streams.school(SCHOOL))
    assert [type(e) for e in school] == [SchoolRegistered, PrincipalAppointed]
    year = ledger.stream(streams.school_year(SCHOOL, YEAR))
    assert [type(e) for e in year] == [SchoolCalendarSet, YearSealed]
    klass: list[Any] = ledger.stream(streams.school_class(SCHOOL, YEAR, GRADE, "1"))
    assert [type(e) for e in klass] == [ClassFormed] + [ClassMemberJoined] * 30
    assert [(e.student_id, e.number) for e in klass[1:]] == [(sid, n) for n, sid in enumerate(ids, 1)]

    # Every student: one admission, twenty student-days, six assessments.
    for i, sid in enumerate(ids):
        assert [type(e) for e in ledger.stream(sid)] == [StudentAdmitted]
        days: list[list[Any]] = [ledger.stream(streams.attendance(sid, day)) for day in DAYS]
        expected_lengths = [2 if (i, d) in {(3, 3), (1, 5)} else 1 for d in range(20)]
        assert [len(events) for events in days] == expected_lengths
        assert all(type(events[0]) is AttendanceMarked and events[0].mark == Mark(**mark_for(d, i))
                   for d, events in enumerate(days))
        assessments: list[Any] = ledger.stream(streams.assessments(sid, YEAR))
        assert [(e.term, e.subject, e.rating) for e in assessments[:6]] == [
            (1, s, None) for s in SUBJECTS] + [(None, s, 1 + i % 3) for s in SUBJECTS]
        assert len(assessments) == (7 if i == 2 else 6)

    # The twenty rolls, tallied from the stored marks.
    first_marks: list[Any] = [ledger.stream(streams.attendance(sid, day))[0] for sid in ids for day in DAYS]
    tally = Counter(e.mark.code for e in first_marks)
    assert tally == {"present": 536, "late": 20, "absent_illness": 20, "deemed_present": 20, "mourning": 4}

    # The corrections name what they correct and keep it readable.
    first, correction = ledger.stream(streams.attendance(ids[3], DAYS[3]))
    assert isinstance(first, AttendanceMarked)
    assert first.mark == Mark(code="late", reason="通院")
    assert isinstance(correction, AttendanceCorrected)
    assert (correction.corrects_version, correction.originator_version) == (1, 2)
    assert correction.mark == Mark(code="absent_illness", reason="発熱")
    assert (correction.reason, correction.approved_by) == ("欠席の連絡が後から届いた", None)
    assert correction.effective_on == DAYS[3]

    _, after_seal = ledger.stream(streams.attendance(ids[1], DAYS[5]))
    assert isinstance(after_seal, AttendanceCorrected)
    assert (after_seal.corrects_version, after_seal.approved_by) == (1, PRINCIPAL)
    assert after_seal.mark == Mark(code="suspended", reason="インフルエンザ", authority="infection")

    year_end = ledger.stream(streams.assessments(ids[2], YEAR))
    assert isinstance(year_end[3], AssessmentRecorded)
    assert (year_end[3].subject, year_end[3].term, year_end[3].rating) == ("japanese", None, 3)
    assert isinstance(year_end[6], AssessmentCorrected)
    assert (year_end[6].corrects_version, year_end[6].rating, year_end[6].approved_by) == (4, 3, PRINCIPAL)

    health: list[Any] = ledger.stream(streams.health(ids[0], YEAR))
    assert [type(e) for e in health] == [HealthExaminationRecorded, DentalExaminationRecorded]
    assert str(health[0].examination.height_cm) == "128.4"
    assert health[1].examination.teeth == {"UR6": "/", "UL6": "C", "LLE": "×", "LRD": "CO"}

    assert ledger.position() == at_seal + 2 == 880


@pytest.fixture
def three(ledger: Ledger) -> list[UUID]:
    b.school_with_calendar(ledger)
    return b.class_with_students(ledger, grade=GRADE, count=3)


DAY = date(2026, 4, 7)


def test_a_roll_whose_last_student_is_invalid_stores_nothing_for_the_others(ledger: Ledger,
                                                                             three: list[UUID]) -> None:
    before = ledger.position()
    marks = [(three[0], {"code": "present"}), (three[1], {"code": "late"}),
             (three[2], {"code": "suspended", "reason": "インフルエンザ"})]

    with pytest.raises(errors.MarkNeedsAuthority):
        roll(ledger, DAY, marks)

    assert ledger.position() == before
    assert all(ledger.stream(streams.attendance(sid, DAY)) == [] for sid in three)


def test_a_roll_that_collides_with_one_stored_mark_stores_nothing_for_the_others(
        ledger: Ledger, three: list[UUID]) -> None:
    """The store, not only the rules, keeps a roll whole: the last student-day is taken by
    another writer, so the insert of the whole roll fails in one transaction."""
    stored_elsewhere = AttendanceMarked(
        originator_id=streams.attendance(three[2], DAY), originator_version=1,
        recorded_at=ledger.now(), recorded_by="another-writer", effective_on=DAY, student_id=three[2],
        school_code=SCHOOL, year=YEAR, grade=GRADE, class_name="1", mark=Mark(code="absent_other"),
    )
    ledger.record([stored_elsewhere])
    before = ledger.position()

    with pytest.raises(errors.AttendanceAlreadyMarked):
        roll(ledger, DAY, [(sid, {"code": "present"}) for sid in three])

    assert ledger.position() == before
    assert ledger.stream(streams.attendance(three[0], DAY)) == []
    assert ledger.stream(streams.attendance(three[1], DAY)) == []
    assert ledger.stream(streams.attendance(three[2], DAY)) == [stored_elsewhere]


def test_a_roll_is_judged_from_the_class_and_year_streams_alone(ledger: Ledger, three: list[UUID],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_load(*args: object, **kwargs: object) -> None:
        raise AssertionError("a roll loaded a student's stream")

    read: list[UUID] = []
    get = ledger.events.get

    def reading(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        read.append(originator_id)
        return get(originator_id, *args, **kwargs)

    inserts: list[int] = []
    insert_events = ledger.recorder.insert_events

    def inserting(stored_events: Any, **kwargs: Any) -> Any:
        inserts.append(len(stored_events))
        return insert_events(stored_events, **kwargs)

    monkeypatch.setattr(ledger, "student", must_not_load)
    monkeypatch.setattr(ledger, "find_student", must_not_load)
    monkeypatch.setattr(ledger.events, "get", reading)
    monkeypatch.setattr(ledger.recorder, "insert_events", inserting)

    receipt = roll(ledger, DAY, [(sid, {"code": "present"}) for sid in three])

    assert receipt.events == 3
    assert set(read) == {streams.school_class(SCHOOL, YEAR, GRADE, "1"), streams.school_year(SCHOOL, YEAR)}
    assert inserts == [3]  # one save, one transaction


def test_a_roll_marks_the_students_on_the_roll_that_day(ledger: Ledger, three: list[UUID]) -> None:
    """A student who withdrew is on the roll that day and off it from the next (ADR 0024); one admitted
    later joins it then."""
    ledger.withdraw(three[2], on=date(2026, 4, 7), reason="海外転出のため", recorded_by=PRINCIPAL)
    late = ledger.admit_student(SCHOOL, YEAR, GRADE, "1", 4, b.identity(4, birth_date="2017-06-01"),
                                admitted_on=date(2026, 4, 9), admission_kind="admission",
                                reason="市外からの転居に伴う編入学", recorded_by="registrar",
                                different_child=True).stream_id

    assert roll(ledger, DAY, [(sid, {"code": "present"}) for sid in three]).events == 3
    assert roll(ledger, date(2026, 4, 8), [(sid, {"code": "present"}) for sid in three[:2]]).events == 2
    assert roll(ledger, date(2026, 4, 9), [(sid, {"code": "present"}) for sid in [*three[:2], late]]).events == 3
    with pytest.raises(errors.StudentMissingFromRoll):
        roll(ledger, date(2026, 4, 10), [(sid, {"code": "present"}) for sid in three[:2]])


def test_a_student_back_from_leave_is_on_the_roll_again(ledger: Ledger, three: list[UUID]) -> None:
    ledger.begin_leave(three[0], on=date(2026, 4, 8), reason="長期療養のため", recorded_by=PRINCIPAL)
    assert roll(ledger, date(2026, 4, 8), [(sid, {"code": "present"}) for sid in three[1:]]).events == 2
    ledger.end_leave(three[0], on=date(2026, 4, 9), recorded_by=PRINCIPAL)

    assert roll(ledger, date(2026, 4, 9), [(sid, {"code": "present"}) for sid in three]).events == 3
    klass = ledger.school_class(SCHOOL, YEAR, GRADE, "1")
    assert klass.members_on(date(2026, 4, 9)) == {three[0]: 1, three[1]: 2, three[2]: 3}
    assert ledger.student_summary(three[0])["status"] == "enrolled"


def test_a_school_and_its_calendar_taken_over_from_paper_stand_from_the_day_given(ledger: Ledger) -> None:
    """A register set up mid-year (the demo, a migration) records the school and the calendar as
    they stood from 1 April, so a read ``on`` a day of May has them; without a day, today."""
    code = "B131220000099"
    ledger.register_school(code, "鳥取市立さくら小学校", "312011", on=date(2026, 4, 1), recorded_by="admin")
    ledger.set_calendar(code, YEAR, terms=b.TERMS, instructional_days=b.SCHOOL_DAYS, on=date(2026, 4, 1),
                        recorded_by="admin")
    ledger.register_school(b.JUNIOR_HIGH, "鳥取市立あおば中学校", "312011", recorded_by="admin")
    ledger.set_calendar(b.JUNIOR_HIGH, YEAR, terms=b.TERMS, instructional_days=b.SCHOOL_DAYS, recorded_by="admin")
    [registered, calendar] = ledger.stream(streams.school(code)) + ledger.stream(streams.school_year(code, YEAR))
    assert (registered.effective_on, calendar.effective_on) == (date(2026, 4, 1), date(2026, 4, 1))
    assert isinstance(registered, SchoolRegistered)
    assert isinstance(calendar, SchoolCalendarSet)
    assert ledger.stream(streams.school(b.JUNIOR_HIGH))[0].effective_on == ledger.today() == date(2027, 3, 31)
    assert ledger.stream(streams.school_year(b.JUNIOR_HIGH, YEAR))[0].effective_on == ledger.today()
