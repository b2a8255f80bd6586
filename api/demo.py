"""The demo jurisdiction behind `gakuseki demo`: a Tottori-like board with three schools, as its
register would stand on the day the demo runs (``today``, the date in Japan unless given).

What it seeds, for the school year that holds ``today`` (April to March, domain/school_year.py):
- board of education 312011 with two elementary schools and one junior high, each with its
  principal and its calendar, all effective from 1 April so that a read ``on`` a past day sees the
  year as it stood: 3 terms, weekdays minus the national holidays (domain/holidays.py, by rule for
  any year), a grade closure (学年閉鎖) in June and a class closure (学級閉鎖) in May, for influenza;
- classes of grades 1, 3 and 6 (elementary) and two classes of grade 1 (junior high): about
  100 children with names in kanji and kana, birth dates that fit their grade, and a guardian;
- last year's 6-1 of みどり小学校, its rolls of the whole year, its 卒業 in March and its 進学 to
  あおば中学校's 1-1, where the children are on this year's roll after the class's own;
- every daily roll from the first day of term 1 up to the day before ``today`` (a roll of a class is
  one transaction), mostly present, with the stories a dashboard should show: a run of 7+ days
  absent, a child absent 30+ days (長期欠席), 出席停止 for influenza, 忌引, and 出席扱い at the
  教育支援センター; a 転学 from みどり's 3-1 to みずうみ's 3-1 at the end of October;
- the assessments of every subject for each term that ended before ``today``, a few grade-6 year
  records, the health and dental examinations of the spring (April–June, those already held),
  and corrections of two marks and of an assessment.
- the board's decision to count 休学 days in 授業日数 (among 出席停止・忌引等) from 1 April of the
  next school year (ADR 0028): no figure of this year changes.

Deterministic for a given ``today``: student ids are uuid5 of fixed paths, and every random choice
comes from a random.Random seeded with a fixed string for that child or class. That also makes it
idempotent and resumable: every write is skipped when the stream it would write (domain/streams.py
ids) already has it, so a second run adds nothing, an interrupted run completes where it stopped,
and a run on a later day of the same year adds only what that day adds (the new rolls, a term's
assessments, the transfer once its day has passed).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Literal, NamedTuple
from uuid import UUID, uuid5

import msgspec

from api import demo_names as names
from api.demo_records import assessments_of, dental_exam, health_exam, rating_of, year_record
from domain import school_year, streams, values
from domain.assessment import AssessmentCorrected, AssessmentRecorded
from domain.attendance import Mark
from domain.health import DentalExaminationRecorded, HealthExaminationRecorded
from domain.holidays import national_holidays
from domain.ledger import Ledger
from domain.school import Closure, Term
from domain.student import Guardian, Identity

BOARD = "312011"
ADMIN = "demo-admin"
NURSE = "demo-yogo"  # 養護教諭, who records the examinations
DEMO_NAMESPACE = UUID("0b6f6a52-3c1d-4f7e-8a2b-9d4c5e6f7a80")  # fixed forever: it names every demo child
MIGRATED = "システム移行に伴う登録"
SEXES: tuple[Literal["male", "female"], ...] = ("male", "female")

MIDORI, MIZUUMI, AOBA = "B131220000013", "B131220000021", "C131220000015"


# ---------------------------------------------------------------- the calendar of a year


def terms_of(year: int) -> tuple[Term, ...]:
    """The board's three terms: 4/6–7/20, 9/1–12/24, 1/7–3/24."""
    return (Term(number=1, starts_on=date(year, 4, 6), ends_on=date(year, 7, 20)),
            Term(number=2, starts_on=date(year, 9, 1), ends_on=date(year, 12, 24)),
            Term(number=3, starts_on=date(year + 1, 1, 7), ends_on=date(year + 1, 3, 24)))


