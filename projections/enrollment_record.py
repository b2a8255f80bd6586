"""学籍に関する記録 (様式1): the facts of enrollment, as documents the cumulative record composes.

Three kinds of documents, each one stream's story:
- ``student/<id>``: identity (with the trail of changes), admission, class placements by year,
  leave, withdrawal, graduation and the periods in each school's custody;
- ``school/<school stream id>``: name, address and the principals with the day each took office;
- ``class/<class stream id>``: the homeroom teachers of a class with the day each took over
  (様式1 prints every teacher of the year and the period served).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, NotRequired, TypedDict, cast
from uuid import UUID

from domain import streams
from domain.event import Event, type_name
from domain.school import (
    ClassFormed,
    HomeroomTeacherChanged,
    PrincipalAppointed,
    SchoolDetailsChanged,
    SchoolRegistered,
)
from domain.student import (
    Identity,
    IdentityDetailsChanged,
    LeaveOfAbsenceBegan,
    LeaveOfAbsenceEnded,
    StudentAdmitted,
    StudentGraduated,
    StudentHandedOver,
    StudentPlacedInClass,
    StudentTransferredIn,
    StudentWithdrew,
)
from domain.transfer_packet import payload_of


class GuardianDetails(TypedDict):
    name: str
    name_kana: str
    relation: str
    address: str


class IdentityDetails(TypedDict):
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    sex: str
    birth_date: str
    address: str
    guardian: GuardianDetails


class IdentityChange(TypedDict):
    """The identity a change replaced, the day it took effect, why, who recorded it and when."""

    identity: IdentityDetails
    changed_on: str
    reason: str
    recorded_by: str
    recorded_at: str


class Admission(TypedDict):
    kind: str
    on: str
    school_code: str
    year: int
    grade: int
    prior_history: str
    reason: str
    # admitted from a transfer packet: the sending school
    from_school: NotRequired[str]
    from_school_name: NotRequired[str]
    from_school_address: NotRequired[str]
    left_on: NotRequired[str]
    from_ledger: NotRequired[str]


class Placement(TypedDict):
    year: int
    school_code: str
    grade: int
    class_name: str
    number: int
    since: str


class Leave(TypedDict):
    began_on: str
    reason: str
    ended_on: NotRequired[str]


class Enrollment(TypedDict):
    """A period in one school's custody."""

    school_code: str
    began_on: str
    came_by: NotRequired[str]  # transfer or advancement (a hand-over), else admitted here
    ended_on: NotRequired[str]
    ended_because: NotRequired[str]


class Move(TypedDict):
    """A 転学 or 進学 (a hand-over)."""

    kind: str
    from_school: str
    to_school: str
    to_school_name: str
    to_school_address: str
    external: bool
    left_on: str
    accepted_on: str
    day_before_accepted: str
    year: int
    grade: int
    reason: str


class Received(TypedDict):
    """A transfer packet this ledger imported for the child, kept as received."""

    from_ledger: str
    packet_id: str
    kind: str
    record_kind: Any
    packet: str
    content: dict[str, Any]


class Withdrawal(TypedDict):
    on: str
    reason: str


class Graduation(TypedDict):
    on: str


class StudentRecord(TypedDict):
    """``student/<id>``."""

    student_id: str
    identity: IdentityDetails
    identity_trail: list[IdentityChange]
    admission: Admission
    placements: list[Placement]
    leaves: list[Leave]
    enrollments: list[Enrollment]
    version: int
    withdrawal: NotRequired[Withdrawal]
    graduation: NotRequired[Graduation]
    moves: NotRequired[list[Move]]
    received: NotRequired[list[Received]]


# "from" is a keyword: the functional form.
Appointment = TypedDict("Appointment", {"staff_id": str, "name": str, "from": str})


class SchoolRecord(TypedDict):
    """``school/<school stream id>``."""

    school_code: str
    name: str
    kind: str
    board_code: str
    address: str
    principals: list[Appointment]


class ClassRecord(TypedDict):
    """``class/<class stream id>``."""

    school_code: str
    year: int
    grade: int
    class_name: str
    homeroom_teachers: list[Appointment]


EnrollmentDocument = StudentRecord | SchoolRecord | ClassRecord

STUDENT_EVENTS = (StudentAdmitted, IdentityDetailsChanged, StudentPlacedInClass, LeaveOfAbsenceBegan,
                  LeaveOfAbsenceEnded, StudentWithdrew, StudentGraduated, StudentHandedOver, StudentTransferredIn)
