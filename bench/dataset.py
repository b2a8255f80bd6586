"""The bench's dataset, built in a PostgreSQL schema of its own through the product's own rules.

What it holds (sizes from bench/config.py): schools of 30 classes (grades 1–6, five classes each)
with a 2026 calendar; ``students`` children admitted into them (30 a class); a school year of
class rolls for ``rolled_classes`` of those classes (over a million events at full scale: the
rebuild's log); ``hot_classes`` classes left without rolls for the HTTP roll load; and one child
with six years of history (grades 1–6, 2026–2031: a class roll every school day, every term's
assessments and the yearly health and dental examinations: about 1,300 events). The children of
the rolled classes also have every subject's assessment for the three terms.

How: school registration, principals, calendars, the six-year child's assessments and
examinations go through the ledger's commands. The bulk (classes, admissions, rolls, the yearly
placements) is decided by the same pure decision functions the commands call
(``school_rules.form_class``, ``enrollment_rules.admit``, ``attendance.take_roll``) on state kept
in memory with the same ``evolve`` functions, and saved with ``Ledger.record`` many decisions to a
transaction: the stored events are exactly the events the commands would store, only batched.

Two layouts of the same events (``layout``, ``python -m bench --dataset``):
- ``by_class`` (the default, as every earlier run): each rolled class's whole year of rolls, class
  after class, then every class's assessments. A page of the log touches one or two classes.
- ``interleaved``: the way a real log grows. School day by school day, every rolled class takes its
  roll, class after class; in the last five school days of each term each class's subject teachers
  record a fifth of that term's assessments right after the class's roll. A page of the log then
  touches every class-month of every rolled class, and each document is changed on many pages.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from api import demo_names as names
from api.demo_records import dental_exam, health_exam, rating_of
from bench.config import CLASS_SIZE, YEAR, Scale
from domain import assessment, curriculum, enrollment_rules, school_rules
from domain.assessment import Viewpoints
from domain.attendance import Mark, take_roll
from domain.event import Event
from domain.ledger import Ledger
from domain.school import School, SchoolClass, SchoolYear, Term, evolve_class
from domain.student import Guardian, Identity, Student, evolve_student

BOARD = "312011"
SEEDER = "bench-seed"
CLASSES_PER_SCHOOL = 30  # grades 1–6, five classes each
PRESENT = Mark(code="present")


def school_code(n: int, prefecture: str = "31") -> str:
    """A well-formed MEXT elementary school code (B1 + prefecture + 設置区分 2 + number + check digit)."""
    return f"B1{prefecture}2{n:07d}3"


SIX_YEAR_SCHOOL = school_code(9_000_001)
LAYOUTS = ("by_class", "interleaved")
ASSESSMENT_DAYS = 5  # the last school days of a term on which the interleaved layout records its assessments


def terms_of(year: int) -> list[Term]:
    return [Term(number=1, starts_on=date(year, 4, 6), ends_on=date(year, 7, 20)),
            Term(number=2, starts_on=date(year, 9, 1), ends_on=date(year, 12, 24)),
            Term(number=3, starts_on=date(year + 1, 1, 7), ends_on=date(year + 1, 3, 24))]


def school_days(year: int) -> list[date]:
    """The weekdays of the three terms (about 214 days)."""
    days = []
    for t in terms_of(year):
        d = t.starts_on
        while d <= t.ends_on:
            if d.weekday() < 5:
                days.append(d)
            d += timedelta(days=1)
    return days


@dataclass
class Klass:
    code: str
    year: int
    grade: int
    name: str
    students: list[UUID] = field(default_factory=list)

    @property
    def homeroom(self) -> str:
        return f"T-{self.code[-8:-1]}-{self.grade}{self.name}"


@dataclass
class SixYear:
    school: str
    student_id: UUID
    events: int  # events about the child (its own streams)
    classmates: int


@dataclass
class Dataset:
    schema: str
    schools: list[str]
    classes: list[Klass]
    rolled: list[Klass]
    hot: list[Klass]
    days: list[date]  # the instructional days of YEAR
    six_year: SixYear
    events: int  # the log's head position after seeding
    seconds: dict[str, float] = field(default_factory=dict)  # seeding time per phase
    layout: str = "by_class"  # LAYOUTS


class Batch:
    """Events of many decisions, saved in one transaction every ``size`` events."""

    def __init__(self, ledger: Ledger, size: int = 900) -> None:
        self.ledger, self.size = ledger, size
        self.pending: list[Event] = []
        self.saved = 0

    def add(self, events: Sequence[Event]) -> None:
        self.pending.extend(events)
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.ledger.record(self.pending)
            self.saved += len(self.pending)
            self.pending = []


def identity(rng: random.Random, grade: int, year: int) -> Identity:
    sex = rng.choice(("male", "female"))
    family, family_kana = rng.choice(names.FAMILY_NAMES)
    given, given_kana = rng.choice(names.BOYS if sex == "male" else names.GIRLS)
    first = date(year - 7 - (grade - 1), 4, 2)  # born 4/2 to 4/1 for the grade
    born = first + timedelta(days=rng.randrange(365))
    guardian, guardian_kana = rng.choice(names.MOTHERS)
    return Identity(family_name=family, given_name=given, family_name_kana=family_kana, given_name_kana=given_kana,
                    sex=sex, birth_date=born,
                    address=f"鳥取県鳥取市{rng.choice(names.MIDORI_TOWNS)}{rng.randint(1, 40)}-{rng.randint(1, 20)}",
                    guardian=Guardian(name=f"{family} {guardian}", name_kana=f"{family_kana} {guardian_kana}",
                                      relation="母"))


def daily_mark(rng: random.Random) -> Mark:
    """Mostly present; about 2 % absent through illness, 1.5 % late, 0.5 % leaving early."""
    r = rng.random()
    if r < 0.96:
        return PRESENT
    if r < 0.98:
        return Mark(code="absent_illness", reason=rng.choice(("発熱", "風邪", "腹痛")))
    if r < 0.995:
        return Mark(code="late", reason="通院のため")
    return Mark(code="left_early", reason="体調不良")


def seeding_clock(years: int = 6) -> Callable[[], datetime]:
    """The seeder's clock: it records whole school years (to YEAR + years - 1) at once, and a roll of a
    day that has not come is refused, so its clock stands after their last day; one microsecond a reading."""
    current = [datetime(YEAR + years, 4, 1, tzinfo=UTC)]

    def now() -> datetime:
        current[0] += timedelta(microseconds=1)
        return current[0]

    return now


class Seeder:
    def __init__(self, ledger: Ledger, scale: Scale, progress: Callable[[str], None] = print,
                 layout: str = "by_class") -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout {layout!r}: one of {', '.join(LAYOUTS)}")
        self.ledger, self.scale, self.progress, self.layout = ledger, scale, progress, layout
        self.rng = random.Random(f"gakuseki-bench/{scale.name}")
        self._schools: dict[str, School] = {}

    # ------------------------------------------------------------ schools and classes

    def school(self, code: str, name: str, years: Sequence[int] = (YEAR,)) -> None:
        ledger = self.ledger
        ledger.register_school(code, name, BOARD, "鳥取県鳥取市", recorded_by=SEEDER)
        ledger.appoint_principal(code, f"P-{code[5:12]}", "田中 一郎", on=date(years[0], 4, 1), recorded_by=SEEDER)
        for y in years:
            ledger.set_calendar(code, y, terms=terms_of(y), instructional_days=school_days(y), recorded_by=SEEDER)

    def form_classes(self, batch: Batch, classes: list[Klass]) -> dict[tuple[str, int, str], SchoolClass]:
        """Form each class (no members yet); returns their state, by (school, grade, name)."""
        states: dict[tuple[str, int, str], SchoolClass] = {}
        schools = {(code, year): (self.ledger.school(code), self.ledger.school_year(code, year))
                   for code, year in {(c.code, c.year) for c in classes}}
        for c in classes:
            school, year = schools[(c.code, c.year)]
            events = school_rules.form_class(school, year, None, c.year, c.grade, c.name, c.homeroom, "山田 花子", [],
                                             on=date(c.year, 4, 1), recorded_by=SEEDER, now=self.ledger.now())
            batch.add(events)
            states[(c.code, c.grade, c.name)] = _evolved(None, events, evolve_class)
        return states

    def admit(self, batch: Batch, c: Klass, klass: SchoolClass, school_year: SchoolYear, count: int) -> list[Student]:
        """Admit ``count`` children into a formed class; returns their state."""
        school = self._school(c.code)
        students = []
        for n in range(1, count + 1):
            sid = self.ledger.new_id()
            entrance = c.grade == 1
            events = enrollment_rules.admit(
                school, school_year, klass, None, sid, "entrance" if entrance else "admission", c.year, c.grade,
                c.name, n, identity(self.rng, c.grade, c.year), "", "" if entrance else "市外からの転居に伴う編入学",
                on=date(c.year, 4, 6), recorded_by=SEEDER, now=self.ledger.now())
            for e in events:
                if e.originator_id == klass_id(c):
                    evolve_class(klass, e)
            batch.add(events)
            students.append(_evolved(None, [e for e in events if e.originator_id == sid], evolve_student))
            c.students.append(sid)
        return students

    def assessments(self, batch: Batch, c: Klass, students: list[Student], school_year: SchoolYear) -> None:
        """Every subject of every term for each child, as the subject teachers would record them."""
        histories: dict[UUID, list[Event]] = {}
        for term in terms_of(c.year):
            self.term_assessments(batch, c, students, school_year, term, histories)

    def term_assessments(self, batch: Batch, c: Klass, students: Sequence[Student], school_year: SchoolYear,
                         term: Term, histories: dict[UUID, list[Event]]) -> None:
        """Every subject of one term for each of ``students`` (``histories``: each child's assessments
        of the year so far, extended here)."""
        school = self._school(c.code)
        subjects = [s for s, (_, grades) in curriculum.SUBJECTS["elementary"].items() if c.grade in grades]
        for student in students:
            history = histories.setdefault(student.id, [])
            for subject in subjects:
                v = Viewpoints(*(self.rng.choice("AABBBBC") for _ in range(3)))
                event = assessment.record_assessment(
                    school, school_year, student, history, c.year, term.number, subject, v,
                    rating_of(v, "elementary", c.grade), on=term.ends_on, recorded_by=f"S-{c.code[5:12]}",
                    now=self.ledger.now())
                history.append(event)
                batch.add([event])

    def rolls(self, batch: Batch, c: Klass, klass: SchoolClass, school_year: SchoolYear, days: Sequence[date]) -> None:
        for day in days:
            self.roll(batch, c, klass, school_year, day)

    def roll(self, batch: Batch, c: Klass, klass: SchoolClass, school_year: SchoolYear, day: date) -> None:
        marks = [(sid, daily_mark(self.rng)) for sid in klass.members_on(day)]
        batch.add(take_roll(school_year, klass, day, marks, recorded_by=c.homeroom, now=self.ledger.now()))

    def school_days(self, batch: Batch, rolled: list[Klass], states: dict[tuple[str, int, str], SchoolClass],
                    years: dict[str, SchoolYear], admitted: list[list[Student]], days: Sequence[date]) -> None:
        """The interleaved layout: day by day, every rolled class's roll, class after class; on the last
        ASSESSMENT_DAYS school days of a term, a fifth of the class's assessments of that term after it."""
        histories: dict[UUID, list[Event]] = {}
        assessing: dict[date, tuple[Term, int]] = {}  # day -> (term, which fifth of the class)
        for term in terms_of(YEAR):
            last = [d for d in days if term.starts_on <= d <= term.ends_on][-ASSESSMENT_DAYS:]
            assessing.update({d: (term, i) for i, d in enumerate(last)})
        for n, day in enumerate(days):
            for c, students in zip(rolled, admitted, strict=True):
                self.roll(batch, c, states[(c.code, c.grade, c.name)], years[c.code], day)
                if day in assessing:
                    term, fifth = assessing[day]
                    share = students[fifth::ASSESSMENT_DAYS]
                    self.term_assessments(batch, c, share, years[c.code], term, histories)
            if n % 20 == 19:
                self.progress(f"seed: {n + 1} of {len(days)} school days")
        # A term whose last days are beyond the seeded days still has its assessments, after them.
        for term in terms_of(YEAR):
            if not any(d in assessing and assessing[d][0] == term for d in days):
                for c, students in zip(rolled, admitted, strict=True):
                    self.term_assessments(batch, c, students, years[c.code], term, histories)

    def _school(self, code: str) -> School:
        if code not in self._schools:
            self._schools[code] = self.ledger.school(code)
        return self._schools[code]

    # ------------------------------------------------------------ the whole dataset

    def seed(self, schema: str) -> Dataset:
        import time

        s, ledger = self.scale, self.ledger
        seconds: dict[str, float] = {}
        t0 = time.perf_counter()
        n_classes = -(-s.students // CLASS_SIZE)
        n_schools = -(-n_classes // CLASSES_PER_SCHOOL)
        codes = [school_code(i + 1) for i in range(n_schools)]
        for i, code in enumerate(codes):
            self.school(code, f"鳥取市立第{i + 1}小学校")
        classes = [Klass(codes[i // CLASSES_PER_SCHOOL], YEAR, (i % CLASSES_PER_SCHOOL) // 5 + 1, str(i % 5 + 1))
                   for i in range(n_classes)]
        batch = Batch(ledger)
        states = self.form_classes(batch, classes)
        seconds["schools_and_classes"] = time.perf_counter() - t0
        self.progress(f"seed: {n_schools} schools, {n_classes} classes ({seconds['schools_and_classes']:.1f} s)")

        t0 = time.perf_counter()
        years = {code: ledger.school_year(code, YEAR) for code in codes}
        left = s.students
        admitted: list[list[Student]] = []
        for i, c in enumerate(classes):
            students = self.admit(batch, c, states[(c.code, c.grade, c.name)], years[c.code], min(CLASS_SIZE, left))
            if i < s.rolled_classes:
                admitted.append(students)
            left -= CLASS_SIZE
            if i % 500 == 499:
                self.progress(f"seed: admitted {(i + 1) * CLASS_SIZE} students")
        batch.flush()
        seconds["admissions"] = time.perf_counter() - t0
        self.progress(f"seed: {s.students} students admitted ({seconds['admissions']:.1f} s)")

        t0 = time.perf_counter()
        days = school_days(YEAR)
        rolled, hot = classes[:s.rolled_classes], classes[s.rolled_classes:s.rolled_classes + s.hot_classes]
        if self.layout == "interleaved":
            self.school_days(batch, rolled, states, years, admitted, days[:s.roll_days])
            batch.flush()
            seconds["school_days"] = time.perf_counter() - t0
            self.progress(f"seed: {s.roll_days} school days of {len(rolled)} classes, interleaved "
                          f"({seconds['school_days']:.1f} s)")
        else:
            for i, c in enumerate(rolled):
                self.rolls(batch, c, states[(c.code, c.grade, c.name)], years[c.code], days[:s.roll_days])
                if i % 20 == 19:
                    self.progress(f"seed: rolled {i + 1} of {len(rolled)} classes")
            batch.flush()
            seconds["rolls"] = time.perf_counter() - t0
            self.progress(f"seed: {len(rolled) * s.roll_days} class rolls ({seconds['rolls']:.1f} s)")

            t0 = time.perf_counter()
            for c, students in zip(rolled, admitted, strict=True):
                self.assessments(batch, c, students, years[c.code])
            batch.flush()
            seconds["assessments"] = time.perf_counter() - t0
            self.progress(f"seed: three terms of assessments of {len(rolled)} classes ({seconds['assessments']:.1f} s)")

        t0 = time.perf_counter()
        six = self.six_year_child(batch)
        seconds["six_year_child"] = time.perf_counter() - t0
        self.progress(f"seed: the six-year child has {six.events} events ({seconds['six_year_child']:.1f} s)")
        return Dataset(schema, codes, classes, rolled, hot, days, six, ledger.position(), seconds, self.layout)

    def six_year_child(self, batch: Batch) -> SixYear:
        """A class of 30 from grade 1 (2026) to grade 6 (2031): rolls every school day; the first child
        also has every term's assessments and the yearly examinations."""
        ledger, years = self.ledger, list(range(YEAR, YEAR + 6))
        self.school(SIX_YEAR_SCHOOL, "鳥取市立六年小学校", years)
        school = ledger.school(SIX_YEAR_SCHOOL)
        first = Klass(SIX_YEAR_SCHOOL, YEAR, 1, "1")
        klass = self.form_classes(batch, [first])[(SIX_YEAR_SCHOOL, 1, "1")]
        year_state = ledger.school_year(SIX_YEAR_SCHOOL, YEAR)
        batch.flush()
        students = self.admit(batch, first, klass, year_state, CLASS_SIZE)
        self.rolls(batch, first, klass, year_state, school_days(YEAR)[:self.scale.six_year_days])
        for k, y in enumerate(years[1:], start=2):
            year_state = ledger.school_year(SIX_YEAR_SCHOOL, y)
            c = Klass(SIX_YEAR_SCHOOL, y, k, "1", list(first.students))
            events = school_rules.form_class(
                school, year_state, None, y, k, "1", c.homeroom, "山田 花子",
                [(st, n) for n, st in enumerate(students, 1)], on=date(y, 4, 1), recorded_by=SEEDER,
                now=ledger.now())
            batch.add(events)
            klass = _evolved(None, events[:1], evolve_class)
            students = [_evolved(st, [e for e in events[1:] if e.originator_id == st.id], evolve_student)
                        for st in students]
            self.rolls(batch, c, klass, year_state, school_days(y)[:self.scale.six_year_days])
        batch.flush()
        child = students[0]
        rng = random.Random("gakuseki-bench/six-year")
        for k, y in enumerate(years, start=1):
            subjects = [s for s, (_, grades) in curriculum.SUBJECTS["elementary"].items() if k in grades]
            for term in terms_of(y):
                for subject in subjects:
                    v = Viewpoints(*(rng.choice("AABBBBC") for _ in range(3)))
                    ledger.record_assessment(child.id, y, subject=subject, viewpoints=v,
                                             rating=rating_of(v, "elementary", k), term=term.number, on=term.ends_on,
                                             recorded_by=first.homeroom)
            days = school_days(y)
            ledger.record_health_exam(child.id, y, examination=health_exam(rng, child.identity.sex, "elementary", k),
                                      examined_on=days[10], recorded_by="bench-nurse")
            ledger.record_dental_exam(child.id, y, examination=dental_exam(rng, child.identity, days[20]),
                                      examined_on=days[20], recorded_by="bench-nurse")
        own = len(ledger.history(child.id))
        return SixYear(SIX_YEAR_SCHOOL, child.id, own, CLASS_SIZE - 1)


def klass_id(c: Klass) -> UUID:
    from domain import streams

    return streams.school_class(c.code, c.year, c.grade, c.name)


def _evolved(state, events, evolve):  # type: ignore[no-untyped-def]
    for e in events:
        state = evolve(state, e)
    return state