def instructional_days(year: int) -> list[date]:
    """The weekdays of the terms that are not national holidays."""
    off = national_holidays(year) | national_holidays(year + 1)
    days = (t.starts_on + timedelta(n) for t in terms_of(year) for n in range((t.ends_on - t.starts_on).days + 1))
    return [d for d in days if d.weekday() < 5 and d not in off]


def school_day_from(year: int, day: date, n: int = 0) -> date:
    """The n-th instructional day on or after ``day`` (n = 0: the first)."""
    return [d for d in instructional_days(year) if d >= day][n]


def last_school_day(year: int, until: date) -> date:
    return [d for d in instructional_days(year) if d <= until][-1]


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
    closures: Callable[[int], tuple[Closure, ...]] = field(default=lambda year: ())

    @property
    def kind(self) -> str:
        return values.school_kind_of(self.code)


def _closed(on: date, scope: str, grade: int, class_name: str | None, reason: str) -> Closure:
    return msgspec.convert({"on": on, "scope": scope, "grade": grade, "class_name": class_name,
                            "reason": reason}, Closure)


def _flu_closure(month: int, day: int, scope: str, grade: int, class_name: str | None, reason: str
                 ) -> Callable[[int], tuple[Closure, ...]]:
    """Two school days closed from the first school day on or after month/day."""
    return lambda year: tuple(_closed(school_day_from(year, date(year, month, day), n), scope, grade, class_name,
                                      reason) for n in (0, 1))


SCHOOLS = (
    SchoolSpec(MIDORI, "鳥取市立みどり小学校", "鳥取県鳥取市緑ケ丘二丁目5-1", "山根 正樹", names.MIDORI_TOWNS,
               (ClassSpec(1, "1", 14, "岸本 久美子"), ClassSpec(3, "1", 15, "谷口 浩"),
                ClassSpec(6, "1", 16, "河本 由紀")),
               _flu_closure(6, 15, "grade", 3, None, "インフルエンザの流行による学年閉鎖")),
    SchoolSpec(MIZUUMI, "鳥取市立みずうみ小学校", "鳥取県鳥取市湖山町東三丁目120", "前田 陽子", names.MIZUUMI_TOWNS,
               (ClassSpec(1, "1", 9, "福田 誠一"), ClassSpec(3, "1", 10, "竹本 真理"),
                ClassSpec(6, "1", 11, "西村 亮介")),
               _flu_closure(5, 26, "class", 1, "1", "インフルエンザによる学級閉鎖")),
    SchoolSpec(AOBA, "鳥取市立あおば中学校", "鳥取県鳥取市湖山町西四丁目410", "松本 尚美",
               names.MIDORI_TOWNS + names.MIZUUMI_TOWNS,
               (ClassSpec(1, "1", 13, "池田 学"), ClassSpec(1, "2", 13, "橋本 千春"))),
)
LAST_YEARS_SIXTH = ClassSpec(6, "1", 6, "坂本 和彦")  # みどり's 6-1 of the year before: 進学 to あおば's 1-1
TRANSFER = (f"{MIDORI}/3/1/12", 10, 30)  # 転学 to みずうみ's 3-1 after the last school day on or before 10/30


def closed_days(year: int, school: SchoolSpec, klass: ClassSpec) -> set[date]:
    return {c.on for c in school.closures(year) if c.scope == "school" or (c.grade == klass.grade and (
        c.scope == "grade" or c.class_name == klass.name))}


def roll_days(year: int, school: SchoolSpec, klass: ClassSpec, before: date | None = None) -> list[date]:
    """The days a class takes a roll: instructional, neither its grade nor it closed, before ``before``."""
    closed = closed_days(year, school, klass)
    return [d for d in instructional_days(year) if d not in closed and (before is None or d < before)]


class Pupil(NamedTuple):
    id: UUID
    year: int
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


# ---------------------------------------------------------------- the children


def plan_pupils(year: int) -> list[Pupil]:
    return [p for s in SCHOOLS for c in s.classes for p in class_pupils(year, s, c)]


