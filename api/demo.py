"""The demo jurisdiction behind `gakuseki demo`: a Tottori-like board with three schools.

What it seeds, for school year 2026 (April 2026 – March 2027):
- board of education 312011 with two elementary schools and one junior high, each with its
  principal and its calendar: 3 terms, weekdays minus the national holidays, and in term 1 a
  grade closure (学年閉鎖) and a class closure (学級閉鎖), both for influenza;
- classes of grades 1, 3 and 6 (elementary) and two classes of grade 1 (junior high): about
  100 children with names in kanji and kana, birth dates that fit their grade, and a guardian;
- every daily roll of term 1, mostly present, with the stories a dashboard should show: a run
  of 7+ days absent, a child absent 30+ days (長期欠席), 出席停止 for influenza, 忌引, and
  出席扱い at the 教育支援センター; term 1 assessments of every subject; a few grade-6 year
  records; health and dental examinations; one correction of a mark and one of an assessment;
- the board's decision to count 休学 days in 授業日数 (among 出席停止・忌引等) from April 2027, the next
  school year (ADR 0028): no figure of 2026 changes.

Deterministic: student ids are uuid5 of fixed paths, and every random choice comes from a
random.Random seeded with a fixed string for that child or class, so the demo holds the same
data every time, on every machine. That also makes it idempotent and resumable: every write is
skipped when the stream it would write (domain/streams.py ids) already has it, so a second run
adds nothing and an interrupted run completes where it stopped.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, NamedTuple
from uuid import UUID, uuid5

import msgspec

from api import demo_names as names
from api.demo_records import assessments_of, dental_exam, health_exam, rating_of, year_record
from domain import streams, values
from domain.assessment import AssessmentCorrected, AssessmentRecorded
from domain.attendance import Mark
from domain.health import DentalExaminationRecorded, HealthExaminationRecorded
from domain.ledger import Ledger
from domain.school import Closure, Term
from domain.student import Guardian, Identity

YEAR = 2026
BOARD = "312011"
NEXT_YEAR = date(2027, 4, 1)  # the board's settings change from the next school year
ADMIN = "demo-admin"
NURSE = "demo-yogo"  # 養護教諭, who records the examinations
DEMO_NAMESPACE = UUID("0b6f6a52-3c1d-4f7e-8a2b-9d4c5e6f7a80")  # fixed forever: it names every demo child

TERMS = (
    Term(number=1, starts_on=date(2026, 4, 6), ends_on=date(2026, 7, 20)),
    Term(number=2, starts_on=date(2026, 9, 1), ends_on=date(2026, 12, 24)),
    Term(number=3, starts_on=date(2027, 1, 7), ends_on=date(2027, 3, 24)),
)
# 国民の祝日 of the 2026 school year (the 2026 calendar, with 2027's 成人の日 to 春分の日), including
# 振替休日 and 国民の休日. 春分の日 2027 is 3/21, a Sunday, so 3/22 is off instead.
HOLIDAYS = frozenset({
    date(2026, 4, 29), date(2026, 5, 3), date(2026, 5, 4), date(2026, 5, 5), date(2026, 5, 6),
    date(2026, 7, 20), date(2026, 8, 11), date(2026, 9, 21), date(2026, 9, 22), date(2026, 9, 23),
    date(2026, 10, 12), date(2026, 11, 3), date(2026, 11, 23), date(2027, 1, 1), date(2027, 1, 11),
    date(2027, 2, 11), date(2027, 2, 23), date(2027, 3, 21), date(2027, 3, 22),
})
FORMED_ON = date(2026, 4, 1)
ADMITTED_ON = date(2026, 4, 6)
ASSESSED_ON = date(2026, 7, 17)  # 1学期の通知表 (7/20 is 海の日)
EXAMS_FROM, EXAMS_UNTIL = date(2026, 4, 20), date(2026, 6, 30)
MIGRATED = "システム移行に伴う登録"
SEXES: tuple[Literal["male", "female"], ...] = ("male", "female")

MIDORI, MIZUUMI, AOBA = "B131220000013", "B131220000021", "C131220000015"


@dataclass(frozen=True)
class ClassSpec:
    grade: int
    name: str
    size: int
    teacher: str


@dataclass(frozen=True)
class SchoolSpec:
    code: str
    name: str
    address: str
    principal: str
    towns: tuple[str, ...]
    classes: tuple[ClassSpec, ...]
    closures: tuple[Closure, ...] = ()

    @property
    def kind(self) -> str:
        return values.school_kind_of(self.code)


def _closed(on: date, scope: str, grade: int, class_name: str | None, reason: str) -> Closure:
    return msgspec.convert({"on": on, "scope": scope, "grade": grade, "class_name": class_name,
                            "reason": reason}, Closure)


SCHOOLS = (
    SchoolSpec(MIDORI, "鳥取市立みどり小学校", "鳥取県鳥取市緑ケ丘二丁目5-1", "山根 正樹", names.MIDORI_TOWNS,
               (ClassSpec(1, "1", 14, "岸本 久美子"), ClassSpec(3, "1", 15, "谷口 浩"),
                ClassSpec(6, "1", 16, "河本 由紀")),
               tuple(_closed(d, "grade", 3, None, "インフルエンザの流行による学年閉鎖")
                     for d in (date(2026, 6, 15), date(2026, 6, 16)))),
    SchoolSpec(MIZUUMI, "鳥取市立みずうみ小学校", "鳥取県鳥取市湖山町東三丁目120", "前田 陽子", names.MIZUUMI_TOWNS,
               (ClassSpec(1, "1", 9, "福田 誠一"), ClassSpec(3, "1", 10, "竹本 真理"),
                ClassSpec(6, "1", 11, "西村 亮介")),
               tuple(_closed(d, "class", 1, "1", "インフルエンザによる学級閉鎖")
                     for d in (date(2026, 5, 26), date(2026, 5, 27)))),
    SchoolSpec(AOBA, "鳥取市立あおば中学校", "鳥取県鳥取市湖山町西四丁目410", "松本 尚美",
               names.MIDORI_TOWNS + names.MIZUUMI_TOWNS,
               (ClassSpec(1, "1", 13, "池田 学"), ClassSpec(1, "2", 13, "橋本 千春"))),
)


class Pupil(NamedTuple):
    id: UUID
    school: SchoolSpec
    klass: ClassSpec
    number: int
    identity: Identity

    @property
    def key(self) -> str:
        return f"{self.school.code}/{self.klass.grade}/{self.klass.name}/{self.number}"


class DemoSummary(NamedTuple):
    schools: int
    classes: int
    students: int
    events_recorded: int  # by this run: 0 when the demo was already complete
    position: int  # the ledger's log position after the run


def staff_id(name: str) -> str:
    return f"T-{names.TEACHERS.index(name) + 1:04d}"


# ---------------------------------------------------------------- the calendar


def instructional_days() -> list[date]:
    days = (t.starts_on + timedelta(n) for t in TERMS for n in range((t.ends_on - t.starts_on).days + 1))
    return [d for d in days if d.weekday() < 5 and d not in HOLIDAYS]


def roll_days(school: SchoolSpec, klass: ClassSpec, term: int = 1) -> list[date]:
    """The days a class takes a roll in a term: instructional, and neither its grade nor it closed."""
    t = TERMS[term - 1]
    closed = {c.on for c in school.closures if c.scope == "school" or (c.grade == klass.grade and (
        c.scope == "grade" or c.class_name == klass.name))}
    return [d for d in instructional_days() if t.starts_on <= d <= t.ends_on and d not in closed]


# ---------------------------------------------------------------- the children


def plan_pupils() -> list[Pupil]:
    return [p for s in SCHOOLS for c in s.classes for p in class_pupils(s, c)]


def class_pupils(school: SchoolSpec, klass: ClassSpec) -> list[Pupil]:
    """A class's children, numbered (出席番号) in kana order as a 男女混合名簿."""
    rng = random.Random(f"demo/pupils/{school.code}/{klass.grade}/{klass.name}")
    people: dict[tuple[str, str], Identity] = {}
    while len(people) < klass.size:
        identity = _identity(rng, school, klass.grade)
        people.setdefault((identity.family_name, identity.given_name), identity)
    ordered = sorted(people.values(), key=lambda i: (i.family_name_kana, i.given_name_kana, i.birth_date))
    path = f"demo/{school.code}/{klass.grade}/{klass.name}"
    return [Pupil(uuid5(DEMO_NAMESPACE, f"{path}/{n}"), school, klass, n, identity)
            for n, identity in enumerate(ordered, 1)]


