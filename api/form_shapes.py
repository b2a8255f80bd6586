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


class ChildDashboard(TypedDict):
    """A child's year up to ``today`` (ADR 0043)."""

    level: Annotated[str, said("child")]
    student_id: str
    name: str
    year: int
    today: Annotated[str, said("the last day counted: the JST date, or the day of on / as_of")]
    school_code: str | None
    grade: int | None
    class_name: str | None
    days: Annotated[list[dict[str, Any]], said("each day on a roll: day, school_code, code (null: unrecorded; "
                                               "class_closed)")]
    months: Annotated[list[dict[str, Any]], said("the 出欠 figures of each month, with attendance_rate")]
    year_total: Annotated[dict[str, Any], said("the year's 出欠 figures (指導要録 arithmetic), with attendance_rate")]
    streak: Annotated[dict[str, Any], said("the run of absence the child is in: days (0: none), from, to, "
                                           "illness_only")]
    deemed_present_days: list[dict[str, Any]]
    health: Annotated[dict[str, Any], said("examined_on, status (done | done_late | not_yet | overdue), follow_up")]
    assessments: Annotated[list[dict[str, Any]], said("per term: the subjects recorded and how many")]
    alerts: Annotated[dict[str, Any], said("open and acknowledged: the child's alerts (projections/alerts.py)")]
    labels: dict[str, Any]


class ClassDashboard(TypedDict):
    """A class's year up to ``today`` (ADR 0043)."""

    level: Annotated[str, said("class")]
    school_code: str
    school_name: str | None
    year: int
    grade: int
    class_name: str
    today: str
    homeroom_teacher: str
    roll_today: Annotated[dict[str, Any], said("school_day, class_closed, taken, absent (who and why)")]
    daily: Annotated[list[dict[str, Any]], said("each school day: present, absent, marked, attendance_rate")]
    streaks: Annotated[list[dict[str, Any]], said("children absent three school days running or more, now")]
    absence_ratio_30: Annotated[float | None, said("absent / (present + absent) over the last 30 days")]
    unrecorded_days: Annotated[list[str], said("school days without a roll")]
    students: list[dict[str, Any]]
    alerts: Annotated[dict[str, Any], said("open and acknowledged: the class's alerts, each with the child's name")]
    labels: dict[str, Any]


class SchoolDashboard(TypedDict):
    """A school's year up to ``today``, by grade and class (ADR 0043)."""

    level: Annotated[str, said("school")]
    school_code: str
    school_name: str
    year: int
    today: str
    children: int
    present: int
    absent: int
    attendance_rate: float | None
    classes: list[dict[str, Any]]
    grades: list[dict[str, Any]]
    rolls_not_taken_today: list[dict[str, Any]]
    streaks: int
    unrecorded_days: int
    long_absence: Annotated[int, said("children on the named list absent 30 days or more")]
    notice_candidates: Annotated[int, said("children on the named list whose notice (施行令 §20) is due")]
    long_absence_list: list[AbsenceRow]
    health: Annotated[dict[str, Any], said("examined, by_deadline (30 June), late, not_done, overdue, follow_up, "
                                           "completion")]
    assessments: Annotated[dict[str, Any], said("per term, per subject: entries and completion")]
    subject_labels: dict[str, str]
    alerts: Annotated[dict[str, Any], said("open and acknowledged (each with the child's name) and counts by rule")]
    labels: dict[str, Any]


class BoardDashboard(TypedDict):
    """A board's schools side by side: aggregates only, no child named (ADR 0043)."""

    level: Annotated[str, said("board")]
    board_code: str
    year: int
    today: str
    schools: Annotated[list[dict[str, Any]], said("per school: children, classes, present, absent, attendance_rate, "
                                                  "rolls_not_taken_today, unrecorded_days, streaks, long_absence, "
                                                  "notice_candidates, health, assessments")]
    attendance_rate: float | None
    children: int
    long_absence: int
    notice_candidates: int
    rolls_not_taken_today: int
    alerts: Annotated[dict[str, Any], said("open and acknowledged alerts, counted (per school: by rule)")]
    labels: dict[str, Any]


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
    "/v1/students/{student_id}/dashboard": ChildDashboard,
    "/v1/schools/{school_code}/years/{year}/classes/{grade}/{name}/dashboard": ClassDashboard,
    "/v1/schools/{school_code}/years/{year}/dashboard": SchoolDashboard,
    "/v1/boards/{board_code}/years/{year}/dashboard": BoardDashboard,
}