def class_pupils(year: int, school: SchoolSpec, klass: ClassSpec, tag: str = "") -> list[Pupil]:
    """A class's children, numbered (出席番号) in kana order as a 男女混合名簿 (``tag`` sets a class
    apart that shares a year, school, grade and name with another: last year's 6-1)."""
    rng = random.Random(f"demo/pupils/{year}/{school.code}/{klass.grade}/{klass.name}{tag}")
    people: dict[tuple[str, str], Identity] = {}
    while len(people) < klass.size:
        identity = _identity(rng, year, school, klass.grade)
        people.setdefault((identity.family_name, identity.given_name), identity)
    ordered = sorted(people.values(), key=lambda i: (i.family_name_kana, i.given_name_kana, i.birth_date))
    path = f"demo/{year}/{school.code}/{klass.grade}/{klass.name}{tag}"
    return [Pupil(uuid5(DEMO_NAMESPACE, f"{path}/{n}"), year, school, klass, n, identity)
            for n, identity in enumerate(ordered, 1)]


def last_years_sixth(year: int) -> list[Pupil]:
    """みどり's 6-1 of the year before ``year``, as they were then."""
    return class_pupils(year - 1, SCHOOLS[0], LAST_YEARS_SIXTH, "/advanced")


def advanced(year: int) -> list[Pupil]:
    """The same children in ``year``, in あおば's 1-1 after the class's own (出席番号 14 on)."""
    aoba = SCHOOLS[2].classes[0]
    return [p._replace(year=year, school=SCHOOLS[2], klass=aoba, number=aoba.size + p.number)
            for p in last_years_sixth(year)]


def _identity(rng: random.Random, year: int, school: SchoolSpec, grade: int) -> Identity:
    sex = rng.choice(SEXES)
    family, family_kana = rng.choice(names.FAMILY_NAMES)
    given, given_kana = rng.choice(names.BOYS if sex == "male" else names.GIRLS)
    # Born 4/2 to 4/1: grade 1 of 2026 was born 2019-04-02..2020-04-01; junior high is 6 grades on.
    first = date(year - 7 - (grade - 1) - (6 if school.kind == "junior_high" else 0), 4, 2)
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
Story = Callable[[int, Sequence[date]], dict[date, Mark]]


def _run(month: int, day: int, count: int, mark: Mark) -> Story:
    """The mark on ``count`` roll days from month/day of the year."""
    def story(year: int, days: Sequence[date]) -> dict[date, Mark]:
        start = date(year if month >= 4 else year + 1, month, day)
        return dict.fromkeys([d for d in days if d >= start][:count], mark)
    return story


def _chronic(year: int, days: Sequence[date]) -> dict[date, Mark]:
    """長期欠席: from mid-May away but on Wednesdays, when a parent brings the child in late."""
    late = Mark(code="late", reason="保護者の送迎で登校")
    return {d: late if d.weekday() == 2 else RELUCTANT for d in days if d >= date(year, 5, 11)}


def _support_centre(year: int, days: Sequence[date]) -> dict[date, Mark]:
    """From June: the 教育支援センター on Tuesdays and Thursdays, 別室登校 on Wednesdays."""
    week = {0: RELUCTANT, 1: SUPPORT_CENTRE, 2: Mark(code="present", reason="別室登校"), 3: SUPPORT_CENTRE,
            4: RELUCTANT}
    return {d: week[d.weekday()] for d in days if d >= date(year, 6, 1)}


class Mistake(NamedTuple):
    """A mark entered wrong on the first school day from month/day, and corrected."""

    key: str
    month: int
    day: int
    entered: Mark
    right: Mark
    reason: str


