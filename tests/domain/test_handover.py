"""Hand-overs (転学, 進学) in the ledger, and what each school then holds, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
import pytest

from domain import errors
from domain.backend import Backend
from domain.ledger import Ledger
from domain.student import Identity
from domain.transfer_packet import FORMAT, PacketSchool, TransferPacket
from projections import runner_for
from projections.forms import Forms
from tests import builders as b
from tests.conftest import Clock

SENDING, RECEIVING = b.ELEMENTARY, b.OTHER_ELEMENTARY
LEFT, ACCEPTED = date(2026, 6, 5), date(2026, 6, 8)  # Fri 5 June; accepted Mon 8 June


def _two_schools(ledger: Ledger) -> tuple[UUID, UUID]:
    b.school_with_calendar(ledger, SENDING)
    b.school_with_calendar(ledger, RECEIVING, name="鳥取市立うみ小学校")
    moving, staying = b.class_with_students(ledger, SENDING, count=2)
    ledger.form_class(RECEIVING, b.YEAR, 1, "1", homeroom_teacher_id="T-0100", homeroom_teacher_name="岡 正子",
                      on=date(2026, 4, 6), recorded_by="admin")
    return moving, staying


def _present_every_day(ledger: Ledger, code: str, until: date, since: date = date(2026, 4, 6)) -> None:
    for day in b.SCHOOL_DAYS:
        if since <= day <= until:
            members = ledger.school_class(code, b.YEAR, 1, "1").members_on(day)
            ledger.record_roll(code, b.YEAR, 1, "1", on=day, marks=[(s, {"code": "present"}) for s in members],
                               recorded_by="admin")


def _transfer(ledger: Ledger, sid: UUID, **overrides: Any) -> None:
    args: dict[str, Any] = dict(kind="transfer", to_school=RECEIVING, left_on=LEFT, accepted_on=ACCEPTED,
                                year=b.YEAR, grade=1, reason="保護者の転勤に伴う転居", class_name="1", number=1,
                                recorded_by="registrar")
    ledger.hand_over(sid, **{**args, **overrides})


def test_a_mid_year_transfer_counts_each_schools_days_only_and_both_show_the_move(
        backend: Backend, ledger: Ledger) -> None:
    moving, _ = _two_schools(ledger)
    _present_every_day(ledger, SENDING, LEFT)
    _transfer(ledger, moving)
    _present_every_day(ledger, RECEIVING, date(2026, 7, 20), since=ACCEPTED)
    runner = runner_for(ledger, backend)
    runner.catch_up()
    forms = Forms(runner)
    sending_days = [d for d in b.SCHOOL_DAYS if d <= LEFT]
    receiving_days = [d for d in b.SCHOOL_DAYS if d >= ACCEPTED]

    at_sending = forms.cumulative_record(moving, school=SENDING)
    at_receiving = forms.cumulative_record(moving, school=RECEIVING)
    assert at_sending is not None
    assert at_receiving is not None
    # The sending school keeps its own period only: its figures, to the day the child left.
    [sending_row] = at_sending["form2"]
    assert (sending_row["school_code"], sending_row["source"]) == (SENDING, "original")
    figures = sending_row["attendance"][0]
    assert (figures["school_days"], figures["present"], figures["unrecorded"]) == (len(sending_days),) * 2 + (0,)
    # The receiving school reads the sending school's year as the copy, and its own as the original.
    rows = {(r["school_code"], r["source"]): r["attendance"][0] for r in at_receiving["form2"]}
    assert set(rows) == {(SENDING, "copy"), (RECEIVING, "original")}
    assert rows[(SENDING, "copy")]["school_days"] == len(sending_days)
    assert rows[(RECEIVING, "original")]["school_days"] == len(receiving_days)
    assert rows[(RECEIVING, "original")]["present"] == len([d for d in receiving_days if d <= date(2026, 7, 20)])
    # 様式1 at both: the move with both dates the law records (left; the day before acceptance).
    for form in (at_sending, at_receiving):
        [move] = form["form1"]["moves"]
        assert (move["left_on"], move["day_before_accepted"], move["to_school"]) == (
            "2026-06-05", "2026-06-07", RECEIVING)
    assert [e["school_code"] for e in at_sending["form1"]["enrollments"]] == [SENDING]
    assert [e["school_code"] for e in at_receiving["form1"]["enrollments"]] == [SENDING, RECEIVING]


def test_the_sending_class_no_longer_takes_the_child_in_its_roll_and_the_receiving_class_does(
        ledger: Ledger) -> None:
    moving, staying = _two_schools(ledger)
    _transfer(ledger, moving)
    assert set(ledger.school_class(SENDING, b.YEAR, 1, "1").members_on(ACCEPTED)) == {staying}
    assert set(ledger.school_class(SENDING, b.YEAR, 1, "1").members_on(LEFT)) == {moving, staying}
    assert set(ledger.school_class(RECEIVING, b.YEAR, 1, "1").members_on(ACCEPTED)) == {moving}
    student = ledger.student(moving)
    assert (student.custodian, student.status) == (RECEIVING, "enrolled")
    with pytest.raises(errors.StudentNotInClass):
        ledger.record_roll(SENDING, b.YEAR, 1, "1", on=ACCEPTED, marks=[(moving, {"code": "present"}),
                                                                          (staying, {"code": "present"})],
                           recorded_by="admin")


def test_a_graduate_advances_to_the_junior_high_which_reads_the_abstract(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger, SENDING)
    b.school_with_calendar(ledger, b.JUNIOR_HIGH, name="鳥取市立みどり中学校")
    [child] = b.class_with_students(ledger, SENDING, grade=6, count=1)
    ledger.enter_year_record(child, b.YEAR, record={"general_remarks": "最高学年として下級生の面倒をよく見た。"},
                             on=date(2027, 3, 15), recorded_by="admin")
    ledger.graduate(child, on=date(2027, 3, 19), recorded_by="principal")
    ledger.hand_over(child, kind="advancement", to_school=b.JUNIOR_HIGH, left_on=date(2027, 3, 19),
                     accepted_on=date(2027, 4, 7), year=2027, grade=1, recorded_by="board")
    student = ledger.student(child)
    assert (student.custodian, student.status) == (b.JUNIOR_HIGH, "enrolled")
    runner = runner_for(ledger, backend)
    runner.catch_up()
    form = Forms(runner).cumulative_record(child, school=b.JUNIOR_HIGH)
    assert form is not None
    [row] = form["form2"]
    assert (row["school_code"], row["source"], row["general_remarks"]) == (
        SENDING, "abstract", "最高学年として下級生の面倒をよく見た。")
    assert form["form1"]["graduation"] == {"on": "2027-03-19"}


REFUSALS: list[tuple[str, dict[str, Any], type[errors.LedgerError], str]] = [
    ("an unknown kind", {"kind": "exchange"}, errors.InvalidHandoverKind, "kind"),
    ("the same school", {"to_school": SENDING}, errors.HandoverToSameSchool, "to_school"),
    ("accepted before leaving", {"accepted_on": LEFT}, errors.AcceptedBeforeLeaving, "accepted_on"),
    ("a school not in the ledger", {"to_school": "B127210000017"}, errors.ReceivingSchoolNotInLedger,
     "to_school"),
    ("external but in the ledger", {"external": True, "to_school_name": "x"}, errors.ReceivingSchoolInLedger,
     "external"),
    ("external without a name", {"to_school": "B127210000017", "external": True, "class_name": "", "number": 0},
     errors.BlankText, "to_school_name"),
    ("a junior high by transfer", {"to_school": b.JUNIOR_HIGH}, errors.InvalidHandoverKind, "kind"),
    ("a grade the school lacks", {"grade": 7}, errors.GradeOutOfRange, "grade"),
    ("advancement before graduation", {"kind": "advancement", "to_school": b.JUNIOR_HIGH},
     errors.StudentNotGraduated, "student_id"),
    ("a class not formed", {"class_name": "9"}, errors.UnknownClass, "class_name"),
    ("a number taken", {"number": 1, "_taken": True}, errors.DuplicateAttendanceNumber, "number"),
    ("no reason for a transfer", {"reason": " "}, errors.BlankText, "reason"),
    ("left before enrolling", {"left_on": date(2026, 4, 1), "accepted_on": date(2026, 4, 6)},
     errors.DateBeforeEnrollment, "left_on"),
    ("accepted outside the school year", {"accepted_on": date(2027, 4, 8)}, errors.DateOutsideSchoolYear,
     "accepted_on"),
    ("a malformed school code", {"to_school": "X1"}, errors.InvalidSchoolCode, "to_school"),
]


@pytest.mark.parametrize(("case", "overrides", "error", "field"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_hand_over_names_the_field_and_records_nothing(
        ledger: Ledger, case: str, overrides: dict[str, Any], error: type[errors.LedgerError], field: str) -> None:
    moving, _ = _two_schools(ledger)
    b.school_with_calendar(ledger, b.JUNIOR_HIGH, name="鳥取市立みどり中学校")
    overrides = dict(overrides)  # the table is shared by both backends' runs
    if overrides.pop("_taken", False):
        other = ledger.admit_student(RECEIVING, b.YEAR, 1, "1", 1, b.identity(9), admitted_on=date(2026, 4, 6),
                                     recorded_by="registrar", different_child=True)
        assert other.events == 3  # the admission, the class's new member, the admission filed by identity
    before = ledger.position()
    with pytest.raises(error) as refused:
        _transfer(ledger, moving, **overrides)
    assert refused.value.field == field
    assert ledger.position() == before


def _packet(**overrides: Any) -> TransferPacket:
    """A packet from an elementary school of another ledger, addressed to the receiving school here."""
    args: dict[str, Any] = dict(
        format=FORMAT, packet_id="p-1", issuer="jp-12-chiba", issued_at=datetime(2026, 6, 5, tzinfo=UTC),
        kind="transfer", student_id="s-1", identity=msgspec.convert(b.identity(1), Identity),
        from_school=PacketSchool("B112210000019"), to_school=PacketSchool(RECEIVING), left_on=LEFT,
        accepted_on=ACCEPTED, year=b.YEAR, grade=1, record_kind="copy", cumulative_record={}, health_card={},
        dental_card={})
    return TransferPacket(**{**args, **overrides})


PACKET_REFUSALS: list[tuple[str, dict[str, Any], type[errors.LedgerError], str]] = [
    ("a sending school code that is not one", {"from_school": {"code": "B1-nope"}}, errors.InvalidSchoolCode,
     "packet.from_school.code"),
    ("a 転学 from a junior high into an elementary school", {"from_school": {"code": "C112210000014"}},
     errors.InvalidHandoverKind, "packet"),
    ("a 進学 from a junior high", {"kind": "advancement", "record_kind": "abstract",
                                  "to_school": {"code": b.JUNIOR_HIGH}, "from_school": {"code": "C112210000014"},
                                  "year": 2027, "left_on": date(2027, 3, 19), "accepted_on": date(2027, 4, 7)},
     errors.InvalidHandoverKind, "packet"),
]


@pytest.mark.parametrize(("case", "overrides", "error", "field"), PACKET_REFUSALS, ids=[r[0] for r in PACKET_REFUSALS])
def test_a_packet_from_the_wrong_kind_of_school_is_refused_and_records_nothing(
        ledger: Ledger, case: str, overrides: dict[str, Any], error: type[errors.LedgerError], field: str) -> None:
    _two_schools(ledger)
    b.school_with_calendar(ledger, b.JUNIOR_HIGH, name="鳥取市立みどり中学校")
    overrides = {k: PacketSchool(**v) if k.endswith("_school") else v for k, v in overrides.items()}
    packet = _packet(**overrides)
    before = ledger.position()
    with pytest.raises(error) as refused:
        ledger.receive_transfer(packet, "h.p.s", school_code=packet.to_school.code, recorded_by="registrar")
    assert refused.value.field == field
    assert ledger.position() == before


def test_a_packet_from_a_school_of_the_same_kind_elsewhere_is_admitted(ledger: Ledger) -> None:
    _two_schools(ledger)
    receipt, recorded = ledger.receive_transfer(_packet(), "h.p.s", school_code=RECEIVING, recorded_by="registrar")
    assert recorded
    assert ledger.student(receipt.stream_id).custodian == RECEIVING


SPRING_LEFT = date(2027, 3, 26)  # Fri: after the last school day (Wed 24 March) and the year's seal
NEXT_YEAR, NEXT_FIRST = 2027, date(2027, 4, 1)


def _placed_in_next_year_and_sealed(ledger: Ledger, clock: Clock, *, seal: bool = True) -> tuple[UUID, UUID]:
    """Both children of the sending 1-1 are placed in next year's 2-1; the receiving school has a 2-1
    of its own for 2027; the sending school's 2026 is sealed after its last school day (unless told not)."""
    moving, staying = _two_schools(ledger)
    for code, members in ((SENDING, [(moving, 1), (staying, 2)]), (RECEIVING, [])):
        ledger.form_class(code, NEXT_YEAR, 2, "1", homeroom_teacher_id="T-0200", homeroom_teacher_name="森 三郎",
                          students=members, on=NEXT_FIRST, recorded_by="admin")
    clock.current = datetime(2027, 3, 26, 9, 0, tzinfo=UTC)
    if seal:
        ledger.seal_year(SENDING, b.YEAR, recorded_by="principal")
    return moving, staying