def _identity(rng: random.Random, school: SchoolSpec, grade: int) -> Identity:
    sex = rng.choice(SEXES)
    family, family_kana = rng.choice(names.FAMILY_NAMES)
    given, given_kana = rng.choice(names.BOYS if sex == "male" else names.GIRLS)
    # Born 4/2 to 4/1: grade 1 of 2026 was born 2019-04-02..2020-04-01; junior high is 6 grades on.
    first = date(YEAR - 7 - (grade - 1) - (6 if school.kind == "junior_high" else 0), 4, 2)
    born = first + timedelta(rng.randrange((first.replace(year=first.year + 1) - first).days))
    relation = rng.choices(("母", "父", "祖母"), weights=(60, 35, 5))[0]
    guardian, guardian_kana = rng.choice({"母": names.MOTHERS, "父": names.FATHERS}.get(relation, names.GRANDMOTHERS))
    return Identity(
        family_name=family, given_name=given, family_name_kana=family_kana, given_name_kana=given_kana,
        sex=sex, birth_date=born,
        address=f"鳥取県鳥取市{rng.choice(school.towns)}{rng.randint(1, 40)}-{rng.randint(1, 20)}",
        guardian=Guardian(name=f"{family} {guardian}", name_kana=f"{family_kana} {guardian_kana}", relation=relation),
    )