MISTAKES = (
    Mistake(f"{MIDORI}/1/1/1", 6, 10, Mark(code="absent_illness", reason="発熱"), PRESENT,
            "欠席連絡の入力誤り"),  # the absence was another child's
    Mistake(f"{MIZUUMI}/6/1/4", 11, 10, Mark(code="absent_other", reason="家庭の事情"),
            Mark(code="late", reason="通院のため"), "遅刻の連絡を欠席と誤って入力"),
)
STORIES: dict[str, Story] = {
    f"{MIDORI}/3/1/5": _run(6, 1, 8, Mark(code="absent_illness", reason="体調不良")),  # 7日以上連続
    f"{MIDORI}/6/1/7": _chronic,
    f"{AOBA}/1/2/3": _support_centre,
    f"{MIZUUMI}/1/1/2": _run(5, 20, 4, FLU),  # the class closure follows from 5/26
    f"{MIZUUMI}/1/1/6": _run(5, 21, 3, FLU),
    f"{MIZUUMI}/1/1/9": _run(5, 22, 4, FLU),
    f"{MIDORI}/3/1/10": _run(6, 11, 2, FLU),  # the grade closure follows from 6/15
    f"{MIDORI}/6/1/3": _run(6, 4, 2, FUNERAL),
    f"{AOBA}/1/1/8": _run(7, 2, 2, FUNERAL),
    f"{MIDORI}/1/1/4": _run(11, 16, 2, FUNERAL),
    **{m.key: _run(m.month, m.day, 1, m.entered) for m in MISTAKES},
}


def mistake_day(year: int, m: Mistake) -> date:
    return school_day_from(year, date(year, m.month, m.day))


def pupil_marks(p: Pupil, days: Sequence[date]) -> dict[date, Mark]:
    """Every mark but 出席 of one child over the class's roll days (of the whole year, so that a
    child's marks of a day do not depend on the day the demo runs)."""
    rng = random.Random(f"demo/marks/{p.year}/{p.key}")
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
    story = STORIES.get(p.key) if p.klass in p.school.classes else None
    if story:
        marks.update(story(p.year, days))
    return marks


# ---------------------------------------------------------------- the plan of a day


@dataclass(frozen=True)
class Demo:
    """The demo as it stands on ``today``: the year, its children, and the days that have come."""

    today: date

    @property
    def year(self) -> int:
        return school_year.year_of(self.today)

    @cached_property
    def pupils(self) -> list[Pupil]:
        return plan_pupils(self.year)

    @cached_property
    def last_years_sixth(self) -> list[Pupil]:
        return last_years_sixth(self.year)

    @cached_property
    def advanced(self) -> list[Pupil]:
        return advanced(self.year)

    def pupil(self, key: str) -> Pupil:
        return next(p for p in self.pupils if p.key == key)

    @property
    def graduation_day(self) -> date:
        """Last year's 卒業式: the last school day on or before 3/19."""
        return last_school_day(self.year - 1, date(self.year, 3, 19))

    @property
    def transfer_days(self) -> tuple[date, date]:
        """The 転学: the last day at みどり, and the first at みずうみ (the next school day)."""
        left = last_school_day(self.year, date(self.year, TRANSFER[1], TRANSFER[2]))
        return left, school_day_from(self.year, left + timedelta(days=1))

    def transferred(self) -> bool:
        return self.transfer_days[1] < self.today

    def ended_terms(self) -> list[Term]:
        return [t for t in terms_of(self.year) if t.ends_on < self.today]