def test_a_transfer_in_spring_break_after_the_seal_takes_the_child_off_this_and_next_years_rolls(
        backend: Backend, ledger: Ledger, clock: Clock) -> None:
    moving, staying = _placed_in_next_year_and_sealed(ledger, clock)
    receipt = ledger.hand_over(moving, kind="transfer", to_school=RECEIVING, left_on=SPRING_LEFT,
                               accepted_on=NEXT_FIRST, year=NEXT_YEAR, grade=2, reason="保護者の転勤に伴う転居",
                               class_name="1", number=1, recorded_by="registrar")
    # The hand-over; off the sending 1-1 (2026) and 2-1 (2027); onto the receiving 2-1 (2027).
    assert receipt.events == 4
    sending_now = ledger.school_class(SENDING, b.YEAR, 1, "1")
    sending_next = ledger.school_class(SENDING, NEXT_YEAR, 2, "1")
    receiving_next = ledger.school_class(RECEIVING, NEXT_YEAR, 2, "1")
    # The sealed year's rolls stand as they were on every school day (the last one is 24 March):
    assert all(set(sending_now.members_on(d)) == {moving, staying} for d in b.SCHOOL_DAYS)
    # off it from the day after leaving (§2.4: 転学 counts to the day the child left),
    assert set(sending_now.members_on(date(2027, 3, 27))) == {staying}
    # never on next year's sending class, and on the receiving one from the day of acceptance.
    first_days = [NEXT_FIRST + timedelta(days=d) for d in range(30)]
    assert all(set(sending_next.members_on(d)) == {staying} for d in first_days)
    assert all(set(receiving_next.members_on(d)) == {moving} for d in first_days)
    student = ledger.student(moving)
    assert (student.custodian, student.placements[NEXT_YEAR].school_code) == (RECEIVING, RECEIVING)

    runner = runner_for(ledger, backend)
    runner.catch_up()
    forms = Forms(runner)
    # 名簿 on the first school day of 2027: the sending 2-1 lists only the child who stayed (番号 2), and
    # the receiving 2-1 the child who came (番号 1).
    sending_roster = forms.roster(SENDING, NEXT_YEAR, 2, "1", date(2027, 4, 6))
    receiving_roster = forms.roster(RECEIVING, NEXT_YEAR, 2, "1", date(2027, 4, 6))
    assert sending_roster is not None
    assert receiving_roster is not None
    assert [(r["student_id"], r["number"]) for r in sending_roster["students"]] == [(str(staying), 2)]
    assert [(r["student_id"], r["number"]) for r in receiving_roster["students"]] == [(str(moving), 1)]
    # The 2026 1-1 roster on its last school day still lists both.
    last_day = forms.roster(SENDING, b.YEAR, 1, "1", date(2027, 3, 24))
    assert last_day is not None
    assert [r["student_id"] for r in last_day["students"]] == [str(moving), str(staying)]


