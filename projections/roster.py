"""The 名簿's read model: who is on a class's roll (出席番号, name, kana, the days on the roll), per class and year.

Two kinds of documents: ``class/<class stream id>`` (homeroom teacher, placements) and
``student/<id>`` (name, kana, sex), composed when the roster is read (projections/forms/roster.py),
so a change of name shows in every roster the child is on without rewriting them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NotRequired, TypedDict, cast
from uuid import UUID

from domain.event import Event
from domain.school import ClassFormed, ClassMemberJoined, ClassMemberLeft, HomeroomTeacherChanged, off_roll_from
from domain.student import Identity, IdentityDetailsChanged, StudentAdmitted, StudentTransferredIn


class Teacher(TypedDict):
    staff_id: str
    name: str


class RollPeriod(TypedDict):
    """One stay on a class's roll (a child who left and came back has two)."""

    number: int
    joined_on: str
    left_on: NotRequired[str]
    left_because: NotRequired[str]
    # A child who left the class while on 休学 from it (withdrew, moved): the first day no longer on leave.
    # A leave the child came back from ends on the next period's ``joined_on`` (ADR 0028).
    leave_until: NotRequired[str]


class RosterClass(TypedDict):
    """``class/<class stream id>``."""

    school_code: str
    year: int
    grade: int
    class_name: str
    homeroom_teacher: Teacher
    placements: dict[str, list[RollPeriod]]  # by student id


class RosterStudent(TypedDict):
    """``student/<student id>``."""

    name: str
    name_kana: str
    sex: str


RosterDocument = RosterClass | RosterStudent


class Roster:
    name: str = "roster"
    version: int = 3  # raise it when what the documents hold changes (Runner.upgrade)
    topics: tuple[str, ...] = ("ClassFormed", "HomeroomTeacherChanged", "ClassMemberJoined", "ClassMemberLeft",
              "StudentAdmitted", "IdentityDetailsChanged", "StudentTransferredIn")

    def keys(self, event: Event) -> Iterable[str]:
        if isinstance(event, StudentAdmitted | IdentityDetailsChanged | StudentTransferredIn):
            return (f"student/{event.originator_id}",)
        return (f"class/{event.originator_id}",)

    def sources(self, key: str) -> list[UUID]:
        """A class document is its class stream; a student document the student's own stream."""
        return [UUID(key.split("/", 1)[1])]

    def apply(self, document: RosterDocument | None, event: Event) -> RosterDocument:
        match event:
            case ClassFormed():
                formed: RosterClass = {"school_code": event.school_code, "year": event.year, "grade": event.grade,
                        "class_name": event.class_name,
                        "homeroom_teacher": {"staff_id": event.homeroom_teacher_id,
                                             "name": event.homeroom_teacher_name},
                        "placements": {str(m.student_id): [{"number": m.number,
                                                             "joined_on": event.effective_on.isoformat()}]
                                       for m in event.members}}
                return formed
            case HomeroomTeacherChanged():
                changed: RosterClass = {**_doc(document), "homeroom_teacher": {
                    "staff_id": event.homeroom_teacher_id, "name": event.homeroom_teacher_name}}
                return changed
            case ClassMemberJoined():
                doc = _doc(document)
                placements = {**doc["placements"]}
                placements[str(event.student_id)] = [*placements.get(str(event.student_id), []),
                                                     {"number": event.number,
                                                      "joined_on": event.effective_on.isoformat()}]
                joined: RosterClass = {**doc, "placements": placements}
                return joined
            case ClassMemberLeft():
                doc = _doc(document)
                placements = {**doc["placements"]}
                periods = [RollPeriod(**p) for p in placements.get(str(event.student_id), [])]
                if periods and "left_on" not in periods[-1]:
                    periods[-1]["left_on"] = off_roll_from(event.reason, event.effective_on).isoformat()
                    periods[-1]["left_because"] = event.reason
                elif periods and periods[-1].get("left_because") == "leave":
                    periods[-1]["left_because"] = event.reason
                    periods[-1]["leave_until"] = off_roll_from(event.reason, event.effective_on).isoformat()
                placements[str(event.student_id)] = periods
                left: RosterClass = {**doc, "placements": placements}
                return left
            case StudentAdmitted() | IdentityDetailsChanged() | StudentTransferredIn():
                return _student(event.identity)
        raise ValueError(f"roster does not read {type(event).__name__}")


def _doc(document: RosterDocument | None) -> RosterClass:
    if document is None or "placements" not in document:
        raise ValueError("a class event before its ClassFormed")
    return cast(RosterClass, document)


def _student(identity: Identity) -> RosterStudent:
    return {"name": f"{identity.family_name} {identity.given_name}",
            "name_kana": f"{identity.family_name_kana} {identity.given_name_kana}", "sex": identity.sex}