def seed_demo(ledger: Ledger, *, today: date, progress: bool = True, days: int | None = None) -> DemoSummary:
    """Seed the demo jurisdiction as it stands on ``today``; only what is missing is written.
    ``days`` limits each class's rolls of this year to its first days (for quick tests)."""
    demo = Demo(today)
    before = ledger.position()
    year, pupils = demo.year, demo.pupils
    classes = [(s, c) for s in SCHOOLS for c in s.classes]
    if days is not None:  # a quick demo: the first days only, and nothing dated after them
        demo = Demo(min(today, roll_days(year, SCHOOLS[0], SCHOOLS[0].classes[0])[days - 1] + timedelta(days=1)))
    totals = {"schools": len(SCHOOLS), "last year": len(demo.last_years_sixth), "students": len(pupils),
              "rolls": sum(len(roll_days(year, s, c, demo.today)) for s, c in classes),
              "assessments": len(pupils) + len(demo.advanced), "examinations": len(pupils) + len(demo.advanced)}
    with _phases(progress, totals) as advance:
        for school in SCHOOLS:
            _seed_school(ledger, demo, school)
            advance("schools")
        _seed_last_year(ledger, demo, advance)
        # None when already in force from that day (a second run)
        ledger.set_board_settings(BOARD, {"leave_days": "excused"}, effective_on=date(year + 1, 4, 1),
                                  recorded_by=ADMIN)
        for p in pupils:
            _admit(ledger, p, year)
            advance("students")
        left_on, _ = demo.transfer_days
        _seed_rolls(ledger, demo, until=left_on + timedelta(days=1) if demo.transferred() else demo.today,
                    advance=advance)
        if demo.transferred():
            _transfer(ledger, demo)
            _seed_rolls(ledger, demo, until=demo.today, advance=advance)
        for m in MISTAKES:
            if mistake_day(year, m) < demo.today:
                _correct_mark(ledger, demo.pupil(m.key), mistake_day(year, m), m)
        for p in pupils + demo.advanced:
            _seed_assessments(ledger, demo, p)
            advance("assessments")
        if demo.ended_terms():
            _correct_assessment(ledger, demo.pupil(f"{MIDORI}/3/1/4"), year)
        for s, c in classes:
            _seed_examinations(ledger, demo, s, c, [p for p in pupils + demo.advanced
                                                    if p.school is s and p.klass is c], advance)
    after = ledger.position()
    return DemoSummary(len(SCHOOLS), len(classes) + 1, len(pupils) + len(demo.last_years_sixth), after - before,
                       after)


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


def _seed_calendar(ledger: Ledger, s: SchoolSpec, year: int) -> None:
    if not ledger.has_stream(streams.school_year(s.code, year)):
        ledger.set_calendar(s.code, year, terms=terms_of(year), instructional_days=instructional_days(year),
                            closures=s.closures(year), on=school_year.first_day(year), recorded_by=ADMIN)


def _form_class(ledger: Ledger, s: SchoolSpec, year: int, c: ClassSpec) -> None:
    if not ledger.has_stream(streams.school_class(s.code, year, c.grade, c.name)):
        ledger.form_class(s.code, year, c.grade, c.name, homeroom_teacher_id=staff_id(c.teacher),
                          homeroom_teacher_name=c.teacher, on=school_year.first_day(year), recorded_by=ADMIN)


def _seed_school(ledger: Ledger, demo: Demo, s: SchoolSpec) -> None:
    """The school as it stood from 1 April of the year before (みどり's register holds last year's 6-1)."""
    since = school_year.first_day(demo.year - 1)
    if not ledger.has_stream(streams.school(s.code)):
        ledger.register_school(s.code, s.name, BOARD, s.address, on=since, recorded_by=ADMIN)
    if ledger.school(s.code).principal_id is None:  # a later appointment is left alone
        ledger.appoint_principal(s.code, staff_id(s.principal), s.principal, on=since, recorded_by=ADMIN)
    _seed_calendar(ledger, s, demo.year)
    for c in s.classes:
        _form_class(ledger, s, demo.year, c)