SCHOOL_EVENTS = (SchoolRegistered, SchoolDetailsChanged, PrincipalAppointed)


def student_key(student_id: UUID | str) -> str:
    return f"student/{student_id}"


def school_key(code: str) -> str:
    return f"school/{streams.school(code)}"


def class_key(code: str, year: int, grade: int, name: str) -> str:
    return f"class/{streams.school_class(code, year, grade, name)}"


class EnrollmentRecord:
    name: str = "enrollment_record"
    version: int = 1  # raise it when what the documents hold changes (Runner.upgrade)
    topics: tuple[str, ...] = tuple(type_name(e) for e in (*STUDENT_EVENTS, *SCHOOL_EVENTS,
                                                            ClassFormed, HomeroomTeacherChanged))

    def keys(self, event: Event) -> Iterable[str]:
        if isinstance(event, STUDENT_EVENTS):
            return (f"student/{event.originator_id}",)
        if isinstance(event, SCHOOL_EVENTS):
            return (f"school/{event.originator_id}",)
        return (f"class/{event.originator_id}",)

    def sources(self, key: str) -> list[UUID]:
        """Every document is the story of one stream."""
        return [UUID(key.split("/", 1)[1])]

    def apply(self, document: EnrollmentDocument | None, event: Event) -> EnrollmentDocument:
        if isinstance(event, STUDENT_EVENTS):
            return _student(cast(StudentRecord | None, document), event)
        if isinstance(event, SCHOOL_EVENTS):
            return _school(cast(SchoolRecord | None, document), event)
        if isinstance(event, ClassFormed | HomeroomTeacherChanged):
            return _class(cast(ClassRecord | None, document), event)
        raise ValueError(f"the enrollment record does not read {type(event).__name__}")


def identity(value: Identity) -> IdentityDetails:
    out: IdentityDetails = {"family_name": value.family_name, "given_name": value.given_name,
                     "family_name_kana": value.family_name_kana, "given_name_kana": value.given_name_kana,
                     "sex": value.sex, "birth_date": value.birth_date.isoformat(), "address": value.address,
                     "guardian": {"name": value.guardian.name, "name_kana": value.guardian.name_kana,
                                  "relation": value.guardian.relation, "address": value.guardian.address}}
    return out


def _student(document: StudentRecord | None, event: Event) -> StudentRecord:
    on = event.effective_on.isoformat()
    if isinstance(event, StudentAdmitted):
        return {"student_id": str(event.originator_id), "identity": identity(event.identity), "identity_trail": [],
                "admission": {"kind": event.admission_kind, "on": on, "school_code": event.school_code,
                              "year": event.year, "grade": event.grade, "prior_history": event.prior_history,
                              "reason": event.reason},
                "placements": [_placement(event, on)], "leaves": [],
                "enrollments": [{"school_code": event.school_code, "began_on": on}],
                "version": event.originator_version}
    if isinstance(event, StudentTransferredIn):
        return _transferred_in(event, on)
    if document is None:
        raise ValueError(f"{type(event).__name__} before the student's admission")
    doc: StudentRecord = {**document, "version": event.originator_version}
    match event:
        case IdentityDetailsChanged():
            doc["identity_trail"] = [*doc["identity_trail"], {
                "identity": doc["identity"], "changed_on": on, "reason": event.reason,
                "recorded_by": event.recorded_by, "recorded_at": event.recorded_at.isoformat()}]
            doc["identity"] = identity(event.identity)
        case StudentPlacedInClass():
            doc["placements"] = [*doc["placements"], _placement(event, on)]
        case LeaveOfAbsenceBegan():
            doc["leaves"] = [*doc["leaves"], {"began_on": on, "reason": event.reason}]
        case LeaveOfAbsenceEnded():
            doc["leaves"] = [*doc["leaves"][:-1], {**doc["leaves"][-1], "ended_on": on}]
        case StudentWithdrew():
            doc["withdrawal"] = {"on": on, "reason": event.reason}
            doc["enrollments"] = _close(doc["enrollments"], on, "withdrawal")
        case StudentGraduated():
            doc["graduation"] = {"on": on}
            doc["enrollments"] = _close(doc["enrollments"], on, "graduation")
        case StudentHandedOver():
            _handed_over(doc, event, on)
    return doc