def test_a_transfer_into_no_named_class_still_takes_the_child_off_next_years_roll(
        ledger: Ledger, clock: Clock) -> None:
    moving, staying = _placed_in_next_year_and_sealed(ledger, clock, seal=False)
    ledger.hand_over(moving, kind="transfer", to_school=RECEIVING, left_on=SPRING_LEFT, accepted_on=date(2027, 3, 29),
                     year=b.YEAR, grade=1, reason="保護者の転勤に伴う転居", recorded_by="registrar")
    assert set(ledger.school_class(SENDING, NEXT_YEAR, 2, "1").members_on(date(2027, 4, 6))) == {staying}
    assert NEXT_YEAR not in ledger.student(moving).placements


def test_a_transfer_after_the_seal_that_would_change_a_counted_day_is_refused_and_records_nothing(
        ledger: Ledger, clock: Clock) -> None:
    moving, _ = _placed_in_next_year_and_sealed(ledger, clock)
    before = ledger.position()
    with pytest.raises(errors.YearIsSealed) as refused:  # 10 March is a school day of the sealed year
        ledger.hand_over(moving, kind="transfer", to_school=RECEIVING, left_on=date(2027, 3, 10),
                         accepted_on=NEXT_FIRST, year=NEXT_YEAR, grade=2, reason="保護者の転勤に伴う転居",
                         recorded_by="registrar")
    assert refused.value.field == "left_on"
    assert ledger.position() == before


