"""Hand-over (転学, 進学): custody of a child passes from one school to another in one event.

A transfer (転学) moves an enrolled child mid-course; the law records both the day the child left
the sending school and the day before the receiving school accepted them (the event carries the
first and, as its effective date, the acceptance day). An advancement (進学) takes a child who
graduated from an elementary school into grade 1 of a junior high. The receiving school is in this
ledger, or outside it (``external``): then a signed transfer packet carries the record.

The class rolls move in the same transaction: off the sending class from the day after leaving,
onto the receiving class (when the receiving school names it) from the acceptance day, so each
school's 出欠 counts only its own days; a transfer in spring break also takes the child off the sending
school's class of next year they were already placed in. A move is an enrollment event, not a record
correction: a sealed year takes it as long as it changes no school day the year counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from uuid import UUID

from domain import errors, streams, values
from domain.enrollment_rules import check_identity, leave_later_classes
from domain.event import Event, Stamp, stamp
from domain.school import ClassMemberJoined, ClassMemberLeft, School, SchoolClass, SchoolYear
from domain.sealing import require_move_leaves_sealed_days
from domain.student import Student, StudentHandedOver, StudentTransferredIn
from domain.transfer_packet import TransferPacket

KINDS = ("transfer", "advancement")


def hand_over(student: Student, sending: School, receiving: School | None, *, kind: str, to_school: str,
              left_on: date, accepted_on: date, year: int, grade: int, reason: str, external: bool,
              to_school_name: str, to_school_address: str, sending_class: SchoolClass | None,
              sending_year: SchoolYear | None, receiving_year: SchoolYear | None,
              receiving_class: SchoolClass | None, class_name: str, number: int, recorded_by: str,
              now: datetime, later_classes: Sequence[tuple[SchoolClass, SchoolYear]] = ()) -> list[Event]:
    """Decide a hand-over; the events to save together (the hand-over and the class rolls it moves).

    ``later_classes``: the sending school's classes of years after the one the child leaves in that the
    child is already placed in (next year's class, placed during spring break); a transfer takes the child
    off them too, from the first day of the placement, so the child is never on their rolls."""
    if kind not in KINDS:
        raise errors.InvalidHandoverKind("kind is 'transfer' (転学) or 'advancement' (進学)", field="kind")
    to_kind = values.school_kind_of(to_school, "to_school")
    _check_receiving(receiving, external, to_school, to_school_name)
    if to_school == sending.code:
        raise errors.HandoverToSameSchool(f"the child is already at {to_school}", field="to_school")
    if kind == "transfer":
        _check_transfer(student, sending, to_kind, left_on)
    else:
        left_on = _check_advancement(student, sending, to_kind, left_on)
    if accepted_on <= left_on:
        raise errors.AcceptedBeforeLeaving(
            f"the receiving school accepts the child on {accepted_on.isoformat()}, not after they left on "
            f"{left_on.isoformat()}", field="accepted_on")
    values.day_in_school_year(accepted_on, year, "accepted_on")
    values.grade(grade, to_kind)
    if kind == "advancement" and grade != 1:
        raise errors.GradeOutOfRange("進学 is into grade 1 of the junior high", field="grade")
    reason = values.text(reason, "reason", max_length=500, required=kind == "transfer")
    meta = stamp(now, recorded_by, accepted_on)
    events: list[Event] = [StudentHandedOver(
        originator_id=student.id, originator_version=student.version + 1, **meta, kind=kind,
        from_school=sending.code, to_school=to_school, left_on=left_on, year=year, grade=grade, reason=reason,
        external=external,
        to_school_name=values.text(to_school_name, "to_school_name", max_length=100, required=external),
        to_school_address=values.text(to_school_address, "to_school_address", max_length=200, required=False),
        class_name=class_name, number=number)]
    # A move is an enrollment event, not a record correction: a sealed year takes it as long as it changes no
    # day the year counted (domain/sealing.py).
    if kind == "transfer" and sending_class is not None:
        if sending_year is not None:
            require_move_leaves_sealed_days(sending_year, sending_class.year, sending_class.grade,
                                            left_on + timedelta(days=1), "left_on")
        events.append(_leave(sending_class, student, left_on + timedelta(days=1), now, recorded_by))
    if kind == "transfer":
        events += leave_later_classes(later_classes, student, left_on + timedelta(days=1), "transfer", "left_on",
                                      now=now, recorded_by=recorded_by)
    if class_name:
        events.append(_join(receiving_class, receiving_year, student, year, grade, class_name, number, meta,
                            "accepted_on"))
    elif number:
        raise errors.InvalidValue("a 出席番号 needs the class it is in", field="class_name")
    return events


def _check_receiving(receiving: School | None, external: bool, to_school: str, name: str) -> None:
    if external and receiving is not None:
        raise errors.ReceivingSchoolInLedger(
            f"{to_school} is a school of this ledger: hand over inside the ledger (external: false)",
            field="external")
    if not external and receiving is None:
        raise errors.ReceivingSchoolNotInLedger(
            f"{to_school} is not a school of this ledger; for a school outside it, say external: true and "
            "give its name", field="to_school")


def _check_transfer(student: Student, sending: School, to_kind: str, left_on: date) -> None:
    if student.status in ("withdrawn", "graduated", "left"):
        raise errors.StudentNotEnrolledAtSchool(f"student {student.id} is no longer enrolled", field="student_id")
    if student.custodian != sending.code:
        raise errors.StudentNotEnrolledAtSchool(f"student {student.id} is not enrolled at {sending.code}",
                                                field="student_id")
    if to_kind != sending.kind:
        raise errors.InvalidHandoverKind(
            f"a 転学 stays within the kind of school ({sending.kind}); moving on to a junior high is 進学",
            field="kind")
    if left_on < student.enrolled_since():
        raise errors.DateBeforeEnrollment(
            f"{left_on.isoformat()} is before the child's enrollment on {student.enrolled_since()}", field="left_on")


def _check_advancement(student: Student, sending: School, to_kind: str, left_on: date) -> date:
    """進学 follows the graduation from the elementary school; it returns the graduation day."""
    last = student.enrollments[-1] if student.enrollments else None
    if student.status != "graduated" or last is None or last.school_code != sending.code \
            or last.ended_because != "graduation" or last.ended_on is None:
        raise errors.StudentNotGraduated(
            f"student {student.id} has not graduated from {sending.code}; 進学 follows 卒業", field="student_id")
    if sending.kind != "elementary" or to_kind != "junior_high":
        raise errors.InvalidHandoverKind("進学 is from an elementary school to a junior high", field="kind")
    if left_on != last.ended_on:
        raise errors.InvalidValue(
            f"for 進学, left_on is the graduation day, {last.ended_on.isoformat()}", field="left_on")
    return left_on


def _leave(klass: SchoolClass, student: Student, off: date, now: datetime, recorded_by: str) -> Event:
    """Off a class's roll from ``off`` (that day included), because of the transfer."""
    return ClassMemberLeft(
        originator_id=streams.school_class(klass.school_code, klass.year, klass.grade, klass.name),
        originator_version=klass.version + 1, **stamp(now, recorded_by, off), student_id=student.id,
        reason="transfer")


def _join(klass: SchoolClass | None, year_state: SchoolYear | None, student: Student, year: int, grade: int,
          class_name: str, number: int, meta: Stamp, day_field: str) -> Event:
    if klass is None or klass.grade != grade:
        raise errors.UnknownClass(f"class {grade}-{class_name} of {year} is not formed at the receiving school",
                                  field="class_name")
    if year_state is not None:
        require_move_leaves_sealed_days(year_state, year, grade, meta["effective_on"], day_field)
    values.attendance_number(number)
    if number in klass.numbers_held_from(meta["effective_on"]):
        raise errors.DuplicateAttendanceNumber(f"出席番号 {number} is taken in class {grade}-{class_name}",
                                               field="number")
    return ClassMemberJoined(
        originator_id=streams.school_class(klass.school_code, year, grade, klass.name),
        originator_version=klass.version + 1, **meta, student_id=student.id, number=number)


def receive(school: School, year_state: SchoolYear, klass: SchoolClass | None, existing: Student | None,
            student_id: UUID, packet: TransferPacket, jws: str, *, class_name: str, number: int,
            recorded_by: str, now: datetime) -> list[Event]:
    """転入学 or 進学 of a child from another ledger's verified packet, kept as received."""
    if existing is not None:
        raise errors.StudentAlreadyExists(f"the packet {packet.packet_id} was already imported", field="packet")
    if packet.to_school.code != school.code:
        raise errors.PacketWrongDestination(
            f"the packet is addressed to {packet.to_school.code}, not to {school.code}", field="packet")
    if packet.kind == "advancement" and (school.kind != "junior_high" or packet.grade != 1):
        raise errors.InvalidHandoverKind("a 進学 packet admits into grade 1 of a junior high", field="packet")
    # The sending school's kind, when it is one this register keeps (another kind, e.g. 義務教育学校, passes).
    from_kind = values.SCHOOL_KINDS.get(values.school_code(packet.from_school.code, "packet.from_school.code")[:2])
    if from_kind is not None and from_kind != (school.kind if packet.kind == "transfer" else "elementary"):
        rule = "a 転学 stays within the kind of school" if packet.kind == "transfer" else \
            "a 進学 is from an elementary school"
        raise errors.InvalidHandoverKind(f"{rule}; the packet comes from {packet.from_school.code} ({from_kind})",
                                         field="packet")
    values.grade(packet.grade, school.kind, "packet.grade")
    values.day_in_school_year(packet.accepted_on, packet.year, "packet.accepted_on")
    if packet.left_on >= packet.accepted_on:
        raise errors.AcceptedBeforeLeaving("the packet's accepted_on is not after its left_on", field="packet")
    identity = check_identity(packet.identity, packet.accepted_on)
    meta = stamp(now, recorded_by, packet.accepted_on)
    events: list[Event] = [StudentTransferredIn(
        originator_id=student_id, originator_version=1, **meta, school_code=school.code, kind=packet.kind,
        year=packet.year, grade=packet.grade, identity=identity, from_ledger=packet.issuer,
        from_school=packet.from_school.code, left_on=packet.left_on, packet_id=packet.packet_id, packet=jws,
        from_school_name=packet.from_school.name, from_school_address=packet.from_school.address,
        reason=packet.reason, class_name=class_name, number=number)]
    if class_name:
        state = Student(student_id, 0, identity)
        events.append(_join(klass, year_state, state, packet.year, packet.grade, class_name, number, meta,
                            "packet"))
    elif number:
        raise errors.InvalidValue("a 出席番号 needs the class it is in", field="class_name")
    return events