def _prior_history(p: Pupil) -> str:
    if p.school.kind == "junior_high":
        town = p.identity.address.removeprefix("鳥取県鳥取市")
        from_midori = any(town.startswith(t) for t in names.MIDORI_TOWNS)
        return f"{SCHOOLS[0 if from_midori else 1].name} 卒業"
    if p.klass.grade == 1:
        return ("みどり保育園", "こやま幼稚園", "さくら認定こども園")[p.number % 3] + " 修了"
    return ""


# ---------------------------------------------------------------- daily marks

PRESENT = Mark(code="present")
FLU = Mark(code="suspended", reason="インフルエンザ", authority="infection")
FUNERAL = Mark(code="mourning", reason="祖父の葬儀")
RELUCTANT = Mark(code="absent_other", reason="登校しぶり")
SUPPORT_CENTRE = Mark(code="deemed_present", reason="教育支援センター通所", facility="鳥取市教育支援センター")
ILLNESSES = ("発熱", "風邪", "腹痛", "頭痛", "嘔吐")
Story = Callable[[Sequence[date]], dict[date, Mark]]


def _run(start: date, count: int, mark: Mark) -> Story:
    """The mark on ``count`` roll days from ``start``."""
    return lambda days: dict.fromkeys([d for d in days if d >= start][:count], mark)


def _chronic(days: Sequence[date]) -> dict[date, Mark]:
    """長期欠席: from mid-May away but on Wednesdays, when a parent brings the child in late."""
    late = Mark(code="late", reason="保護者の送迎で登校")
    return {d: late if d.weekday() == 2 else RELUCTANT for d in days if d >= date(2026, 5, 11)}


def _support_centre(days: Sequence[date]) -> dict[date, Mark]:
    """From June: the 教育支援センター on Tuesdays and Thursdays, 別室登校 on Wednesdays."""
    week = {0: RELUCTANT, 1: SUPPORT_CENTRE, 2: Mark(code="present", reason="別室登校"), 3: SUPPORT_CENTRE,
            4: RELUCTANT}
    return {d: week[d.weekday()] for d in days if d >= date(2026, 6, 1)}


MISTAKE = (f"{MIDORI}/1/1/1", date(2026, 6, 10))  # an absence entered for the wrong child, corrected
STORIES: dict[str, Story] = {
    f"{MIDORI}/3/1/5": _run(date(2026, 6, 1), 8, Mark(code="absent_illness", reason="体調不良")),  # 7日以上連続
    f"{MIDORI}/6/1/7": _chronic,
    f"{AOBA}/1/2/3": _support_centre,
    f"{MIZUUMI}/1/1/2": _run(date(2026, 5, 20), 4, FLU),  # the class closure follows on 5/26–27
    f"{MIZUUMI}/1/1/6": _run(date(2026, 5, 21), 3, FLU),
    f"{MIZUUMI}/1/1/9": _run(date(2026, 5, 22), 4, FLU),
    f"{MIDORI}/3/1/10": _run(date(2026, 6, 11), 2, FLU),  # the grade closure follows on 6/15–16
    f"{MIDORI}/6/1/3": _run(date(2026, 6, 4), 2, FUNERAL),
    f"{AOBA}/1/1/8": _run(date(2026, 7, 2), 2, FUNERAL),
    MISTAKE[0]: _run(MISTAKE[1], 1, Mark(code="absent_illness", reason="発熱")),
}