def test_a_withdrawal_takes_the_child_off_next_years_class_they_were_already_placed_in(
        backend: Backend, ledger: Ledger, clock: Clock) -> None:
    """退学 on a school day of March, the child already placed in next year's 2-1: off this year's 1-1 from
    that day, never on next year's 2-1 (ADR 0025 did this for a transfer only)."""
    leaving, staying = _placed_in_next_year_and_sealed(ledger, clock, seal=False)
    withdrawn_on = date(2027, 3, 19)  # a Friday, a school day of the 2026 year
    receipt = ledger.withdraw(leaving, on=withdrawn_on, reason="海外への転居", recorded_by="principal")
    assert receipt.events == 3  # the withdrawal; off the 2026 1-1 and off the 2027 2-1
    this_year = ledger.school_class(SENDING, b.YEAR, 1, "1")
    next_year = ledger.school_class(SENDING, NEXT_YEAR, 2, "1")
    assert set(this_year.members_on(withdrawn_on)) == {leaving, staying}  # the day of a 退学 is on the roll
    assert set(this_year.members_on(date(2027, 3, 22))) == {staying}
    assert all(set(next_year.members_on(NEXT_FIRST + timedelta(days=d))) == {staying} for d in range(30))
    student = ledger.student(leaving)
    assert student.status == "withdrawn"
    assert NEXT_YEAR not in student.placements
    runner = runner_for(ledger, backend)
    runner.catch_up()
    roster = Forms(runner).roster(SENDING, NEXT_YEAR, 2, "1", date(2027, 4, 6))
    assert roster is not None
    assert [(r["student_id"], r["number"]) for r in roster["students"]] == [(str(staying), 2)]
    ledger.set_calendar(SENDING, NEXT_YEAR, terms=[{"number": 1, "starts_on": "2027-04-06", "ends_on": "2027-09-30"},
                                                   {"number": 2, "starts_on": "2027-10-01", "ends_on": "2028-03-24"}],
                        instructional_days=b.weekdays(date(2027, 4, 6), date(2028, 3, 24)), closures=[],
                        recorded_by="admin")
    # next year's first roll needs no mark for the child who withdrew
    clock.current = datetime(2027, 4, 7, 9, 0, tzinfo=UTC)
    ledger.record_roll(SENDING, NEXT_YEAR, 2, "1", on=date(2027, 4, 7), recorded_by="T-0200",
                       marks=[(staying, {"code": "present"})])
    runner.catch_up()
    register = Forms(runner).attendance_register(SENDING, NEXT_YEAR, 2, "1", "2027-04")
    assert register is not None
    assert str(staying) in json.dumps(register, default=str)
    assert str(leaving) not in json.dumps(register, default=str)



