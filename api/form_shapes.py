"""What each read answers as JSON, for the OpenAPI: the forms and the student summary as typed shapes.

The forms are composed on read as plain dicts (projections/forms/; the documents they are composed
from are typed per projection, ADR 0020). These TypedDicts say what a reader gets: every member the
composer always sets, with its type; a part whose inner shape is the form's own detail (a year of the
指導要録, a column of a health card, a day of the 出席簿) is an object the page lays out. They are
documentation, not a second composer: tests/api/test_openapi_for_readers.py validates real answers of
every form against the schemas made from them, so a composer that changes its shape fails there.
"""

from typing import Annotated, Any, NotRequired, TypedDict

from litestar.params import KwargDefinition


def said(description: str) -> KwargDefinition:
    """A member's description in the OpenAPI (Litestar reads it from the annotation)."""
    return KwargDefinition(description=description)


class Teacher(TypedDict):
    staff_id: str
    name: str


class RosterRow(TypedDict):
    """One stay of a child on the class's roll (a child who left and came back has two rows)."""

    student_id: str
    number: Annotated[int, said("出席番号")]
    name: str
    name_kana: str
    sex: Annotated[str, said("male | female")]
    joined_on: str
    left_on: NotRequired[str]
    left_because: NotRequired[Annotated[str, said("withdrawal | graduation | leave | transfer")]]
    leave_until: NotRequired[str]


class RosterForm(TypedDict):
    """名簿."""

    school_code: str
    school_name: str | None
    year: int
    grade: int
    class_name: str
    homeroom_teacher: Teacher
    students: list[RosterRow]


class RegisterRow(TypedDict):
    """One child's line of the 出席簿: the day cells and the month, term and year totals."""

    student_id: str
    number: int
    name: str
    name_kana: str
    days: Annotated[dict[str, Any], said("by ISO date: the mark, its reason and its correction trail")]
    month: Annotated[dict[str, Any], said(
        "授業日数, 出席停止・忌引等, 出席しなければならない日数, 欠席, 出席, 遅刻, 早退 …")]
    terms: Annotated[dict[str, Any], said("the same totals by term number")]
    year: Annotated[dict[str, Any], said("and for the school year to the day read")]
    deemed_present_at: Annotated[list[Any], said("where days counted as 出席扱い were spent (備考)")]


class AttendanceRegisterForm(TypedDict):
    """出席簿 of one class for one month."""

    school_code: str
    school_name: str | None
    year: int
    grade: int
    class_name: str
    month: Annotated[str, said("YYYY-MM")]
    homeroom_teacher: Teacher
    instructional_days: Annotated[list[str], said("the month's 授業日 of the grade")]
    class_closures: Annotated[list[Any], said("days the class alone was closed (counted as 出席停止・忌引等)")]
    labels: Annotated[dict[str, str], said("the board's label of the excused column")]
    students: list[RegisterRow]


class CumulativeRecordForm(TypedDict):
    """指導要録: 様式1 (学籍に関する記録) and 様式2 (指導に関する記録), one entry per school year."""

    student_id: str
    form1: Annotated[dict[str, Any], said(
        "name, kana, sex, birth date, address, guardian, admission, moves, "
        "leaves, graduation …")]
    form2: Annotated[list[dict[str, Any]], said(
        "per year: subjects (観点, 評定), 特別活動, 行動の記録, 出欠の記録, 所見 …")]
    received: Annotated[list[Any], said(
        "the copies (写し) or the abstract (抄本) received at a move, as they were sent")]
    labels: Annotated[dict[str, str], said("the Japanese labels of the form's items")]


class TermDates(TypedDict):
    number: int
    starts_on: str
    ends_on: str