def pupil_marks(p: Pupil, days: Sequence[date]) -> dict[date, Mark]:
    """Every mark but 出席 of one child over the class's roll days."""
    rng = random.Random(f"demo/marks/{p.key}")
    marks: dict[date, Mark] = {}
    illness, ill_for = PRESENT, 0
    for d in days:
        r = rng.random()
        if ill_for:  # an illness often keeps a child home for a few days
            marks[d], ill_for = illness, ill_for - 1
        elif r < 0.012:
            illness, ill_for = Mark(code="absent_illness", reason=rng.choice(ILLNESSES)), rng.choice((0, 0, 1, 2))
            marks[d] = illness
        elif r < 0.016:
            marks[d] = Mark(code="absent_other", reason="家庭の事情")
        elif r < 0.030:
            marks[d] = Mark(code="late", reason=rng.choice(("寝坊", "通院のため", "体調不良")))
        elif r < 0.038:
            marks[d] = Mark(code="left_early", reason=rng.choice(("体調不良", "通院のため")))
    story = STORIES.get(p.key)
    if story:
        marks.update(story(days))
    return marks


# ---------------------------------------------------------------- assessments and year records


def seed_demo(ledger: Ledger, *, progress: bool = True, days: int | None = None) -> DemoSummary:
    """Seed the demo jurisdiction; only what is missing is written. ``days`` limits each class's
    rolls to its first days of term 1 (for quick tests); None takes the whole term."""
    before = ledger.position()
    pupils = plan_pupils()
    classes = [(s, c, [p for p in pupils if p.school is s and p.klass is c]) for s in SCHOOLS for c in s.classes]
    totals = {"schools": len(SCHOOLS), "students": len(pupils),
              "rolls": sum(len(roll_days(s, c)[:days]) for s, c, _ in classes),
              "assessments": len(pupils), "examinations": len(pupils)}
    with _phases(progress, totals) as advance:
        for school in SCHOOLS:
            _seed_school(ledger, school)
            advance("schools")
        # None when already in force from that day (a second run)
        ledger.set_board_settings(BOARD, {"leave_days": "excused"}, effective_on=NEXT_YEAR, recorded_by=ADMIN)
        for p in pupils:
            _admit(ledger, p)
            advance("students")
        for s, c, members in classes:
            _seed_rolls(ledger, s, c, members, days, advance)
        _correct_mark(ledger, next(p for p in pupils if p.key == MISTAKE[0]))
        for p in pupils:
            _seed_assessments(ledger, p)
            advance("assessments")
        _correct_assessment(ledger, next(p for p in pupils if p.key == f"{MIDORI}/3/1/4"))
        for s, c, members in classes:
            _seed_examinations(ledger, s, c, members, advance)
    after = ledger.position()
    return DemoSummary(len(SCHOOLS), len(classes), len(pupils), after - before, after)


@contextmanager
def _phases(enabled: bool, totals: dict[str, int]) -> Iterator[Callable[[str], None]]:
    """One rich progress task per phase, or nothing at all."""
    if not enabled:
        yield lambda phase: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn()) as bar:
        tasks = {phase: bar.add_task(phase, total=total) for phase, total in totals.items()}
        yield lambda phase: bar.advance(tasks[phase])


def _seed_school(ledger: Ledger, s: SchoolSpec) -> None:
    ledger.register_school(s.code, s.name, BOARD, s.address, recorded_by=ADMIN)  # None when unchanged
    if ledger.school(s.code).principal_id is None:  # a later appointment is left alone
        ledger.appoint_principal(s.code, staff_id(s.principal), s.principal, on=FORMED_ON, recorded_by=ADMIN)
    if not ledger.has_stream(streams.school_year(s.code, YEAR)):
        ledger.set_calendar(s.code, YEAR, terms=TERMS, instructional_days=instructional_days(), closures=s.closures,
                            recorded_by=ADMIN)
    for c in s.classes:
        if not ledger.has_stream(streams.school_class(s.code, YEAR, c.grade, c.name)):
            ledger.form_class(s.code, YEAR, c.grade, c.name, homeroom_teacher_id=staff_id(c.teacher),
                              homeroom_teacher_name=c.teacher, on=FORMED_ON, recorded_by=ADMIN)


