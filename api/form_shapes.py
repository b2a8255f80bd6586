"""What each read answers as JSON, for the OpenAPI: the forms and the student summary as typed shapes.

The forms are composed on read as plain dicts (projections/forms.py; the documents they are composed
from are typed per projection, ADR 0020). These TypedDicts say what a reader gets: every member the
composer always sets, with its type; a part whose inner shape is the form's own detail (a year of the
指導要録, a column of a health card, a day of the 出席簿) is an object the page lays out. They are
documentation, not a second composer: tests/api/test_openapi_for_readers.py validates real answers of
every form against the schemas made from them, so a composer that changes its shape fails there.
"""

from typing import Any, NotRequired, TypedDict


class Teacher(TypedDict):
    staff_id: str
    name: str


class RosterRow(TypedDict):
    """One stay of a child on the class's roll (a child who left and came back has two rows)."""

    student_id: str
    number: int  # 出席番号
    name: str
    name_kana: str
    sex: str  # male | female
    joined_on: str
    left_on: NotRequired[str]
    left_because: NotRequired[str]  # withdrawal | graduation | leave | transfer
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
    days: dict[str, Any]  # by ISO date: the mark, its reason and its correction trail
    month: dict[str, Any]  # 授業日数, 出席停止・忌引等, 出席しなければならない日数, 欠席, 出席, 遅刻, 早退 …
    terms: dict[str, Any]  # the same totals by term number
    year: dict[str, Any]  # and for the school year to the day read
    deemed_present_at: list[Any]  # where days counted as 出席扱い were spent (備考)


class AttendanceRegisterForm(TypedDict):
    """出席簿 of one class for one month."""

    school_code: str
    school_name: str | None
    year: int
    grade: int
    class_name: str
    month: str  # YYYY-MM
    homeroom_teacher: Teacher
    instructional_days: list[str]  # the month's 授業日 of the grade
    class_closures: list[Any]  # days the class alone was closed (counted as 出席停止・忌引等)
    labels: dict[str, str]  # the board's label of the excused column
    students: list[RegisterRow]


class CumulativeRecordForm(TypedDict):
    """指導要録: 様式1 (学籍に関する記録) and 様式2 (指導に関する記録), one entry per school year."""

    student_id: str
    form1: dict[str, Any]  # name, kana, sex, birth date, address, guardian, admission, moves, leaves, graduation …
    form2: list[dict[str, Any]]  # per year: subjects (観点, 評定), 特別活動, 行動の記録, 出欠の記録, 所見 …
    received: list[Any]  # the copies (写し) or the abstract (抄本) received at a move, as they were sent
    labels: dict[str, str]  # the Japanese labels of the form's items


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
    homeroom_teacher: str | None  # the homeroom teacher at the end of the term
    principal: str | None  # the principal in office at the end of the term
    rated: bool  # whether the grade has 評定 (小3–6, 中)
    subjects: list[dict[str, Any]]  # per subject: its label, the viewpoints (A/B/C), the rating, the trail
    attendance: dict[str, Any]  # the term's 出欠 totals
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
    school_kind: str | None  # elementary | junior_high; None on a card with no examination yet
    sent_along: bool  # an earlier school kind's card, sent along at 進学
    student: CardStudent
    items: list[str]  # the examination items, in the card's order
    columns: list[dict[str, Any]]  # per school year: the items' values, the trail of corrections
    meanings: dict[str, Any]  # what each code of an item means
    labels: dict[str, str]
    earlier_cards: list[Any]  # the card of an earlier school kind (小 at 中), each of this shape


class DentalCardForm(TypedDict):
    """健康診断票(歯・口腔) of one school kind: a column per school year with its tooth chart and counts."""

    title: str
    form: str
    school_kind: str | None
    sent_along: bool
    student: CardStudent
    chart_rows: list[list[str]]  # the tooth chart's rows of tooth names, as printed
    columns: list[dict[str, Any]]  # per school year: jaw, bite, plaque, gums, teeth, counts, remarks, trail
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
    long_absence: bool  # 30 days or more
    runs_of_seven: list[dict[str, Any]]  # runs of 7 school days absent: from, to, days, illness only
    notice_due: bool  # the principal notifies the board


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
    version: int  # the ETag, for If-Match
    status: str
    custodian: str | None  # the school code that holds the child
    name: str
    name_kana: str
    sex: str
    birth_date: str
    enrollments: list[Enrollment]
    classes: dict[str, Any]  # by school year: school_code, grade, class_name, number


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