def _seed_last_year(ledger: Ledger, demo: Demo, advance: Callable[[str], None]) -> None:
    """みどり's 6-1 of last year: admitted, its rolls of the whole year, 卒業 and 進学 to あおば's 1-1
    (numbered after the class's own children), each as it was recorded in its day."""
    last, midori, aoba = demo.year - 1, SCHOOLS[0], SCHOOLS[2]
    _seed_calendar(ledger, midori, last)
    _form_class(ledger, midori, last, LAST_YEARS_SIXTH)
    members = demo.last_years_sixth
    for p in members:
        _admit(ledger, p, last)
    _seed_class_rolls(ledger, last, midori, LAST_YEARS_SIXTH, until=demo.graduation_day + timedelta(days=1))
    receiving = aoba.classes[0]
    for p in members:
        if not any(e.ended_because == "graduation" for e in ledger.student(p.id).enrollments):
            ledger.graduate(p.id, on=demo.graduation_day, recorded_by=staff_id(midori.principal))
        if not any(e.school_code == AOBA for e in ledger.student(p.id).enrollments):
            ledger.hand_over(p.id, kind="advancement", to_school=AOBA, left_on=demo.graduation_day,
                             accepted_on=school_year.first_day(demo.year), year=demo.year, grade=1,
                             class_name=receiving.name, number=receiving.size + p.number,
                             recorded_by=staff_id(midori.principal))
        advance("last year")


def _admit(ledger: Ledger, p: Pupil, year: int) -> None:
    if ledger.has_stream(p.id):
        return
    entrance = p.klass.grade == 1  # 入学; the older children came over from the previous register
    ledger.admit_student(p.school.code, year, p.klass.grade, p.klass.name, p.number, p.identity,
                         admitted_on=terms_of(year)[0].starts_on,
                         admission_kind="entrance" if entrance else "admission",
                         prior_history=_prior_history(p), reason="" if entrance else MIGRATED, student_id=p.id,
                         recorded_by=ADMIN)


def _seed_rolls(ledger: Ledger, demo: Demo, *, until: date, advance: Callable[[str], None]) -> None:
    for s in SCHOOLS:
        for c in s.classes:
            _seed_class_rolls(ledger, demo.year, s, c, until=until, advance=advance)


def _seed_class_rolls(ledger: Ledger, year: int, s: SchoolSpec, c: ClassSpec, *, until: date,
                      advance: Callable[[str], None] = lambda phase: None) -> None:
    """The class's rolls of the days before ``until``, each child marked as planned for the year
    (a child who came in mid-year, as planned for them from their own class's days)."""
    days = roll_days(year, s, c)
    klass = ledger.school_class(s.code, year, c.grade, c.name)
    children = {p.id: p for p in plan_pupils(year) + advanced(year) + last_years_sixth(year + 1)}
    plans: dict[UUID, dict[date, Mark]] = {}
    for d in days:
        if d >= until:
            break
        members = klass.members_on(d)
        if not members:
            continue
        if ledger.has_stream(streams.attendance(next(iter(members)), d)):  # a roll is all or nothing
            advance("rolls")
            continue
        for sid in members:
            if sid not in plans:
                plans[sid] = pupil_marks(children[sid], days)
        ledger.record_roll(s.code, year, c.grade, c.name, on=d, recorded_by=staff_id(c.teacher),
                           marks=[(sid, plans[sid].get(d, PRESENT)) for sid in members])
        advance("rolls")


def _transfer(ledger: Ledger, demo: Demo) -> None:
    """転学 of a みどり 3-1 child to みずうみ's 3-1 (the family moved to 湖山町)."""
    p = demo.pupil(TRANSFER[0])
    if ledger.student(p.id).custodian != MIDORI:
        return
    left_on, accepted_on = demo.transfer_days
    receiving = SCHOOLS[1].classes[1]
    ledger.hand_over(p.id, kind="transfer", to_school=MIZUUMI, left_on=left_on, accepted_on=accepted_on,
                     year=demo.year, grade=3, class_name=receiving.name, number=receiving.size + 1,
                     reason="保護者の転居のため", recorded_by=staff_id(SCHOOLS[0].principal))


def _correct_mark(ledger: Ledger, p: Pupil, day: date, m: Mistake) -> None:
    if len(ledger.stream(streams.attendance(p.id, day))) == 1:  # marked and not yet corrected
        ledger.correct_mark(p.id, on=day, mark=m.right, reason=m.reason, recorded_by=staff_id(p.klass.teacher))