def _admit(ledger: Ledger, p: Pupil) -> None:
    if ledger.has_stream(p.id):
        return
    entrance = p.klass.grade == 1  # 入学; the older children came over from the previous register
    ledger.admit_student(p.school.code, YEAR, p.klass.grade, p.klass.name, p.number, p.identity,
                         admitted_on=ADMITTED_ON, admission_kind="entrance" if entrance else "admission",
                         prior_history=_prior_history(p), reason="" if entrance else MIGRATED, student_id=p.id,
                         recorded_by=ADMIN)


def _seed_rolls(ledger: Ledger, s: SchoolSpec, c: ClassSpec, members: list[Pupil], limit: int | None,
                advance: Callable[[str], None]) -> None:
    days = roll_days(s, c)
    plan = {p.id: pupil_marks(p, days) for p in members}  # over the whole term, whatever the limit
    for d in days[:limit]:
        if not ledger.has_stream(streams.attendance(members[0].id, d)):  # a roll is all or nothing
            ledger.record_roll(s.code, YEAR, c.grade, c.name, on=d, recorded_by=staff_id(c.teacher),
                               marks=[(p.id, plan[p.id].get(d, PRESENT)) for p in members])
        advance("rolls")


def _correct_mark(ledger: Ledger, p: Pupil) -> None:
    if len(ledger.stream(streams.attendance(p.id, MISTAKE[1]))) == 1:  # marked and not yet corrected
        ledger.correct_mark(p.id, on=MISTAKE[1], mark=PRESENT, reason="欠席連絡の入力誤り",
                            recorded_by=staff_id(p.klass.teacher))


def _seed_assessments(ledger: Ledger, p: Pupil) -> None:
    history = ledger.stream(streams.assessments(p.id, YEAR))
    done = {e.subject for e in history if isinstance(e, AssessmentRecorded) and e.term == 1}
    for subject, (viewpoints, rating) in assessments_of(p.key, p.school.kind, p.klass.grade).items():
        if subject not in done:
            ledger.record_assessment(p.id, YEAR, subject=subject, viewpoints=viewpoints, rating=rating, term=1,
                                     on=ASSESSED_ON, recorded_by=staff_id(p.klass.teacher))
    if p.klass.grade == 6 and p.number <= 3 and not ledger.has_stream(streams.year_record(p.id, YEAR)):
        # A draft entered at the end of term 1, so the demo shows the form filled in.
        ledger.enter_year_record(p.id, YEAR, record=year_record(p.key, p.number), on=ASSESSED_ON,
                                 recorded_by=staff_id(p.klass.teacher))


def _correct_assessment(ledger: Ledger, p: Pupil) -> None:
    """算数's 思考・判断・表現 was copied from the wrong row of the teacher's sheet."""
    history = ledger.stream(streams.assessments(p.id, YEAR))
    target = next((e for e in history if isinstance(e, AssessmentRecorded) and e.subject == "arithmetic"), None)
    if target is None or any(isinstance(e, AssessmentCorrected) for e in history):
        return
    viewpoints = msgspec.structs.replace(target.viewpoints, thinking={"A": "B", "B": "A", "C": "B"}[
        target.viewpoints.thinking])
    ledger.correct_assessment(p.id, YEAR, corrects_version=target.originator_version, viewpoints=viewpoints,
                              rating=rating_of(viewpoints, p.school.kind, p.klass.grade),
                              reason="観点別評価の転記誤り", recorded_by=staff_id(p.klass.teacher))


def _seed_examinations(ledger: Ledger, s: SchoolSpec, c: ClassSpec, members: list[Pupil],
                       advance: Callable[[str], None]) -> None:
    """健康診断 and 歯科検診 of a class on two of its school days between April 20 and June 30."""
    window = [d for d in roll_days(s, c) if EXAMS_FROM <= d <= EXAMS_UNTIL]
    k = 2 * s.classes.index(c)
    health_on, dental_on = window[k], window[k + 12]
    for p in members:
        history = ledger.stream(streams.health(p.id, YEAR))
        rng = random.Random(f"demo/examinations/{p.key}")
        health, dental = health_exam(rng, p.identity.sex, s.kind, c.grade), dental_exam(rng, p.identity, dental_on)
        if not any(isinstance(e, HealthExaminationRecorded) for e in history):
            ledger.record_health_exam(p.id, YEAR, examination=health, examined_on=health_on, recorded_by=NURSE)
        if not any(isinstance(e, DentalExaminationRecorded) for e in history):
            ledger.record_dental_exam(p.id, YEAR, examination=dental, examined_on=dental_on, recorded_by=NURSE)
        advance("examinations")