def test_a_withdrawal_after_the_seal_on_a_counted_day_is_refused_and_records_nothing(
        ledger: Ledger, clock: Clock) -> None:
    """退学 dated on a school day of the sealed year would change what that year counted: refused, naming
    ``on``, and the child stays on next year's 2-1 (nothing of it is recorded)."""
    leaving, staying = _placed_in_next_year_and_sealed(ledger, clock)
    before = ledger.position()
    with pytest.raises(errors.YearIsSealed) as refused:  # 10 March is a school day of the sealed 2026
        ledger.withdraw(leaving, on=date(2027, 3, 10), reason="海外への転居", recorded_by="principal")
    assert refused.value.field == "on"
    assert ledger.position() == before
    assert ledger.student(leaving).status != "withdrawn"
    assert set(ledger.school_class(SENDING, NEXT_YEAR, 2, "1").members_on(NEXT_FIRST)) == {leaving, staying}


def test_a_withdrawal_in_spring_break_after_the_seal_takes_the_child_off_next_years_class_only(
        ledger: Ledger, clock: Clock) -> None:
    """退学 on a day after the sealed year's last school day changes no day it counted: recorded, and the
    child is off next year's 2-1 from its first day; the sealed year's rolls stand as they were."""
    leaving, staying = _placed_in_next_year_and_sealed(ledger, clock)
    receipt = ledger.withdraw(leaving, on=SPRING_LEFT, reason="海外への転居", recorded_by="principal")
    assert receipt.events == 3
    this_year = ledger.school_class(SENDING, b.YEAR, 1, "1")
    assert all(set(this_year.members_on(d)) == {leaving, staying} for d in b.SCHOOL_DAYS)
    next_year = ledger.school_class(SENDING, NEXT_YEAR, 2, "1")
    assert all(set(next_year.members_on(NEXT_FIRST + timedelta(days=d))) == {staying} for d in range(30))
    assert ledger.student(leaving).status == "withdrawn"