def _seed_assessments(ledger: Ledger, demo: Demo, p: Pupil) -> None:
    """Each ended term's assessments, dated its last school day (the day of the 通知表)."""
    history = ledger.stream(streams.assessments(p.id, demo.year))
    done = {(e.term, e.subject) for e in history if isinstance(e, AssessmentRecorded)}
    student = ledger.student(p.id)
    for term in demo.ended_terms():
        on = last_school_day(demo.year, term.ends_on)
        school = next((e.school_code for e in student.enrollments
                       if e.began_on <= on and (e.ended_on is None or on <= e.ended_on)), None)
        if school is None:
            continue
        # A child who has moved is assessed by the homeroom teacher of the class that holds them.
        teacher = next(c.teacher for sc in SCHOOLS if sc.code == school for c in sc.classes
                       if c.grade == p.klass.grade)
        key = p.key if term.number == 1 else f"{p.key}/term-{term.number}"
        for subject, (viewpoints, rating) in assessments_of(key, p.school.kind, p.klass.grade).items():
            if (term.number, subject) not in done:
                ledger.record_assessment(p.id, demo.year, subject=subject, viewpoints=viewpoints, rating=rating,
                                         term=term.number, on=on, recorded_by=staff_id(teacher))
    if demo.ended_terms() and p.klass.grade == 6 and p.number <= 3 \
            and not ledger.has_stream(streams.year_record(p.id, demo.year)):
        # A draft entered at the end of term 1, so the demo shows the form filled in.
        ledger.enter_year_record(p.id, demo.year, record=year_record(p.key, p.number),
                                 on=last_school_day(demo.year, demo.ended_terms()[0].ends_on),
                                 recorded_by=staff_id(p.klass.teacher))


def _correct_assessment(ledger: Ledger, p: Pupil, year: int) -> None:
    """算数's 思考・判断・表現 was copied from the wrong row of the teacher's sheet."""
    history = ledger.stream(streams.assessments(p.id, year))
    target = next((e for e in history if isinstance(e, AssessmentRecorded) and e.subject == "arithmetic"), None)
    if target is None or any(isinstance(e, AssessmentCorrected) for e in history):
        return
    viewpoints = msgspec.structs.replace(target.viewpoints, thinking={"A": "B", "B": "A", "C": "B"}[
        target.viewpoints.thinking])
    ledger.correct_assessment(p.id, year, corrects_version=target.originator_version, viewpoints=viewpoints,
                              rating=rating_of(viewpoints, p.school.kind, p.klass.grade),
                              reason="観点別評価の転記誤り", recorded_by=staff_id(p.klass.teacher))


def _seed_examinations(ledger: Ledger, demo: Demo, s: SchoolSpec, c: ClassSpec, members: list[Pupil],
                       advance: Callable[[str], None]) -> None:
    """健康診断 and 歯科検診 of a class on two of its school days between April 20 and June 30,
    those held before ``today``."""
    window = [d for d in roll_days(demo.year, s, c) if date(demo.year, 4, 20) <= d <= date(demo.year, 6, 30)]
    k = 2 * s.classes.index(c)
    health_on, dental_on = window[k], window[k + 12]
    for p in members:
        history = ledger.stream(streams.health(p.id, demo.year))
        rng = random.Random(f"demo/examinations/{demo.year}/{p.key}")
        health, dental = health_exam(rng, p.identity.sex, s.kind, c.grade), dental_exam(rng, p.identity, dental_on)
        if health_on < demo.today and not any(isinstance(e, HealthExaminationRecorded) for e in history):
            ledger.record_health_exam(p.id, demo.year, examination=health, examined_on=health_on, recorded_by=NURSE)
        if dental_on < demo.today and not any(isinstance(e, DentalExaminationRecorded) for e in history):
            ledger.record_dental_exam(p.id, demo.year, examination=dental, examined_on=dental_on, recorded_by=NURSE)
        advance("examinations")