class ReportCardForm(TypedDict):
    """通知表 of one term."""

    student_id: str
    school_code: str
    school_name: str | None
    year: int
    term: TermDates
    terms_in_year: int
    grade: int
    class_name: str
    number: int
    name: str
    sex: str
    homeroom_teacher: Annotated[str | None, said("the homeroom teacher at the end of the term")]
    principal: Annotated[str | None, said("the principal in office at the end of the term")]
    rated: Annotated[bool, said("whether the grade has 評定 (小3–6, 中)")]
    subjects: Annotated[list[dict[str, Any]], said(
        "per subject: its label, the viewpoints (A/B/C), the rating, the "
        "trail")]
    attendance: Annotated[dict[str, Any], said("the term's 出欠 totals")]
    general_remarks: str
    labels: dict[str, str]


class CardStudent(TypedDict):
    student_id: str
    name: str
    name_kana: str
    sex: str
    birth_date: str
    school_names: list[Any]


class HealthCardForm(TypedDict):
    """健康診断票(一般) of one school kind: a column per school year."""

    title: str
    form: str
    school_kind: Annotated[str | None, said("elementary | junior_high; None on a card with no examination yet")]
    sent_along: Annotated[bool, said("an earlier school kind's card, sent along at 進学")]
    student: CardStudent
    items: Annotated[list[str], said("the examination items, in the card's order")]
    columns: Annotated[list[dict[str, Any]], said("per school year: the items' values, the trail of corrections")]
    meanings: Annotated[dict[str, Any], said("what each code of an item means")]
    labels: dict[str, str]
    earlier_cards: Annotated[list[Any], said("the card of an earlier school kind (小 at 中), each of this shape")]


class DentalCardForm(TypedDict):
    """健康診断票(歯・口腔) of one school kind: a column per school year with its tooth chart and counts."""

    title: str
    form: str
    school_kind: str | None
    sent_along: bool
    student: CardStudent
    chart_rows: Annotated[list[list[str]], said("the tooth chart's rows of tooth names, as printed")]
    columns: Annotated[list[dict[str, Any]], said(
        "per school year: jaw, bite, plaque, gums, teeth, counts, "
        "remarks, trail")]
    meanings: dict[str, Any]
    labels: dict[str, str]
    earlier_cards: list[Any]


class AbsenceRow(TypedDict):
    student_id: str
    name: str
    grade: int
    class_name: str
    absent: int
    absent_by_reason: dict[str, int]
    deemed_present: int
    long_absence: Annotated[bool, said("30 days or more")]
    runs_of_seven: Annotated[list[dict[str, Any]], said("runs of 7 school days absent: from, to, days, illness only")]
    notice_due: Annotated[bool, said("the principal notifies the board")]


class LongAbsenceForm(TypedDict):
    """長期欠席 and runs of seven school days absent, for one school year."""

    school_code: str
    school_name: str | None
    year: int
    thresholds: dict[str, int]
    long_absence_count: int
    notice_due_count: int
    students: list[AbsenceRow]
    labels: dict[str, str]


class Enrollment(TypedDict):
    school_code: str
    began_on: str
    ended_on: str | None
    ended_because: str | None


class StudentSummary(TypedDict):
    """The student as the register stands now (as a reader's school holds them)."""

    student_id: str
    version: Annotated[int, said("the ETag, for If-Match")]
    status: str
    custodian: Annotated[str | None, said("the school code that holds the child")]
    name: str
    name_kana: str
    sex: str
    birth_date: str
    enrollments: list[Enrollment]
    classes: Annotated[dict[str, Any], said("by school year: school_code, grade, class_name, number")]


# The 200 shape of each read that answers a plain object, by its path (Litestar's, parameters untyped).
SHAPES: dict[str, type] = {
    "/v1/schools/{school_code}/years/{year}/classes/{grade}/{name}/roster": RosterForm,
    "/v1/schools/{school_code}/years/{year}/classes/{grade}/{name}/attendance-register": AttendanceRegisterForm,
    "/v1/students/{student_id}/forms/cumulative-record": CumulativeRecordForm,
    "/v1/students/{student_id}/forms/report-card": ReportCardForm,
    "/v1/students/{student_id}/forms/health-card": HealthCardForm,
    "/v1/students/{student_id}/forms/dental-card": DentalCardForm,
    "/v1/schools/{school_code}/years/{year}/long-absence": LongAbsenceForm,
    "/v1/students/{student_id}": StudentSummary,
}