def _handed_over(doc: StudentRecord, event: StudentHandedOver, on: str) -> None:
    """様式1 転学・退学等 / 進学先 at the sending school; 転入学 / 入学 at the receiving one."""
    eve = (event.effective_on - timedelta(days=1)).isoformat()
    move: Move = {"kind": event.kind, "from_school": event.from_school, "to_school": event.to_school,
                  "to_school_name": event.to_school_name, "to_school_address": event.to_school_address,
                  "external": event.external, "left_on": event.left_on.isoformat(), "accepted_on": on,
                  "day_before_accepted": eve, "year": event.year, "grade": event.grade, "reason": event.reason}
    enrollments = doc["enrollments"]
    if event.kind == "transfer":
        enrollments = _close(enrollments, eve, "transfer")
    if not event.external:
        enrollments = [*enrollments, {"school_code": event.to_school, "began_on": on, "came_by": event.kind}]
    placements = doc["placements"]
    if event.class_name:
        placements = [*placements, {"year": event.year, "school_code": event.to_school, "grade": event.grade,
                                    "class_name": event.class_name, "number": event.number, "since": on}]
    doc["moves"], doc["enrollments"], doc["placements"] = [*doc.get("moves", []), move], enrollments, placements


def _transferred_in(event: StudentTransferredIn, on: str) -> StudentRecord:
    """A child admitted from a packet: the admission names the sending school, and the packet's
    content is kept as received (the copy or abstract the issuing ledger signed)."""
    received = payload_of(event.packet)
    placements: list[Placement] = [] if not event.class_name else [{
        "year": event.year, "school_code": event.school_code, "grade": event.grade,
        "class_name": event.class_name, "number": event.number, "since": on}]
    return {"student_id": str(event.originator_id), "identity": identity(event.identity), "identity_trail": [],
            "admission": {"kind": event.kind, "on": on, "school_code": event.school_code, "year": event.year,
                          "grade": event.grade, "prior_history": "", "reason": event.reason,
                          "from_school": event.from_school, "from_school_name": event.from_school_name,
                          "from_school_address": event.from_school_address, "left_on": event.left_on.isoformat(),
                          "from_ledger": event.from_ledger},
            "placements": placements, "leaves": [],
            "enrollments": [{"school_code": event.school_code, "began_on": on, "came_by": event.kind}],
            "received": [{"from_ledger": event.from_ledger, "packet_id": event.packet_id, "kind": event.kind,
                          "record_kind": received.get("record_kind"), "packet": event.packet,
                          "content": received}],
            "version": event.originator_version}


def _placement(event: StudentAdmitted | StudentPlacedInClass, on: str) -> Placement:
    return {"year": event.year, "school_code": event.school_code, "grade": event.grade,
            "class_name": event.class_name, "number": event.number, "since": on}


def _close(enrollments: list[Enrollment], on: str, because: str) -> list[Enrollment]:
    return [*enrollments[:-1], {**enrollments[-1], "ended_on": on, "ended_because": because}]


def _school(document: SchoolRecord | None, event: Event) -> SchoolRecord:
    match event:
        case SchoolRegistered():
            return {"school_code": event.school_code, "name": event.name, "kind": event.kind,
                    "board_code": event.board_code, "address": event.address, "principals": []}
        case SchoolDetailsChanged() if document is not None:
            return {**document, "name": event.name, "board_code": event.board_code, "address": event.address}
        case PrincipalAppointed() if document is not None:
            return {**document, "principals": [*document["principals"], {
                "staff_id": event.staff_id, "name": event.name, "from": event.effective_on.isoformat()}]}
    raise ValueError(f"{type(event).__name__} before the school's registration")


def _class(document: ClassRecord | None, event: ClassFormed | HomeroomTeacherChanged) -> ClassRecord:
    teacher: Appointment = {"staff_id": event.homeroom_teacher_id, "name": event.homeroom_teacher_name,
               "from": event.effective_on.isoformat()}
    if isinstance(event, ClassFormed):
        return {"school_code": event.school_code, "year": event.year, "grade": event.grade,
                "class_name": event.class_name, "homeroom_teachers": [teacher]}
    if document is None:
        raise ValueError("a homeroom change before the class was formed")
    return {**document, "homeroom_teachers": [*document["homeroom_teachers"], teacher]}
